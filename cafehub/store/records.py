"""Typed rows of the canonical store, one frozen dataclass per table.

These are the project's in-memory form of shop data: the loader validates
files into them, generators (demo shop, hypothesis strategies) produce them,
:mod:`cafehub.store.io` writes and reads them, and the predicate backend
builds per-customer views from them. Field names equal column names.

Timestamps are naive UTC ``datetime``; money is ``Decimal`` with at most two
places.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Customer:
    table: ClassVar[str] = "customers"
    member_id: str
    name: str | None = None
    cellphone: str | None = None
    email: str | None = None
    joined_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Coupon:
    table: ClassVar[str] = "coupons"
    coupon_no: str
    name: str
    issue_type: str


@dataclass(frozen=True, slots=True)
class CustomerCoupon:
    table: ClassVar[str] = "customer_coupons"
    id: int
    member_id: str
    coupon_no: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CartItem:
    table: ClassVar[str] = "cart_items"
    id: int
    member_id: str
    product_no: int
    quantity: int
    price: Decimal
    option_price: Decimal
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Order:
    table: ClassVar[str] = "orders"
    order_id: str
    member_id: str | None
    ordered_at: datetime
    status: str
    paid_amount: Decimal
    order_amount: Decimal
    shipping_fee: Decimal


@dataclass(frozen=True, slots=True)
class OrderItem:
    table: ClassVar[str] = "order_items"
    order_item_code: str
    order_id: str
    product_no: int
    quantity: int
    price: Decimal
    option_price: Decimal


@dataclass(frozen=True, slots=True)
class OrderPayment:
    table: ClassVar[str] = "order_payments"
    order_id: str
    payment_method: str


@dataclass(frozen=True, slots=True)
class CustomerConsent:
    """Whether a customer agreed to receive marketing by SMS and by e-mail (``None``: not known)."""

    table: ClassVar[str] = "customer_consents"
    member_id: str
    sms: bool | None = None
    email: bool | None = None


Record = Customer | Coupon | CustomerCoupon | CartItem | Order | OrderItem | OrderPayment | CustomerConsent
RECORD_TYPES: tuple[type[Any], ...] = (
    Customer, Coupon, CustomerCoupon, CartItem, Order, OrderItem, OrderPayment, CustomerConsent,
)
RECORD_BY_TABLE: dict[str, type[Any]] = {t.table: t for t in RECORD_TYPES}


def as_row(record: Any) -> dict[str, Any]:
    """A record as a column-name dict (for inserts)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(frozen=True, slots=True)
class ShopData:
    """A whole shop's rows, table by table."""

    customers: tuple[Customer, ...] = ()
    coupons: tuple[Coupon, ...] = ()
    customer_coupons: tuple[CustomerCoupon, ...] = ()
    cart_items: tuple[CartItem, ...] = ()
    orders: tuple[Order, ...] = ()
    order_items: tuple[OrderItem, ...] = ()
    order_payments: tuple[OrderPayment, ...] = ()
    customer_consents: tuple[CustomerConsent, ...] = ()
    _tables: ClassVar[tuple[str, ...]] = (
        "customers",
        "coupons",
        "customer_coupons",
        "cart_items",
        "orders",
        "order_items",
        "order_payments",
        "customer_consents",
    )

    def tables(self) -> dict[str, tuple[Any, ...]]:
        """Rows per table name, in load order."""
        return {name: getattr(self, name) for name in self._tables}

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables().values())

