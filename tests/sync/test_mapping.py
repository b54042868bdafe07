"""The documented Cafe24 → store mapping, rule by rule (docs/CONNECTORS.md, "Mapping")."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cafehub.compiler.catalog import ENUMS
from cafehub.connectors.cafe24 import codes
from cafehub.connectors.cafe24 import models as m
from cafehub.sync import mapping


def order(statuses: list[str], *, paid: str = "T", member: str | None = "m1", methods: Any = ("card",)) -> m.Order:
    return m.Order.model_validate({
        "order_id": "20250101-0000001",
        "member_id": member,
        "order_date": "2025-01-01T09:00:00+09:00",
        "payment_method": list(methods),
        "payment_amount": "9000.00",
        "paid": paid,
        "actual_order_amount": {"order_price_amount": "10000.00", "shipping_fee": "2500.00",
                                "payment_amount": "9000.00"},
        "items": [{"order_item_code": f"20250101-0000001-0{n}", "product_no": 7, "quantity": 1,
                   "product_price": "5000.00", "option_price": "0.00", "order_status": s}
                  for n, s in enumerate(statuses, 1)],
    })


@pytest.mark.parametrize(
    ("statuses", "paid", "expected"),
    [
        (["N00"], "F", "pending"),
        (["N00", "N02"], "F", "pending"),
        (["N10"], "T", "paid"),
        (["N40", "N50"], "T", "paid"),
        (["N30", "C40"], "T", "paid"),  # partly canceled: the rest is still an order
        (["C00"], "F", "pending"),  # cancellation asked for, never paid
        (["C00"], "T", "paid"),  # cancellation asked for, not done yet
        (["R00", "N40"], "T", "paid"),  # a return under way
        (["E00"], "T", "paid"),
        (["C40", "C49"], "T", "canceled"),
        (["C48"], "F", "canceled"),
        (["R41"], "T", "returned"),
        (["R40", "R42"], "T", "returned"),
        (["R40"], "T", "refunded"),
        (["R40", "C40"], "T", "refunded"),
        ([], "F", "pending"),
        ([], "T", "paid"),
    ],
)
def test_order_status_from_item_statuses(statuses: list[str], paid: str, expected: str) -> None:
    assert mapping.order_status(order(statuses, paid=paid)) == expected
    assert expected in ENUMS["status"]


def test_every_cafe24_item_status_maps_to_a_language_status() -> None:
    for code in codes.ITEM_STATUSES:
        assert mapping.order_status(order([code])) in ENUMS["status"]
    with pytest.raises(mapping.MappingError, match="unknown item status 'Z99'"):
        mapping.order_status(order(["Z99"]))


def test_amounts_guests_and_payments() -> None:
    head, items, payments = mapping.order_rows(order(["N10", "N20"], methods=["card", "point", "card", "naverpay"]))
    assert head.paid_amount == Decimal("9000")
    assert head.order_amount == Decimal("10000")
    assert head.shipping_fee == Decimal("2500")
    assert head.ordered_at == datetime(2025, 1, 1, 0, 0)  # naive UTC
    assert [p.payment_method for p in payments] == ["card", "etc", "point"]
    assert len(items) == 2
    assert mapping.order_rows(order(["N10"], member=""))[0].member_id is None
    assert mapping.order_rows(order(["N10"], member=None))[0].member_id is None
    assert set(codes.PAYMENT_METHODS) == set(ENUMS["payment_method"])


@pytest.mark.parametrize(
    ("issue_type", "sub_type", "expected"),
    [
        ("M", "M", "targeted"), ("M", "C", "targeted"), ("M", "T", "all_members"), ("A", "J", "signup"),
        ("A", "D", "delivery_complete"), ("A", "A", "anniversary"), ("A", "P", "review"),
        ("A", "O", "order_complete"), ("A", "Q", "purchase_quantity"), ("A", "F", "first_purchase"),
        ("A", "N", "dormant"), ("R", None, "recurring"), ("R", "M", "recurring"),
        ("D", None, "targeted"), ("A", "I", "targeted"), ("A", "U", "targeted"),
    ],
)
def test_coupon_issue_types(issue_type: str, sub_type: str | None, expected: str) -> None:
    coupon = m.Coupon(coupon_no="1", coupon_name="c", issue_type=issue_type, issue_sub_type=sub_type)
    assert mapping.issue_type(coupon) == expected
    assert expected in ENUMS["issue_type"]


def test_every_language_issue_type_round_trips_through_cafe24_codes() -> None:
    assert set(mapping.ISSUE_CODES) == set(ENUMS["issue_type"])
    for name, (issue_type, sub_type) in mapping.ISSUE_CODES.items():
        coupon = m.Coupon(coupon_no="1", coupon_name="c", issue_type=issue_type, issue_sub_type=sub_type)
        assert mapping.issue_type(coupon) == name


def test_coupon_issues_and_carts() -> None:
    issue = m.CouponIssue.model_validate({
        "coupon_no": "6070000000000000001", "issue_no": "123", "member_id": "m1",
        "issued_date": "2025-01-01T00:00:00+09:00", "expiration_date": "2025-01-08T23:59:59+09:00",
        "used_coupon": "F", "used_date": None})
    row = mapping.customer_coupon(issue)
    assert (row.id, row.used_at, row.issued_at) == (123, None, datetime(2024, 12, 31, 15, 0))
    used = issue.model_copy(update={"used_coupon": "T", "used_date": datetime(2025, 1, 2, tzinfo=UTC)})
    assert mapping.customer_coupon(used).used_at == datetime(2025, 1, 2)
    with pytest.raises(mapping.MappingError, match="used_date is empty"):
        mapping.customer_coupon(issue.model_copy(update={"used_coupon": "T"}))
    cart = m.CartItem.model_validate({
        "basket_product_no": 5, "member_id": "m1", "created_date": "2025-01-01T09:00:00.250000+09:00",
        "product_no": 9, "quantity": 2, "product_price": "5000.00", "option_price": "500.00"})
    assert mapping.cart_item(cart).added_at == datetime(2025, 1, 1, 0, 0, 0, 250000)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"sms": "T", "news_mail": "F"}, (True, False)),
        ({"sms": "F"}, (False, None)),
        ({"news_mail": "T"}, (None, True)),
        ({}, None),
    ],
)
def test_marketing_consents(flags: dict[str, str], expected: tuple[bool | None, bool | None] | None) -> None:
    found = mapping.consent(m.Customer(member_id="kim01", **flags))
    assert (None if found is None else (found.member_id, found.sms, found.email)) == (
        None if expected is None else ("kim01", *expected))
