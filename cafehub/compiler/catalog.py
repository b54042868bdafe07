"""What the language knows about: collections, their fields, field types, enums, aggregates.

This is the single description of the logical data model that the checker
resolves names against. It knows nothing of SQL tables or Python objects:
each backend maps a :class:`FieldDef` to its own representation (the SQL
backend through the schema mapping, the predicate backend through attribute
accessors).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Collection(StrEnum):
    """The three row sources a segment can test."""

    COUPON = "coupon"
    CART = "cart"
    ORDER = "order"


class Kind(StrEnum):
    """Scalar kinds. Money is an exact decimal with two places."""

    INT = "int"
    DECIMAL = "decimal"
    MONEY = "money"
    STRING = "string"
    ENUM = "enum"
    TIMESTAMP = "timestamp"


TimeDirection = Literal["past", "future"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldType:
    """The type of a field or of an aggregate's result.

    ``is_set`` marks set-valued fields (an order's products and payment
    methods); ``is_id`` marks identifiers, which compare for equality and
    count but have no order and no arithmetic; ``time`` says whether a
    timestamp can only lie in the past or only in the future relative to
    ``now``, which the window checks use.
    """

    kind: Kind
    is_set: bool = False
    is_id: bool = False
    enum: str | None = None
    time: TimeDirection | None = None

    def describe(self) -> str:
        """A phrase for error messages: ``a set of payment_method``, ``money``."""
        base = self.enum if self.kind is Kind.ENUM and self.enum else self.kind.value
        if self.is_id:
            base = f"an id ({base})"
        return f"a set of {base}" if self.is_set else base

    @property
    def element(self) -> FieldType:
        """The type of one element of a set (the type itself for scalars)."""
        if not self.is_set:
            return self
        return FieldType(kind=self.kind, is_id=self.is_id, enum=self.enum, time=self.time)

    @property
    def is_numeric(self) -> bool:
        return self.kind in (Kind.INT, Kind.DECIMAL, Kind.MONEY)


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldDef:
    """One field of a collection's rows."""

    collection: Collection
    name: str
    type: FieldType
    doc: str

    def __str__(self) -> str:
        return f"{self.collection.value}.{self.name}"


ENUMS: dict[str, tuple[str, ...]] = {
    "issue_type": (
        "targeted",
        "signup",
        "delivery_complete",
        "anniversary",
        "review",
        "order_complete",
        "purchase_quantity",
        "first_purchase",
        "all_members",
        "dormant",
        "recurring",
    ),
    "status": ("pending", "paid", "canceled", "returned", "refunded"),
    "payment_method": (
        "cash",
        "card",
        "cell",
        "tcash",
        "icash",
        "prepaid",
        "credit",
        "point",
        "pointfy",
        "cvs",
        "cod",
        "coupon",
        "market_discount",
        "giftcard",
        "pointcard",
        "etc",
    ),
}

_ID_STRING = FieldType(kind=Kind.STRING, is_id=True)
_ID_INT = FieldType(kind=Kind.INT, is_id=True)
_INT = FieldType(kind=Kind.INT)
_MONEY = FieldType(kind=Kind.MONEY)
_STRING = FieldType(kind=Kind.STRING)
_PAST = FieldType(kind=Kind.TIMESTAMP, time="past")
_FUTURE = FieldType(kind=Kind.TIMESTAMP, time="future")


def _fields(collection: Collection, *specs: tuple[str, FieldType, str]) -> dict[str, FieldDef]:
    return {name: FieldDef(collection=collection, name=name, type=t, doc=doc) for name, t, doc in specs}


FIELDS: dict[Collection, dict[str, FieldDef]] = {
    Collection.COUPON: _fields(
        Collection.COUPON,
        ("coupon_no", _ID_STRING, "the coupon's number"),
        ("name", _STRING, "the coupon's name"),
        ("issue_type", FieldType(kind=Kind.ENUM, enum="issue_type"), "how the coupon was issued"),
        ("issued_at", _PAST, "when the coupon was issued to the customer"),
        ("expires_at", _FUTURE, "when the held coupon expires"),
    ),
    Collection.CART: _fields(
        Collection.CART,
        ("product", _ID_INT, "product number"),
        ("quantity", _INT, "units in the cart"),
        ("price", _MONEY, "base sale price of one unit"),
        ("option_price", _MONEY, "option surcharge of one unit"),
        ("amount", _MONEY, "(price + option_price) * quantity"),
        ("added_at", _PAST, "when the item was put in the cart"),
    ),
    Collection.ORDER: _fields(
        Collection.ORDER,
        ("order_id", _ID_STRING, "the order's id"),
        ("ordered_at", _PAST, "when the order was placed"),
        ("status", FieldType(kind=Kind.ENUM, enum="status"), "the order's status"),
        (
            "payment_method",
            FieldType(kind=Kind.ENUM, enum="payment_method", is_set=True),
            "every payment method used on the order",
        ),
        ("product", FieldType(kind=Kind.INT, is_id=True, is_set=True), "the products of the order's items"),
        ("paid_amount", _MONEY, "what the customer finally paid: items + shipping - discounts"),
        ("order_amount", _MONEY, "sum over items of (price + option_price) * quantity"),
    ),
}


class AggregateFunc(StrEnum):
    """Aggregates over a collection's matching rows."""

    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    COUNT_DISTINCT = "count_distinct"

    @property
    def takes_field(self) -> bool:
        return self is not AggregateFunc.COUNT

    @property
    def empty_is_null(self) -> bool:
        """Over no rows, ``avg``/``min``/``max`` are null; ``count``/``sum`` are 0."""
        return self in (AggregateFunc.AVG, AggregateFunc.MIN, AggregateFunc.MAX)


COUNT_TYPE = FieldType(kind=Kind.INT)


def aggregate_result(func: AggregateFunc, field: FieldDef | None) -> FieldType:
    """The type of ``func(field)``; the checker has already refused invalid pairs."""
    if func in (AggregateFunc.COUNT, AggregateFunc.COUNT_DISTINCT) or field is None:
        return COUNT_TYPE
    element = field.type.element
    if func is AggregateFunc.SUM:
        return FieldType(kind=element.kind)
    if func is AggregateFunc.AVG:
        return FieldType(kind=Kind.MONEY if element.kind is Kind.MONEY else Kind.DECIMAL)
    return element


def owners_of(name: str) -> list[str]:
    """Collections that have a field called ``name`` (for "belongs to order" hints)."""
    return [c.value for c, fields in FIELDS.items() if name in fields]


#: Fields whose rows exist only inside a window, used by the retention warning.
HISTORY_FIELD = ("order", "ordered_at")
CART_AGE_FIELD = ("cart", "added_at")
