"""Statistics of a store's data for the SQL compiler, gathered by cheap indexed probes and cached.

The compiler may choose a plan shape from the data
(:mod:`cafehub.compiler.backends.sql.stats`); this module reads what it needs
from a store: a sample of :data:`SAMPLE` customers, spread evenly over the
``customers`` table by row id (``max(rowid)`` is one B-tree descent), with the
number of their orders and the time of their last one, read through the
``(member_id, ordered_at)`` index. That is about a thousand index ranges: a
few milliseconds at 100k or 1M customers.

It is cached per store (the engine's URL) and gathered again when the
store's data changes, as seen from the largest row ids of ``customers`` and
``orders`` (a load or a sync appends rows); changes that keep both leave the
cached sample, which only ever decides between plans that return the same
rows. For a short range a segment names on an indexed column (``coupon(expires_at
within next 1d)``), it counts the rows in that range from the sample's reference
instant through the column's index, stopping where the count can no longer
change the plan (:func:`~cafehub.compiler.backends.sql.stats.range_cap`), cached
and refreshed with the sample. Only SQLite's dialect uses these (``SqlDialect.probe_first``; PostgreSQL's are in
:mod:`cafehub.execution.pg_stats`); a
store they cannot be read from (a mapping onto views without row ids, a
missing table) simply has none, and queries are planned as without them.
"""

from __future__ import annotations

import threading
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from cafehub.compiler import ir
from cafehub.compiler.backends.sql import SchemaMapping
from cafehub.compiler.backends.sql.mapping import DEFAULT_MAPPING
from cafehub.compiler.backends.sql.relations import FIELD_SOURCES, Column, is_narrow_range
from cafehub.compiler.backends.sql.stats import RangeRows, StoreStats, range_cap
from cafehub.compiler.catalog import Collection, FieldDef

#: Customers sampled.
SAMPLE = 1000

_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[tuple[object, ...], StoreStats | None]] = {}
_lines_cache: dict[tuple[str, str, int], tuple[tuple[object, ...], int | None]] = {}
RangeKey = tuple[str, str, int, int]
"""A short range a segment names: collection, field, its bounds in seconds from now."""
_range_cache: dict[tuple[str, str, RangeKey], tuple[tuple[object, ...], RangeRows | None]] = {}


def _store_key(engine: Engine) -> str:
    """The store an engine reads: its URL, and for an in-memory SQLite database (every one has the URL
    ``sqlite://``) the engine itself."""
    url = engine.url.render_as_string(hide_password=True)
    return f"{url}#{id(engine)}" if engine.url.database in (None, "", ":memory:") else url


def _quoted(mapping: SchemaMapping, logical: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in mapping.table(logical))


def _column(mapping: SchemaMapping, table: str, column: str) -> str:
    return '"' + mapping.column(table, column).replace('"', '""') + '"'


def store_stats(engine: Engine, mapping: SchemaMapping | None = None,
                products: tuple[int, ...] = (), ranges: tuple[RangeKey, ...] = ()) -> StoreStats | None:
    """The store's statistics (cached until its data changes), or ``None`` where they cannot be read;
    with the order lines of each of ``products`` (the products a segment names) and the rows in
    each of ``ranges`` (the short ranges it names, :func:`named_ranges`).

    SQLite only: other engines return ``None``.
    """
    found = _sampled(engine, mapping)
    if found is None or not (products or ranges):
        return found
    used = mapping if mapping is not None else DEFAULT_MAPPING
    counts = []
    for product in sorted(set(products)):
        lines = _lines(engine, used, product)
        if lines is not None:
            counts.append((product, lines))
    counted = [r for key in dict.fromkeys(ranges) if (r := _range_rows(engine, used, found, key)) is not None]
    return replace(found, product_lines=tuple(counts), ranges=tuple(counted))


def _range_rows(engine: Engine, mapping: SchemaMapping, found: StoreStats, key: RangeKey) -> RangeRows | None:
    """The rows of one short range from the sample's reference instant, counted through the column's
    index up to :func:`~cafehub.compiler.backends.sql.stats.range_cap` (cached with the sample).

    The reference is the latest order of the sample, not the clock: the range a segment reads is
    relative to its evaluation instant, which for a store of past data (the benchmark's shops) is
    near its last orders."""
    cache_key = (_store_key(engine), mapping.model_dump_json(), key)
    with _lock:
        cached = _range_cache.get(cache_key)
        version = _cache.get(cache_key[:2], ((), None))[0]
    if cached is not None and cached[0] == version:
        return cached[1]
    collection, field, lower, upper = key
    source = FIELD_SOURCES.get((Collection(collection), field))
    if not isinstance(source, Column):
        return None
    reference = datetime.fromisoformat(found.reference)
    bounds = {"lo": (reference + timedelta(seconds=lower)).isoformat(sep=" ", timespec="microseconds"),
              "hi": (reference + timedelta(seconds=upper)).isoformat(sep=" ", timespec="microseconds")}
    table, column = _quoted(mapping, source.table), _column(mapping, source.table, source.column)
    customers = _quoted(mapping, "customers")
    try:
        with engine.connect() as conn:
            table_rows, customer_rows = conn.execute(text(
                f"SELECT (SELECT max(rowid) FROM {table}), (SELECT max(rowid) FROM {customers})")).one()
            if not isinstance(table_rows, int) or not isinstance(customer_rows, int):
                return None
            cap = range_cap(table_rows, customer_rows)
            rows = conn.execute(text(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {column} >= :lo AND {column} <= :hi LIMIT {cap})"),
                bounds).scalar()
    except SQLAlchemyError:
        return None
    counted = None if not isinstance(rows, int) else RangeRows(
        collection, field, lower, upper, rows, table_rows, customer_rows, capped=rows >= cap)
    with _lock:
        _range_cache[cache_key] = (version, counted)
    return counted


def _lines(engine: Engine, mapping: SchemaMapping, product: int) -> int | None:
    """Order lines of one product, counted through the ``product_no`` index (cached with the sample)."""
    key = (_store_key(engine), mapping.model_dump_json(), product)
    with _lock:
        cached = _lines_cache.get(key)
        version = _cache.get(key[:2], ((), None))[0]
    if cached is not None and cached[0] == version:
        return cached[1]
    items = _quoted(mapping, "order_items")
    column = _column(mapping, "order_items", "product_no")
    try:
        with engine.connect() as conn:
            count = conn.execute(text(f"SELECT COUNT(*) FROM {items} WHERE {column} = :p"), {"p": product}).scalar()
    except SQLAlchemyError:
        return None
    found = int(count) if isinstance(count, int) else None
    with _lock:
        _lines_cache[key] = (version, found)
    return found


def _sampled(engine: Engine, mapping: SchemaMapping | None) -> StoreStats | None:
    if engine.dialect.name != "sqlite":
        return None
    used = mapping if mapping is not None else DEFAULT_MAPPING
    key = (_store_key(engine), used.model_dump_json())
    try:
        with engine.connect() as conn:
            customers, orders = _quoted(used, "customers"), _quoted(used, "orders")
            version = tuple(conn.execute(text(
                f"SELECT (SELECT max(rowid) FROM {customers}), (SELECT max(rowid) FROM {orders})")).one())
            with _lock:
                cached = _cache.get(key)
            if cached is not None and cached[0] == version:
                return cached[1]
            found = _gather(conn, used, version[0])
    except SQLAlchemyError:
        return None
    with _lock:
        _cache[key] = (version, found)
    return found


def clear() -> None:
    """Forget every cached statistic (tests; a store rewritten in place)."""
    with _lock:
        _cache.clear()
        _lines_cache.clear()
        _range_cache.clear()


def _gather(conn: Connection, mapping: SchemaMapping, largest: object) -> StoreStats | None:
    if not isinstance(largest, int) or largest < 1:
        return None
    step = max(1, largest // SAMPLE)
    rowids = ", ".join(str(1 + i * step) for i in range(min(SAMPLE, largest)))  # integers made here
    member = _column(mapping, "customers", "member_id")
    order_member = _column(mapping, "orders", "member_id")
    ordered_at = _column(mapping, "orders", "ordered_at")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    rows = conn.execute(text(
        f"SELECT (SELECT COUNT(*) FROM {_quoted(mapping, 'orders')} o WHERE o.{order_member} = c.{member}"
        f" AND o.{ordered_at} <= :now),"
        f" (SELECT MAX(o.{ordered_at}) FROM {_quoted(mapping, 'orders')} o WHERE o.{order_member} = c.{member}"
        f" AND o.{ordered_at} <= :now)"
        f" FROM {_quoted(mapping, 'customers')} c WHERE c.rowid IN ({rowids})"), {"now": now}).all()
    lasts = [_instant(last) for _, last in rows]
    known = [t for t in lasts if t is not None]
    if not known:
        return StoreStats(reference=now, orders=tuple((int(count), None) for count, _ in rows))
    reference = max(known)
    return StoreStats(
        reference=reference.isoformat(sep=" ", timespec="microseconds"),
        orders=tuple((int(count), None if last is None else int((reference - last).total_seconds()))
                     for (count, _), last in zip(rows, lasts, strict=True)),
    )


def _instant(value: object) -> datetime | None:
    """A stored order time (SQLite text, naive UTC) as a datetime; ``None`` for none or unreadable text."""
    if value is None:
        return None
    try:
        found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return found.astimezone(UTC).replace(tzinfo=None) if found.tzinfo is not None else found


def named_products(node: object) -> tuple[int, ...]:
    """The product numbers a segment's order conditions name (``order(product = 42)``), in order."""
    found: list[int] = []

    def walk(item: object) -> None:
        if isinstance(item, ir.AnyOf):
            if item.field.collection is Collection.ORDER and item.field.name == "product":
                found.extend(v for v in item.values if isinstance(v, int))
            return
        if isinstance(item, tuple):
            for part in item:
                walk(part)
        elif is_dataclass(item) and not isinstance(item, type):
            for f in fields(item):
                walk(getattr(item, f.name))

    walk(node)
    return tuple(dict.fromkeys(found))


def named_ranges(node: object) -> tuple[RangeKey, ...]:
    """The short ranges on indexed columns that a segment's collection tests name
    (``coupon(expires_at within next 1d)``: ``("coupon", "expires_at", 0, 86400)``), in order."""
    found: list[RangeKey] = []

    def walk(item: object) -> None:
        if isinstance(item, ir.TimeRange) and is_narrow_range(item):
            operand, lower, upper = item.operand, item.lower, item.upper
            if (isinstance(operand, FieldDef) and lower is not None and upper is not None
                    and isinstance(lower.point, ir.NowOffset) and isinstance(upper.point, ir.NowOffset)):
                found.append((operand.collection.value, operand.name, lower.point.seconds, upper.point.seconds))
            return
        if isinstance(item, tuple):
            for part in item:
                walk(part)
        elif is_dataclass(item) and not isinstance(item, type):
            for f in fields(item):
                walk(getattr(item, f.name))

    walk(node)
    return tuple(dict.fromkeys(found))
