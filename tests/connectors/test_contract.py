"""Cafe24's documented response formats, end to end over loopback HTTP.

Every fixture in ``contract/`` is a response body shaped as Cafe24's
documentation shows it (see contract/README.md). Each test

1. makes the sandbox answer one real request with the documented body, so
   the client parses it exactly as it would parse Cafe24's answer;
2. maps what the sync stores from it;
3. checks that the sandbox's *own* answer to the same endpoint has the same
   shape in every field the client reads (kinds of value: time with or
   without offset, money string, flag, integer, ``"null"``...).
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import BaseModel

from cafehub.connectors.cafe24 import (
    ItemQuantity,
    cancel_order,
    models,
    request_cancellation,
    request_exchange,
    request_return,
    update_receivers,
)
from cafehub.connectors.oauth import TokenResponse
from cafehub.sandbox.testing import SandboxHandle, serve
from cafehub.sync import mapping

CONTRACT = Path(__file__).parent / "contract"
KST = ZoneInfo("Asia/Seoul")
ALL_DAYS = (date(2024, 1, 1), date(2024, 3, 31))


def fixture(name: str) -> dict[str, Any]:
    return json.loads((CONTRACT / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def body(name: str) -> dict[str, Any]:
    return fixture(name)["body"]  # type: ignore[no-any-return]


# -- shapes ------------------------------------------------------------------

_KINDS = (
    ("time with offset", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")),
    ("local time", re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")),
    ("token time", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}")),
    ("money", re.compile(r"-?\d+\.\d\d")),
    ("flag", re.compile(r"[TFM]")),
    ("digits", re.compile(r"\d+")),
)
#: Kinds that stand for "no value" in either answer.
_EMPTY = {"null", "empty", "null text"}


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if value == "":
        return "empty"
    if value == "null":
        return "null text"
    for name, pattern in _KINDS:
        if pattern.fullmatch(value):
            return name
    return "text"


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _is_text(annotation: Any) -> bool:
    """A field read as free text (names, codes, option values): any string is of its kind."""
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_is_text(a) for a in args)
    return False


def _compatible(doc: str, ours: str, text: bool) -> bool:
    if doc == ours or doc in _EMPTY or ours in _EMPTY:
        return True
    strings = {"digits", "text", "flag", "money"}
    return text and {doc, ours} <= strings


def same_shape(doc: Any, ours: Any, model: Any, where: str = "") -> list[str]:
    """Where ``ours`` differs from the documented ``doc`` in a field ``model`` reads (empty: same shape)."""
    problems: list[str] = []
    inner = _nested_model(model)
    if isinstance(doc, list):
        if not isinstance(ours, list):
            return [f"{where}: documented a list, got {kind(ours)}"]
        for index, element in enumerate(ours):
            for documented in doc[:2]:
                problems += same_shape(documented, element, model, f"{where}[{index}]")
        return problems
    if inner is not None and isinstance(doc, dict):
        if not isinstance(ours, dict):
            return [f"{where}: documented an object, got {kind(ours)}"]
        for name, field in inner.model_fields.items():
            if name not in doc:
                continue
            if name not in ours:
                problems.append(f"{where}.{name}: documented, missing")
                continue
            problems += same_shape(doc[name], ours[name], field.annotation, f"{where}.{name}")
        return problems
    if not _compatible(kind(doc), kind(ours), _is_text(model)):
        problems.append(f"{where}: documented {kind(doc)} ({doc!r}), sandbox sends {kind(ours)} ({ours!r})")
    return problems


def assert_same_shape(name: str, ours: dict[str, Any], model: Any) -> None:
    documented = body(name)
    key = next(iter(documented))
    assert key in ours, f"{name}: the sandbox answers without {key!r}"
    problems = list(dict.fromkeys(same_shape(documented[key], ours[key], model, key)))
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_the_shape_comparison_catches_what_the_documentation_rules_out() -> None:
    documented = {"items": [{"order_item_code": "A-01", "ordered_date": "2024-03-05 21:14:09", "quantity": 1,
                             "product_price": "18000.00"}]}
    assert same_shape(documented["items"], [{"order_item_code": "B-01", "ordered_date": "2024-03-05 21:14:09",
                                             "quantity": 3, "product_price": "5.00"}], models.OrderItem) == []
    wrong = [{"order_item_code": "B-01", "ordered_date": "2024-03-05T21:14:09+09:00", "quantity": "3",
              "product_price": 5}]
    problems = same_shape(documented["items"], wrong, models.OrderItem, "items")
    assert {p.split(":")[0] for p in problems} == {"items[0].ordered_date", "items[0].quantity",
                                                   "items[0].product_price"}
    missing = same_shape(documented["items"], [{"order_item_code": "B"}], models.OrderItem, "items")
    assert sorted(missing) == ["items[0].ordered_date: documented, missing",
                               "items[0].product_price: documented, missing",
                               "items[0].quantity: documented, missing"]


# -- the sandbox and its data --------------------------------------------------


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with serve(tmp_path_factory.mktemp("contract")) as handle:
        yield handle


def documented(sb: SandboxHandle, path: str, name: str, *, method: str = "GET") -> None:
    """Make the sandbox answer the next ``method path`` request with the documented body of ``name``."""
    sb.sandbox.faults.mutate(path, lambda _: body(name), method=method)


def an_order(sb: SandboxHandle, statuses: set[str], *, tracked: bool | None = None) -> str:
    for order in sb.sandbox.shop.orders.values():
        fits = order.items and all(i.status in statuses for i in order.items) and len(order.receivers) == 1
        if fits and (tracked is None or any(i.tracking_no for i in order.items) == tracked):
            return order.order_id
    raise AssertionError(f"no order in {statuses}")


def _window(sb: SandboxHandle) -> tuple[date, date]:
    first = min(o.ordered_at for o in sb.sandbox.shop.orders.values()).date()
    return first, first + timedelta(days=80)


# -- orders ----------------------------------------------------------------------


def test_orders_as_documented_parse_and_map(sb: SandboxHandle) -> None:
    client = sb.client()
    documented(sb, "/orders$", "orders")
    orders = client.list_orders(*ALL_DAYS)
    member, guest = orders
    item = member.items[0] if member.items else None
    assert item is not None
    # order-level times carry an offset; item times do not and are read in the mall's zone
    assert member.order_date == datetime(2024, 3, 5, 21, 14, 9, tzinfo=KST)
    assert item.ordered_date == member.order_date
    assert item.ordered_date.utcoffset() == timedelta(hours=9)
    assert item.shipped_date == datetime(2024, 3, 6, 14, 2, 11, tzinfo=KST)
    assert member.items[1].cancel_request_date == datetime(2024, 3, 6, 9, 12, 55, tzinfo=KST)
    assert item.claim_code is None
    assert member.items[1].claim_code == "C20240306-0000003"
    assert guest.member_id == ""
    assert guest.is_guest
    assert guest.payment_date is None
    assert member.actual_order_amount.payment_amount == Decimal("43000.00")
    assert member.shipping_status == "M"

    heads, items, payments = mapping.all_order_rows(orders)
    assert [(h.order_id, h.member_id, h.status) for h in heads] == [
        ("20240305-0000112", "hana_k", "paid"), ("20240306-0000007", None, "pending")]
    assert heads[0].ordered_at == datetime(2024, 3, 5, 12, 14, 9)  # naive UTC
    assert (heads[0].paid_amount, heads[0].order_amount, heads[0].shipping_fee) == (
        Decimal("43000.00"), Decimal("42000.00"), Decimal("3000.00"))
    assert [(i.order_item_code, i.quantity, i.price) for i in items] == [
        ("20240305-0000112-01", 1, Decimal("18000.00")), ("20240305-0000112-02", 2, Decimal("12000.00")),
        ("20240306-0000007-01", 1, Decimal("9900.00"))]
    assert {(p.order_id, p.payment_method) for p in payments} == {
        ("20240305-0000112", "card"), ("20240305-0000112", "point"), ("20240306-0000007", "cash")}

    ours = client.get("/orders", {"start_date": _window(sb)[0].isoformat(), "end_date": _window(sb)[1].isoformat(),
                                  "embed": "items,receivers,buyer", "limit": 100})
    assert ours["orders"], "the sandbox has orders in the window"
    assert_same_shape("orders", ours, models.Order)


def test_one_order_its_items_receivers_count_and_shipments(sb: SandboxHandle) -> None:
    client = sb.client()
    order_id = an_order(sb, {"N30", "N40", "N50"}, tracked=True)
    documented(sb, "/orders/[^/]+$", "order")
    assert client.order(order_id).order_id == "20240305-0000112"
    assert_same_shape("order", client.get(f"/orders/{order_id}", {"embed": "items,receivers,buyer"}), models.Order)

    documented(sb, "/items$", "order_items")
    items = client.order_items(order_id)
    assert [i.ordered_date for i in items] == [datetime(2024, 3, 5, 21, 14, 9, tzinfo=KST)] * 2
    assert_same_shape("order_items", client.get(f"/orders/{order_id}/items"), models.OrderItem)

    documented(sb, "/receivers$", "receivers")
    assert client.receivers(order_id)[0].cellphone == "010-2222-3333"
    assert_same_shape("receivers", client.get(f"/orders/{order_id}/receivers"), models.Receiver)

    documented(sb, "/orders/count$", "orders_count")
    assert client.count_orders(*ALL_DAYS) == 2
    first, last = _window(sb)
    assert_same_shape("orders_count", client.get("/orders/count", {"start_date": first.isoformat(),
                                                                   "end_date": last.isoformat()}), int)

    documented(sb, "/shipments$", "shipments")
    shipments = client.shipments(order_id)
    assert [s.order_item_codes for s in shipments] == [["20240305-0000112-01", "20240305-0000112-03"],
                                                       ["20240305-0000112-04"]]
    assert [i.status for i in shipments[0].items] == ["shipped", "shipping"]  # "shipping " as documented
    assert shipments[1].tracking_no is None
    ours = client.get(f"/orders/{order_id}/shipments")
    assert ours["shipments"]
    assert all(s["items"] for s in ours["shipments"])
    assert_same_shape("shipments", ours, models.Shipment)


def test_coupons_used_on_orders(sb: SandboxHandle) -> None:
    client = sb.client()
    documented(sb, "/orders/coupons$", "order_coupons")
    used = client.order_coupons(["20240305-0000112"])
    assert [(u.order_id, u.coupon_code) for u in used] == [("20240305-0000112", "6073442924700000021"),
                                                         ("20240305-0000112", "6073442924700000022")]
    orders = sorted(set(sb.sandbox.shop.issue_orders.values()))[:100]
    assert orders, "the sandbox relates used coupons to orders"
    assert_same_shape("order_coupons", client.get("/orders/coupons", {"order_id": ",".join(orders)}),
                      models.OrderCoupon)


def test_refunds(sb: SandboxHandle) -> None:
    client = sb.client()
    documented(sb, "/refunds$", "refunds")
    (refund,) = client.refunds(*ALL_DAYS)
    assert refund.order_item_code == ["20240305-0000112-02"]
    assert refund.refund_date == datetime(2024, 3, 6, 9, 30, 12, tzinfo=KST)
    refunded = [o for o in sb.sandbox.shop.orders.values() if o.refund_date]
    assert refunded
    day = refunded[0].refund_date.date()  # type: ignore[union-attr]
    ours = client.get("/refunds", {"start_date": (day - timedelta(days=1)).isoformat(),
                                   "end_date": (day + timedelta(days=1)).isoformat()})
    assert_same_shape("refunds", ours, models.Refund)


# -- customers, coupons, carts -------------------------------------------------------


def test_customers(sb: SandboxHandle) -> None:
    client = sb.client()
    documented(sb, "/customersprivacy$", "customersprivacy")
    hana, yuki = client.customers_by_id(["hana_k", "yuki0711"])
    stored = mapping.customer(yuki)
    assert (stored.name, stored.cellphone, stored.email) == ("佐藤 由紀", None, None)  # "" is no value
    assert mapping.customer(hana).joined_at == datetime(2023, 11, 20, 1, 2, 44)
    ids = sorted(sb.sandbox.shop.customers)[:5]
    assert_same_shape("customersprivacy", client.get("/customersprivacy", {"member_id": ",".join(ids)}),
                      models.Customer)


def test_coupons_and_their_issues(sb: SandboxHandle) -> None:
    client = sb.client()
    documented(sb, "/coupons$", "coupons")
    coupons = client.coupons()
    assert [mapping.coupon(c).issue_type for c in coupons] == ["signup", "recurring"]
    assert_same_shape("coupons", client.get("/coupons", {"limit": 100}), models.Coupon)

    coupon_no = next(no for no, rows in sb.sandbox.shop.issues.items() if rows)
    documented(sb, "/issues$", "coupon_issues")
    used, unused = client.coupon_issues(coupon_no)
    assert used.issue_no == 6073442924700000532  # 19 digits, sent as a string
    assert unused.used_date is None
    assert unused.related_order_id is None
    assert mapping.customer_coupon(used).used_at == datetime(2023, 12, 2, 10, 40, 21)
    assert mapping.customer_coupon(unused).used_at is None
    assert_same_shape("coupon_issues", client.get(f"/coupons/{coupon_no}/issues", {"limit": 500}),
                      models.CouponIssue)

    documented(sb, "/customers/[^/]+/coupons$", "customer_coupons")
    (held,) = client.customer_coupons("yuki0711")
    assert held.available_end_datetime == datetime(2024, 2, 1, 23, 59, 59, tzinfo=KST)
    holder = next(i.member_id for rows in sb.sandbox.shop.issues.values() for i in rows
                  if i.used_at is None and i.expires_at > datetime.now())
    assert_same_shape("customer_coupons", client.get(f"/customers/{holder}/coupons"), models.CustomerCoupon)


def test_carts_and_the_cart_setting(sb: SandboxHandle) -> None:
    client = sb.client()
    documented(sb, "/carts$", "carts")
    rows = [mapping.cart_item(c) for c in client.carts(["hana_k", "yuki0711"])]
    assert [(r.id, r.quantity, r.option_price, r.added_at) for r in rows] == [
        (88213, 2, Decimal("2000.00"), datetime(2024, 3, 4, 14, 41, 7)),
        (88214, 1, Decimal("0.00"), datetime(2024, 3, 4, 23, 0, 0))]
    members = sorted(m for m, items in sb.sandbox.shop.carts.items() if items)[:20]
    assert_same_shape("carts", client.get("/carts", {"member_id": ",".join(members), "limit": 100}),
                      models.CartItem)

    documented(sb, "/carts/setting$", "cart_setting")
    setting = client.cart_setting()
    assert (setting.storage_period, setting.period, setting.retention_days) == ("T", 14, 14)
    assert_same_shape("cart_setting", client.get("/carts/setting"), models.CartSetting)
    assert models.CartSetting(storage_period="F", period=None).retention_days is None


def test_products_variants_and_inventory(sb: SandboxHandle) -> None:
    client = sb.client()
    documented(sb, "/products$", "products")
    (product,) = client.products()
    assert product.price == Decimal("18000.00")
    assert_same_shape("products", client.get("/products", {"limit": 100}), models.Product)

    no = next(iter(sb.sandbox.shop.products))
    documented(sb, "/variants$", "variants")
    navy_m, navy_l = client.variants(no)
    assert navy_m.option_text == "Color: Navy / Size: M"
    assert (navy_l.selling, navy_l.additional_amount) == ("F", Decimal("2000.00"))
    assert_same_shape("variants", client.get(f"/products/{no}/variants"), models.Variant)

    code = next(v.variant_code for v in sb.sandbox.shop.variants.values() if v.product_no == no)
    documented(sb, "/inventories$", "inventory")
    assert client.inventory(no, code).quantity == 0
    assert_same_shape("inventory", client.get(f"/products/{no}/variants/{code}/inventories"), models.Inventory)


# -- writes ------------------------------------------------------------------------------


def _raw_write(sb: SandboxHandle, path: str, request: dict[str, Any], method: str = "POST") -> dict[str, Any]:
    client = sb.client()
    return client.caller.call(method, path, json={"shop_no": 1, "requests": [request]}, write=True)


def test_cancellation(sb: SandboxHandle) -> None:
    client = sb.client()
    documented(sb, "/cancellation$", "cancellation", method="POST")
    result = cancel_order(client, an_order(sb, {"N10", "N20"}, tracked=False))
    assert (result.claim_code, result.status) == ("C20240306-0000003", "canceled")
    order_id = an_order(sb, {"N10", "N20"}, tracked=False)
    codes = [{"order_item_code": i.order_item_code, "quantity": i.quantity}
             for i in sb.sandbox.shop.orders[order_id].items]
    ours = _raw_write(sb, "/cancellation", {"order_id": order_id, "status": "canceled", "items": codes})
    assert_same_shape("cancellation", ours, models.Cancellation)


def test_claim_requests_carry_no_claim_code_and_exchanges_a_request_number(sb: SandboxHandle) -> None:
    client = sb.client()

    def items_of(order_id: str) -> list[dict[str, Any]]:
        return [{"order_item_code": i.order_item_code, "quantity": i.quantity}
                for i in sb.sandbox.shop.orders[order_id].items]

    documented(sb, "/cancellationrequests$", "cancellationrequests", method="POST")
    pending = an_order(sb, {"N00"})
    answer = request_cancellation(client, pending, reason="no longer needed")
    assert (answer.order_id, answer.exchange_request_no) == ("20240306-0000007", None)
    other = an_order(sb, {"N00"})
    assert_same_shape("cancellationrequests",
                      _raw_write(sb, "/cancellationrequests", {"order_id": other, "reason_type": "A", "reason": "x",
                                                               "items": items_of(other)}), models.ClaimRequest)

    delivered = [o.order_id for o in sb.sandbox.shop.orders.values()
                 if o.items and all(i.status in {"N40", "N50"} for i in o.items)]
    documented(sb, "/returnrequests$", "returnrequests", method="POST")
    first = sb.sandbox.shop.orders[delivered[0]].items[0]
    answer = request_return(client, delivered[0], [ItemQuantity(first.order_item_code, first.quantity)],
                            reason="too small")
    assert [i.order_item_code for i in answer.items] == ["20240305-0000112-01"]
    request = {"order_id": delivered[1], "reason_type": "A", "reason": "x", "request_pickup": "F",
               "items": items_of(delivered[1])}
    assert_same_shape("returnrequests", _raw_write(sb, "/returnrequests", request), models.ClaimRequest)

    documented(sb, "/exchangerequests$", "exchangerequests", method="POST")
    first = sb.sandbox.shop.orders[delivered[2]].items[0]
    answer = request_exchange(client, delivered[2], [ItemQuantity(first.order_item_code, first.quantity)],
                              reason="wrong size")
    assert answer.exchange_request_no == 31
    request = {"order_id": delivered[3], "reason_type": "A", "reason": "x", "request_pickup": "F",
               "items": items_of(delivered[3])}
    ours = _raw_write(sb, "/exchangerequests", request)
    assert isinstance(ours["exchangerequests"][0]["exchange_request_no"], int)
    assert_same_shape("exchangerequests", ours, models.ClaimRequest)


def test_receiver_update(sb: SandboxHandle) -> None:
    client = sb.client()
    order_id = an_order(sb, {"N10", "N20"}, tracked=False)
    documented(sb, "/receivers$", "receivers_update", method="PUT")
    (receiver,) = update_receivers(client, order_id, {"address2": "3F"})
    assert receiver.zipcode == "06236"
    ours = client.caller.call("PUT", f"/orders/{order_id}/receivers",
                              json={"shop_no": 1, "request": {"address2": "Room 7"}})
    assert_same_shape("receivers_update", ours, models.Receiver)


def test_the_token_answer(sb: SandboxHandle) -> None:
    documented_token = TokenResponse.model_validate(body("oauth_token")).token_set(KST)
    assert documented_token.access_expires_at == datetime(2024, 3, 6, 7, 0, tzinfo=UTC)  # 16:00 in Seoul
    code = sb.sandbox.authorize()
    cfg = sb.sandbox.config
    answer = httpx.post(f"{sb.cafe24_url}/api/v2/oauth/token", auth=(cfg.client_id, cfg.client_secret),
                        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "https://x/"})
    assert answer.status_code == 200
    problems = same_shape(body("oauth_token"), answer.json(), TokenResponse, "token")
    assert problems == []


def test_every_fixture_is_exercised() -> None:
    used = {p.stem for p in CONTRACT.glob("*.json")}
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{name}"' in source for name in used), sorted(n for n in used if f'"{n}"' not in source)
    for name in used:
        doc = fixture(name)
        assert doc["source"].startswith("https://developers.cafe24.com/docs/"), name
        assert re.fullmatch(r"(GET|POST|PUT) /api/v2/(admin|oauth)/\S+", doc["endpoint"]), name

