"""Writing and reading whole shops: records in, records out, on any engine."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select

from cafehub.store import records as r
from cafehub.store.schema import TABLES, metadata

BATCH_ROWS = 5_000


def create_schema(engine: Engine) -> None:
    """Create the seven tables (and their indexes) where missing."""
    metadata.create_all(engine)


def drop_schema(engine: Engine) -> None:
    metadata.drop_all(engine)


def _batches(rows: Sequence[Any], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield [r.as_row(row) for row in rows[start : start + size]]


def write_rows(conn: Connection, table: Table, rows: Sequence[Any], batch: int = BATCH_ROWS) -> None:
    """Insert records into ``table`` in batches (executemany) inside the caller's transaction."""
    for chunk in _batches(rows, batch):
        conn.execute(insert(table), chunk)


def write_shop(engine: Engine, data: r.ShopData, *, replace: bool = False, batch: int = BATCH_ROWS) -> None:
    """Write a whole shop in one transaction; with ``replace``, empty the tables first."""
    by_name = {t.name: t for t in TABLES}
    with engine.begin() as conn:
        if replace:
            for table in reversed(TABLES):
                conn.execute(table.delete())
        for name, rows in data.tables().items():
            if rows:
                write_rows(conn, by_name[name], rows, batch)


def read_table(conn: Connection, record_type: type[Any]) -> Iterable[Any]:
    table = next(t for t in TABLES if t.name == record_type.table)
    names = [f.name for f in fields(record_type)]
    for row in conn.execute(select(*(table.c[n] for n in names))):
        yield record_type(*row)


def read_shop(engine: Engine) -> r.ShopData:
    """Every row of every table (for tests and small shops)."""
    with engine.connect() as conn:
        return r.ShopData(**{t.table: tuple(read_table(conn, t)) for t in r.RECORD_TYPES})
