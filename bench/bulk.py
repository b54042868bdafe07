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
suffixed per copy: ``bench.data.copies_store``, which the saved-segments
and Spark benchmarks use too), copied by SQL in the database: the generator would
take 20 minutes or more per engine on this machine. The copies keep every
distribution of the demo shop, which is what the throughput depends on.
Target (issue 13): columnar-shared >= 300k/s on DuckDB and >= 150k/s on
SQLite at 1M, and a peak that does not grow with the shop. The peak is
printed as the process's peak resident memory (``VmHWM``) and as what the
stage added to the process just before it (``VmHWM`` reset then: the store
open, the segments checked); only the ids found grow with the shop (six
lists, 378,800 ids at 1M).
"""

from __future__ import annotations

import gc
import os
import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bench import data
from bench.common import peak_kb, reset_peak, stage_in_child
from bench.references import REFERENCES

ENGINES = ("duckdb", "sqlite")
STAGES = ("columnar-shared", "columnar-each", "rows")
TARGETS = {"duckdb": 300_000, "sqlite": 150_000}
COPIES = 10
BASELINE_SEGMENT = "three_paid_none_60d"

def _store(engine_name: str, customers: int, *, log: bool = True) -> Engine:
    """The demo shop; 1M customers as ten copies of the 100k shop (:func:`bench.data.copies_store`)."""
    if customers == 1_000_000:
        return data.copies_store(engine_name, COPIES, log=log)
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
    gc.collect()
    baseline_kb = reset_peak()  # the peak so far (the store opened, checked) would hide the stage's own
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
             f"{'/s (cpu)':>11}{'vs rows':>8}{'peak MB':>9}{'+MB':>6}{'load':>6}  check"]
    baseline = {(r["engine"], r["customers"]): r for r in result["rows"] if r["stage"] == "rows"}
    for r in result["rows"]:
        base = baseline.get((r["engine"], r["customers"]))
        ratio = f"{r['per_s_cpu'] / base['per_s_cpu']:.1f}x" if base else "-"
        lines.append(f"{r['customers']:>10,}  {r['engine']:<7}{r['stage']:<17}{r['wall_s']:>8.1f}{r['cpu_s']:>8.1f}"
                     f"{r['per_s_wall']:>11,.0f}{r['per_s_cpu']:>11,.0f}{ratio:>8}{r['peak_mb']:>9.0f}"
                     f"{r['peak_mb'] - r['baseline_mb']:>6.0f}"
                     f"{r['load']:>6.1f}  {'ids = SQL' if not r['wrong'] else 'WRONG: ' + ', '.join(r['wrong'])}")
    lines.append("customers x segments per second; targets for columnar-shared at 1M: "
                 + ", ".join(f"{e} {t:,}/s" for e, t in result["targets"].items()))
    return "\n".join(lines)
