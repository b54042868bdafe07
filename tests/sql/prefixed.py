"""A shop written into tables of other names (a prefix), on any engine, and the mapping onto them.

Tests that need their own data next to the shared test shop (in the same scratch
database) write it here: ``k_orders``, ``k_cart_items``... Timestamp columns can be
given another type (and their values converted), to test what a column holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, insert
from sqlalchemy.types import TypeEngine

from cafehub.compiler.backends.sql import SchemaMapping
from cafehub.compiler.backends.sql.mapping import TIME_COLUMNS, TimeKind
from cafehub.store import records as r
from cafehub.store.schema import TABLES

#: Every timestamp column of the store (those the SQL compares, and ``used_at``).
TIMESTAMPS = {**TIME_COLUMNS, "customer_coupons": (*TIME_COLUMNS["customer_coupons"], "used_at")}


def write_prefixed(engine: Engine, shop: r.ShopData, prefix: str, *, time_type: TypeEngine[Any] | None = None,
                   convert: Callable[[Any], Any] = lambda v: v) -> None:
    """The shop's tables as ``prefix + name`` (replaced if there), timestamps of ``time_type`` through ``convert``."""
    metadata = MetaData()
    tables = {}
    for source in TABLES:
        times = TIMESTAMPS.get(source.name, ()) if time_type is not None else ()
        columns = [Column(c.name, time_type if c.name in times and time_type is not None else c.type,
                          nullable=c.nullable, primary_key=c.primary_key, autoincrement=False)
                   for c in source.columns]
        tables[source.name] = (Table(prefix + source.name, metadata, *columns), times)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for name, (table, times) in tables.items():
            rows = [{k: (convert(v) if k in times and v is not None else v) for k, v in r.as_row(rec).items()}
                    for rec in getattr(shop, name)]
            if rows:
                conn.execute(insert(table), rows)


def prefixed_mapping(prefix: str, kind: TimeKind | None = None) -> SchemaMapping:
    """The mapping onto :func:`write_prefixed`'s tables, declaring every timestamp column ``kind`` if given."""
    tables: dict[str, Any] = {table.name: {"table": prefix + table.name} for table in TABLES}
    if kind is not None:
        for table, columns in TIME_COLUMNS.items():
            tables[table]["times"] = dict.fromkeys(columns, kind)
    return SchemaMapping.model_validate({"tables": tables})
