"""Running compiled segments on a SQLAlchemy engine.

The query does all the work in the database; Python only sorts the ids it
returns (code point order, ``sorted()``, whatever the engine's collation).

Before the query runs, the tables and columns it reads are probed
(``SELECT <columns> FROM <table> LIMIT 0``, printed by sqlglot for the
engine): a schema mapping that names a table or column the database lacks is
reported as exactly that, instead of as a driver error halfway through a
large query. Every database problem surfaces as one
:class:`~cafehub.store.engines.StoreError` with a one-line message.

What each timestamp column holds (zone-less UTC, or an instant such as
``timestamptz``; see :mod:`~cafehub.compiler.backends.sql.mapping`) is read
from the column types at the same time, and the query is compiled for it, so
time bounds are right whatever the session's time zone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlglot import exp

from cafehub.compiler.backends.sql import CompiledSQL, SchemaMapping, compile_sql, dialect_for_engine
from cafehub.compiler.backends.sql.compiled import TableUse, checked_segment, render
from cafehub.compiler.backends.sql.dialects import UnknownDialectError
from cafehub.compiler.backends.sql.mapping import TIME_COLUMNS, TimeKind
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.pg_stats import named_product_tests, postgres_stats
from cafehub.execution.stats import named_products, named_ranges, store_stats
from cafehub.store.engines import StoreError, display_url, explain, missing_object, store_errors


def compile_for_engine(
    engine: Engine, segment: str | CheckedSegment, *, mapping: SchemaMapping | None = None
) -> CompiledSQL:
    """Compile ``segment`` for the dialect of ``engine``, with the store's statistics where the dialect
    chooses shapes from them (:mod:`cafehub.execution.stats`)."""
    try:
        dialect = dialect_for_engine(engine.dialect.name)
    except UnknownDialectError as exc:
        raise StoreError(str(exc)) from None
    if dialect.fenced_probe and mapping is not None and mapping.member_references == "enforced":
        # Only a segment over a driver's keys can be fenced: nothing is read for other mappings.
        checked = checked_segment(segment)
        fence = postgres_stats(engine, mapping, named_product_tests(checked.ir))
        return compile_sql(checked, dialect=dialect, mapping=mapping, stats=fence)
    if not dialect.probe_first:
        return compile_sql(segment, dialect=dialect, mapping=mapping)
    checked = checked_segment(segment)
    stats = store_stats(engine, mapping, products=named_products(checked.ir), ranges=named_ranges(checked.ir))
    return compile_sql(checked, dialect=dialect, mapping=mapping, stats=stats)


def _ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)


def probe_query(use: TableUse, columns: list[str] | None) -> exp.Select:
    """``SELECT <columns> FROM <table> LIMIT 0`` for one mapped table (``1`` when no columns)."""
    parts = use.physical
    table = exp.Table(
        this=_ident(parts[-1]),
        db=_ident(parts[-2]) if len(parts) >= 2 else None,
        catalog=_ident(parts[0]) if len(parts) == 3 else None,
        alias=exp.TableAlias(this=_ident("t")),
    )
    # Qualified names: SQLite reads an unknown bare "name" as a string literal, not an error.
    selected: list[exp.Expr] = (
        [exp.Column(this=_ident(c), table=_ident("t")) for c in columns] if columns else [exp.Literal.number(1)]
    )
    return exp.select(*selected).from_(table).limit(0)


def _where(use: TableUse) -> str:
    name = ".".join(use.physical)
    return name if name == use.logical else f"{name} (the '{use.logical}' table)"


TimeKinds = dict[tuple[str, str], tuple[TimeKind, str]]
"""(logical table, logical column) -> (what the column holds, the database's name for its type)."""


def verify_tables(conn: Connection, compiled: CompiledSQL) -> TimeKinds:
    """Check that every table and column the query reads exists; :class:`StoreError` naming the first missing.

    A probe that fails for another reason than a missing table or column (no
    permission, a file that is no database, a store locked by a running load) is
    reported as that reason. Returns what each timestamp column holds, read from
    the types of the probe's result columns where the engine's types tell (not on
    SQLite, whose text says nothing).
    """
    target = compiled.target
    url = conn.engine.url
    shown = display_url(url)
    found: TimeKinds = {}

    def probe(use: TableUse, columns: list[str] | None) -> list[Any] | None:
        outcome = _probe(conn, render(probe_query(use, columns), target, pretty=False))
        if isinstance(outcome, _Failed):
            if not missing_object(outcome.error, url):
                raise explain(outcome.error, url, waited=outcome.seconds)
            return None
        return outcome

    for use in compiled.tables:
        description = probe(use, [p for _, p in use.columns])
        if description is not None:
            found.update(_time_kinds(conn.dialect.name, use, description))
            continue
        if probe(use, None) is None:
            raise StoreError(f"the database at {shown} has no table {_where(use)}")
        for logical, column in use.columns:
            if probe(use, [column]) is None:
                mapped = "" if logical == column else f", mapped from {use.logical}.{logical}"
                raise StoreError(f"the table {'.'.join(use.physical)} at {shown} has no column '{column}'{mapped}")
        raise StoreError(f"the table {_where(use)} at {shown} cannot be read")
    return found


@dataclass(frozen=True, slots=True)
class _Failed:
    """A probe that failed: the driver's error and how long the statement ran before it."""

    error: DBAPIError
    seconds: float


def _probe(conn: Connection, sql: str) -> list[Any] | _Failed:
    """The result's column descriptions (DB-API ``cursor.description``), or how the query failed."""
    started = time.monotonic()
    try:
        result = conn.execute(text(sql))
        description = list(result.cursor.description or ()) if result.cursor is not None else []
        result.fetchall()
        return description
    except DBAPIError as exc:
        failed = _Failed(exc, time.monotonic() - started)
        conn.rollback()
        return failed


#: Driver type codes of timestamp result columns: psycopg's type OIDs, PyMySQL's MySQL field
#: types (``TIMESTAMP`` is converted through the session zone, ``DATETIME`` is not).
_TYPE_CODES: dict[str, dict[int, tuple[TimeKind, str]]] = {
    "postgresql": {1184: ("zoned", "timestamp with time zone"), 1114: ("utc", "timestamp without time zone")},
    "mysql": {7: ("zoned", "TIMESTAMP"), 12: ("utc", "DATETIME")},
    "mariadb": {7: ("zoned", "TIMESTAMP"), 12: ("utc", "DATETIME")},
}


def _time_kind(engine_name: str, type_code: object) -> tuple[TimeKind, str] | None:
    """What a result column of this driver type holds, for the drivers cafehub installs
    (psycopg, PyMySQL, duckdb); ``None`` when it is no timestamp or the driver is unknown."""
    codes = _TYPE_CODES.get(engine_name)
    if codes is not None:
        return codes.get(type_code) if isinstance(type_code, int) else None
    if engine_name == "duckdb":
        name = str(type_code).upper()
        if name == "TIMESTAMP WITH TIME ZONE":
            return ("zoned", name)
        return ("utc", name) if name.startswith("TIMESTAMP") else None
    return None


def _time_kinds(engine_name: str, use: TableUse, description: list[Any]) -> TimeKinds:
    times = TIME_COLUMNS.get(use.logical, ())
    found: TimeKinds = {}
    for (logical, _), column in zip(use.columns, description, strict=False):
        kind = _time_kind(engine_name, column[1]) if logical in times else None
        if kind is not None:
            found[use.logical, logical] = kind
    return found


def kind_conflicts(compiled: CompiledSQL, found: TimeKinds, *, declared_only: bool) -> None:
    """:class:`StoreError` when a timestamp column holds another kind than the query was compiled
    for (only where the mapping declares it, when ``declared_only``)."""
    mapping = compiled.mapping
    for (table, column), (kind, type_name) in sorted(found.items()):
        expected = mapping.declared_time_kind(table, column)
        if expected is None and not declared_only:
            expected = mapping.time_kind(table, column)
        if expected is not None and expected != kind:
            raise StoreError(
                f"the column {mapping.describe(table, column)} is {type_name} ('{kind}' times), but the query was "
                f"compiled for '{expected}' times of {table}.{column}: declare it '{kind}' in the mapping's \"times\""
            )


def compiled_for_time_kinds(compiled: CompiledSQL, found: TimeKinds, segment: str | CheckedSegment) -> CompiledSQL:
    """``compiled``, or compiled again where the database says a timestamp column holds another kind."""
    kind_conflicts(compiled, found, declared_only=True)
    mapping = compiled.mapping
    changed = {key: kind for key, (kind, _) in found.items() if mapping.time_kind(*key) != kind}
    if not changed:
        return compiled
    return compile_sql(segment, dialect=compiled.target, mapping=mapping.with_time_kinds(changed))


def run_compiled(engine: Engine, compiled: CompiledSQL, ctx: EvalContext, *, verify: bool = True) -> list[str]:
    """Run a compiled query on ``engine``; the member ids, sorted.

    With ``verify``, the tables and columns are checked first, and a timestamp column that
    holds another kind than the query was compiled for is an error (:func:`run_sql`
    compiles for what the database holds).
    """
    with store_errors(engine), engine.connect() as conn:
        if verify:
            kind_conflicts(compiled, verify_tables(conn, compiled), declared_only=False)
        return _member_ids(conn, compiled, ctx)


#: The largest total SQLite holds as integer hundredths (2^63 - 1).
SQLITE_EXACT_LIMIT = "92,233,720,368,547,758.07"


def _member_ids(conn: Connection, compiled: CompiledSQL, ctx: EvalContext) -> list[str]:
    try:
        rows = conn.execute(compiled.statement(ctx)).scalars().all()
    except DBAPIError as exc:
        if conn.dialect.name == "sqlite" and "integer overflow" in str(exc.orig):
            raise StoreError(
                f"an amount or a total the segment reads is beyond the exact range on SQLite "
                f"(at most {SQLITE_EXACT_LIMIT}, 2^63 - 1 hundredths); use DuckDB or PostgreSQL for such values"
            ) from None
        raise
    return sorted(str(r) for r in rows)


def run_sql(
    engine: Engine,
    segment: str | CheckedSegment,
    ctx: EvalContext,
    *,
    mapping: SchemaMapping | None = None,
    verify: bool = True,
) -> list[str]:
    """The sorted member ids of the customers matching ``segment`` at ``ctx``, computed by ``engine``.

    Raises :class:`~cafehub.diagnostics.SegmentError` for a bad segment
    (before touching the database) and :class:`StoreError` for a database
    that cannot be reached or lacks a table or column the query needs. With
    ``verify``, what each timestamp column holds is read from the database
    (where the mapping does not declare it) and the query compiled for it.
    """
    compiled = compile_for_engine(engine, segment, mapping=mapping)
    with store_errors(engine), engine.connect() as conn:
        if verify:
            compiled = compiled_for_time_kinds(compiled, verify_tables(conn, compiled), segment)
        return _member_ids(conn, compiled, ctx)


def count_sql(
    engine: Engine,
    segment: str | CheckedSegment,
    ctx: EvalContext,
    *,
    mapping: SchemaMapping | None = None,
    verify: bool = True,
) -> int:
    """How many customers match ``segment`` at ``ctx``: :func:`run_sql`'s ids, counted by the database."""
    compiled = compile_for_engine(engine, segment, mapping=mapping)
    with store_errors(engine), engine.connect() as conn:
        if verify:
            compiled = compiled_for_time_kinds(compiled, verify_tables(conn, compiled), segment)
        members = compiled.statement(ctx).columns(sa.column("member_id")).subquery("members")
        return int(conn.execute(sa.select(sa.func.count()).select_from(members)).scalar_one())
