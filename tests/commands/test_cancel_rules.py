"""Cancellation rules: eligibility, the effective mode with both mall overrides, refund routing over every
payment-method combination, the refund account, and the exact Cafe24 write."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import combinations, product

import pytest

from cafehub.connectors.cafe24.codes import PAYMENT_METHODS
from cafehub.runtime.rules.cancel import (
    CancelMode,
    CancelReason,
    ItemQuantity,
    ModeReason,
    RefundAccount,
    RefundRoute,
    decide_cancel,
    effective_cancel_mode,
    refund_account_needed,
    refund_route,
    refund_route_for,
)
from cafehub.runtime.rules.eligibility import ClaimRefusal, claim_eligibility, claimable_orders
from cafehub.runtime.settings import ClaimKind, HubSettings, MallSettings

from .builders import SEOUL, item, order

# The spec's words, written out independently of the implementation's table.
GATEWAY = {"card", "cell", "prepaid", "credit", "point", "pointfy", "coupon", "market_discount", "giftcard",
           "pointcard"}
BANK = {"cash", "tcash", "icash", "cvs", "cod"}
UNKNOWN = {"etc"}


def test_the_three_classes_cover_every_cafe24_payment_method() -> None:
    assert set(PAYMENT_METHODS) == GATEWAY | BANK | UNKNOWN
    assert not (GATEWAY & BANK)
    assert not (GATEWAY & UNKNOWN)
    assert not (BANK & UNKNOWN)


# -- eligibility ------------------------------------------------------------------

MALL = MallSettings(request_buttons=["cancel_N10", "cancel_N20", "return_N40"], period_basis="order_date",
                    period_days=7)
MONDAY = datetime(2025, 3, 3, 23, 30, tzinfo=SEOUL)


@pytest.mark.parametrize(("status", "days_later", "mall", "expected"), [
    ("N10", 0, MALL, None),
    ("N20", 7, MALL, None),  # ordered 7 days ago with a 7-day period: still shown
    ("N20", 8, MALL, ClaimRefusal.PERIOD_OVER),  # 8 days: not shown (the guide's FAQ)
    ("N21", 0, MALL, ClaimRefusal.NO_BUTTON),  # the mall did not tick "waiting for shipment"
    ("N40", 0, MALL, ClaimRefusal.NO_BUTTON),
    ("N10", 0, MALL.model_copy(update={"claim_requests": False}), ClaimRefusal.REQUESTS_OFF),
    ("N10", 400, MALL.model_copy(update={"period_basis": "shipend_date"}), None),  # delivery basis: no limit
])
def test_cancel_eligibility(status: str, days_later: int, mall: MallSettings, expected: ClaimRefusal | None) -> None:
    o = order(item("A-01", status), at=MONDAY)
    today = MONDAY.date() + timedelta(days=days_later)
    found = claim_eligibility(o, ClaimKind.CANCEL, mall, today, SEOUL)
    assert found.refusal == expected
    assert found.eligible == (expected is None)


def test_the_order_day_is_the_shops_calendar_day() -> None:
    # 23:30 in Seoul is 14:30 UTC the same day; 8 days later in Seoul is past a 7-day period.
    o = order(item("A-01", "N10"), at=datetime(2025, 3, 3, 14, 30, tzinfo=SEOUL).astimezone(SEOUL))
    assert claim_eligibility(o, ClaimKind.CANCEL, MALL, date(2025, 3, 10), SEOUL).eligible
    assert not claim_eligibility(o, ClaimKind.CANCEL, MALL, date(2025, 3, 11), SEOUL).eligible


def test_only_items_with_the_button_are_offered() -> None:
    o = order(item("A-01", "N10"), item("A-02", "N30"))
    assert claim_eligibility(o, ClaimKind.CANCEL, MALL, MONDAY.date(), SEOUL).item_codes == ("A-01",)


def test_lists_hold_five_cancellable_orders_newest_first() -> None:
    orders = [order(item(f"O{n}-01", "N10" if n % 2 else "N40"), order_id=f"O{n}", at=MONDAY + timedelta(hours=n))
              for n in range(14)]
    found = claimable_orders(orders, [ClaimKind.CANCEL], MALL, MONDAY.date() + timedelta(days=1), SEOUL)
    assert [o.order_id for o in found] == ["O13", "O11", "O9", "O7", "O5"]


# -- effective mode -------------------------------------------------------------------


def mall(**changes: object) -> MallSettings:
    return MallSettings().model_copy(update=changes)


@pytest.mark.parametrize(("hub", "changes", "paid", "partial", "mode", "why"), [
    ("request", {}, True, False, CancelMode.REQUEST, ModeReason.HUB),
    ("complete", {}, True, False, CancelMode.COMPLETE, ModeReason.HUB),
    # mall auto-refund on acceptance: complete even though the hub says request
    ("request", {"auto_refund_on_cancel": True}, True, False, CancelMode.COMPLETE, ModeReason.MALL_AUTO_REFUND),
    ("request", {"auto_refund_on_cancel": True}, False, True, CancelMode.COMPLETE, ModeReason.MALL_AUTO_REFUND),
    # stock recovery "ask" for the order's phase turns complete into request
    ("complete", {"stock_recovery_after_payment": "ask"}, True, False, CancelMode.REQUEST,
     ModeReason.STOCK_RECOVERY_ASKS),
    ("complete", {"stock_recovery_after_payment": "ask"}, False, False, CancelMode.COMPLETE, ModeReason.HUB),
    ("complete", {"stock_recovery_before_payment": "ask"}, False, False, CancelMode.REQUEST,
     ModeReason.STOCK_RECOVERY_ASKS),
    ("complete", {"stock_recovery_before_payment": "ask"}, True, False, CancelMode.COMPLETE, ModeReason.HUB),
    ("complete", {"stock_recovery_after_payment": "off"}, True, False, CancelMode.COMPLETE, ModeReason.HUB),
    # coupon return "ask" likewise, and its partial-cancel setting for partial cancels
    ("complete", {"coupon_return_after_payment": "ask"}, True, False, CancelMode.REQUEST,
     ModeReason.COUPON_RETURN_ASKS),
    ("complete", {"coupon_return_before_payment": "ask"}, False, False, CancelMode.REQUEST,
     ModeReason.COUPON_RETURN_ASKS),
    ("complete", {"coupon_return_before_payment": "ask"}, True, False, CancelMode.COMPLETE, ModeReason.HUB),
    ("complete", {"coupon_return_partial": "ask"}, True, True, CancelMode.REQUEST, ModeReason.COUPON_RETURN_ASKS),
    ("complete", {"coupon_return_partial": "ask"}, True, False, CancelMode.COMPLETE, ModeReason.HUB),
    # the hub's request is never turned into complete by the "ask" settings
    ("request", {"stock_recovery_after_payment": "ask"}, True, False, CancelMode.REQUEST, ModeReason.HUB),
    # auto-refund wins over "ask"
    ("complete", {"auto_refund_on_cancel": True, "stock_recovery_after_payment": "ask"}, True, False,
     CancelMode.COMPLETE, ModeReason.MALL_AUTO_REFUND),
])
def test_effective_mode(hub: str, changes: dict[str, object], paid: bool, partial: bool, mode: CancelMode,
                        why: ModeReason) -> None:
    decided = effective_cancel_mode(HubSettings(cancel_mode=hub), mall(**changes), order(paid=paid), partial=partial)
    assert (decided.mode, decided.reason) == (mode, why)


# -- refund routing, every combination of payment methods ----------------------------------


def expected_route(methods: set[str], *, whole: bool, paid: bool, mode: CancelMode, easy: bool) -> RefundRoute:
    bank = bool(methods & BANK) and not easy
    if mode is CancelMode.REQUEST:
        return RefundRoute.REQUEST_BANK if paid and bank else RefundRoute.REQUEST
    if not paid:
        return RefundRoute.NONE
    if bank:
        return RefundRoute.STAFF_BANK
    if whole and (methods <= GATEWAY or (easy and methods <= GATEWAY | BANK)):
        return RefundRoute.GATEWAY
    return RefundRoute.STAFF


def test_refund_route_over_every_payment_method_combination() -> None:
    checked = 0
    for size in range(1, len(PAYMENT_METHODS) + 1):
        for combo in combinations(PAYMENT_METHODS, size):
            methods = set(combo)
            for paid, easy, whole, mode in product((True, False), (False, True), (True, False), CancelMode):
                got = refund_route_for(combo, paid=paid, easy_payment=easy, whole=whole, mode=mode)
                assert got == expected_route(methods, whole=whole, paid=paid, mode=mode, easy=easy), (
                    combo, paid, easy, whole, mode)
                checked += 1
    assert checked == (2 ** len(PAYMENT_METHODS) - 1) * 16


def test_refund_route_reads_the_orders_payment_facts() -> None:
    snap = order(item("A-01"), methods=("tcash",), easy_payment=True)
    assert refund_route(snap, whole=True, mode=CancelMode.COMPLETE) is RefundRoute.GATEWAY
    assert refund_route(snap.model_copy(update={"easy_payment": False}), whole=True,
                        mode=CancelMode.COMPLETE) is RefundRoute.STAFF_BANK


@pytest.mark.parametrize(("methods", "whole", "route"), [
    (("card",), True, RefundRoute.GATEWAY),
    (("card", "point", "coupon", "credit"), True, RefundRoute.GATEWAY),
    (("card",), False, RefundRoute.STAFF),  # partial cancels never refund through the gateway
    (("cash",), True, RefundRoute.STAFF_BANK),  # bank deposit
    (("tcash",), True, RefundRoute.STAFF_BANK),  # real-time transfer
    (("icash",), True, RefundRoute.STAFF_BANK),  # virtual account
    (("card", "icash"), True, RefundRoute.STAFF_BANK),
    (("etc",), True, RefundRoute.STAFF),
])
def test_the_guides_refund_examples(methods: tuple[str, ...], whole: bool, route: RefundRoute) -> None:
    assert refund_route(order(methods=methods), whole=whole, mode=CancelMode.COMPLETE) == route


def test_the_refund_account_is_asked_exactly_when_staff_pay_into_a_bank() -> None:
    asks = {r for r in RefundRoute if refund_account_needed(r)}
    assert asks == {RefundRoute.STAFF_BANK, RefundRoute.REQUEST_BANK}


# -- the Cafe24 write ---------------------------------------------------------------------

ACCOUNT = RefundAccount(bank_code="bank_04", account_no="123-456-7890", holder="Kim")


def test_whole_card_order_is_cancelled_at_the_gateway_with_recovery() -> None:
    o = order(item("A-01", quantity=2), item("A-02"), methods=("card", "point"))
    chosen = [ItemQuantity(order_item_code="A-01", quantity=2), ItemQuantity(order_item_code="A-02", quantity=1)]
    decided = decide_cancel(o, chosen, HubSettings(cancel_mode="complete"), MallSettings(),
                            reason=CancelReason.CHANGE_OF_MIND)
    w = decided.write
    assert decided.whole
    assert decided.route is RefundRoute.GATEWAY
    assert not decided.needs_account
    assert (w.endpoint, w.status, w.payment_gateway_cancel) == ("order_cancellation", "canceled", True)
    assert (w.recover_inventory, w.recover_coupon) == (True, True)
    assert w.refund_method_codes == ("F", "M")
    assert [(i.order_item_code, i.quantity) for i in w.items] == [("A-01", 2), ("A-02", 1)]
    assert w.reason_type == "A"
    assert w.refund_account is None


def test_partial_cancel_leaves_the_refund_to_staff_and_keeps_coupons() -> None:
    o = order(item("A-01"), item("A-02"), methods=("card", "coupon"))
    decided = decide_cancel(o, [ItemQuantity(order_item_code="A-02", quantity=1)], HubSettings(cancel_mode="complete"),
                            MallSettings(), reason=CancelReason.OTHER)
    w = decided.write
    assert not decided.whole
    assert decided.route is RefundRoute.STAFF
    assert (w.status, w.payment_gateway_cancel, w.recover_coupon, w.recover_inventory) == ("canceled", False, False,
                                                                                         True)
    assert w.reason_type == "I"


def test_a_bank_paid_order_carries_the_account_and_a_cash_refund() -> None:
    o = order(item("A-01"), methods=("tcash", "point"))
    decided = decide_cancel(o, [ItemQuantity(order_item_code="A-01", quantity=1)], HubSettings(cancel_mode="complete"),
                            MallSettings(stock_recovery_after_payment="off"), reason=CancelReason.DELIVERY_DELAY,
                            account=ACCOUNT)
    w = decided.write
    assert decided.needs_account
    assert w.refund_account == ACCOUNT
    assert w.refund_method_codes == ("M", "T")
    assert (w.recover_inventory, w.reason_type) == (False, "B")


def test_request_mode_files_a_cancellation_request() -> None:
    o = order(item("A-01"), methods=("cash",))
    decided = decide_cancel(o, [ItemQuantity(order_item_code="A-01", quantity=1)], HubSettings(cancel_mode="request"),
                            MallSettings(), reason=CancelReason.CHANGE_OF_MIND, account=ACCOUNT)
    w = decided.write
    assert decided.route is RefundRoute.REQUEST_BANK
    assert (w.endpoint, w.status, w.payment_gateway_cancel, w.recover_inventory) == (
        "cancellation_request", None, False, False)
    assert w.refund_account == ACCOUNT


def test_an_unpaid_order_is_just_cancelled() -> None:
    o = order(item("A-01", "N00"), methods=("icash",), paid=False)
    decided = decide_cancel(o, [ItemQuantity(order_item_code="A-01", quantity=1)], HubSettings(cancel_mode="complete"),
                            MallSettings(), reason=CancelReason.CHANGE_OF_MIND)
    assert decided.route is RefundRoute.NONE
    assert not decided.needs_account
    assert decided.write.refund_method_codes == ()
    assert not decided.write.payment_gateway_cancel


def test_an_account_is_not_sent_when_the_route_needs_none() -> None:
    decided = decide_cancel(order(item("A-01")), [ItemQuantity(order_item_code="A-01", quantity=1)],
                            HubSettings(cancel_mode="complete"), MallSettings(), reason=CancelReason.OTHER,
                            account=ACCOUNT)
    assert decided.write.refund_account is None


@pytest.mark.parametrize(("field", "value"), [("bank_code", "04"), ("account_no", "12ab"), ("holder", "x" * 16)])
def test_refund_accounts_are_checked(field: str, value: str) -> None:
    data = ACCOUNT.model_dump() | {field: value}
    with pytest.raises(ValueError, match=field):
        RefundAccount.model_validate(data)
