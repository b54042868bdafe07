"""The bulk path of the predicate backend: read customers from a store in batches and evaluate.

Memory stays bounded by the batch: customers are read by keyset pagination
on ``member_id`` (``member_id > last ORDER BY member_id LIMIT n``), and for
each batch the coupons, cart items, orders, order items and payments of the
page's range of member ids are fetched, one query per table (items and
payments through a join on ``orders``, only the columns the language
reads), straight into :class:`CustomerData` rows. Nearly all the time of
the bulk path is this reading; evaluating the predicate is about 1% of it.
Every row of those members is read, whatever its time:
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Engine,
    Select,
    String,
    and_,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import NullType

from cafehub.compiler import ir
from cafehub.compiler.backends.python import CartRow, CouponRow, CustomerData, OrderRow
from cafehub.compiler.backends.python.compiler import Predicate
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.bulk import read_column, run_predicates
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


@dataclass(frozen=True, slots=True)
class _Part:
    """One table's share of a customer's rows: which columns (and how each is read) from which source.

    The same part is read two ways: as a query of its own (:meth:`select`, the batches of
    :func:`iter_customers`) and as one branch of the one-member statement (:meth:`branch`,
    :func:`load_customer` and live membership). Either way the row builders below receive the same
    tuples: ``columns`` in order, each converted by its kind.
    """

    table: str
    columns: tuple[Any, ...]
    names: tuple[str, ...]
    kinds: tuple[str | None, ...]
    """Per column: ``"int"``, ``"str"``, ``"time"``, ``"time?"``, ``"money"`` or ``None`` (taken as it comes)."""
    slots: tuple[str, ...]
    """Per column: its slot in the one-member statement (:data:`SLOTS`)."""
    key: int
    key_name: str
    member: Any
    """The member id column ``where`` applies to."""
    source: Any

    def select(self, where: Callable[[Any], Any]) -> Select[Any]:
        """This part's own query: every column as the driver returns it (:func:`_raw`)."""
        return select(*(_raw(c, n) for c, n in zip(self.columns, self.names, strict=True))) \
            .select_from(self.source).where(where(self.member))

    def branch(self, tag: int, where: Callable[[Any], Any]) -> Select[Any]:
        """This part as a branch of the one-member statement: the tag, then its columns in their slots."""
        values = dict(zip(self.slots, self.columns, strict=True))
        return select(*slotted(tag, **values)).select_from(self.source).where(where(self.member))


#: The one-member statement's columns after the tag, by SQL type: column k of every branch then has one type
#: on every engine (PostgreSQL refuses a UNION of text with timestamps, and types a column of NULLs as text).
#: Strings ``key``, ``s1``-``s4``; integers ``n1``-``n3``; timestamps ``t1``-``t3``; money ``m1``-``m3``.
SLOTS: tuple[tuple[str, Any], ...] = (
    ("key", String()), ("s1", String()), ("s2", String()), ("s3", String()), ("s4", String()),
    ("n1", BigInteger()), ("n2", BigInteger()), ("n3", BigInteger()),
    ("t1", schema.Timestamp), ("t2", schema.Timestamp), ("t3", schema.Timestamp),
    ("m1", schema.Money), ("m2", schema.Money), ("m3", schema.Money),
)
_SLOT_INDEX = {name: i for i, (name, _) in enumerate(SLOTS)}


def slotted(tag: int, **values: Any) -> list[Any]:
    """The columns of one branch of :func:`one_member_statement`: ``tag``, then ``values`` by slot name
    (:data:`SLOTS`) and a typed NULL in every other slot. Every column is read as the driver returns it."""
    unknown = set(values) - set(_SLOT_INDEX)
    if unknown:
        raise ValueError(f"no such slots: {sorted(unknown)}")
    columns: list[Any] = [literal_column(str(int(tag))).label("part")]
    for name, type_ in SLOTS:
        value = values.get(name)
        columns.append(type_coerce(cast(null(), type_) if value is None else value, NullType()).label(name))
    return columns


def _raw(column: Any, name: str | None = None) -> Any:
    """``column`` selected as the driver returns it (converted by :func:`_converted`), labelled."""
    return type_coerce(column, NullType()).label(name or column.name)


_cc, _cp, _ci = schema.customer_coupons, schema.coupons, schema.cart_items
_o, _oi, _op, _c = schema.orders, schema.order_items, schema.order_payments, schema.customers

_CUSTOMER = _Part("customers", (_c.c.member_id,), ("member_id",), (None,), ("key",), 0, "member_id",
                  _c.c.member_id, _c)
_COUPONS = _Part(
    _cc.name,
    (_cc.c.member_id, _cc.c.id, _cc.c.coupon_no, _cp.c.coupon_no, _cp.c.name, _cp.c.issue_type,
     _cc.c.issued_at, _cc.c.expires_at, _cc.c.used_at),
    ("member_id", "id", "coupon_no", "definition", "name", "issue_type", "issued_at", "expires_at", "used_at"),
    (None, "int", "str", None, None, None, "time", "time", "time?"),
    ("key", "n1", "s1", "s2", "s3", "s4", "t1", "t2", "t3"),
    1, "id", _cc.c.member_id, _cc.outerjoin(_cp, _cp.c.coupon_no == _cc.c.coupon_no),
)
_CART = _Part(
    _ci.name,
    (_ci.c.member_id, _ci.c.id, _ci.c.product_no, _ci.c.quantity, _ci.c.price, _ci.c.option_price,
     _ci.c.added_at),
    ("member_id", "id", "product_no", "quantity", "price", "option_price", "added_at"),
    (None, "int", "int", "int", "money", "money", "time"),
    ("key", "n1", "n2", "n3", "m1", "m2", "t1"),
    1, "id", _ci.c.member_id, _ci,
)
#: Items and payments through a join on ``orders`` (guest orders never match a member), only the columns the
#: language reads: most of the saving over reading whole records.
_ITEMS = _Part(_oi.name, (_oi.c.order_id, _oi.c.product_no), ("order_id", "product_no"), (None, "int"),
               ("key", "n1"), 0, "order_id", _o.c.member_id, _oi.join(_o, _oi.c.order_id == _o.c.order_id))
_PAYMENTS = _Part(_op.name, (_op.c.order_id, _op.c.payment_method), ("order_id", "payment_method"),
                  (None, "str"), ("key", "s1"), 0, "order_id", _o.c.member_id,
                  _op.join(_o, _op.c.order_id == _o.c.order_id))
_ORDERS = _Part(
    _o.name,
    (_o.c.member_id, _o.c.order_id, _o.c.ordered_at, _o.c.status, _o.c.paid_amount, _o.c.order_amount,
     _o.c.shipping_fee),
    ("member_id", "order_id", "ordered_at", "status", "paid_amount", "order_amount", "shipping_fee"),
    (None, "str", "time", "str", "money", "money", "money"),
    ("key", "s1", "t1", "s2", "m1", "m2", "m3"),
    1, "order_id", _o.c.member_id, _o,
)
#: The parts of the one-member statement, their tags being their places here.
_PARTS = (_CUSTOMER, _COUPONS, _CART, _ITEMS, _PAYMENTS, _ORDERS)
#: The first tag free for a caller's own branches of :func:`one_member_statement`.
FIRST_FREE_TAG = len(_PARTS)


def _converted(rows: Sequence[tuple[Any, ...]], part: _Part, typeless: bool) -> list[tuple[Any, ...]]:
    """``rows`` of ``part`` with each column of a kind read as :mod:`cafehub.execution.bulk` reads it.

    Columns are selected without SQLAlchemy's result processing: on SQLite any value may sit in any
    column, and a text in a money column (written by hand) made the Numeric processor raise a bare
    ``TypeError``. A value that cannot be read is a :class:`~cafehub.store.engines.StoreError` naming
    the table, the column and the row's key.
    """
    if not rows:
        return []
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    read = [column if kind is None else read_column(rows, column, kind, typeless, part.table, name, part.key,
                                                     part.key_name)
            for column, kind, name in zip(columns, part.kinds, part.names, strict=True)]
    return list(zip(*read, strict=True))


def _read(conn: Connection, part: _Part, where: Callable[[Any], Any]) -> list[tuple[Any, ...]]:
    return _converted(conn.execute(part.select(where)).all(), part, conn.dialect.name == "sqlite")


def _coupons(rows: Iterable[tuple[Any, ...]]) -> dict[str, list[CouponRow]]:
    """Issued coupons by member, each with its definition (a LEFT JOIN on ``coupons``, as the SQL does).

    Repeated strings (coupon numbers, names, issue types; statuses and
    payment methods in :func:`_orders`) are shared within a batch: the
    driver makes a new string per row, and a shop held in memory would carry
    a copy per row.

    A definition counts only when its number equals the coupon's exactly: a
    loose collation may join ``'A1'`` to ``'a1'``; one coupon then comes back
    once per joined definition and is kept once, with the exact one if any.
    """
    seen: dict[int, tuple[str, CouponRow]] = {}
    numbers: dict[str, str] = {}
    labels: dict[str | None, str | None] = {}
    for member, issue, number, def_no, name, issue_type, issued_at, expires_at, used_at in rows:
        exact = def_no is not None and def_no == number
        if issue in seen and not exact:
            continue
        seen[issue] = member, CouponRow(
            issue, numbers.setdefault(number, number), labels.setdefault(name, name) if exact else None,
            labels.setdefault(issue_type, issue_type) if exact else None, issued_at, expires_at, used_at)
    by_member: dict[str, list[CouponRow]] = defaultdict(list)
    for member, row in seen.values():
        by_member[member].append(row)
    return by_member


def _cart(rows: Iterable[tuple[Any, ...]]) -> dict[str, list[CartRow]]:
    by_member: dict[str, list[CartRow]] = defaultdict(list)
    for member, item, product, quantity, price, option_price, added_at in rows:
        by_member[member].append(CartRow(item, product, quantity, price, option_price, added_at))
    return by_member


def _orders(rows: Iterable[tuple[Any, ...]], items: Iterable[tuple[Any, ...]],
            payments: Iterable[tuple[Any, ...]]) -> dict[str, list[OrderRow]]:
    """Orders by member with their items' products and payment methods."""
    products: dict[str, list[int]] = defaultdict(list)
    for order_id, product in items:
        products[order_id].append(product)
    methods: dict[str, list[str]] = defaultdict(list)
    one: dict[str, str] = {}
    for order_id, method in payments:
        methods[order_id].append(one.setdefault(method, method))
    by_member: dict[str, list[OrderRow]] = defaultdict(list)
    for member, order_id, ordered_at, status, paid, amount, shipping in rows:
        by_member[member].append(OrderRow(
            order_id, ordered_at, one.setdefault(status, status), paid, amount, shipping,
            tuple(products.get(order_id, ())), tuple(methods.get(order_id, ())),
        ))
    return by_member


def _customers(member_ids: Sequence[str], coupons: dict[str, list[CouponRow]], cart: dict[str, list[CartRow]],
               orders: dict[str, list[OrderRow]]) -> list[CustomerData]:
    return [
        CustomerData(m, tuple(coupons.get(m, ())), tuple(cart.get(m, ())), tuple(orders.get(m, ())))
        for m in member_ids
    ]


def _batch(conn: Connection, member_ids: Sequence[str], where: Callable[[Any], Any]) -> list[CustomerData]:
    """The customer data of ``member_ids`` (all their rows), read with one query per table.

    ``where(member_id column)`` selects the rows to read: it may select rows
    of other members too (they are dropped), never fewer. Rows become
    :class:`CustomerData` rows directly (no store records in between) and
    are grouped by exact member id, so an engine with a loose collation can
    over-fetch but never mixes two members.
    """
    return _customers(
        member_ids, _coupons(_read(conn, _COUPONS, where)), _cart(_read(conn, _CART, where)),
        _orders(_read(conn, _ORDERS, where), _read(conn, _ITEMS, where), _read(conn, _PAYMENTS, where)))


def _page(after: str | None, upto: str) -> Callable[[Any], Any]:
    """Rows whose member id lies in the page ``(after, upto]`` (from the start when ``after`` is None)."""
    def where(column: Any) -> Any:
        return column <= upto if after is None else and_(column > after, column <= upto)
    return where


def iter_customers(engine: Engine, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[CustomerData]]:
    """Every customer of the store with all their rows, one batch at a time (keyset pagination).

    A batch's rows are read by the range of member ids the page spans
    (``last < member_id <= page's last``, in the engine's own order, the one
    the pages follow) rather than an ``IN`` list of its ids: the same rows
    for the customers, 1.7x faster on DuckDB and no slower elsewhere. Rows
    of non-customers inside the range are read and dropped; the ranges do
    not overlap, so each such row is read at most once per scan.
    """
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
            yield _batch(conn, ids, _page(last, ids[-1]))
            last = ids[-1]


# ---------------------------------------------------------------- one member in one statement


def _one_member(column: Any) -> Any:
    """The ``where`` of the one-member statement: one member id, bound at execution as ``member_id_``."""
    return column == bindparam("member_id_")


def one_member_statement(*extra: Select[Any]) -> CompoundSelect[Any]:
    """All of one member's rows in one statement: a ``UNION ALL`` of one branch per table, then ``extra``.

    Each branch reads its table through the ``member_id`` index (items and payments through
    ``orders``'), as the per-table queries did; one statement is one round trip, where six were six
    (on PostgreSQL each a wake-up of the server process: most of a membership call's time). A row is
    its branch's tag, then the columns of :data:`SLOTS`. ``extra`` are a caller's own branches, built
    with :func:`slotted` and tags from :data:`FIRST_FREE_TAG` (live membership reads the registry's
    latest versions in the same round trip). Execute it with ``{"member_id_": id}`` and read it with
    :func:`read_one_member`. Build it once and keep it: building a statement and its cache key cost
    0.25 ms of CPU against 0.05 ms to run a built one.
    """
    return union_all(*(part.branch(tag, _one_member) for tag, part in enumerate(_PARTS)), *extra)


_STATEMENT: list[CompoundSelect[Any]] = []


def read_one_member(conn: Connection, statement: CompoundSelect[Any],
                    member_id: str) -> tuple[CustomerData | None, dict[int, list[tuple[Any, ...]]]]:
    """Run :func:`one_member_statement`'s ``statement`` for ``member_id``: the customer (``None`` when the
    store has no such customer) and the rows of the extra branches by tag (after the tag, :data:`SLOTS`).

    Rows are kept by exact member id only, so an engine whose collation compares loosely (``'M1'`` for
    ``'m1'``) may return others' rows but they are never the customer's.
    """
    by_tag: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in conn.execute(statement, {"member_id_": member_id}):
        by_tag[int(row[0])].append(tuple(row)[1:])
    parts = [by_tag.pop(tag, []) for tag in range(len(_PARTS))]
    if not any(row[0] == member_id for row in parts[0]):
        return None, by_tag
    typeless = conn.dialect.name == "sqlite"
    read = [
        _converted([tuple(row[_SLOT_INDEX[s]] for s in part.slots) for row in rows], part, typeless)
        for part, rows in zip(_PARTS, parts, strict=True)
    ]
    _, coupons, cart, items, payments, orders = read
    customer = _customers([member_id], _coupons(coupons), _cart(cart), _orders(orders, items, payments))[0]
    return customer, by_tag


@contextmanager
def one_statement_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reading with one statement. On PostgreSQL it is in autocommit: psycopg otherwise
    sends ``BEGIN`` before the statement and the pool a ``ROLLBACK`` after it, two more round trips (each,
    on a loaded machine, a wake-up of the server process) for a read that one statement's snapshot already
    makes consistent. Elsewhere a plain connection (MariaDB would pay a round trip to switch autocommit)."""
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else conn


def load_customer(engine: Engine, member_id: str) -> CustomerData | None:
    """One member's data, or ``None`` when there is no such customer: one statement, one round trip."""
    if not _STATEMENT:
        _STATEMENT.append(one_member_statement())
    with store_errors(engine), one_statement_connection(engine) as conn:
        return read_one_member(conn, _STATEMENT[0], member_id)[0]


def run_predicate(
    engine: Engine,
    segment: str | CheckedSegment | ir.Node | Predicate,
    ctx: EvalContext,
    *,
    batch_size: int | None = None,
) -> list[str]:
    """Member ids matching ``segment`` at ``ctx``, sorted by code point (what ``run_sql`` returns).

    A segment (text, checked segment or IR) goes through the columnar bulk
    reader (:func:`cafehub.execution.bulk.run_predicates`): only the tables,
    columns and rows it reads, one partition of ``batch_size`` customers at
    a time. An already compiled :class:`Predicate` (whose reads are not
    known) is evaluated over whole :class:`CustomerData` objects read in
    batches (:func:`iter_customers`). Either way memory is bounded by one
    batch. Raises :class:`~cafehub.diagnostics.SegmentError` for a bad
    segment text (before touching the database) and :class:`StoreError`
    for a store, or a value in it, that cannot be read.
    """
    if not isinstance(segment, Predicate):
        return run_predicates(engine, [segment], ctx, batch_size=batch_size)[0]
    matches = segment.bind(ctx)
    found: list[str] = []
    for batch in iter_customers(engine, batch_size=batch_size or DEFAULT_BATCH_SIZE):
        found.extend(c.member_id for c in batch if matches(c))
    return sorted(found)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FIRST_FREE_TAG",
    "SLOTS",
    "customers_from_shop",
    "iter_customers",
    "load_customer",
    "one_member_statement",
    "one_statement_connection",
    "read_one_member",
    "run_predicate",
    "slotted",
]
