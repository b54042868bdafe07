"""From Cafe24's shapes to the canonical store's rows: the documented mapping.

Pure functions, one per resource; docs/CONNECTORS.md ("Mapping") is the
prose version of this module and tests/sync/test_mapping.py pins each rule.

Order status, from the items' Cafe24 statuses (an item being canceled,
returned or exchanged is still *active* until the claim completes):

1. some item active (``N..``, ``E..``, or a claim not completed: ``C00``-``C36``,
   ``R00``-``R36``): ``pending`` if no active item has been paid (all in
   ``N00``, ``N02``, ``N03``, or canceling an order whose ``paid`` flag is ``F``),
   otherwise ``paid``;
2. else some item returned (``R40``-``R43``): ``refunded`` if every returned item
   is ``R40`` (returned and refunded), otherwise ``returned``;
3. else (every item canceled, ``C40``-``C49``): ``canceled``;
4. an order without items is ``pending`` before payment and ``paid`` after
   (Cafe24's ``paid`` flag).

Amounts: ``paid_amount`` is the order's ``payment_amount`` (what the customer
finally paid: items + shipping - discounts, points and credits, after any
cancellation); ``order_amount`` is ``actual_order_amount.order_price_amount``
(items' price and options) and ``shipping_fee`` its ``shipping_fee``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from cafehub.connectors.cafe24 import codes
from cafehub.connectors.cafe24 import models as m
from cafehub.store import records as r

#: Coupon issue sub-types (``issue_sub_type``) with a language name of their own.
ISSUE_SUB_TYPES: dict[str, str] = {
    "M": "targeted",
    "C": "targeted",
    "T": "all_members",
    "J": "signup",
    "D": "delivery_complete",
    "A": "anniversary",
    "P": "review",
    "O": "order_complete",
    "Q": "purchase_quantity",
    "F": "first_purchase",
    "N": "dormant",
}
#: The reverse, as Cafe24 would record a coupon of each language issue type (issue_type, issue_sub_type).
ISSUE_CODES: dict[str, tuple[str, str | None]] = {
    "targeted": ("M", "M"),
    "all_members": ("M", "T"),
    "signup": ("A", "J"),
    "delivery_complete": ("A", "D"),
    "anniversary": ("A", "A"),
    "review": ("A", "P"),
    "order_complete": ("A", "O"),
    "purchase_quantity": ("A", "Q"),
    "first_purchase": ("A", "F"),
    "dormant": ("A", "N"),
    "recurring": ("R", None),
}
#: What a coupon whose issue type has no language name becomes (download coupons,
#: module installation, grade upgrade): it was handed to chosen customers.
FALLBACK_ISSUE_TYPE = "targeted"


class MappingError(ValueError):
    """A Cafe24 value the store cannot hold (names the resource, record and field)."""


def utc(moment: datetime) -> datetime:
    """An aware time as the store's naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def issue_type(coupon: m.Coupon) -> str:
    """The language's issue type of a Cafe24 coupon (recurring first, then by sub-type)."""
    if coupon.issue_type == "R":
        return "recurring"
    return ISSUE_SUB_TYPES.get(coupon.issue_sub_type or "", FALLBACK_ISSUE_TYPE)


def order_status(order: m.Order) -> str:
    """The store status of an order from its items' statuses (module docstring)."""
    items = order.items or []
    for item in items:
        if not codes.is_status(item.order_status):
            raise MappingError(f"order {order.order_id}: unknown item status {item.order_status!r} "
                               f"(items[].order_status of {item.order_item_code})")
    statuses = [i.order_status for i in items]
    active = [s for s in statuses if s not in codes.CANCELED and s not in codes.RETURNED
              and s not in codes.RETURNED_REFUNDED]
    if active:
        return "paid" if any(_paid(s, order) for s in active) else "pending"
    returned = [s for s in statuses if s in codes.RETURNED or s in codes.RETURNED_REFUNDED]
    if returned:
        return "refunded" if all(s in codes.RETURNED_REFUNDED for s in returned) else "returned"
    if statuses:
        return "canceled"
    return "paid" if order.paid in ("T", "M") else "pending"


def _paid(status: str, order: m.Order) -> bool:
    if status in codes.BEFORE_PAYMENT:
        return False
    if status in codes.CANCELING:  # a cancellation under way says nothing about payment: ask the order
        return order.paid in ("T", "M")
    return True


def payment_methods(order: m.Order) -> list[str]:
    """The order's payment methods; a code the language does not know becomes ``etc``."""
    known = set(codes.PAYMENT_METHODS)
    return sorted({code if code in known else "etc" for code in order.payment_method if code})


def _text(value: str | None) -> str | None:
    """Cafe24 writes ``""`` for a missing name, phone or e-mail; the store keeps ``NULL``."""
    return value or None


def customer(c: m.Customer) -> r.Customer:
    return r.Customer(
        member_id=c.member_id,
        name=_text(c.name),
        cellphone=_text(c.cellphone),
        email=_text(c.email),
        joined_at=utc(c.created_date) if c.created_date else None,
    )


def consent(c: m.Customer) -> r.CustomerConsent | None:
    """The member's marketing consents (``sms``, ``news_mail``: T/F), or ``None`` when Cafe24 sent neither."""
    if c.sms is None and c.news_mail is None:
        return None
    return r.CustomerConsent(
        member_id=c.member_id,
        sms=c.sms == "T" if c.sms is not None else None,
        email=c.news_mail == "T" if c.news_mail is not None else None,
    )


def coupon(c: m.Coupon) -> r.Coupon:
    return r.Coupon(coupon_no=c.coupon_no, name=c.coupon_name, issue_type=issue_type(c))


def customer_coupon(issue: m.CouponIssue) -> r.CustomerCoupon:
    used_at = utc(issue.used_date) if issue.used_date else None
    if issue.used_coupon == "T" and used_at is None:
        raise MappingError(f"coupon issue {issue.issue_no}: used_coupon is T but used_date is empty")
    return r.CustomerCoupon(
        id=issue.issue_no,
        member_id=issue.member_id,
        coupon_no=issue.coupon_no,
        issued_at=utc(issue.issued_date),
        expires_at=utc(issue.expiration_date),
        used_at=used_at if issue.used_coupon == "T" else None,
    )


def cart_item(c: m.CartItem) -> r.CartItem:
    return r.CartItem(
        id=c.basket_product_no,
        member_id=c.member_id,
        product_no=c.product_no,
        quantity=c.quantity,
        price=c.product_price,
        option_price=c.option_price,
        added_at=utc(c.created_date),
    )


def order_rows(order: m.Order) -> tuple[r.Order, list[r.OrderItem], list[r.OrderPayment]]:
    """The store rows of one order (it must have been read with ``embed=items``)."""
    if order.items is None:
        raise MappingError(f"order {order.order_id}: read without embed=items")
    head = r.Order(
        order_id=order.order_id,
        member_id=order.member_id or None,
        ordered_at=utc(order.order_date),
        status=order_status(order),
        paid_amount=order.payment_amount,
        order_amount=order.actual_order_amount.order_price_amount,
        shipping_fee=order.actual_order_amount.shipping_fee,
    )
    items = [
        r.OrderItem(
            order_item_code=i.order_item_code,
            order_id=order.order_id,
            product_no=i.product_no,
            quantity=i.quantity,
            price=i.product_price,
            option_price=i.option_price,
        )
        for i in order.items
    ]
    payments = [r.OrderPayment(order_id=order.order_id, payment_method=p) for p in payment_methods(order)]
    return head, items, payments


def all_order_rows(orders: Iterable[m.Order]) -> tuple[list[r.Order], list[r.OrderItem], list[r.OrderPayment]]:
    heads: list[r.Order] = []
    items: list[r.OrderItem] = []
    payments: list[r.OrderPayment] = []
    for order in orders:
        head, its, pays = order_rows(order)
        heads.append(head)
        items += its
        payments += pays
    return heads, items, payments
