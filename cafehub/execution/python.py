"""The bulk path of the predicate backend: read customers from a store in batches and evaluate.

Memory stays bounded by the batch: customers are read by keyset pagination
on ``member_id`` (``member_id > last ORDER BY member_id LIMIT n``), and for
each batch the coupons, cart items, orders, order items and payments of just
those members are fetched with ``IN`` queries (items and payments through a
join on ``orders``). Every row of those members is read, whatever its time:
scoping to ``now`` (held coupons, cart retention, history window) is the
predicate's job, so the rows mean the same here as in any other caller.

Rows are grouped in Python by exact key equality, so an engine whose
collation compares loosely (case-insensitive, PAD SPACE) may over-fetch but
never mixes two members' rows. The result is sorted with ``sorted()`` (code
point order), as every backend's is.

Building :class:`CustomerData` from :mod:`cafehub.store.records` rows also
lives here: the compiler does not import the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from cafehub import api
from cafehub.compiler import ir
from cafehub.compiler.backends.python import CartRow, CouponRow, CustomerData, OrderRow, compile_predicate
from cafehub.compiler.backends.python.compiler import Predicate
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext
from cafehub.store import records as rec
from cafehub.store import schema
from cafehub.store.engines import store_errors

DEFAULT_BATCH_SIZE = 1_000
_CENT = Decimal("0.01")


# ---------------------------------------------------------------- records to customer data


def _money(value: Any) -> Decimal:
    """Money as an exact two-place decimal (SQLite hands back REAL-derived values)."""
    return Decimal(value).quantize(_CENT) if not isinstance(value, Decimal) else value.quantize(_CENT)


@dataclass(frozen=True, slots=True)
class _Grouped:
    """One batch's rows, grouped by member (and items/payments by order)."""

    coupons: dict[str, list[CouponRow]]
    cart: dict[str, list[CartRow]]
    orders: dict[str, list[OrderRow]]


def _group(
    coupon_defs: dict[str, rec.Coupon],
    customer_coupons: Iterable[rec.CustomerCoupon],
    cart_items: Iterable[rec.CartItem],
    orders: Iterable[rec.Order],
    order_items: Iterable[rec.OrderItem],
    order_payments: Iterable[rec.OrderPayment],
) -> _Grouped:
    products: dict[str, list[int]] = defaultdict(list)
    for item in order_items:
        products[item.order_id].append(item.product_no)
    methods: dict[str, list[str]] = defaultdict(list)
    for payment in order_payments:
        methods[payment.order_id].append(payment.payment_method)
    coupons: dict[str, list[CouponRow]] = defaultdict(list)
    for cc in customer_coupons:
        definition = coupon_defs.get(cc.coupon_no)
        coupons[cc.member_id].append(CouponRow(
            id=cc.id,
            coupon_no=cc.coupon_no,
            name=definition.name if definition is not None else None,
            issue_type=definition.issue_type if definition is not None else None,
            issued_at=cc.issued_at,
            expires_at=cc.expires_at,
            used_at=cc.used_at,
        ))
    cart: dict[str, list[CartRow]] = defaultdict(list)
    for line in cart_items:
        cart[line.member_id].append(CartRow(
            id=line.id,
            product=line.product_no,
            quantity=line.quantity,
            price=_money(line.price),
            option_price=_money(line.option_price),
            added_at=line.added_at,
        ))
    by_member: dict[str, list[OrderRow]] = defaultdict(list)
    for order in orders:
        if order.member_id is None:
            continue  # a guest order belongs to nobody
        by_member[order.member_id].append(OrderRow(
            order_id=order.order_id,
            ordered_at=order.ordered_at,
            status=order.status,
            paid_amount=_money(order.paid_amount),
            order_amount=_money(order.order_amount),
            shipping_fee=_money(order.shipping_fee),
            product=tuple(products.get(order.order_id, ())),
            payment_method=tuple(methods.get(order.order_id, ())),
        ))
    return _Grouped(coupons, cart, by_member)


def customers_from_shop(data: rec.ShopData) -> list[CustomerData]:
    """One :class:`CustomerData` per row of ``customers``, in table order, with all their rows."""
    grouped = _group(
        {c.coupon_no: c for c in data.coupons},
        data.customer_coupons,
        data.cart_items,
        data.orders,
        data.order_items,
        data.order_payments,
    )
    return [_customer(c.member_id, grouped) for c in data.customers]


def _customer(member_id: str, grouped: _Grouped) -> CustomerData:
    return CustomerData(
        member_id=member_id,
        coupons=tuple(grouped.coupons.get(member_id, ())),
        cart=tuple(grouped.cart.get(member_id, ())),
        orders=tuple(grouped.orders.get(member_id, ())),
    )


# ---------------------------------------------------------------- reading batches


def _records(conn: Connection, record_type: type[Any], where: Any, *joins: Any) -> list[Any]:
    table = next(t for t in schema.TABLES if t.name == record_type.table)
    query = select(*(table.c[f.name] for f in fields(record_type)))
    for join in joins:
        query = query.select_from(join)
    return [record_type(*row) for row in conn.execute(query.where(where))]


def _coupons(conn: Connection, member_ids: Sequence[str]) -> tuple[list[rec.CustomerCoupon], dict[str, rec.Coupon]]:
    """Issued coupons of the members, and the definitions they refer to (by a LEFT JOIN, as the SQL does)."""
    cc, cp = schema.customer_coupons, schema.coupons
    columns = [cc.c[f.name] for f in fields(rec.CustomerCoupon)]
    query = (
        select(*columns, cp.c.coupon_no.label("def_no"), cp.c.name, cp.c.issue_type)
        .select_from(cc.outerjoin(cp, cp.c.coupon_no == cc.c.coupon_no))
        .where(cc.c.member_id.in_(member_ids))
    )
    issued: list[rec.CustomerCoupon] = []
    definitions: dict[str, rec.Coupon] = {}
    width = len(columns)
    for row in conn.execute(query):
        issued.append(rec.CustomerCoupon(*row[:width]))
        def_no, name, issue_type = row[width:]
        if def_no is not None and def_no == row.coupon_no:
            definitions[def_no] = rec.Coupon(coupon_no=def_no, name=name, issue_type=issue_type)
    return issued, definitions


def _batch(conn: Connection, member_ids: Sequence[str]) -> list[CustomerData]:
    """The customer data of ``member_ids`` (all their rows), read with one query per table."""
    ci, o, oi, op = schema.cart_items, schema.orders, schema.order_items, schema.order_payments
    issued, definitions = _coupons(conn, member_ids)
    grouped = _group(
        definitions,
        issued,
        _records(conn, rec.CartItem, ci.c.member_id.in_(member_ids)),
        _records(conn, rec.Order, o.c.member_id.in_(member_ids)),
        _records(conn, rec.OrderItem, o.c.member_id.in_(member_ids), oi.join(o, oi.c.order_id == o.c.order_id)),
        _records(conn, rec.OrderPayment, o.c.member_id.in_(member_ids), op.join(o, op.c.order_id == o.c.order_id)),
    )
    return [_customer(member_id, grouped) for member_id in member_ids]


def iter_customers(engine: Engine, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[CustomerData]]:
    """Every customer of the store with all their rows, one batch at a time (keyset pagination)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    member = schema.customers.c.member_id
    last: str | None = None
    with store_errors(engine), engine.connect() as conn:
        while True:
            query = select(member).order_by(member).limit(batch_size)
            if last is not None:
                query = query.where(member > last)
            ids = [row[0] for row in conn.execute(query)]
            if not ids:
                return
            yield _batch(conn, ids)
            last = ids[-1]


def load_customer(engine: Engine, member_id: str) -> CustomerData | None:
    """One member's data, or ``None`` when there is no such customer."""
    customers = schema.customers
    with store_errors(engine), engine.connect() as conn:
        found = conn.execute(select(customers.c.member_id).where(customers.c.member_id == member_id)).all()
        # An engine with a loose collation may return 'M1' for 'm1': keep the exact match only.
        if not any(row[0] == member_id for row in found):
            return None
        return _batch(conn, [member_id])[0]


def run_predicate(
    engine: Engine,
    segment: str | CheckedSegment | ir.Node | Predicate,
    ctx: EvalContext,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> list[str]:
    """Member ids matching ``segment`` at ``ctx``, sorted by code point (what ``run_sql`` returns).

    Reads the store in batches of ``batch_size`` customers, so memory is
    bounded by one batch's rows, on any engine with the canonical schema.
    Raises :class:`~cafehub.diagnostics.SegmentError` for a bad segment text
    (before touching the database) and :class:`StoreError` for a store that
    cannot be read.
    """
    if isinstance(segment, str):
        segment = api.check(segment)
    predicate = segment if isinstance(segment, Predicate) else compile_predicate(segment)
    matches = predicate.bind(ctx)
    found: list[str] = []
    for batch in iter_customers(engine, batch_size=batch_size):
        found.extend(c.member_id for c in batch if matches(c))
    return sorted(found)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "customers_from_shop",
    "iter_customers",
    "load_customer",
    "run_predicate",
]
