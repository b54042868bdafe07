"""A failed write to the store as one line naming the table, the column and the kind of problem.

A driver's error text, and SQLAlchemy's rendering of it, can carry the row
being written: SQLAlchemy appends ``[parameters: ...]`` (names, phones,
e-mails), PostgreSQL adds ``DETAIL: Key (id)=(...)``, MySQL quotes the bad
value (``Incorrect string value: '...' for column 'name'``), DuckDB too.
None of that text is shown. :func:`explain_write` reads only codes and
identifiers: the table from the statement (SQL text, never parameters), the
column from the driver where it names one (accepted only if it is a column
of that table), and the kind from the SQLSTATE / error number / keyword.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.exc import SQLAlchemyError

from cafehub.store.engines import StoreError

_TABLE = re.compile(r"(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|FROM)\s+[`\"\[]?(\w+)", re.IGNORECASE)
_MYSQL_COLUMN = re.compile(r"column '(\w+)'", re.IGNORECASE)  # "Column 'c' cannot be null"
_QUALIFIED = re.compile(r"constraint failed: (\w+)\.(\w+)")

#: Kind of problem by PostgreSQL SQLSTATE.
_PG = {"22003": "a value is out of range for the column's type", "22001": "a value is too long for the column",
       "23502": "a required value is missing (NULL)", "23505": "a row with the same key already exists",
       "23514": "a value breaks a CHECK constraint", "22021": "a text value is not valid in the column's encoding",
       "22P05": "a text value is not valid in the column's encoding", "23503": "a referenced row is missing"}
#: Kind of problem by MySQL/MariaDB error number.
_MYSQL = {1264: _PG["22003"], 1690: _PG["22003"], 1406: _PG["22001"], 1048: _PG["23502"], 1364: _PG["23502"],
          1062: _PG["23505"], 3819: _PG["23514"], 4025: _PG["23514"], 1366: _PG["22021"], 1300: _PG["22021"],
          1452: _PG["23503"]}
#: Kind of problem by a keyword of SQLite's or DuckDB's message (lower case).
_KEYWORDS = (("out of range", _PG["22003"]), ("overflow", _PG["22003"]), ("too big", _PG["22001"]),
             ("not null", _PG["23502"]), ("unique", _PG["23505"]), ("duplicate key", _PG["23505"]),
             ("primary key", _PG["23505"]), ("check constraint", _PG["23514"]), ("conversion error", _PG["22003"]),
             ("locked", "the store is locked by another process"),
             ("connection", "the connection to the database was lost"))


class StoreWriteError(StoreError):
    """The store refused a write; ``table`` and ``column`` say where (``column`` may be empty)."""

    def __init__(self, table: str, column: str, problem: str) -> None:
        self.table, self.column, self.problem = table, column, problem
        where = f"table {table}" if table else "the store"
        where += f" (column {column})" if column else ""
        super().__init__(f"writing to {where} failed: {problem}")


def _known_columns(*metadatas: MetaData) -> dict[str, set[str]]:
    return {t.name: {c.name for c in t.columns} for m in metadatas for t in m.tables.values()}


def explain_write(exc: SQLAlchemyError, *metadatas: MetaData) -> StoreWriteError:
    """The :class:`StoreWriteError` for ``exc`` (tables described by ``metadatas`` are recognised)."""
    from cafehub.store.schema import metadata as canonical

    columns = _known_columns(canonical, *metadatas)
    statement = getattr(exc, "statement", None) or ""
    found = _TABLE.search(statement)
    table = found.group(1) if found and found.group(1) in columns else ""
    orig: Any = getattr(exc, "orig", None)
    column, problem = "", ""
    sqlstate = getattr(getattr(orig, "diag", None), "sqlstate", None) or getattr(orig, "sqlstate", None)
    errno = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    text = str(orig.args[1]) if errno is not None and len(orig.args) > 1 else str(orig or "")
    if errno is not None:  # MySQL/MariaDB (PyMySQL also sets a SQLSTATE, too coarse: 23000 for all integrity)
        problem = _MYSQL.get(errno, f"the database refused the write (error {errno})")
        named = _MYSQL_COLUMN.search(text)
        column = named.group(1) if named else ""
    elif sqlstate:
        problem = _PG.get(str(sqlstate), f"the database refused the write (SQLSTATE {sqlstate})")
        column = getattr(getattr(orig, "diag", None), "column_name", None) or ""
    else:
        lowered = text.lower()
        problem = next((kind for key, kind in _KEYWORDS if key in lowered), "the database refused the write")
        named = _QUALIFIED.search(text)
        if named and named.group(1) in columns:
            table, column = table or named.group(1), named.group(2)
    if column not in columns.get(table, set()):
        column = ""  # only ever a known column name: never a fragment of the driver's text
    return StoreWriteError(table, column, problem)
