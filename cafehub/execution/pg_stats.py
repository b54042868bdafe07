"""PostgreSQL statistics for the SQL compiler: table sizes and the rows of the products a segment names.

PostgreSQL's dialect fences an absence test into one probe per key of a
driving test (``SqlDialect.fenced_probe``) only where the driver is small
against the table the probe reads
(:meth:`~cafehub.compiler.backends.sql.stats.StoreStats.fence_probe`): a cart
or order test on a product whose rows are a small share of the orders. This
module reads what that needs, cheaply: the tables' sizes from PostgreSQL's own
estimate (``pg_class.reltuples``, kept by ``ANALYZE`` and autovacuum), and each
named product's cart rows or order lines counted through the ``product_no``
index, stopping at :func:`~cafehub.compiler.backends.sql.stats.fence_cap`
(a count above it changes no choice). The counts are cached per store and
product, and counted again when the estimates of the tables' sizes change.

A store these cannot be read from (a mapping onto views, no privileges on
the catalog, a table never analyzed) has no statistics, and its queries are
planned without a fence.
"""

from __future__ import annotations

import threading
from dataclasses import fields, is_dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from cafehub.compiler import ir
from cafehub.compiler.backends.sql import SchemaMapping
from cafehub.compiler.backends.sql.mapping import DEFAULT_MAPPING
from cafehub.compiler.backends.sql.stats import StoreStats, fence_cap
from cafehub.compiler.catalog import Collection, FieldDef
from cafehub.grammar.syntax import CmpOp

#: Tables an absence probe may read (the member tables), logical names.
PROBED = ("orders", "cart_items", "customer_coupons")
#: Where a product's rows are, per collection: logical table and column.
PRODUCT_ROWS = {"cart": ("cart_items", "product_no"), "order": ("order_items", "product_no")}

_lock = threading.Lock()
_cache: dict[tuple[str, str, str, int], tuple[tuple[int, ...], int]] = {}


def _quoted(mapping: SchemaMapping, logical: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in mapping.table(logical))


def postgres_stats(engine: Engine, mapping: SchemaMapping | None,
                   products: tuple[tuple[str, int], ...]) -> StoreStats | None:
    """The sizes of the member tables and the rows of each (collection, product) in ``products``, or
    ``None`` where they cannot be read (or no product is named)."""
    if engine.dialect.name != "postgresql" or not products:
        return None
    used = mapping if mapping is not None else DEFAULT_MAPPING
    store = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            estimates = conn.execute(text("SELECT " + ", ".join(
                f"(SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t{i}))" for i in range(len(PROBED)))),
                {f"t{i}": _quoted(used, logical) for i, logical in enumerate(PROBED)}).one()
            sizes = [(logical, int(found)) for logical, found in zip(PROBED, estimates, strict=True)
                     if found is not None and float(found) > 0]
            if not sizes:
                return None
            version = tuple(n for _, n in sizes)
            cap = fence_cap(max(version))
            counted: list[tuple[str, int, int]] = []
            for collection, product in dict.fromkeys(products):
                key = (store, used.model_dump_json(), collection, product)
                with _lock:
                    cached = _cache.get(key)
                if cached is not None and cached[0] == version:
                    counted.append((collection, product, cached[1]))
                    continue
                table, column = PRODUCT_ROWS[collection]
                physical = '"' + used.column(table, column).replace('"', '""') + '"'
                # Integers made here (cap) or checked as int (product): bound, never spliced from input.
                rows = conn.execute(text(
                    f"SELECT COUNT(*) FROM (SELECT 1 FROM {_quoted(used, table)} WHERE {physical} = :p LIMIT :cap) s"),
                    {"p": product, "cap": cap}).scalar()
                if not isinstance(rows, int):
                    continue
                with _lock:
                    _cache[key] = (version, rows)
                counted.append((collection, product, rows))
    except SQLAlchemyError:
        return None
    return StoreStats(reference="", orders=(), table_rows=tuple(sizes), product_rows=tuple(counted))


def clear() -> None:
    """Forget every cached count (tests; a store rewritten in place)."""
    with _lock:
        _cache.clear()


def named_product_tests(node: object) -> tuple[tuple[str, int], ...]:
    """The (collection, product number) pairs a segment's cart and order conditions name
    (``cart(product = 17)``, ``order(product in [42, 43])``), in order."""
    found: list[tuple[str, int]] = []

    def add(collection: Collection, values: tuple[object, ...]) -> None:
        if collection.value in PRODUCT_ROWS:
            found.extend((collection.value, v) for v in values if isinstance(v, int) and not isinstance(v, bool))

    def walk(item: object) -> None:
        if isinstance(item, ir.AnyOf):
            if item.field.name == "product" and not item.negated:
                add(item.field.collection, item.values)
            return
        if isinstance(item, ir.Compare) and isinstance(item.operand, FieldDef) and item.op is CmpOp.EQ:
            if item.operand.name == "product":
                add(item.operand.collection, (item.value,))
            return
        if isinstance(item, ir.InValues) and isinstance(item.operand, FieldDef) and not item.negated:
            if item.operand.name == "product":
                add(item.operand.collection, item.values)
            return
        if isinstance(item, tuple):
            for part in item:
                walk(part)
        elif is_dataclass(item) and not isinstance(item, type):
            for f in fields(item):
                walk(getattr(item, f.name))

    walk(node)
    return tuple(dict.fromkeys(found))
