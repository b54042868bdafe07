"""One customer's data as the predicate backend reads it: frozen rows, all of them.

A :class:`CustomerData` holds *every* row the store has for a member, not only
the rows a segment would see at some instant: which coupons are held, which
cart items are still kept and which orders fall inside the history window all
depend on ``now`` and the shop's settings, so the compiled predicate applies
that scoping itself (exactly as the SQL does). The same object therefore
serves any ``now``, the differential tests and ``explain``.

Attribute names are the language's field names (``OrderRow.product`` is the
set-valued ``order.product``), so a field maps to an attribute without a
table. Timestamps are naive UTC, as stored; money is an exact ``Decimal``.

The compiler does not import the store (see ARCHITECTURE.md); building these
rows from :mod:`cafehub.store.records` lives in :mod:`cafehub.execution.python`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Context, Decimal

from cafehub.compiler.catalog import Collection

#: Wide enough that ``(price + option_price) * quantity`` and sums of amounts are
#: never rounded (the default context keeps 28 digits).
EXACT = Context(prec=100)


@dataclass(frozen=True, slots=True)
class CouponRow:
    """An issued coupon joined with its definition.

    ``name`` and ``issue_type`` are ``None`` when the coupon's definition is
    missing from ``coupons`` (the SQL LEFT JOIN gives NULL there).
    """

    id: int
    coupon_no: str
    name: str | None
    issue_type: str | None
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CartRow:
    """One cart item; ``amount`` is derived, exactly, as ``(price + option_price) * quantity``."""

    id: int
    product: int
    quantity: int
    price: Decimal
    option_price: Decimal
    added_at: datetime
    amount: Decimal = field(init=False, compare=False)

    def __post_init__(self) -> None:
        unit = EXACT.add(Decimal(self.price), Decimal(self.option_price))
        object.__setattr__(self, "amount", EXACT.multiply(unit, Decimal(self.quantity)))


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An order with its items' products and its payment methods (one entry per row)."""

    order_id: str
    ordered_at: datetime
    status: str
    paid_amount: Decimal
    order_amount: Decimal
    shipping_fee: Decimal = Decimal(0)
    product: tuple[int, ...] = ()
    payment_method: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerData:
    """Every row of one member: issued coupons, cart items and orders (guest orders belong to nobody)."""

    member_id: str
    coupons: tuple[CouponRow, ...] = ()
    cart: tuple[CartRow, ...] = ()
    orders: tuple[OrderRow, ...] = ()


#: Where a collection's rows live on :class:`CustomerData`.
COLLECTION_ATTRIBUTE: dict[Collection, str] = {
    Collection.COUPON: "coupons",
    Collection.CART: "cart",
    Collection.ORDER: "orders",
}

#: The row type of each collection.
ROW_TYPES: dict[Collection, type[CouponRow] | type[CartRow] | type[OrderRow]] = {
    Collection.COUPON: CouponRow,
    Collection.CART: CartRow,
    Collection.ORDER: OrderRow,
}

#: Fields that can be ``None`` on a row (everything else is NOT NULL in the store).
NULLABLE_FIELDS: frozenset[tuple[Collection, str]] = frozenset(
    {(Collection.COUPON, "name"), (Collection.COUPON, "issue_type")}
)


@dataclass(frozen=True, slots=True)
class TupleLayout:
    """Customers and rows as plain tuples, the form the bulk reader builds (see ``cafehub.execution.bulk``).

    Building a frozen dataclass per row costs more than evaluating a
    predicate over it, so the bulk reader keeps the tuples its database
    driver returns: a customer is a tuple whose item ``collections[c]`` holds
    the rows of collection ``c``, and in such a row the attribute ``a`` (a
    name of :data:`ROW_TYPES`, with the same meaning and Python type,
    ``amount`` included) is item ``attributes[c][a]``. A predicate compiled
    for a layout reads ``c[i]`` and ``r[j]`` where it would read
    ``c.orders`` and ``r.status``; only the attributes the segment reads
    need a place.
    """

    collections: Mapping[Collection, int]
    attributes: Mapping[Collection, Mapping[str, int]]

    def position(self, collection: Collection) -> int:
        """Where a customer tuple holds ``collection``'s rows."""
        try:
            return self.collections[collection]
        except KeyError:
            raise LayoutError(f"the layout has no place for {collection.value} rows") from None

    def index(self, collection: Collection, attribute: str) -> int:
        """Where a row of ``collection`` holds ``attribute``."""
        try:
            return self.attributes[collection][attribute]
        except KeyError:
            raise LayoutError(f"the layout has no place for {collection.value}.{attribute}") from None


class LayoutError(ValueError):
    """A predicate asked for a collection or attribute its tuple layout does not hold."""


Row = CouponRow | CartRow | OrderRow


def row_key(row: Row) -> str:
    """The identifying value of a row, for evidence: coupon number, cart item id, order id."""
    if isinstance(row, CouponRow):
        return f"{row.coupon_no} (#{row.id})"
    if isinstance(row, CartRow):
        return str(row.id)
    return row.order_id


__all__ = [
    "COLLECTION_ATTRIBUTE",
    "EXACT",
    "NULLABLE_FIELDS",
    "ROW_TYPES",
    "CartRow",
    "CouponRow",
    "CustomerData",
    "LayoutError",
    "OrderRow",
    "Row",
    "TupleLayout",
    "row_key",
]
