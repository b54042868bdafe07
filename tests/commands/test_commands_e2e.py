"""Every command end to end against the sandbox over loopback HTTP, in Japanese, Korean and English."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from cafehub.connectors.paging import add_months
from cafehub.runtime.answers import Identity
from cafehub.runtime.engine import PhotoUpload
from cafehub.runtime.messages.catalogue import Formatter, default_catalogue
from cafehub.runtime.messages.model import OrderBlock
from cafehub.runtime.rules.returns import PhotoProblem
from cafehub.runtime.settings import Address, PhotoRules
from cafehub.sandbox.mall_settings import dispatch_date

from .conftest import Shop

LANGUAGES = ("ja", "ko", "en")
CATALOGUE = default_catalogue()
MEMBER = Identity.member("m0001")


def text(key: str, language: str, **values: Any) -> str:
    return CATALOGUE.text(key, language, **values)  # type: ignore[arg-type]


def orders_in(message: Any) -> list[str]:
    return [b.order_id for b in message.blocks if isinstance(b, OrderBlock)]


def statuses(shop: Shop, order_id: str) -> list[str]:
    return [i.status for i in shop.sb.shop.orders[order_id].items]


def local_day(shop: Shop, naive_utc: datetime) -> date:
    return naive_utc.replace(tzinfo=UTC).astimezone(shop.sb.zone).date()


def history_start(shop: Shop) -> date:
    """The first day order history reads by default: two 3-month Cafe24 windows back from today."""
    today = datetime.now(UTC).astimezone(shop.sb.zone).date()
    start = add_months(today, -3) + timedelta(days=1)
    return add_months(start - timedelta(days=1), -3) + timedelta(days=1)


def expected_eta_line(shop: Shop, order_id: str, language: str) -> str:
    """What the warehouse implies without split shipping: everything on the latest ready date."""
    order = shop.sb.shop.orders[order_id]
    today = datetime.now(UTC).astimezone(shop.sb.zone).date()
    dispatch = dispatch_date(order, today)
    days = []
    for item in order.items:
        variant = shop.sb.shop.variants[item.variant_code]
        ready = dispatch if variant.stock >= item.quantity else variant.restock_date
        days.append(None if ready is None else max(ready, today))
    names = ", ".join(shop.sb.shop.products[i.product_no].name for i in order.items)
    if None in days:
        return text("eta.ships_unknown", language, items=names)
    return text("eta.ships_on", language, date=Formatter(language).short_day(max(days)), items=names)  # type: ignore


def claims_of(shop: Shop, order_id: str) -> list[dict[str, Any]]:
    return [c for c in shop.sb.shop.claims() if c["order_id"] == order_id]


# -- order history --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_order_history_lists_the_latest_five_then_details(shop: Shop, language: str) -> None:
    made = [shop.order(["N10"]), shop.order(["N40", "N30"]), shop.order(["N20"], methods=("cash",))]
    engine = shop.engine()
    result = engine.step(MEMBER, "/orders", {}, language=language)  # type: ignore[arg-type]
    assert result.state == "done"
    assert result.message.key == "orders.title"
    listed = orders_in(result.message)
    expected = sorted((o for o in shop.sb.shop.orders.values() if o.member_id == "m0001"
                       and local_day(shop, o.ordered_at) >= history_start(shop)),
                      key=lambda o: (o.ordered_at, o.order_id), reverse=True)[:5]
    assert listed == [o.order_id for o in expected]
    assert made[-1].order_id == listed[0]
    mixed = next(b for b in result.message.blocks if isinstance(b, OrderBlock) and b.order_id == made[1].order_id)
    assert mixed.status_label is None  # items differ: each item shows its own state
    assert [i.status_label for i in mixed.items] == [text("status.delivered", language),
                                                     text("status.shipping", language)]
    details = engine.step(MEMBER, "orders", {"order": made[0].order_id}, language=language)  # type: ignore[arg-type]
    block = next(b for b in details.message.blocks if isinstance(b, OrderBlock))
    assert block.status_label == text("status.preparing", language)
    assert block.lines == [expected_eta_line(shop, made[0].order_id, language)]  # the ETA, with a warehouse
    assert [b.command for b in block.buttons] == ["cancel"]  # N10 has the cancel button, not return


def test_history_by_the_korean_and_japanese_names_and_for_guests(shop: Shop) -> None:
    guest_order = shop.order(["N20"], member=None)
    engine = shop.engine(wms="none")
    guest = Identity.guest({guest_order.order_id, "20000101-0000001"})
    for name in ("/주문내역", "/注文履歴"):
        result = engine.step(guest, name, {})
        assert orders_in(result.message) == [guest_order.order_id]
    details = engine.step(guest, "/orders", {"order": guest_order.order_id})
    block = next(b for b in details.message.blocks if isinstance(b, OrderBlock))
    assert block.lines == []  # no warehouse: no ETA
    other = shop.order(["N10"], member="m0002")
    assert engine.step(MEMBER, "/orders", {"order": other.order_id}).reason == "not_found"
    assert engine.step(guest, "/orders", {"order": other.order_id}).reason == "not_found"


def test_history_of_a_customer_without_orders(shop: Shop) -> None:
    result = shop.engine().step(Identity.member("nobody"), "/orders", {}, language="ko")
    assert (result.state, result.reason) == ("done", "no_orders")
    assert result.message.texts() == [text("orders.none", "ko")]


# -- ETA ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_eta_plans_each_order_preparing_to_ship(shop: Shop, language: str) -> None:
    order = shop.order(["N10", "N20"], member="m0003")
    result = shop.engine().step(Identity.member("m0003"), "/eta", {}, language=language)  # type: ignore[arg-type]
    assert result.state == "done"
    assert result.message.key == "eta.title"
    block = next(b for b in result.message.blocks if isinstance(b, OrderBlock) and b.order_id == order.order_id)
    assert block.lines == [expected_eta_line(shop, order.order_id, language)]


def test_eta_needs_a_warehouse(shop: Shop) -> None:
    result = shop.engine(wms="none").step(MEMBER, "/発送予定日", {}, language="ja")
    assert (result.state, result.reason) == ("refused", "command_off")
    assert result.message.texts() == [text("eta.needs_wms", "ja")]


# -- cancel ------------------------------------------------------------------------------------


def run_to_confirm(engine: Any, order_id: str, language: str, **extra: Any) -> tuple[dict[str, Any], Any]:
    answers: dict[str, Any] = {"order": order_id}
    answers.update(extra)
    while True:
        result = engine.step(MEMBER, "/cancel", answers, language=language)
        expect = result.message.expect
        if result.state != "asking" or expect is None or expect.answer == "confirm":
            return answers, result
        if expect.answer == "scope":
            answers["scope"] = "whole"
        elif expect.answer == "reason":
            answers["reason"] = "change_of_mind"
        elif expect.answer == "account":
            answers["account"] = {"bank_code": "bank_04", "account_no": "123-456-789012", "holder": "Kim Minji"}
        else:
            raise AssertionError(f"unexpected question {expect.answer}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_cancel_a_card_order_refunds_at_the_gateway(shop: Shop, language: str) -> None:
    order = shop.order(["N10", "N20"], methods=("card", "point"))
    engine = shop.engine(cancel_mode="complete")
    first = engine.step(MEMBER, "/cancel", {}, language=language)  # type: ignore[arg-type]
    assert first.message.expect is not None
    assert first.message.expect.answer == "order"
    assert order.order_id in orders_in(first.message)
    answers, summary = run_to_confirm(engine, order.order_id, language)
    assert summary.message.key == "cancel.summary"
    assert text("refund.gateway", language) in next(b for b in summary.message.blocks
                                                     if isinstance(b, OrderBlock)).lines
    assert statuses(shop, order.order_id) == ["N10", "N20"]  # nothing written before the confirmation
    done = engine.step(MEMBER, "/cancel", answers | {"confirm": True}, language=language)  # type: ignore[arg-type]
    assert (done.state, done.outcome.status if done.outcome else None) == ("done", "completed")
    assert done.message.texts() == [text("cancel.done", language)]
    assert statuses(shop, order.order_id) == ["C40", "C40"]
    (claim,) = claims_of(shop, order.order_id)
    sent = json.loads(claim["detail"])
    assert (sent["payment_gateway_cancel"], sent["recover_inventory"], sent["recover_coupon"]) == ("T", "T", "T")
    assert sorted(sent["refund_method_code"]) == ["F", "M"]
    again = engine.step(MEMBER, "/cancel", answers | {"confirm": True}, language=language)  # type: ignore[arg-type]
    assert again.outcome is not None
    assert again.outcome.repeated
    assert again.message.texts() == [text("cancel.done", language)]
    assert len(claims_of(shop, order.order_id)) == 1


def test_cancel_a_bank_paid_order_collects_the_refund_account(shop: Shop) -> None:
    order = shop.order(["N20"], methods=("tcash",))
    engine = shop.engine(cancel_mode="complete")
    asked = engine.step(MEMBER, "/cancel", {"order": order.order_id}, language="ko")
    assert asked.message.expect is not None
    assert asked.message.expect.answer == "account"
    bad = engine.step(MEMBER, "/cancel", {"order": order.order_id,
                                          "account": {"bank_code": "KB", "account_no": "12", "holder": "Kim"}})
    assert bad.message.expect is not None
    assert [f.name for f in bad.message.expect.fields if f.problem] == [
        "bank_code", "account_no"]
    assert "12" not in bad.message.plain_text()
    answers, _ = run_to_confirm(engine, order.order_id, "ko")
    done = engine.step(MEMBER, "/cancel", answers | {"confirm": True}, language="ko")
    assert done.state == "done"
    assert statuses(shop, order.order_id) == ["C41"]  # cancelled, refund left to staff
    sent = json.loads(claims_of(shop, order.order_id)[0]["detail"])
    assert (sent["payment_gateway_cancel"], sent["refund_method_code"], sent["refund_bank_code"]) == ("F", ["T"],
                                                                                                      "bank_04")


def test_partial_cancel_and_request_mode(shop: Shop) -> None:
    order = shop.order(["N10", "N10"], quantities=[3, 1])
    engine = shop.engine(cancel_mode="complete")
    first = order.items[0].order_item_code
    answers, summary = run_to_confirm(engine, order.order_id, "en",
                                      items=[{"order_item_code": first, "quantity": 2}])
    assert text("refund.staff", "en") in next(b for b in summary.message.blocks if isinstance(b, OrderBlock)).lines
    engine.step(MEMBER, "/cancel", answers | {"confirm": True})
    items = shop.sb.shop.orders[order.order_id].items
    assert [(i.quantity, i.status) for i in items] == [(1, "N10"), (1, "N10"), (2, "C41")]  # split as Cafe24 does

    requested = shop.order(["N20"])
    engine2 = shop.engine(cancel_mode="request")
    answers, _ = run_to_confirm(engine2, requested.order_id, "ja")
    done = engine2.step(MEMBER, "/キャンセル", answers | {"confirm": True}, language="ja")
    assert done.message.texts() == [text("cancel.requested", "ja")]
    assert statuses(shop, requested.order_id) == ["C00"]


def test_the_malls_auto_refund_turns_a_request_into_a_cancellation(shop: Shop) -> None:
    shop.sb.mall.orders = shop.sb.mall.orders | {"refund_processing_setting": "S"}
    order = shop.order(["N10"])
    engine = shop.engine(cancel_mode="request")
    answers, _ = run_to_confirm(engine, order.order_id, "en")
    engine.step(MEMBER, "/cancel", answers | {"confirm": True})
    assert statuses(shop, order.order_id) == ["C40"]


def test_nothing_cancellable_says_so_in_each_language(shop: Shop) -> None:
    shop.sb.mall.orders = shop.sb.mall.orders | {"claim_request": "F"}
    shop.order(["N10"])
    engine = shop.engine()
    for language in LANGUAGES:
        result = engine.step(MEMBER, "/cancel", {}, language=language)  # type: ignore[arg-type]
        assert (result.state, result.message.texts()) == ("refused", [text("cancel.none", language)])


# -- return / exchange -----------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_return_for_a_defect_waits_for_staff_then_is_filed(shop: Shop, language: str) -> None:
    order = shop.order(["N40"], methods=("card",))
    engine = shop.engine(defect_mode="pending")
    answers: dict[str, Any] = {"order": order.order_id, "kind": "return", "reason": "defective"}
    asked = engine.step(MEMBER, "/return", answers, language=language)  # type: ignore[arg-type]
    assert asked.message.expect is not None
    assert asked.message.expect.kind == "photos"
    refused = engine.upload_photo(b"%PDF-1.4 not a photo")
    assert refused.photo_id is None
    photo = engine.upload_photo(PNG)
    assert photo.photo_id
    answers["photos"] = [photo.photo_id]
    summary = engine.step(MEMBER, "/return", answers, language=language)  # type: ignore[arg-type]
    lines = next(b for b in summary.message.blocks if isinstance(b, OrderBlock)).lines
    assert text("return.shop_pays", language) in lines
    assert text("return.pending_note", language) in lines
    held = engine.step(MEMBER, "/return", answers | {"confirm": True}, language=language)  # type: ignore[arg-type]
    assert held.outcome is not None
    assert held.outcome.status == "pending"
    assert statuses(shop, order.order_id) == ["N40"]  # nothing filed yet
    (pending,) = [p for p in engine.pending.waiting() if p["order_id"] == order.order_id]
    assert pending["photos"] == [photo.photo_id]
    decision = engine.pending.approve(pending["claim_id"])
    assert decision.state == "approved"
    assert decision.message.language == language
    assert statuses(shop, order.order_id) == ["R00"]
    assert json.loads(claims_of(shop, order.order_id)[0]["detail"])["reason_type"] == "K"


def test_a_rejected_pending_claim_keeps_the_status_and_tells_the_reason(shop: Shop) -> None:
    order = shop.order(["N40"])
    engine = shop.engine(defect_mode="pending")
    photo = engine.upload_photo(PNG).photo_id
    answers = {"order": order.order_id, "kind": "return", "reason": "wrong_item", "photos": [photo], "confirm": True}
    engine.step(MEMBER, "/return", answers, language="ko")
    (pending,) = [p for p in engine.pending.waiting() if p["order_id"] == order.order_id]
    decision = engine.pending.reject(pending["claim_id"], "사진으로는 불량을 확인할 수 없습니다")
    assert decision.message.texts() == [text("return.rejected", "ko", order_id=order.order_id,
                                             reason="사진으로는 불량을 확인할 수 없습니다")]
    assert statuses(shop, order.order_id) == ["N40"]
    assert claims_of(shop, order.order_id) == []


def test_an_exchange_picks_a_new_variant_and_files_it_at_once(shop: Shop) -> None:
    product = next(p for p, vs in _variants_by_product(shop).items() if len(vs) >= 2)
    order = shop.order(["N40"])
    item = shop.sb.shop.orders[order.order_id].items[0]
    item.product_no, item.variant_code = product, _variants_by_product(shop)[product][0]
    engine = shop.engine(defect_mode="apply")
    answers: dict[str, Any] = {"order": order.order_id, "kind": "exchange", "reason": "change_of_mind"}
    asked = engine.step(MEMBER, "/교환", answers, language="ko")
    assert asked.message.expect is not None
    assert asked.message.expect.answer == f"variants.{item.order_item_code}"
    choice = asked.message.buttons[0].answers["variants"]
    done = engine.step(MEMBER, "/return", answers | {"variants": choice, "confirm": True}, language="ko")
    assert done.message.texts() == [text("return.done_exchange", "ko")]
    assert statuses(shop, order.order_id) == ["E00"]
    sent = json.loads(claims_of(shop, order.order_id)[0]["detail"])
    assert sent["exchange_items"] == [{"product_no": product, "variant_code": choice[item.order_item_code],
                                       "quantity": 1}]


def _variants_by_product(shop: Shop) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for v in sorted(shop.sb.shop.variants.values(), key=lambda v: v.variant_code):
        out.setdefault(v.product_no, []).append(v.variant_code)
    return out


# -- address -----------------------------------------------------------------------------------------

NEW_ADDRESS = {"zipcode": "48058", "address1": "Haeundae-ro 264", "address2": "3F", "cellphone": "01099998888"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_change_of_address(shop: Shop, language: str) -> None:
    order = shop.order(["N10"])
    engine = shop.engine()
    asked = engine.step(MEMBER, "/address", {"order": order.order_id}, language=language)  # type: ignore[arg-type]
    assert asked.message.expect is not None
    assert asked.message.expect.kind == "fields"
    summary = engine.step(MEMBER, "/address", {"order": order.order_id, "address": NEW_ADDRESS},
                          language=language)  # type: ignore[arg-type]
    assert summary.message.expect is not None
    assert summary.message.expect.answer == "confirm"
    done = engine.step(MEMBER, "/address", {"order": order.order_id, "address": NEW_ADDRESS, "confirm": True},
                       language=language)  # type: ignore[arg-type]
    assert done.message.texts() == [text("address.done", language)]
    receiver = shop.sb.shop.orders[order.order_id].receivers[0]
    assert (receiver.zipcode, receiver.cellphone, receiver.name) == ("48058", "010-9999-8888", "Kim Minji")


@pytest.mark.parametrize(("setup", "refusal"), [
    ({"statuses": ["N21"]}, "no_button"),
    ({"statuses": ["N10"], "tracking": True}, "has_invoice"),
    ({"statuses": ["N10", "N20"], "multi_address": True}, "several_addresses"),
])
def test_address_refusals_each_with_their_message(shop: Shop, setup: dict[str, Any], refusal: str) -> None:
    order = shop.order(setup.pop("statuses"), **setup)
    result = shop.engine().step(MEMBER, "/address", {"order": order.order_id}, language="ja")
    assert (result.state, result.reason) == ("refused", refusal)
    assert result.message.texts() == [text(f"address.refused.{refusal}", "ja")]


def test_address_refused_when_packed_with_another_order_or_the_fee_changes(shop: Shop) -> None:
    first, second = shop.order(["N10"]), shop.order(["N10"])
    shop.sb.shop.packing.update({first.order_id: "PK-1", second.order_id: "PK-1"})
    engine = shop.engine()
    assert engine.step(MEMBER, "/address", {"order": first.order_id}).reason == "packed_with_other"
    alone = shop.order(["N20"])
    to_jeju = NEW_ADDRESS | {"zipcode": "63122"}
    result = engine.step(MEMBER, "/address", {"order": alone.order_id, "address": to_jeju}, language="ko")
    assert (result.reason, result.message.texts()) == ("fee_changes", [text("address.refused.fee_changes", "ko")])
    bad = engine.step(MEMBER, "/address", {"order": alone.order_id, "address": NEW_ADDRESS | {"cellphone": "12"}})
    assert bad.message.expect is not None
    assert [f.name for f in bad.message.expect.fields if f.problem] == ["cellphone"]


def test_a_return_of_part_of_an_items_quantity(shop: Shop) -> None:
    order = shop.order(["N40"], quantities=[3], methods=("cash",))
    engine = shop.engine(defect_mode="apply")
    code = order.items[0].order_item_code
    answers: dict[str, Any] = {"order": order.order_id, "kind": "return", "reason": "dissatisfied",
                               "items": [{"order_item_code": code, "quantity": 1}]}
    asked = engine.step(MEMBER, "/返品", answers, language="ja")
    assert asked.message.expect is not None
    assert asked.message.expect.answer == "account"
    answers["account"] = {"bank_code": "bank_88", "account_no": "110-123-456789", "holder": "Kim"}
    done = engine.step(MEMBER, "/return", answers | {"confirm": True}, language="ja")
    assert done.message.texts() == [text("return.done_return", "ja")]
    items = shop.sb.shop.orders[order.order_id].items
    assert [(i.quantity, i.status) for i in items] == [(2, "N40"), (1, "R00")]
    sent = json.loads(claims_of(shop, order.order_id)[0]["detail"])
    assert (sent["refund_bank_code"], sent["reason_type"]) == ("bank_88", "E")


def test_photos_are_checked_on_upload_and_when_the_step_reads_them(shop: Shop) -> None:
    order = shop.order(["N40"])
    engine = shop.engine(defect_mode="pending", photos=PhotoRules(max_count=2, max_bytes=1024))
    assert engine.upload_photo(PNG[:8] + b"\0" * 1017) == PhotoUpload(None, PhotoProblem.TOO_LARGE)  # 1,025 bytes
    assert engine.upload_photo(b"GIF89a" + b"\0" * 1018).photo_id  # 1,024 bytes: the limit itself is accepted
    assert engine.upload_photo(b"RIFF\0\0\0\0WAVEfmt " + b"\0" * 8) == PhotoUpload(None, PhotoProblem.NOT_AN_IMAGE)
    answers: dict[str, Any] = {"order": order.order_id, "kind": "return", "reason": "defective"}
    three = [engine.upload_photo(PNG).photo_id for _ in range(3)]
    too_many = engine.step(MEMBER, "/return", answers | {"photos": three}, language="en")
    assert too_many.message.expect is not None
    assert too_many.message.expect.kind == "photos"
    assert text("photo.too_many", "en", max=2) in too_many.message.texts()
    unknown = engine.step(MEMBER, "/return", answers | {"photos": ["no-such-photo"]}, language="en")
    assert text("photo.not_an_image", "en") in unknown.message.texts()
    summary = engine.step(MEMBER, "/return", answers | {"photos": three[:2]}, language="en")
    assert summary.message.expect is not None
    assert summary.message.expect.answer == "confirm"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_return_summary_shows_the_shops_return_address(shop: Shop, language: str) -> None:
    order = shop.order(["N40"])
    back = Address(name="Cafehub Returns", zipcode="04524", address1="Sejong-daero 110", address2="B1")
    engine = shop.engine(return_address=back)
    answers = {"order": order.order_id, "kind": "return", "reason": "change_of_mind"}
    summary = engine.step(MEMBER, "/return", answers, language=language)  # type: ignore[arg-type]
    assert summary.message.expect is not None
    assert summary.message.expect.answer == "confirm"
    assert text("return.address", language, address="04524 Sejong-daero 110 B1 Cafehub Returns") in (
        summary.message.texts())


@pytest.mark.parametrize(("command", "answers"), [("/eta", {}), ("/address", {"order": None}),
                                                   ("/orders", {"order": None})])
def test_a_warehouse_failure_gives_the_failure_message_and_an_operator(
        shop: Shop, command: str, answers: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    order = shop.order(["N10"])
    answers = dict.fromkeys(answers, order.order_id)
    engine = shop.engine()
    assert engine.step(MEMBER, command, answers).state in ("done", "asking")
    shop.sb.faults.fail("/api/v1/", 500, times=100)  # every Sellmate call
    failed = engine.step(MEMBER, command, answers, language="ko")
    assert (failed.state, failed.handoff, failed.reason) == ("failed", True, "failure")
    assert failed.message.texts() == [text("common.failure", "ko")]
    assert statuses(shop, order.order_id) == ["N10"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    customer = shop.sb.shop.orders[order.order_id]
    assert not [v for v in (customer.buyer_name, customer.buyer_cellphone, customer.buyer_email) if v and v in logged]


def test_lists_hold_the_five_newest_and_history_needs_at_most_two_cafe24_calls(shop: Shop) -> None:
    member = Identity.member("m0009")
    made = [shop.order(["N10", "N20"] if n % 2 else ["N20"], member="m0009", days_ago=(n + 1) / 1000)
            for n in range(7)]  # minutes old: newer than any order of the sample shop
    newest = [o.order_id for o in made[:5]]
    engine = shop.engine()
    engine.mall_settings()  # read once and cached, as in a running shop
    before = engine.reader.cafe24.stats.calls
    history = engine.step(member, "/orders", {})
    assert engine.reader.cafe24.stats.calls - before <= 2
    assert orders_in(history.message) == newest
    eta = engine.step(member, "/eta", {})
    assert orders_in(eta.message) == newest
    cancel = engine.step(member, "/cancel", {})
    assert orders_in(cancel.message) == newest


def test_the_exchange_and_return_names_answer_which_one(shop: Shop) -> None:
    order = shop.order(["N40"])
    engine = shop.engine(defect_mode="apply")
    answers = {"order": order.order_id, "reason": "change_of_mind"}
    variant = "variants." + order.items[0].order_item_code
    asked = {name: engine.step(MEMBER, name, answers).message.expect for name in
             ("/返品交換", "/반품교환", "/return", "/交換", "/교환", "/exchange", "/返品", "/반품")}
    assert {name: e.answer if e else None for name, e in asked.items()} == {
        "/返品交換": "kind", "/반품교환": "kind", "/return": "kind",  # either: asked
        "/交換": variant, "/교환": variant, "/exchange": variant,  # the exchange: its new variant next
        "/返品": "confirm", "/반품": "confirm"}  # the return: its summary
    chosen = engine.step(MEMBER, "/交換", answers | {"kind": "return"}).message.expect
    assert chosen is not None
    assert chosen.answer == "confirm"  # an answer given wins over the name
