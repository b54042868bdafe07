"""Bring an existing store up to the current canonical schema, keeping its rows.

One change so far: the columns that hold Cafe24's numbers are 64-bit. Stores
created before were made with 32-bit ``INTEGER`` there, and Cafe24's
issued-coupon numbers are 19 digits (``6073442924700000532``), so writing
one failed with "integer out of range" (PostgreSQL, MySQL/MariaDB, DuckDB).
:func:`upgrade` widens such columns in place:

- PostgreSQL: ``ALTER TABLE ... ALTER COLUMN ... TYPE BIGINT``;
- MySQL/MariaDB: ``ALTER TABLE ... MODIFY ... BIGINT NOT NULL``;
- DuckDB (which cannot change the type of a key or indexed column): the
  table is rebuilt in one transaction (indexes dropped, table renamed,
  created anew, rows copied, old table dropped);
- SQLite: nothing to do; an ``INTEGER`` column already stores 64 bits.

It is run by :func:`cafehub.store.io.create_schema` (``cafehub store init``,
every sync) and is a no-op on an up-to-date store: one inspection per table.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, Engine, Table, bindparam, text

from cafehub.store.schema import TABLES

#: ``(table, column)`` pairs that hold Cafe24 numbers: issue numbers, basket and product numbers.
WIDE_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (table.name, column.name) for table in TABLES for column in table.columns if isinstance(column.type, BigInteger)
)


#: How each engine names the database or schema that holds the store's tables.
_CURRENT_SCHEMA = {"postgresql": "current_schema()", "duckdb": "current_schema()", "mysql": "DATABASE()",
                   "mariadb": "DATABASE()"}


def narrow_columns(conn: Connection) -> list[tuple[str, str]]:
    """The ``(table, column)`` pairs of :data:`WIDE_COLUMNS` the store still has as 32-bit integers.

    Read from ``information_schema`` (the same query on PostgreSQL, MySQL/MariaDB
    and DuckDB, whose SQLAlchemy reflection goes through PostgreSQL's catalog).
    """
    where = _CURRENT_SCHEMA.get(conn.dialect.name)
    if where is None:  # SQLite: INTEGER is 64-bit storage
        return []
    tables = sorted({t for t, _ in WIDE_COLUMNS})
    rows = conn.execute(
        text(f"SELECT table_name, column_name, data_type FROM information_schema.columns "
             f"WHERE table_schema = {where} AND table_name IN :tables").bindparams(
            bindparam("tables", expanding=True)),
        {"tables": tables},
    ).all()
    types = {(str(t), str(c)): str(d).lower() for t, c, d in rows}
    return [pair for pair in WIDE_COLUMNS if pair in types and not types[pair].startswith("bigint")]


def upgrade(engine: Engine) -> list[str]:
    """Widen every 32-bit Cafe24 number column to 64 bits; returns ``table.column`` of each one changed."""
    with engine.connect() as conn:
        narrow = narrow_columns(conn)
    if not narrow:
        return []
    by_table: dict[str, list[str]] = {}
    for table_name, column in narrow:
        by_table.setdefault(table_name, []).append(column)
    tables = {t.name: t for t in TABLES}
    with engine.begin() as conn:
        for table_name, columns in by_table.items():
            _widen(conn, tables[table_name], columns)
    return [f"{t}.{c}" for t, c in narrow]


def _widen(conn: Connection, table: Table, columns: list[str]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    name = quote(table.name)
    dialect = conn.dialect.name
    if dialect == "postgresql":
        for column in columns:
            conn.execute(text(f"ALTER TABLE {name} ALTER COLUMN {quote(column)} TYPE BIGINT"))
    elif dialect in ("mysql", "mariadb"):
        for column in columns:
            null = "NULL" if table.c[column].nullable else "NOT NULL"
            conn.execute(text(f"ALTER TABLE {name} MODIFY {quote(column)} BIGINT {null}"))
    elif dialect == "duckdb":
        _rebuild(conn, table)
    else:  # pragma: no cover - engines the project does not create stores on
        raise NotImplementedError(f"cannot widen columns of {table.name} on {dialect}")


def _rebuild(conn: Connection, table: Table) -> None:
    quote = conn.dialect.identifier_preparer.quote
    old = f"{table.name}__narrow"
    for index in table.indexes:
        conn.execute(text(f"DROP INDEX IF EXISTS {quote(str(index.name))}"))
    conn.execute(text(f"ALTER TABLE {quote(table.name)} RENAME TO {quote(old)}"))
    table.create(conn)
    names = ", ".join(quote(c.name) for c in table.columns)
    conn.execute(text(f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {quote(old)}"))
    conn.execute(text(f"DROP TABLE {quote(old)}"))
