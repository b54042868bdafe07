"""Building the demo shop in a store and running the example segments on it.

The CLI (``cafehub demo``) is a thin layer over :func:`build` and
:func:`run_examples`; benchmarks call them directly.

Building replaces the store's rows in one transaction, chunk by chunk
as the generator yields them (with each customer's marketing consents from
:mod:`cafehub.demo.consents`), so a failed or interrupted build leaves the
previous contents in place. It refuses to wipe a store that holds something
other than a demo shop (its coupon definitions differ) unless forced: the
default store is the user's real ``cafehub.db``.

On SQLite the indexes are dropped for the bulk insert and rebuilt after it
(each index is then built once, sorted, instead of updated per row); the
index changes are part of the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, inspect, select, text

from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext
from cafehub.demo import catalog
from cafehub.demo.consents import with_consents
from cafehub.demo.generator import DemoSettings, generate
from cafehub.demo.segments import Example, examples
from cafehub.store import schema
from cafehub.store.engines import StoreError, display_url, store_errors
from cafehub.store.io import analyze, clear_tables, write_records

#: progress(customers generated so far, rows written so far)
BuildProgress = Callable[[int, int], None]
#: run(engine, segment, ctx) -> sorted member ids: the SQL backend's ``run_sql``.
Runner = Callable[[Engine, Any, EvalContext], list[str]]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What :func:`build` wrote and how long it took."""

    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """One example segment run: its audience and the time the query took."""

    example: Example
    member_ids: list[str]
    seconds: float


def _holds_other_data(conn: Connection) -> bool:
    present = set(inspect(conn).get_table_names())
    if not all(t.name in present for t in schema.TABLES):
        return any(t.name in present for t in schema.TABLES) and _has_rows(conn, present)
    stored = {(row[0], row[1]) for row in conn.execute(select(schema.coupons.c.coupon_no, schema.coupons.c.name))}
    demo = {(d.coupon_no, d.name) for d in catalog.COUPONS}
    if stored == demo:
        return False
    return bool(stored) or _has_rows(conn, present)


def _has_rows(conn: Connection, present: set[str]) -> bool:
    for table in schema.TABLES:
        if table.name in present and conn.execute(select(table).limit(1)).first() is not None:
            return True
    return False


def build(
    engine: Engine, settings: DemoSettings, *, force: bool = False, progress: BuildProgress | None = None
) -> BuildReport:
    """Create (or replace) the demo shop in the store behind ``engine``."""
    started = time.perf_counter()
    counts = {t.name: 0 for t in schema.STORE_TABLES}
    sqlite = engine.dialect.name == "sqlite"
    with store_errors(engine):
        with engine.connect() as conn:
            if not force and _holds_other_data(conn):
                raise StoreError(
                    f"the store at {display_url(engine.url)} holds data that is not a demo shop; "
                    "use --db to choose another store, or --force to replace its contents"
                )
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            clear_tables(conn)  # first: on SQLite the DELETE opens the transaction the DDL below joins
            if sqlite:
                for table in schema.TABLES:
                    for index in table.indexes:
                        index.drop(conn)
            customers = 0
            for generated in generate(settings):
                chunk = with_consents(generated, settings.seed)
                write_records(conn, chunk)
                for name, rows in chunk.tables().items():
                    counts[name] += len(rows)
                customers += len(chunk.customers)
                if progress:
                    progress(customers, sum(counts.values()))
            if sqlite:
                for table in schema.TABLES:
                    for index in table.indexes:
                        index.create(conn)
        analyze(engine)
    return BuildReport(rows=counts, seconds=time.perf_counter() - started)


def default_runner() -> Runner:
    """The SQL backend's ``run_sql`` (imported late: the demo must load without it)."""
    try:
        from cafehub.execution.sql import run_sql
    except ImportError as exc:
        raise StoreError(f"the SQL backend is not available ({exc})") from None
    return run_sql


def run_examples(
    engine: Engine,
    settings: DemoSettings,
    *,
    runner: Runner | None = None,
    only: list[Example] | None = None,
    on_result: Callable[[ExampleResult], None] | None = None,
) -> list[ExampleResult]:
    """Run every example segment at ``settings.now`` and return the audiences."""
    import cafehub

    run = runner or default_runner()
    ctx = EvalContext(
        now=settings.now,
        zone=settings.zone,
        cart_retention_days=settings.cart_retention_days,
        history_start=settings.history_start,
    )
    results = []
    if only is None:
        only = list(examples(settings.now, settings.zone, history_start=settings.history_start))
    for example in only:
        checked: CheckedSegment = cafehub.check(example.text)
        started = time.perf_counter()
        with store_errors(engine):
            ids = run(engine, checked, ctx)
        result = ExampleResult(example, list(ids), time.perf_counter() - started)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def warm_up(engine: Engine) -> None:
    """Open the first connection (so its cost is not charged to the first example)."""
    with store_errors(engine), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
