"""Bulk predicates: the six reference segments in memory over a store, columnar reader against the row path.

Stages, each in a fresh process so its peak resident memory (``VmHWM``) is
its own:

- ``columnar-shared``: ``run_predicates`` with all six segments (one read
  of the store serves them all);
- ``columnar-each``: ``run_predicate`` once per segment (six reads);
- ``rows`` (the baseline): the row path, whole ``CustomerData`` objects
  read by ``iter_customers`` and the compiled predicate, for one segment
  (``three_paid_none_60d``; the row path reads every table whatever the
  segment, so its time per segment hardly varies); its rate is what six
  segments would cost it.

Throughput is customers x segments per second (six segments over 1M
customers in 20 s is 300k/s), by wall time and by the process's CPU time
(all its threads: DuckDB scans in parallel), because on a loaded machine
the wall time mostly measures the other processes; the load average is
printed beside each row. Every stage's ids are checked against the SQL
backend's.

Sizes: 10k and 100k customers are the demo shop; ``--million`` adds 1M,
made of ten copies of the 100k shop (member, order, item and coupon ids
suffixed per copy), copied by SQL in the database: the generator would
take 20 minutes or more per engine on this machine. The copies keep every
distribution of the demo shop, which is what the throughput depends on.
Target (issue 13): columnar-shared >= 300k/s on DuckDB and >= 150k/s on
SQLite at 1M.
"""

from __future__ import annotations

import os
import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, text

from bench import data
from bench.common import peak_kb, stage_in_child
from bench.references import REFERENCES
from cafehub.store.schema import TABLES

ENGINES = ("duckdb", "sqlite")
STAGES = ("columnar-shared", "columnar-each", "rows")
TARGETS = {"duckdb": 300_000, "sqlite": 150_000}
COPIES = 10
BASELINE_SEGMENT = "three_paid_none_60d"

_COPY = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(COPIES))
#: Ten copies of every table but the coupon definitions, ids suffixed or offset per copy.
_REPLICATE = (
    "INSERT INTO customers SELECT c.member_id || '#' || k, c.name, c.cellphone, c.email, c.joined_at "
    "FROM src.customers c, ({copies}) n",
    "INSERT INTO coupons SELECT * FROM src.coupons",
    "INSERT INTO customer_coupons SELECT cc.id + k * 10000000, cc.member_id || '#' || k, cc.coupon_no, "
    "cc.issued_at, cc.expires_at, cc.used_at FROM src.customer_coupons cc, ({copies}) n",
    "INSERT INTO cart_items SELECT ci.id + k * 10000000, ci.member_id || '#' || k, ci.product_no, ci.quantity, "
    "ci.price, ci.option_price, ci.added_at FROM src.cart_items ci, ({copies}) n",
    "INSERT INTO orders SELECT o.order_id || '#' || k, o.member_id || '#' || k, o.ordered_at, o.status, "
    "o.paid_amount, o.order_amount, o.shipping_fee FROM src.orders o, ({copies}) n",
    "INSERT INTO order_items SELECT oi.order_item_code || '#' || k, oi.order_id || '#' || k, oi.product_no, "
    "oi.quantity, oi.price, oi.option_price FROM src.order_items oi, ({copies}) n",
    "INSERT INTO order_payments SELECT op.order_id || '#' || k, op.payment_method "
    "FROM src.order_payments op, ({copies}) n",
)


def _fingerprint() -> str:
    return f"{data.fingerprint(100_000)} x{COPIES}"


def million_store(engine_name: str, *, log: bool = True) -> Engine:
    """The 1M store: ten copies of the 100k demo shop (built once, cached beside the others)."""
    from cafehub.store.io import create_schema

    suffix = "db" if engine_name == "sqlite" else "duckdb"
    path = data.DATA / f"demo-100000x{COPIES}.{suffix}"
    if path.exists():
        engine = create_engine(f"{engine_name}:///{path}")
        try:
            with engine.connect() as conn:
                found = conn.execute(text("SELECT fingerprint FROM bench_fingerprint")).scalar()
            if found == _fingerprint():
                return engine
        except Exception:
            pass
        engine.dispose()
    source = data.store(engine_name, 100_000, log=log)
    source_path = source.url.database
    source.dispose()
    if log:
        print(f"   copying the 100k demo shop {COPIES} times into a 1M store on {engine_name}...", flush=True)
    path.unlink(missing_ok=True)
    engine = create_engine(f"{engine_name}:///{path}")
    create_schema(engine)
    attach = (f"ATTACH DATABASE '{source_path}' AS src" if engine_name == "sqlite"
              else f"ATTACH '{source_path}' AS src (READ_ONLY)")
    indexes = [index for table in TABLES for index in table.indexes]
    with engine.begin() as conn:
        if engine_name == "sqlite":  # indexes built once at the end, not row by row
            conn.execute(text("PRAGMA journal_mode = OFF"))
            conn.execute(text("PRAGMA synchronous = OFF"))
            for index in indexes:
                conn.execute(text(f"DROP INDEX {index.name}"))
        conn.execute(text(attach))
        for statement in _REPLICATE:
            conn.execute(text(statement.format(copies=_COPY)))
        if engine_name == "sqlite":
            for index in indexes:
                index.create(conn)
        conn.execute(text("CREATE TABLE bench_fingerprint (fingerprint VARCHAR(500))"))
        conn.execute(text("INSERT INTO bench_fingerprint VALUES (:f)"), {"f": _fingerprint()})
    if engine_name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("DETACH DATABASE src"))
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return create_engine(f"{engine_name}:///{path}")


def _store(engine_name: str, customers: int, *, log: bool = True) -> Engine:
    if customers == 1_000_000:
        return million_store(engine_name, log=log)
    return data.store(engine_name, customers, log=log)


def _stage(stage: str, engine_name: str, customers: int) -> dict[str, Any]:
    """Run one stage in this process and return its figures (called in a child process)."""
    from cafehub import api
    from cafehub.compiler.backends.python import compile_predicate
    from cafehub.compiler.evaluation import EvalContext
    from cafehub.execution.bulk import run_predicates
    from cafehub.execution.python import run_predicate

    ctx = EvalContext(now=data.NOW, zone=ZoneInfo("Asia/Seoul"))
    engine = _store(engine_name, customers, log=False)
    checked = {r.name: api.check(r.segment) for r in REFERENCES}
    load = os.getloadavg()[0]
    baseline_kb = peak_kb()
    wall, cpu = time.perf_counter(), time.process_time()
    if stage == "columnar-shared":
        found = dict(zip(checked, run_predicates(engine, list(checked.values()), ctx), strict=True))
    elif stage == "columnar-each":
        found = {name: run_predicate(engine, c, ctx) for name, c in checked.items()}
    else:
        found = {BASELINE_SEGMENT: run_predicate(engine, compile_predicate(checked[BASELINE_SEGMENT]), ctx)}
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = peak_kb()
    from cafehub.execution.sql import run_sql

    wrong = [name for name, ids in found.items() if ids != run_sql(engine, checked[name], ctx, verify=False)]
    engine.dispose()
    return {"stage": stage, "engine": engine_name, "customers": customers, "segments": len(found),
            "wall_s": wall, "cpu_s": cpu, "per_s_wall": customers * len(found) / wall,
            "per_s_cpu": customers * len(found) / cpu, "baseline_mb": baseline_kb / 1024,
            "peak_mb": peak / 1024, "load": load, "matches": sum(len(v) for v in found.values()),
            "wrong": wrong}


def run(customers: int = 100_000, million: bool = False, **_: Any) -> dict[str, Any]:
    sizes = [customers] if not million else [1_000_000]
    only = os.environ.get("CAFEHUB_BENCH_BULK_STAGES")
    stages = tuple(only.split(",")) if only else STAGES
    rows = []
    for n in sizes:
        for engine_name in ENGINES:
            _store(engine_name, n).dispose()  # build outside the timed stages
            for stage in stages:
                rows.append(stage_in_child("bulk", stage, engine_name, n))
    return {"rows": rows, "targets": TARGETS}


def report(result: dict[str, Any]) -> str:
    lines = [f"{'customers':>10}  {'engine':<7}{'stage':<17}{'wall s':>8}{'cpu s':>8}{'/s (wall)':>11}"
             f"{'/s (cpu)':>11}{'vs rows':>8}{'peak MB':>9}{'load':>6}  check"]
    baseline = {(r["engine"], r["customers"]): r for r in result["rows"] if r["stage"] == "rows"}
    for r in result["rows"]:
        base = baseline.get((r["engine"], r["customers"]))
        ratio = f"{r['per_s_cpu'] / base['per_s_cpu']:.1f}x" if base else "-"
        lines.append(f"{r['customers']:>10,}  {r['engine']:<7}{r['stage']:<17}{r['wall_s']:>8.1f}{r['cpu_s']:>8.1f}"
                     f"{r['per_s_wall']:>11,.0f}{r['per_s_cpu']:>11,.0f}{ratio:>8}{r['peak_mb']:>9.0f}"
                     f"{r['load']:>6.1f}  {'ids = SQL' if not r['wrong'] else 'WRONG: ' + ', '.join(r['wrong'])}")
    lines.append("customers x segments per second; targets for columnar-shared at 1M: "
                 + ", ".join(f"{e} {t:,}/s" for e, t in result["targets"].items()))
    return "\n".join(lines)
