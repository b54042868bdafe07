"""The columnar bulk reader: several segments evaluated in memory over one read of the store.

Building a :class:`~cafehub.compiler.backends.python.CustomerData` per
customer, row object by row object, costs far more than evaluating a
predicate. This path never builds one. It reads:

- only the collections the segments test, and of each only the columns
  they read (:mod:`cafehub.compiler.backends.python.reads`): a segment on
  orders' statuses never touches coupons or order items;
- only the rows that can be in scope at ``now``: held coupons, cart items
  inside the retention window, orders inside the history window (each
  bound widened by a day, so a timestamp stored in a slightly different
  text form on SQLite is still read; the predicate applies the exact
  scope itself);
- for a set field that every segment only tests against listed values
  (``order(product = 42)``), only the item or payment rows with a listed
  element;

straight from the database driver's cursor as tuples (no SQLAlchemy row
processing), in one query per table and partition. Each partition's
columns are converted where the driver does not already give the Python
type the predicate compares (SQLite's text timestamps, numbers stored in
money columns), and zipped back into row tuples laid out as a
:class:`~cafehub.compiler.backends.python.data.TupleLayout`; each segment
is compiled once for that layout, and every segment is evaluated on the
partition's customers before the next partition is read, so one read
serves them all.

Memory stays flat: customers are split into partitions of a bounded size
and only one partition's rows are held at a time, in Python and in the
database. On SQLite, PostgreSQL and MySQL/MariaDB a partition is a keyset
page of member ids (``last < member_id <= page's last``, through the
``member_id`` indexes). On DuckDB it is a range of member ids cut from a
sample of the customers' ids (about :data:`DEFAULT_RANGE_SIZE` customers,
:func:`cafehub.store.duckdb_memory.sample_bounds`): each table's rows of the
range are read by one query filtered on the range and sorted by member id,
so what DuckDB sorts and joins is one range's; DuckDB's memory limit is
lowered while the ranges are read (:func:`cafehub.store.duckdb_memory.memory_limit`,
shared with the audiences), so the table blocks it caches are evicted
rather than kept for the whole run. DuckDB does not use its indexes for a
range, so each range scans the tables it reads (a filtered columnar scan:
a tenth of the time its rows take in Python). Before, every table was read
by one query sorted by a hash partition for the whole run: DuckDB sorted
the whole table before the first row came out (1M customers: +1,181 MB).

A value that cannot be read as its column's type (a hand-written text in a
money column of a SQLite store, say) stops the run with a
:class:`~cafehub.store.engines.StoreError` naming the table, the column,
the row's key and the kind of problem, never the value.

Results are the ids of the customers each segment selects, sorted by code
point, as every backend's are; rows are grouped by exact member-id
equality in Python, so a loose collation can only over-read.
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import compress, groupby, repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from cafehub import api
from cafehub.compiler import ir
from cafehub.compiler.backends.python import compile_predicate
from cafehub.compiler.backends.python.data import EXACT, TupleLayout
from cafehub.compiler.backends.python.reads import Reads, reads_of_all
from cafehub.compiler.catalog import Collection
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext, timestamp_text, to_naive_utc
from cafehub.store import duckdb_memory, schema
from cafehub.store.engines import StoreError, store_errors

#: Customers per keyset page on SQLite, PostgreSQL and MySQL/MariaDB.
DEFAULT_PAGE_SIZE = 20_000
#: Customers per range on DuckDB, about (boundaries come from a sample; each range scans every table it reads).
DEFAULT_RANGE_SIZE = 50_000
#: DuckDB's memory limit (MB) while the ranges are read, unless ``CAFEHUB_BULK_MEMORY_MB`` says otherwise
#: (0 leaves it alone); a range that runs out of memory under it is read again under twice the limit.
BULK_MEMORY_MB = duckdb_memory.memory_mb("CAFEHUB_BULK_MEMORY_MB", 48)

_CENT = Decimal("0.01")
_DAY = timedelta(days=1)
_EMPTY: tuple[()] = ()

Segment = str | CheckedSegment | ir.Node


# ---------------------------------------------------------------- what each collection reads


@dataclass(frozen=True, slots=True)
class _Source:
    """Where a row attribute comes from: a column of the collection's table, of a kind."""

    column: str
    kind: str  # "int", "str", "time", "time?" (nullable), "money"


@dataclass(frozen=True, slots=True)
class _Table:
    """A collection's table: its key (for messages), its attributes' columns, its scope as SQL."""

    name: str
    key: str
    sources: dict[str, _Source]
    scope: str


_TABLES: dict[Collection, _Table] = {
    Collection.COUPON: _Table("customer_coupons", "id", {
        "id": _Source("id", "int"),
        "coupon_no": _Source("coupon_no", "str"),
        "issued_at": _Source("issued_at", "time"),
        "expires_at": _Source("expires_at", "time"),
        "used_at": _Source("used_at", "time?"),
    }, "t.used_at IS NULL AND t.issued_at <= ? AND t.expires_at >= ?"),
    Collection.CART: _Table("cart_items", "id", {
        "id": _Source("id", "int"),
        "product": _Source("product_no", "int"),
        "quantity": _Source("quantity", "int"),
        "price": _Source("price", "money"),
        "option_price": _Source("option_price", "money"),
        "added_at": _Source("added_at", "time"),
    }, "t.added_at >= ? AND t.added_at <= ?"),
    Collection.ORDER: _Table("orders", "order_id", {
        "order_id": _Source("order_id", "str"),
        "ordered_at": _Source("ordered_at", "time"),
        "status": _Source("status", "str"),
        "paid_amount": _Source("paid_amount", "money"),
        "order_amount": _Source("order_amount", "money"),
        "shipping_fee": _Source("shipping_fee", "money"),
    }, "t.ordered_at >= ? AND t.ordered_at <= ?"),
}

#: Set fields of orders: the child table and its element column.
_ELEMENTS: dict[str, tuple[str, _Source]] = {
    "product": ("order_items", _Source("product_no", "int")),
    "payment_method": ("order_payments", _Source("payment_method", "str")),
}
#: Coupon attributes that come from the coupon's definition (``coupons``), by exact number.
_DEFINITION = ("name", "issue_type")


def _scope_params(collection: Collection, ctx: EvalContext) -> list[datetime]:
    """The scope's bounds, each widened by a day (the predicate applies the exact ones)."""
    now = to_naive_utc(ctx.now_utc)
    if collection is Collection.COUPON:
        return [now + _DAY, now - _DAY]
    low = to_naive_utc(ctx.cart_cutoff if collection is Collection.CART else ctx.history_cutoff)
    return [low - _DAY, now + _DAY]


@dataclass(frozen=True, slots=True)
class Plan:
    """What one shared read fetches, and the tuple layout the predicates are compiled for.

    Each row tuple is ``(member_id, *attributes)`` in ``attributes[c]``
    order; a customer tuple holds one list of rows per collection, in
    ``collections`` order.
    """

    collections: tuple[Collection, ...]
    attributes: dict[Collection, tuple[str, ...]]
    elements: dict[str, frozenset[ir.Scalar] | None]
    layout: TupleLayout

    @staticmethod
    def of(wanted: Reads) -> Plan:
        collections = tuple(c for c in Collection if c in wanted.attributes)
        attributes = {c: tuple(sorted(wanted.attributes[c])) for c in collections}
        elements = {a: wanted.elements.get((Collection.ORDER, a)) for a in _ELEMENTS
                    if a in attributes.get(Collection.ORDER, ())}
        layout = TupleLayout(
            collections={c: i for i, c in enumerate(collections)},
            attributes={c: {a: i + 1 for i, a in enumerate(names)} for c, names in attributes.items()},
        )
        return Plan(collections, attributes, elements, layout)


# ---------------------------------------------------------------- reading values


class _Unreadable(Exception):
    def __init__(self, index: int, problem: str) -> None:
        super().__init__(problem)
        self.index = index
        self.problem = problem


def _money_value(value: object) -> Decimal:
    """A stored money value as the row path reads it: two places, exact (SQLite may hold REAL or INTEGER)."""
    if type(value) is Decimal:
        if not value.is_finite():
            raise ValueError("not a finite number")
        return value.quantize(_CENT, context=EXACT)
    if type(value) is int:
        return Decimal(value).quantize(_CENT, context=EXACT)
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return Decimal(f"{value:.2f}")  # SQLAlchemy's reading of a REAL with scale 2
    raise ValueError("not a number")


def _first_bad(column: Sequence[object], good: Callable[[object], bool]) -> int:
    return next(i for i, v in enumerate(column) if not good(v))


def _convert(column: Sequence[Any], kind: str, typeless: bool) -> Sequence[Any]:
    """``column`` as the predicate's Python types; raises :class:`_Unreadable` at the first bad value.

    Typed engines already return ``int``, ``str``, naive ``datetime`` and
    ``Decimal``; only money is normalised there. On SQLite (typeless)
    every kind is checked, and timestamps are parsed from their text.
    """
    if kind == "cents":  # money read as whole cents (DuckDB: a Decimal per value costs 2 µs to build)
        table = {v: Decimal(v).scaleb(-2) for v in set(column)}
        return list(map(table.__getitem__, column))
    if kind == "money":
        try:
            table = {v: _money_value(v) for v in set(column)}
        except (ValueError, TypeError, InvalidOperation):
            index = _first_bad(column, _readable_money)
            raise _Unreadable(index, "not a finite number" if _is_number(column[index]) else "not a number") from None
        return list(map(table.__getitem__, column))
    if not typeless:
        return column
    if kind in ("int", "str"):
        wanted = int if kind == "int" else str
        if not set(map(type, column)) <= {wanted}:
            index = _first_bad(column, lambda v: type(v) is wanted)
            raise _Unreadable(index, "not an integer" if kind == "int" else "not text")
        return column
    nullable = kind == "time?"
    try:
        if nullable:
            times = [None if v is None else datetime.fromisoformat(v) for v in column]
        else:
            times = list(map(datetime.fromisoformat, column))
    except (TypeError, ValueError):
        index = _first_bad(column, lambda v: (v is None and nullable) or _parses(v))
        raise _Unreadable(index, "not a timestamp") from None
    zones = {t.tzinfo for t in times if t is not None}
    if zones - {None}:
        index = next(i for i, t in enumerate(times) if t is not None and t.tzinfo is not None)
        raise _Unreadable(index, "a timestamp with a UTC offset (the store holds naive UTC)")
    return times


def read_column(rows: Sequence[tuple[Any, ...]], column: Sequence[Any], kind: str, typeless: bool,
                table: str, name: str, key: int | None, key_name: str) -> Sequence[Any]:
    """``column`` (of ``rows``) as the predicate's Python types, or a :class:`StoreError` naming where.

    The error names the table, the column, the row by its key (``rows[...][key]``) and the kind of
    problem, never the value: the bulk reader and the row path (:mod:`cafehub.execution.python`)
    report an unreadable value alike.
    """
    try:
        return _convert(column, kind, typeless)
    except _Unreadable as bad:
        where = f" in the row whose {key_name} is {rows[bad.index][key]!r}" if key is not None else ""
        raise StoreError(f"{table}.{name} cannot be read{where}: {bad.problem}") from None


def _readable_money(value: object) -> bool:
    try:
        _money_value(value)
    except (ValueError, TypeError, InvalidOperation):
        return False
    return True


def _is_number(value: object) -> bool:
    return type(value) in (int, float, Decimal)


def _parses(value: object) -> bool:
    try:
        datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _group(rows: Sequence[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows by member id (item 0), by exact equality.

    The rows come ordered by member id, so a member's rows are usually one
    run and the loop is per member, not per row; a collation that sorts
    unequal ids together only splits runs, which are then joined.
    """
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for member, run in groupby(rows, _FIRST):
        found = groups.get(member)
        if found is None:
            groups[member] = list(run)
        else:
            found.extend(run)
    return groups


_FIRST = itemgetter(0)


# ---------------------------------------------------------------- queries


class _Reader:
    """Runs the plan's queries on one connection through the driver's own cursor."""

    def __init__(self, conn: Connection, plan: Plan, ctx: EvalContext) -> None:
        self.conn = conn
        self.plan = plan
        self.ctx = ctx
        dialect = conn.dialect
        self.typeless = dialect.name == "sqlite"
        self.ranged = dialect.name == "duckdb"
        self.marker = "?" if dialect.paramstyle in ("qmark", "numeric_dollar") else "%s"
        self.dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        self.cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self.definitions: dict[str, tuple[str | None, str | None]] | None = None
        #: The current partition's bounds on ``t.member_id`` and their values: a keyset page or a DuckDB range.
        self.page: tuple[str, list[object]] = "t.member_id IS NOT NULL", []
        if self.ranged:
            self.cursor.execute("SET enable_progress_bar = false")

    def fetch(self, sql: str, params: Sequence[object]) -> Sequence[tuple[Any, ...]]:
        if self.marker != "?":
            sql = sql.replace("%", "%%").replace("?", self.marker)
        try:
            self.cursor.execute(sql, tuple(params))
            rows: Sequence[tuple[Any, ...]] = self.cursor.fetchall()
        except self.dbapi_error as exc:
            raise DBAPIError.instance(sql, list(params), exc, self.dbapi_error) from exc
        return rows

    def source(self, source: _Source) -> tuple[str, str]:
        """The select expression of a column and the kind its values arrive as."""
        if source.kind == "money" and self.ranged:
            return f"CAST(t.{source.column} * 100 AS BIGINT)", "cents"
        return f"t.{source.column}", source.kind

    def time(self, value: datetime) -> object:
        return timestamp_text(value) if self.typeless else value

    def scope(self, collection: Collection) -> list[object]:
        return [self.time(v) for v in _scope_params(collection, self.ctx)]

    def column(self, rows: Sequence[tuple[Any, ...]], columns: list[Sequence[Any]], i: int, kind: str,
               table: str, name: str, key: int | None, key_name: str) -> Sequence[Any]:
        return read_column(rows, columns[i], kind, self.typeless, table, name, key, key_name)

    # ------------------------------------------------------------ one partition

    def collection(self, collection: Collection) -> list[tuple[Any, ...]]:
        """The partition's rows of ``collection`` as ``(member_id, *attributes)`` tuples."""
        table = _TABLES[collection]
        names = self.plan.attributes[collection]
        elements = self.plan.elements if collection is Collection.ORDER else {}
        definition = [a for a in _DEFINITION if a in names] if collection is Collection.COUPON else []
        amount = collection is Collection.CART and "amount" in names
        needed = [a for a in names if a not in elements and a not in definition and not (amount and a == "amount")]
        if amount:
            needed += [a for a in ("price", "option_price", "quantity") if a not in needed]
        if definition and "coupon_no" not in needed:
            needed.append("coupon_no")
        if elements and "order_id" not in needed:
            needed.append("order_id")
        sources = [self.source(table.sources[a]) for a in needed]
        # The row's key names a row whose value cannot be read: only SQLite (typeless) can hold one.
        keys = [f"t.{table.key}"] if self.typeless else []
        select = ", ".join(["t.member_id", *keys, *(expression for expression, _ in sources)])
        rows = self.read(table.name, select, f"{table.name} t", table.scope, self.scope(collection), ordered=True)
        if not rows:
            return []
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        values: dict[str, Sequence[Any]] = {}
        key = 1 if keys else None
        if key is not None:
            columns[1] = self.column(rows, columns, 1, table.sources[table.key].kind, table.name, table.key, None,
                                     table.key)
        for i, (attribute, (_, kind)) in enumerate(zip(needed, sources, strict=True), start=1 + len(keys)):
            column = table.sources[attribute].column
            values[attribute] = self.column(rows, columns, i, kind, table.name, column, key, table.key)
        if amount:
            add, multiply = EXACT.add, EXACT.multiply
            values["amount"] = [multiply(add(p, o), q) for p, o, q in
                                zip(values["price"], values["option_price"], values["quantity"], strict=True)]
        if definition:
            definitions = self.coupon_definitions()
            found = list(map(definitions.get, values["coupon_no"], repeat((None, None))))
            values["name"] = [d[0] for d in found]
            values["issue_type"] = [d[1] for d in found]
        for attribute, wanted in elements.items():
            by_order = self.elements(attribute, wanted)
            values[attribute] = list(map(by_order.get, values["order_id"], repeat(_EMPTY)))
        return list(zip(columns[0], *(values[a] for a in names), strict=True))

    def elements(self, attribute: str, wanted: frozenset[ir.Scalar] | None) -> dict[str, list[Any]]:
        """Each order's elements of a set field (only the listed ones when ``wanted`` lists them)."""
        child, source = _ELEMENTS[attribute]
        where = _TABLES[Collection.ORDER].scope
        params: list[object] = self.scope(Collection.ORDER)
        if wanted is not None:
            if not wanted:
                return {}
            listed = sorted(wanted, key=repr)
            where += f" AND e.{source.column} IN ({', '.join('?' * len(listed))})"
            params += listed
        rows = self.read(child, f"e.order_id, e.{source.column}",
                         f"{child} e JOIN orders t ON t.order_id = e.order_id", where, params, ordered=False)
        by_order: dict[str, list[Any]] = defaultdict(list)
        if not rows:
            return by_order
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        elements = self.column(rows, columns, 1, source.kind, child, source.column, 0, "order_id")
        for order_id, element in zip(columns[0], elements, strict=True):
            by_order[order_id].append(element)
        return by_order

    def coupon_definitions(self) -> dict[str, tuple[str | None, str | None]]:
        """Coupon definitions by exact number (a LEFT JOIN's values: a missing one gives nulls)."""
        if self.definitions is None:
            rows = self.fetch("SELECT coupon_no, name, issue_type FROM coupons", [])
            found: dict[str, tuple[str | None, str | None]] = {}
            for number, name, issue_type in rows:
                if self.typeless and not (type(name) is str and type(issue_type) is str):
                    bad = "name" if type(name) is not str else "issue_type"
                    raise StoreError(f"coupons.{bad} cannot be read in the row whose coupon_no is {number!r}: "
                                     "not text")
                found[number] = (name, issue_type)
            self.definitions = found
        return self.definitions

    def assemble(self, ids: list[str]) -> list[tuple[str, tuple[Any, ...]]]:
        """The partition's member ids with their customer tuples."""
        if self.typeless and not set(map(type, ids)) <= {str}:
            raise StoreError("customers.member_id cannot be read in some row: not text")
        columns: list[list[Any]] = []
        for collection in self.plan.collections:
            groups = _group(self.collection(collection))
            columns.append(list(map(groups.get, ids, repeat(_EMPTY))))
        customers = list(zip(*columns, strict=True)) if columns else [()] * len(ids)
        return list(zip(ids, customers, strict=True))

    # ------------------------------------------------------------ partitions

    def read(self, name: str, select: str, source: str, where: str, params: list[object], *,
             ordered: bool) -> Sequence[tuple[Any, ...]]:
        """The current partition's rows of ``SELECT select FROM source WHERE where`` (``t`` is the member's
        table), by a query bounded to the partition's range of member ids."""
        bounds, values = self.page
        order = " ORDER BY t.member_id" if ordered else ""
        return self.fetch(f"SELECT {select} FROM {source} WHERE {bounds} AND {where}{order}", [*values, *params])

    def partitions(self, size: int) -> Generator[list[tuple[str, tuple[Any, ...]]]]:
        """Every customer once, one partition at a time."""
        if self.ranged:
            yield from self.ranges(size)
            return
        last: str | None = None
        while True:
            if last is None:
                page = self.fetch("SELECT member_id FROM customers ORDER BY member_id LIMIT ?", [size])
            else:
                page = self.fetch("SELECT member_id FROM customers WHERE member_id > ? ORDER BY member_id LIMIT ?",
                                  [last, size])
            ids = [row[0] for row in page]
            if not ids:
                return
            if last is None:
                self.page = "t.member_id <= ?", [ids[-1]]
            else:
                self.page = "t.member_id > ? AND t.member_id <= ?", [last, ids[-1]]
            yield self.assemble(ids)
            last = ids[-1]

    def ranges(self, size: int) -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
        """DuckDB: every customer once, a range of member ids (about ``size`` customers) at a time.

        A range whose queries run out of memory under the lowered limit is
        read again under twice the limit (at most the limit there was), for
        it and the ranges after it; nothing of it was yielded yet.
        """
        with duckdb_memory.session(self.conn), duckdb_memory.memory_limit(self.conn, BULK_MEMORY_MB) as raise_limit:
            (total,) = self.fetch("SELECT count(*) FROM customers", [])[0]
            bounds = duckdb_memory.sample_bounds(self.conn, select(schema.customers.c.member_id), int(total), size)
            low: str | None = None
            for high in [*bounds, None]:
                tests = [test for test, value in (("t.member_id > ?", low), ("t.member_id <= ?", high))
                         if value is not None]
                self.page = " AND ".join(tests) or "t.member_id IS NOT NULL", [v for v in (low, high) if v is not None]
                while True:
                    try:
                        ids = [row[0] for row in self.read("customers", "t.member_id", "customers t", "TRUE", [],
                                                           ordered=True)]
                        customers = self.assemble(ids)
                        break
                    except DBAPIError as exc:
                        if not duckdb_memory.out_of_memory(exc):
                            raise
                        self.conn.rollback()  # DuckDB aborted the transaction
                        if not raise_limit():
                            raise
                yield customers
                del customers
                low = high

    def close(self) -> None:
        self.cursor.close()


# ---------------------------------------------------------------- entry points


def _ir(segment: Segment) -> ir.Node:
    if isinstance(segment, str):
        return api.check(segment).ir
    if isinstance(segment, CheckedSegment):
        return segment.ir
    return segment


def plan_for(nodes: Sequence[ir.Node]) -> Plan:
    """The shared read for these segments (their IR after composition)."""
    return Plan.of(reads_of_all(nodes))


def run_predicates(
    engine: Engine,
    segments: Sequence[Segment],
    ctx: EvalContext,
    *,
    batch_size: int | None = None,
) -> list[list[str]]:
    """The member ids each segment selects at ``ctx`` (sorted by code point), from one read of the store.

    ``batch_size`` is the number of customers per partition (default: a
    page of :data:`DEFAULT_PAGE_SIZE`, or a DuckDB range of about
    :data:`DEFAULT_RANGE_SIZE`); memory grows with it, not with the
    shop. Every segment is checked before the database is touched
    (:class:`~cafehub.diagnostics.SegmentError`); a store that cannot be
    read, or a value that cannot be read, raises :class:`StoreError`.
    """
    if batch_size is not None and batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    nodes = [_ir(s) for s in segments]
    plan = plan_for(nodes)
    predicates = [compile_predicate(node, layout=plan.layout) for node in nodes]
    # Compiled for the plan's tuple layout, each takes a customer tuple, not a CustomerData.
    bound: list[Callable[[tuple[Any, ...]], bool]] = [p.program.bind(ctx)["pred"] for p in predicates]
    found: list[list[str]] = [[] for _ in nodes]
    with store_errors(engine), engine.connect() as conn, _no_cyclic_gc():
        reader = _Reader(conn, plan, ctx)
        size = batch_size or (DEFAULT_RANGE_SIZE if reader.ranged else DEFAULT_PAGE_SIZE)
        partitions = reader.partitions(size)
        try:
            for partition in partitions:
                ids = [m for m, _ in partition]
                customers = [c for _, c in partition]
                for out, matches in zip(found, bound, strict=True):
                    out.extend(compress(ids, map(matches, customers)))
                del partition, ids, customers  # before the next partition is read: one is held at a time
        finally:
            # The reader's settings (DuckDB's memory limit) go back on this connection before it does,
            # whatever stopped the loop, not when the suspended generator happens to be collected.
            partitions.close()
            reader.close()
    return [sorted(ids) for ids in found]


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while partitions are read.

    A partition is hundreds of thousands of tuples and lists, all of them
    acyclic (freed by reference counting alone); every allocation of them
    counts toward a collection, and each full collection walks every live
    row, which made the read a third slower. Restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


__all__ = [
    "BULK_MEMORY_MB",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_RANGE_SIZE",
    "Plan",
    "plan_for",
    "run_predicates",
]
