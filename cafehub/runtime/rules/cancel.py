"""Cancellation: the effective mode, the refund route, the refund account, and the Cafe24 call to make.

The guide's rules, one function each:

- :func:`effective_cancel_mode`: the mall's "automatic refund when a
  cancellation is accepted" makes the hub's ``request`` behave as
  ``complete``; a hub ``complete`` behaves as ``request`` when the mall asks
  before restoring stock (for the order's phase: before or after payment) or
  before restoring coupons (for the phase, or for a partial cancel).
- :func:`refund_route`: under ``complete``, a whole-order cancel paid only by
  card, easy payments, store credit, points and coupons is refunded through
  the payment gateway; an order with bank deposit, real-time transfer or
  virtual account in it (or any method Cafe24 refunds in cash), or a partial
  cancel, is cancelled with the refund left to staff. Under ``request`` a
  cancellation request is filed and staff refund by hand.
- :func:`refund_account_needed`: staff must pay into a bank account.
- :func:`cancel_write`: the exact Cafe24 write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Literal

from pydantic import Field

from cafehub.runtime.settings import HubSettings, MallSettings
from cafehub.runtime.snapshots import OrderSnapshot, Snapshot


class CancelMode(StrEnum):
    COMPLETE = "complete"
    REQUEST = "request"


class ModeReason(StrEnum):
    """Why the effective mode is what it is (shown to operators, used in tests)."""

    HUB = "hub"
    MALL_AUTO_REFUND = "mall_auto_refund"
    STOCK_RECOVERY_ASKS = "stock_recovery_asks"
    COUPON_RETURN_ASKS = "coupon_return_asks"


class PaymentClass(StrEnum):
    """How a payment method's share of a refund goes back."""

    #: Reversed by the payment gateway or restored by Cafe24 (card, easy payments, credit, points, coupons).
    GATEWAY = "gateway"
    #: Paid in cash or by transfer: staff pay the refund into the customer's bank account.
    BANK = "bank"
    #: Unknown to us ("etc"): staff decide.
    STAFF = "staff"


#: Every Cafe24 ``payment_method`` code (:data:`cafehub.connectors.cafe24.codes.PAYMENT_METHODS`).
PAYMENT_CLASSES: dict[str, PaymentClass] = {
    "card": PaymentClass.GATEWAY,
    "cell": PaymentClass.GATEWAY,  # mobile-carrier billing, cancelled through its gateway
    "prepaid": PaymentClass.GATEWAY,  # the shop's prepaid balance, restored by Cafe24
    "credit": PaymentClass.GATEWAY,  # store credit (예치금)
    "point": PaymentClass.GATEWAY,  # points (적립금)
    "pointfy": PaymentClass.GATEWAY,  # integrated points
    "coupon": PaymentClass.GATEWAY,
    "market_discount": PaymentClass.GATEWAY,  # a discount, nothing to pay back
    "giftcard": PaymentClass.GATEWAY,  # partner gift certificates, cancelled through their gateway
    "pointcard": PaymentClass.GATEWAY,  # partner points
    "cash": PaymentClass.BANK,  # bank deposit (무통장입금)
    "tcash": PaymentClass.BANK,  # real-time account transfer (실시간 계좌이체)
    "icash": PaymentClass.BANK,  # virtual account (가상계좌)
    "cvs": PaymentClass.BANK,  # paid in cash at a convenience store
    "cod": PaymentClass.BANK,  # paid in cash on delivery
    "etc": PaymentClass.STAFF,
}

#: Cafe24 ``refund_method_code`` per payment method (``T`` cash to a bank account, ``F`` card ...).
REFUND_METHOD_CODES: dict[str, str | None] = {
    "card": "F",
    "cell": "C",
    "prepaid": "O",
    "credit": "D",
    "point": "M",
    "pointfy": "M",
    "coupon": None,
    "market_discount": None,
    "giftcard": "J",
    "pointcard": "K",
    "cash": "T",
    "tcash": "T",
    "icash": "T",
    "cvs": "T",
    "cod": "T",
    "etc": "I",
}


def payment_class(method: str) -> PaymentClass:
    """An unknown code is treated like ``etc``: staff decide."""
    return PAYMENT_CLASSES.get(method, PaymentClass.STAFF)


class ModeDecision(Snapshot):
    mode: CancelMode
    reason: ModeReason


def effective_cancel_mode(hub: HubSettings, mall: MallSettings, order: OrderSnapshot, *, partial: bool) -> ModeDecision:
    """The mode a cancellation of ``order`` really runs in, with both mall overrides."""
    if mall.auto_refund_on_cancel:
        return ModeDecision(mode=CancelMode.COMPLETE, reason=ModeReason.MALL_AUTO_REFUND)
    if hub.cancel_mode == "complete":
        stock = mall.stock_recovery_after_payment if order.paid else mall.stock_recovery_before_payment
        if stock == "ask":
            return ModeDecision(mode=CancelMode.REQUEST, reason=ModeReason.STOCK_RECOVERY_ASKS)
        coupon = mall.coupon_return_after_payment if order.paid else mall.coupon_return_before_payment
        if coupon == "ask" or (partial and mall.coupon_return_partial == "ask"):
            return ModeDecision(mode=CancelMode.REQUEST, reason=ModeReason.COUPON_RETURN_ASKS)
    return ModeDecision(mode=CancelMode(hub.cancel_mode), reason=ModeReason.HUB)


class RefundRoute(StrEnum):
    """Where the money goes back and who moves it (message keys ``refund.<value>``)."""

    #: Nothing was paid yet (before deposit): the order is just cancelled.
    NONE = "none"
    #: Cancelled and refunded through the payment gateway at once.
    GATEWAY = "gateway"
    #: Cancelled; staff refund by hand (a partial cancel paid by card, an unknown method).
    STAFF = "staff"
    #: Cancelled; staff pay the refund into the customer's bank account.
    STAFF_BANK = "staff_bank"
    #: A cancellation request is filed; staff cancel and refund by hand.
    REQUEST = "request"
    #: A cancellation request is filed; staff refund into the customer's bank account.
    REQUEST_BANK = "request_bank"


def refunds_into_bank(order: OrderSnapshot) -> bool:
    """Part of the payment came in cash or by transfer, so a refund is paid into a bank account.

    An easy-payment provider refunds through its own gateway whatever funded it.
    """
    return _bank(order.payment_methods, order.easy_payment)


def _bank(methods: Iterable[str], easy_payment: bool) -> bool:
    return not easy_payment and any(payment_class(m) is PaymentClass.BANK for m in methods)


def refund_route(order: OrderSnapshot, *, whole: bool, mode: CancelMode) -> RefundRoute:
    """The refund route of cancelling ``order`` (``whole`` or some items) in ``mode``."""
    return refund_route_for(order.payment_methods, paid=order.paid, easy_payment=order.easy_payment, whole=whole,
                            mode=mode)


def refund_route_for(methods: Iterable[str], *, paid: bool, easy_payment: bool, whole: bool, mode: CancelMode
                     ) -> RefundRoute:
    """:func:`refund_route` from the payment facts alone (what it depends on)."""
    classes = {payment_class(m) for m in methods}
    bank = PaymentClass.BANK in classes and not easy_payment
    if easy_payment:  # the provider's gateway refunds whatever funded it
        classes = {PaymentClass.GATEWAY if c is PaymentClass.BANK else c for c in classes}
    if mode is CancelMode.REQUEST:
        return RefundRoute.REQUEST_BANK if paid and bank else RefundRoute.REQUEST
    if not paid:
        return RefundRoute.NONE
    if bank:
        return RefundRoute.STAFF_BANK
    if whole and classes <= {PaymentClass.GATEWAY}:
        return RefundRoute.GATEWAY
    return RefundRoute.STAFF


def refund_account_needed(route: RefundRoute) -> bool:
    """The customer must give a bank account (bank, number, holder): staff will pay into it."""
    return route in (RefundRoute.STAFF_BANK, RefundRoute.REQUEST_BANK)


class CancelReason(StrEnum):
    """Reasons offered for a cancellation, with Cafe24's ``claim_reason_type``."""

    CHANGE_OF_MIND = "change_of_mind"
    DELIVERY_DELAY = "delivery_delay"
    WRONG_ORDER = "wrong_order"
    OTHER = "other"

    @property
    def cafe24_type(self) -> str:
        return {"change_of_mind": "A", "delivery_delay": "B", "wrong_order": "A", "other": "I"}[self.value]


class RefundAccount(Snapshot):
    """Where staff send a refund: Cafe24 bank code (``bank_04``), account number, holder."""

    bank_code: str = Field(pattern=r"^bank_\d{2,3}$")
    account_no: str = Field(pattern=r"^[0-9-]{6,30}$")
    holder: str = Field(min_length=1, max_length=15)


class ItemQuantity(Snapshot):
    order_item_code: str
    quantity: int = Field(ge=1)


class CancelWrite(Snapshot):
    """The Cafe24 write that carries out a cancellation.

    ``endpoint`` ``order_cancellation`` is ``POST /orders/{order_id}/cancellation``
    (the one that can also cancel at the payment gateway); ``cancellation_request``
    is ``POST /cancellationrequests``.
    """

    endpoint: Literal["order_cancellation", "cancellation_request"]
    order_id: str
    status: Literal["canceled", "canceling"] | None
    payment_gateway_cancel: bool
    recover_inventory: bool
    recover_coupon: bool
    refund_method_codes: tuple[str, ...]
    items: tuple[ItemQuantity, ...]
    reason_type: str
    reason: str
    refund_account: RefundAccount | None = None


class CancelDecision(Snapshot):
    """Everything decided about one cancellation before it runs."""

    whole: bool
    mode: ModeDecision
    route: RefundRoute
    needs_account: bool
    write: CancelWrite


def refund_method_codes(order: OrderSnapshot, route: RefundRoute) -> tuple[str, ...]:
    """Cafe24's ``refund_method_code`` list: cash (``T``) when staff pay into a bank account."""
    codes = {REFUND_METHOD_CODES.get(m, "I") for m in order.payment_methods}
    codes.discard(None)
    if route in (RefundRoute.STAFF_BANK, RefundRoute.REQUEST_BANK):
        codes = {c for c in codes if c != "F"} | {"T"}
    return tuple(sorted(c for c in codes if c is not None))


def decide_cancel(
    order: OrderSnapshot,
    chosen: Sequence[ItemQuantity],
    hub: HubSettings,
    mall: MallSettings,
    *,
    reason: CancelReason,
    reason_text: str = "",
    account: RefundAccount | None = None,
) -> CancelDecision:
    """The mode, route and Cafe24 write for cancelling ``chosen`` items of ``order``.

    ``chosen`` must be items the eligibility rule allowed; the cancel is
    "whole" when it covers every item of the order that is not already
    canceled, each in full.
    """
    active = {i.order_item_code: i.quantity for i in order.items if not i.status.startswith("C")}
    picked = {c.order_item_code: c.quantity for c in chosen}
    whole = picked == active
    mode = effective_cancel_mode(hub, mall, order, partial=not whole)
    route = refund_route(order, whole=whole, mode=mode.mode)
    needs_account = refund_account_needed(route)
    complete = mode.mode is CancelMode.COMPLETE
    stock = mall.stock_recovery_after_payment if order.paid else mall.stock_recovery_before_payment
    coupon = mall.coupon_return_after_payment if order.paid else mall.coupon_return_before_payment
    write = CancelWrite(
        endpoint="order_cancellation" if complete else "cancellation_request",
        order_id=order.order_id,
        status="canceled" if complete else None,
        payment_gateway_cancel=route is RefundRoute.GATEWAY,
        recover_inventory=complete and stock == "auto",
        recover_coupon=complete and coupon == "auto" and whole,
        refund_method_codes=refund_method_codes(order, route) if order.paid else (),
        items=tuple(sorted(chosen, key=lambda c: c.order_item_code)),
        reason_type=reason.cafe24_type,
        reason=reason_text[:2000],
        refund_account=account if needs_account else None,
    )
    return CancelDecision(whole=whole, mode=mode, route=route, needs_account=needs_account, write=write)
