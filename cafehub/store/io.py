"""Writing and reading whole shops: records in, records out, on any engine.

Bulk writes are the demo's and the loader's hot path, so three engines get a
faster route than SQLAlchemy's per-row dict ``executemany``, without changing
what is stored:

- SQLite: rows become tuples passed through the very bind processors
  SQLAlchemy would use (so timestamps keep its ``YYYY-MM-DD HH:MM:SS.ffffff``
  text form), then one driver ``executemany``.
- DuckDB: its driver binds rows one at a time, so a batch is sent as one
  statement of column lists, ``INSERT ... SELECT UNNEST(?), UNNEST(?), ...``
  (about 15 times faster). Money travels as text and is cast to DECIMAL
  in the database, so no value passes through a float.
- PostgreSQL with psycopg 3: ``COPY ... FROM STDIN`` on the same connection
  (about 3 times faster than ``executemany``).

MySQL/MariaDB uses SQLAlchemy's ``executemany``, which PyMySQL already turns
into multi-row INSERT statements. Every write happens inside the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy import Boolean, Connection, DateTime, Engine, Integer, Numeric, Table, func, insert, select
from sqlalchemy.exc import DBAPIError

from cafehub.store import records as r
from cafehub.store.schema import STORE_TABLES, Text, metadata

BATCH_ROWS = 5_000
TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in STORE_TABLES}


def create_schema(engine: Engine) -> None:
    """Create the seven tables and the consents table (and their indexes) where missing; widen an older
    store's id columns."""
    from cafehub.store.migrate import upgrade

    metadata.create_all(engine)
    upgrade(engine)


def drop_schema(engine: Engine) -> None:
    metadata.drop_all(engine)


def clear_tables(conn: Connection) -> None:
    """Delete every row of the store's tables (children first), inside the caller's transaction.

    ``DELETE`` rather than ``TRUNCATE``: MySQL commits a ``TRUNCATE`` at once,
    which would break all-or-nothing loads.
    """
    for table in reversed(STORE_TABLES):
        conn.execute(table.delete())


def count_rows(conn: Connection) -> dict[str, int]:
    """Rows per table, in load order."""
    return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in STORE_TABLES}


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk write.

    Without them MariaDB picks nested-loop plans for the segment queries
    (measured: 8 s instead of 0.06 s on a 2,000-customer shop). Run after the
    writing transaction commits: MySQL's ``ANALYZE TABLE`` commits implicitly.
    DuckDB keeps its statistics current by itself.
    """
    name = engine.dialect.name
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        if name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        elif name == "postgresql":
            for table in STORE_TABLES:
                conn.exec_driver_sql(f"ANALYZE {quote(table.name)}")
        elif name in ("mysql", "mariadb"):
            for table in STORE_TABLES:
                conn.exec_driver_sql(f"ANALYZE TABLE {quote(table.name)}").fetchall()


@contextmanager
def _driver_errors(conn: Connection) -> Iterator[None]:
    """Wrap errors raised by the driver itself (outside SQLAlchemy) as SQLAlchemy's ``DBAPIError``.

    COPY runs on the raw driver connection, so its errors arrive unwrapped;
    wrapping them keeps :func:`cafehub.store.engines.store_errors` able to
    explain them like any other database error.
    """
    dbapi = conn.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        raise DBAPIError.instance(None, None, exc, dbapi.Error) from exc


def _getter(table: Table) -> Callable[[Any], tuple[Any, ...]]:
    names = [c.name for c in table.columns]
    get = attrgetter(*names)
    if len(names) == 1:
        return lambda record: (get(record),)
    return get


def _as_dicts(table: Table, rows: Sequence[Any]) -> list[dict[str, Any]]:
    names = [c.name for c in table.columns]
    get = _getter(table)
    return [dict(zip(names, get(row), strict=True)) for row in rows]


def _write_sqlite(conn: Connection, table: Table, rows: Sequence[Any]) -> None:
    dialect = conn.dialect
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns]
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(c.name) for c in table.columns)
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join('?' * len(table.columns))})"
    get = _getter(table)
    if any(processors):
        params = [
            tuple(v if p is None or v is None else p(v) for p, v in zip(processors, get(row), strict=True))
            for row in rows
        ]
    else:
        params = [get(row) for row in rows]
    conn.exec_driver_sql(sql, params)


def _duckdb_cast(table: Table, name: str) -> str:
    col_type = table.c[name].type
    impl = getattr(col_type, "impl", col_type)
    if isinstance(col_type, DateTime) or isinstance(impl, DateTime):
        return "UNNEST(?::TIMESTAMP[])"
    if isinstance(col_type, Numeric):
        return f"CAST(UNNEST(?::VARCHAR[]) AS DECIMAL({col_type.precision}, {col_type.scale}))"
    if isinstance(col_type, Integer):
        return "UNNEST(?::BIGINT[])"
    if isinstance(col_type, Boolean):
        return "UNNEST(?::BOOLEAN[])"
    return "UNNEST(?::VARCHAR[])"


def _write_duckdb(conn: Connection, table: Table, rows: Sequence[Any]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    names = [c.name for c in table.columns]
    selects = ", ".join(_duckdb_cast(table, n) for n in names)
    sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) SELECT {selects}"
    get = _getter(table)
    columns: list[list[Any]] = [list(c) for c in zip(*(get(row) for row in rows), strict=True)]
    for index, name in enumerate(names):
        if isinstance(table.c[name].type, Numeric):
            columns[index] = [None if v is None else format(Decimal(v), "f") for v in columns[index]]
    conn.exec_driver_sql(sql, tuple(columns))


def _write_postgres_copy(conn: Connection, table: Table, rows: Sequence[Any]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c.name) for c in table.columns)
    get = _getter(table)
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(get(row))


def write_rows(conn: Connection, table: Table, rows: Sequence[Any], batch: int = BATCH_ROWS) -> None:
    """Insert records into ``table`` in batches inside the caller's transaction."""
    name = conn.dialect.name
    if name == "postgresql" and conn.dialect.driver == "psycopg" and rows:
        with _driver_errors(conn):
            _write_postgres_copy(conn, table, rows)
        return
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        if name == "sqlite":
            _write_sqlite(conn, table, chunk)
        elif name == "duckdb":
            _write_duckdb(conn, table, chunk)
        else:
            conn.execute(insert(table), _as_dicts(table, chunk))


def write_records(conn: Connection, data: r.ShopData, batch: int = BATCH_ROWS) -> None:
    """Insert a shop's rows (or a chunk of one), parents first, inside the caller's transaction."""
    for name, rows in data.tables().items():
        if rows:
            write_rows(conn, TABLE_BY_NAME[name], rows, batch)


def write_shop(engine: Engine, data: r.ShopData, *, replace: bool = False, batch: int = BATCH_ROWS) -> None:
    """Write a whole shop in one transaction; with ``replace``, empty the tables first."""
    with engine.begin() as conn:
        if replace:
            clear_tables(conn)
        write_records(conn, data, batch)


def _binary_order(conn: Connection, table: Table) -> list[Any]:
    """The primary key in code-point order on every engine (PostgreSQL's default collation is not)."""
    if conn.dialect.name != "postgresql":
        return list(table.primary_key.columns)
    return [c.collate("C") if isinstance(c.type, Text) else c for c in table.primary_key.columns]


def read_table(conn: Connection, record_type: type[Any], *, ordered: bool = False) -> Iterator[Any]:
    """The rows of one table as records, streamed; with ``ordered``, in primary-key code-point order.

    Code-point order is Python's ``sorted()`` order, so dumps of the same
    rows are byte-identical whatever the engine.
    """
    table = TABLE_BY_NAME[record_type.table]
    names = [f.name for f in fields(record_type)]
    query = select(*(table.c[n] for n in names))
    if ordered:
        query = query.order_by(*_binary_order(conn, table))
    result = conn.execution_options(yield_per=BATCH_ROWS).execute(query)
    for row in result:
        yield record_type(*row)


def read_shop(engine: Engine) -> r.ShopData:
    """Every row of every table (for tests and small shops), each table in primary-key order."""
    with engine.connect() as conn:
        return r.ShopData(**{t.table: tuple(read_table(conn, t, ordered=True)) for t in r.RECORD_TYPES})
