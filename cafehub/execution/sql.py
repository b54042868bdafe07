"""Running compiled segments on a SQLAlchemy engine.

The query does all the work in the database; Python only sorts the ids it
returns (code point order, ``sorted()``, whatever the engine's collation).

Before the query runs, the tables and columns it reads are probed
(``SELECT <columns> FROM <table> LIMIT 0``, printed by sqlglot for the
engine): a schema mapping that names a table or column the database lacks is
reported as exactly that, instead of as a driver error halfway through a
large query. Every database problem surfaces as one
:class:`~cafehub.store.engines.StoreError` with a one-line message.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlglot import exp

from cafehub.compiler.backends.sql import CompiledSQL, SchemaMapping, compile_sql, dialect_for_engine
from cafehub.compiler.backends.sql.compiled import TableUse, render
from cafehub.compiler.backends.sql.dialects import UnknownDialectError
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext
from cafehub.store.engines import StoreError, display_url, store_errors


def compile_for_engine(
    engine: Engine, segment: str | CheckedSegment, *, mapping: SchemaMapping | None = None
) -> CompiledSQL:
    """Compile ``segment`` for the dialect of ``engine``."""
    try:
        dialect = dialect_for_engine(engine.dialect.name)
    except UnknownDialectError as exc:
        raise StoreError(str(exc)) from None
    return compile_sql(segment, dialect=dialect, mapping=mapping)


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


def verify_tables(conn: Connection, compiled: CompiledSQL) -> None:
    """Check that every table and column the query reads exists; :class:`StoreError` naming the first missing."""
    target = compiled.target
    shown = display_url(conn.engine.url)
    for use in compiled.tables:
        physical = [p for _, p in use.columns]
        if _probe(conn, render(probe_query(use, physical), target, pretty=False)):
            continue
        if not _probe(conn, render(probe_query(use, None), target, pretty=False)):
            raise StoreError(f"the database at {shown} has no table {_where(use)}")
        for logical, column in use.columns:
            if not _probe(conn, render(probe_query(use, [column]), target, pretty=False)):
                mapped = "" if logical == column else f", mapped from {use.logical}.{logical}"
                raise StoreError(f"the table {'.'.join(use.physical)} at {shown} has no column '{column}'{mapped}")
        raise StoreError(f"the table {_where(use)} at {shown} cannot be read")


def _probe(conn: Connection, sql: str) -> bool:
    try:
        conn.execute(text(sql)).fetchall()
        return True
    except DBAPIError:
        conn.rollback()
        return False


def run_compiled(engine: Engine, compiled: CompiledSQL, ctx: EvalContext, *, verify: bool = True) -> list[str]:
    """Run a compiled query on ``engine``; the member ids, sorted."""
    with store_errors(engine), engine.connect() as conn:
        if verify:
            verify_tables(conn, compiled)
        rows = conn.execute(compiled.statement(ctx)).scalars().all()
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
    that cannot be reached or lacks a table or column the query needs.
    """
    compiled = compile_for_engine(engine, segment, mapping=mapping)
    return run_compiled(engine, compiled, ctx, verify=verify)
