"""Plan shapes: time each way of writing a segment's SQL on SQLite, DuckDB and PostgreSQL.

The SQL backend can shape three constructs in two ways each (see
``cafehub.compiler.backends.sql.dialects.Shape``):

- a collection test (``order(...)``, ``no cart(...)``): a correlated
  ``EXISTS`` or a semi-join ``member_id IN (SELECT ...)``;
- an aggregate test (``order(...).count >= 3``): a correlated scalar subquery
  or a grouped ``IN``/``NOT IN (SELECT ... GROUP BY ... HAVING ...)``;
- a set-field test inside an order (``product = 42``): a correlated ``EXISTS``
  on ``order_items`` or ``order_id IN (SELECT ...)``;

and plans a conjunction of collection tests
(``cafehub.compiler.backends.sql.planning``) with three options: which tests
on one collection share one grouped pass (``merge``), when grouped presence
tests read a set field's elements through a join (``element_join``),
whether the tests that do not drive the conjunction are checked per
candidate (``filter``), and whether a selective group drives the whole query
(``rows_drive``).

This script builds a synthetic shop (100,000 customers by default,
``--customers 1000000`` for the large run), loads it into each engine in bulk,
compiles reference segments with every combination of construct shapes (with
the engine's own planning options) and with every combination of planning
options (with the engine's own construct shapes), and times each distinct
query (median of ``--runs`` runs after a warm-up, with a per-query timeout).
It prints, per engine, the time of every combination relative to the best one
per segment, and the combinations by geometric mean ratio: the best is what
the dialect table should say.

``--store demo`` measures on the benchmark's demo shop instead
(``bench/data.py``: the stores ``bench/sql_execution.py`` uses, built and
cached on first use), at the benchmark's fixed instant.

Usage::

    python -m bench.sql_shapes                        # 100k customers, sqlite + duckdb + postgres
    python -m bench.sql_shapes --customers 1000000 --engines sqlite,duckdb
    python -m bench.sql_shapes --store demo --segments rebuy_after_90d,cross_sell
    python -m bench.sql_shapes --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test

PostgreSQL gets a scratch database (created next to the one in ``--pg-url``
and dropped at the end; ``--store demo`` reads ``cafehub_bench_<n>``).
Results go to ``bench/results/sql_shapes-*.json``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import random
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from cafehub.compiler.backends.sql import DIALECTS, Shape, Shapes, compile_sql
from cafehub.compiler.backends.sql.compiled import CompiledSQL, render
from cafehub.compiler.backends.sql.dialects import ElementJoin, Merge
from cafehub.compiler.evaluation import EvalContext
from cafehub.store import io
from cafehub.store.schema import TABLES

NOW = datetime(2025, 6, 1, 3, 0, tzinfo=UTC)
#: A query slower than this (seconds) is timed once.
SLOW = 2.0
#: The instant for the synthetic shop; ``--store demo`` uses the demo shop's (``bench.data.NOW``).
CTX = EvalContext(now=NOW)

SEGMENTS = {
    "selective_product": "order(product = 42)",
    "any_order": "order()",
    "paid_order": "order(status = paid and ordered_at within last 90d)",
    "no_recent_order": "no order(ordered_at within last 30d)",
    "cart_no_recent_order": "cart(product = 17) and no order(ordered_at within last 3d)",
    "rebuy_after_90d": (
        "order(product = 42 and ordered_at < 90d ago) and no order(product = 42 and ordered_at within last 90d)"
    ),
    "cross_sell": "order(product = 42 and ordered_at within last 30d) and no order(product = 43)",
    "lapsed_repeat_buyer": "order(status = paid).count >= 3 and no order(ordered_at within last 60d)",
    "few_orders": "order().count < 2",
    "last_order_long_ago": "order().max(ordered_at) < 60d ago",
    "big_cart": "cart().sum(amount) >= 100_000 and cart().count_distinct(product) >= 3",
    "distinct_products": "order(ordered_at within last 90d).count_distinct(product) >= 3",
    "coupon_expiring": "coupon(expires_at within next 1d)",
    "card_in_january": (
        "order(payment_method in [card, tcash] and ordered_at between 2025-01-01 and 2025-01-31)"
        " and order(ordered_at between 2025-01-01 and 2025-01-31).sum(paid_amount) >= 50000"
    ),
    "cart_total": "cart().sum(amount) >= 100_000",
    "two_products": "order(product = 42) and cart(product = 17)",
    "product_not_in_cart": "order(product = 42) and no cart(product = 17)",
    "cart_and_paid": "cart(product = 17) and order(status = paid) and not coupon(expires_at within next 1d)",
    "avg_between": "order(status = paid).avg(paid_amount) between 30000 and 60000",
}

_TWO: tuple[Literal[Shape.CORRELATED, Shape.SEMI_JOIN], ...] = (Shape.CORRELATED, Shape.SEMI_JOIN)
_AGGREGATE: tuple[Literal[Shape.CORRELATED, Shape.GROUPED], ...] = (Shape.CORRELATED, Shape.GROUPED)
_FILTER: tuple[Literal[Shape.CORRELATED] | None, ...] = (None, Shape.CORRELATED)
_CONSTRUCTS = list(itertools.product(_TWO, _AGGREGATE, _TWO, _TWO))
_PLANNING = list(itertools.product(Merge, ElementJoin, _FILTER, (False, True)))


def combos(base: Shapes) -> list[Shapes]:
    """Every construct combination with ``base``'s planning, then every planning combination with its constructs."""
    found = [replace(base, exists=e, aggregate=a, selective_element=sel, common_element=com)
             for e, a, sel, com in _CONSTRUCTS]
    found += [replace(base, merge=m, element_join=j, filter=f, rows_drive=r) for m, j, f, r in _PLANNING]
    return list(dict.fromkeys(found))


def combo_name(shapes: Shapes) -> str:
    short = {Shape.CORRELATED: "corr", Shape.SEMI_JOIN: "semi", Shape.GROUPED: "group", None: "-"}
    return (f"exists={short[shapes.exists]} agg={short[shapes.aggregate]} "
            f"product={short[shapes.selective_element]} payment={short[shapes.common_element]} "
            f"merge={shapes.merge.value} join={shapes.element_join.value} filter={short[shapes.filter]} "
            f"rows_drive={'yes' if shapes.rows_drive else 'no'}")


# ---------------------------------------------------------------- data


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(directory: Path, customers: int, seed: int = 7) -> dict[str, int]:
    """Write one CSV per table (header row first); return row counts."""
    rng = random.Random(seed)
    now = NOW.replace(tzinfo=None)
    start = datetime(2023, 6, 1)
    span = int((now - start).total_seconds())
    methods = ["card", "cash", "tcash", "icash", "point", "cell"]
    statuses = ["paid"] * 6 + ["pending", "canceled", "returned", "refunded"]
    counts: dict[str, int] = {}

    def product() -> int:
        return min(5000, int(rng.paretovariate(0.9)))  # a few popular products, a long tail

    def money(high: int) -> str:
        return f"{rng.randrange(100, high * 100) / 100:.2f}"

    files = {t.name: (directory / f"{t.name}.csv").open("w", newline="", encoding="utf-8") for t in TABLES}
    writers = {name: csv.writer(f) for name, f in files.items()}
    for table in TABLES:
        writers[table.name].writerow([c.name for c in table.columns])
        counts[table.name] = 0

    def put(table: str, row: list[Any]) -> None:
        writers[table].writerow(row)
        counts[table] += 1

    for k in range(200):
        put("coupons", [f"cp{k}", f"coupon {k}", "signup" if k % 3 else "targeted"])
    order_no = 0

    def add_order(member: str | None) -> None:
        nonlocal order_no
        order_no += 1
        oid = f"o{order_no:09d}"
        put("orders", [oid, member or "", _stamp(start + timedelta(seconds=rng.randrange(span))),
                       rng.choice(statuses), money(200_000), money(200_000), "3000.00"])
        for n in range(rng.choice((1, 1, 2, 3, 4))):
            put("order_items", [f"{oid}-{n}", oid, product(), rng.randrange(1, 4), money(80_000), "0.00"])
        for method in rng.sample(methods, rng.choice((1, 1, 1, 2))):
            put("order_payments", [oid, method])

    cart_id = coupon_id = 0
    for i in range(customers):
        member = f"m{i:08d}"
        put("customers", [member, f"name {i}", "", "", _stamp(start)])
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4, 6, 8, 10))):
            add_order(member)
        for _ in range(rng.choice((0, 0, 0, 1, 2, 4))):
            cart_id += 1
            added = now - timedelta(seconds=rng.randrange(40 * 86400))
            put("cart_items", [cart_id, member, product(), rng.randrange(1, 4), money(60_000), "0.00", _stamp(added)])
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            coupon_id += 1
            issued = now - timedelta(seconds=rng.randrange(90 * 86400))
            expires = now + timedelta(seconds=rng.randrange(-30 * 86400, 30 * 86400))
            used = _stamp(issued + timedelta(days=1)) if rng.random() < 0.2 else ""
            put("customer_coupons", [coupon_id, member, f"cp{rng.randrange(200)}", _stamp(issued), _stamp(expires),
                                     used])
    for _ in range(customers // 20):
        add_order(None)
    for f in files.values():
        f.close()
    return counts


# ---------------------------------------------------------------- engines


class Engine:
    """One benchmark target: a DBAPI connection, a printer, a timeout."""

    name: str
    dialect: str

    def run(self, sql: str, params: dict[str, Any]) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _rows(path: Path) -> Iterator[list[Any]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            yield [None if v == "" else v for v in row]


class SQLiteTarget(Engine):
    name = dialect = "sqlite"

    def __init__(self, directory: Path, data: Path, timeout: float, analyze: bool) -> None:
        path = directory / "shop.db"
        io.create_schema(create_engine(f"sqlite:///{path}"))
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        for table in TABLES:
            marks = ", ".join("?" * len(table.columns))
            self.conn.executemany(f"INSERT INTO {table.name} VALUES ({marks})", _rows(data / f"{table.name}.csv"))
        self.conn.commit()
        if analyze:
            self.conn.execute("ANALYZE")
        self.timeout = timeout

    def run(self, sql: str, params: dict[str, Any]) -> int:
        deadline = time.perf_counter() + self.timeout
        self.conn.set_progress_handler(lambda: int(time.perf_counter() > deadline), 100_000)
        try:
            return len(self.conn.execute(sql, params).fetchall())
        finally:
            self.conn.set_progress_handler(None, 0)

    def close(self) -> None:
        self.conn.close()


class DuckDBTarget(Engine):
    name = dialect = "duckdb"

    def __init__(self, directory: Path, data: Path, timeout: float) -> None:
        import duckdb

        path = directory / "shop.duckdb"
        engine = create_engine(f"duckdb:///{path}")
        io.create_schema(engine)
        engine.dispose()
        self.conn = duckdb.connect(str(path))
        for table in TABLES:
            self.conn.execute(f"COPY {table.name} FROM '{data / table.name}.csv' (HEADER, NULLSTR '')")
        self.timeout = timeout

    def run(self, sql: str, params: dict[str, Any]) -> int:
        timer = threading.Timer(self.timeout, self.conn.interrupt)
        timer.start()
        try:
            return len(self.conn.execute(sql, params).fetchall())
        finally:
            timer.cancel()

    def close(self) -> None:
        self.conn.close()


class PostgresTarget(Engine):
    name = dialect = "postgres"

    def __init__(self, admin_url: str, data: Path, timeout: float) -> None:
        import psycopg

        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.database = f"cafehub_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.database}"'))
        url = self.admin.url.set(database=self.database)
        engine = create_engine(url)
        io.create_schema(engine)
        engine.dispose()
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(dsn, autocommit=True)
        for table in TABLES:
            with self.conn.cursor() as cur, cur.copy(f"COPY {table.name} FROM STDIN WITH (FORMAT csv, HEADER)") as cp, \
                    (data / f"{table.name}.csv").open("rb") as f:
                while chunk := f.read(1 << 20):
                    cp.write(chunk)
        self.conn.execute("VACUUM ANALYZE")
        self.conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")

    def run(self, sql: str, params: dict[str, Any]) -> int:
        return len(self.conn.execute(sql, params).fetchall())

    def close(self) -> None:
        self.conn.close()
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        self.admin.dispose()


class DemoSQLite(SQLiteTarget):
    """The demo shop's SQLite store (``bench/data.py``), as it is."""

    def __init__(self, path: str, timeout: float) -> None:
        self.conn = sqlite3.connect(path)
        self.timeout = timeout


class DemoDuckDB(DuckDBTarget):
    """The demo shop's DuckDB store, read-only."""

    def __init__(self, path: str, timeout: float) -> None:
        import duckdb

        self.conn = duckdb.connect(path, read_only=True)
        self.timeout = timeout


class DemoPostgres(PostgresTarget):
    """The demo shop's PostgreSQL database (``cafehub_bench_<n>``), kept after the run."""

    def __init__(self, url: str, timeout: float) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute(f"SET statement_timeout = {int(timeout * 1000)}")

    def close(self) -> None:
        self.conn.close()


def demo_target(name: str, customers: int, timeout: float) -> Engine:
    """A target on the benchmark's demo store for ``name`` (built and cached by ``bench.data`` if needed)."""
    from bench import data

    engine = data.store(name, customers)
    url = engine.url
    engine.dispose()
    if name == "sqlite":
        return DemoSQLite(str(url.database), timeout)
    if name == "duckdb":
        return DemoDuckDB(str(url.database), timeout)
    return DemoPostgres(url.set(drivername="postgresql").render_as_string(hide_password=False), timeout)


#: Printers for the raw DBAPI drivers (sqlite3 ``:name``, DuckDB ``$name``, psycopg ``%(name)s``).
RAW_PRINTERS = {"sqlite": "sqlite", "duckdb": "duckdb", "postgres": "postgres"}


# ---------------------------------------------------------------- timing


def time_query(target: Engine, compiled: CompiledSQL, runs: int, ctx: EvalContext = CTX) -> tuple[float | None, int]:
    """Median seconds over ``runs`` after one warm-up; ``None`` on timeout."""
    printer = replace(compiled.target, printer=RAW_PRINTERS[target.dialect])
    sql = render(compiled.tree, printer, pretty=False)
    params = compiled.parameters(ctx)
    samples = []
    rows = 0
    try:
        for _ in range(runs + 1):
            start = time.perf_counter()
            rows = target.run(sql, params)
            samples.append(time.perf_counter() - start)
            if samples[0] > SLOW:  # slow enough that one run tells the story
                return samples[0], rows
    except Exception as exc:  # a timeout or interruption: the shape is too slow to matter
        if "interrupt" in str(exc).lower() or "timeout" in str(exc).lower() or "cancel" in str(exc).lower():
            return None, rows
        raise
    return statistics.median(samples[1:]), rows


def measure(target: Engine, runs: int, log: Callable[[str], None], only: list[str] | None = None,
            ctx: EvalContext = CTX) -> dict[str, Any]:
    base = DIALECTS[target.dialect]
    results: dict[str, dict[str, float | None]] = {}
    for name, segment in SEGMENTS.items():
        if only and name not in only:
            continue
        by_sql: dict[str, float | None] = {}
        results[name] = {}
        for shapes in combos(base.shapes):
            compiled = compile_sql(segment, dialect=replace(base, shapes=shapes))
            if compiled.sql not in by_sql:
                seconds, rows = time_query(target, compiled, runs, ctx)
                by_sql[compiled.sql] = seconds
                shown = "timeout" if seconds is None else f"{seconds * 1000:9.1f} ms"
                log(f"  {target.name:8s} {name:22s} {combo_name(shapes):52s} {shown}  ({rows} ids)")
            results[name][combo_name(shapes)] = by_sql[compiled.sql]
    return results


def summarise(results: dict[str, dict[str, float | None]], timeout: float,
              base: Shapes) -> list[tuple[str, float, float]]:
    """Per combination: geometric mean and worst ratio to the best combination of each segment."""
    summary = []
    for shapes in combos(base):
        name = combo_name(shapes)
        ratios = []
        for per_combo in results.values():
            best = min(t for t in per_combo.values() if t is not None)
            mine = per_combo[name]
            ratios.append((mine if mine is not None else timeout * 2) / best)
        summary.append((name, math.exp(sum(math.log(r) for r in ratios) / len(ratios)), max(ratios)))
    return sorted(summary, key=lambda row: row[1])


@contextmanager
def _targets(names: list[str], directory: Path, data: Path, args: argparse.Namespace) -> Iterator[list[Engine]]:
    targets: list[Engine] = []
    try:
        for name in names:
            start = time.perf_counter()
            if name == "sqlite":
                targets.append(SQLiteTarget(directory, data, args.timeout, args.analyze))
            elif name == "duckdb":
                targets.append(DuckDBTarget(directory, data, args.timeout))
            elif name == "postgres":
                targets.append(PostgresTarget(args.pg_url, data, args.timeout))
            else:
                raise SystemExit(f"unknown engine {name}")
            print(f"loaded {name} in {time.perf_counter() - start:.1f} s")
        yield targets
    finally:
        for target in targets:
            target.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_shapes", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,duckdb,postgres")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per query before giving up")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite after loading")
    parser.add_argument("--segments", default="", help="comma-separated segment names (default: all)")
    parser.add_argument("--store", choices=("synthetic", "demo"), default="synthetic",
                        help="the synthetic shop built here, or the benchmark's demo shop (bench/data.py)")
    parser.add_argument("--pg-url", default=os.environ.get("CAFEHUB_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    from bench.common import write_results

    only = [n for n in args.segments.split(",") if n]
    output: dict[str, Any] = {"customers": args.customers, "store": args.store, "engines": {}}

    def report(targets: list[Engine], ctx: EvalContext) -> None:
        for target in targets:
            results = measure(target, args.runs, print, only, ctx)
            summary = summarise(results, args.timeout, DIALECTS[target.dialect].shapes)
            output["engines"][target.name] = {"seconds": results, "summary": summary}
            print(f"\n{target.name}: shape combinations by geometric-mean ratio to the best per segment")
            for name, geo, worst in summary:
                print(f"  {name:90s} geo-mean {geo:6.2f}x   worst {worst:8.2f}x")
            print()

    if args.store == "demo":
        from bench import data as demo

        targets = [demo_target(name, args.customers, args.timeout) for name in args.engines.split(",")]
        try:
            report(targets, EvalContext(now=demo.NOW, zone=ZoneInfo("Asia/Seoul")))
        finally:
            for target in targets:
                target.close()
    else:
        with tempfile.TemporaryDirectory(prefix="cafehub-bench-") as tmp:
            directory = Path(tmp)
            data = directory / "csv"
            data.mkdir()
            start = time.perf_counter()
            counts = generate(data, args.customers)
            print(f"generated {sum(counts.values()):,} rows in {time.perf_counter() - start:.1f} s: {counts}")
            output["rows"] = counts
            with _targets(args.engines.split(","), directory, data, args) as targets:
                report(targets, CTX)
    print(f"results: {write_results('sql_shapes', output)}")


if __name__ == "__main__":
    main()
