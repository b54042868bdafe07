"""Saved segments: live membership of one customer in 20 saved segments, and audience streaming.

``membership`` (SQLite, PostgreSQL, DuckDB): the 20 example segments of
``examples/segments`` are saved in the shop's registry; then, for 300
customers drawn with a fixed seed, ``LiveMembership.membership`` (latest
versions read from the registry, the customer's rows read through the
indexes, 20 compiled predicates evaluated) is timed, after one warm-up call
that compiles the segments and one untimed pass over the sample (so every
figure reads pages the database has cached, whichever is timed first).
Baselines: ``load_customer`` alone for the same customers, the reading that
any answer needs, and ``SELECT 1`` through the same engine (a round trip and
a pooled connection: on a loaded machine mostly the wait for the server
process to get a core). Also timed: the same with ``explain=True``. A call is one
statement (the registry's latest versions and the customer's rows in every
table), one round trip. Target: median <= 5 ms at 1M customers on SQLite
and PostgreSQL.

Shops of 100k customers and more are copies of the 100k demo shop
(``bench.data.copies_store``: 1M is ten copies, ids suffixed per copy),
built by SQL in minutes where the generator takes hours on a loaded machine.

``audience`` (DuckDB, SQLite, PostgreSQL): ``cafehub segment audience`` of
a saved segment selecting most of the shop, as CSV to ``/dev/null``, in a
fresh process. Its memory: the peak resident memory (``VmHWM``) while the
command runs against the process's resident memory just before it
(``VmRSS``, libraries imported, no database open; the peak is reset there
through ``/proc/self/clear_refs``, and the audience is counted after the
command), so the figure is all the command needs: the database opened, the
segment compiled, the audience streamed. Baseline for speed: ``segment
run`` (ids only, into a Python list) on the same engine. Target: at least
500k ids/s on DuckDB, with a peak memory that does not grow with the
audience. ``audience/memory`` (DuckDB): the audience under its own memory
limit, with what DuckDB holds per category (``duckdb_memory()``) while it
streams.

Run everything on a quiet machine with ``python -m bench saved --million``
(builds the 100k and 1M shops once, cached in ``bench/data/`` and
PostgreSQL); ``--engines duckdb`` (or any comma-separated list) limits it.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from bench import data
from bench.common import peak_kb, reset_peak, stage_in_child

EXAMPLES = Path(__file__).parent.parent / "examples" / "segments"
SHOP = "bench"
#: Most members: everyone without a paid order in the last 30 days.
AUDIENCE_SEGMENT = "not order(status = paid and ordered_at within last 30d)"
SAMPLE = 300
MEMBERSHIP_ENGINES = ("sqlite", "postgres", "duckdb")
AUDIENCE_ENGINES = ("duckdb", "sqlite", "postgres")


def _store(engine_name: str, customers: int, *, log: bool = True) -> Engine:
    """The demo shop; 100k and more as copies of the 100k shop (:func:`bench.data.copies_store`): generating
    1M customers takes hours on a loaded machine, copying minutes."""
    if customers >= 100_000 and customers % 100_000 == 0:
        return data.copies_store(engine_name, customers // 100_000, log=log)
    return data.store(engine_name, customers, log=log)


def _ctx() -> Any:
    from cafehub.compiler.evaluation import EvalContext

    return EvalContext(now=data.NOW, zone=ZoneInfo("Asia/Seoul"))


def ensure_consents(engine: Engine) -> None:
    """Fill ``customer_consents`` of a bench store built before it existed (same values as the demo's)."""
    from cafehub.demo.consents import consent
    from cafehub.store import io, schema

    io.create_schema(engine)
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(schema.customer_consents)).scalar_one():
            return
        ids = conn.execute(select(schema.customers.c.member_id)).scalars().all()
        for start in range(0, len(ids), 50_000):
            io.write_rows(conn, schema.customer_consents, [consent(m, data.SEED) for m in ids[start:start + 50_000]])


def saved_registry(engine: Engine) -> Any:
    """The bench shop's registry holding the 20 example segments and the audience segment."""
    from cafehub.registry import SegmentRegistry

    registry = SegmentRegistry(engine, SHOP)
    for path in sorted(EXAMPLES.glob("*.seg")):
        registry.save(path.stem.split("_", 1)[1].replace("_", "-"), path.read_text(encoding="utf-8"), saved_by="bench")
    registry.save("audience", AUDIENCE_SEGMENT, saved_by="bench")
    return registry


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def membership(engine_name: str, customers: int) -> dict[str, Any]:
    from cafehub.execution.python import load_customer
    from cafehub.registry.membership import LiveMembership

    engine = _store(engine_name, customers)
    registry = saved_registry(engine)
    with engine.connect() as conn:
        from cafehub.store import schema

        ids = conn.execute(select(schema.customers.c.member_id)).scalars().all()
    # Sorted first: PostgreSQL's synchronized scans return the rows in another order from run to run.
    sample = random.Random(7).sample(sorted(ids), min(SAMPLE, len(ids)))
    del ids
    live = LiveMembership(registry)
    ctx = _ctx()
    names = [n for n in registry.latest() if n != "audience"]
    assert len(names) == 20, names
    live.membership(sample[0], ctx, names=names)  # compile once
    live.membership(sample[0], ctx, names=names, explain=True)
    for member in sample:  # the sample's pages cached, so the first timed figure is not the only cold one
        live.membership(member, ctx, names=names)

    cpu: list[float] = []

    def timed(fn: Any) -> list[float]:
        out = []
        cpu.clear()
        for member in sample:
            start, start_cpu = time.perf_counter(), time.process_time()
            fn(member)
            out.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        return out

    def round_trip(_: str) -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").all()

    trips = timed(round_trip)
    loads = timed(lambda m: load_customer(engine, m))
    loads_cpu = list(cpu)
    verdicts = timed(lambda m: live.membership(m, ctx, names=names))
    verdicts_cpu = list(cpu)
    explained = timed(lambda m: live.membership(m, ctx, names=names, explain=True))
    matches = sum(len(live.membership(m, ctx, names=names).segments) for m in sample)
    engine.dispose()
    return {
        "engine": engine_name, "customers": customers, "segments": len(names), "calls": len(sample),
        "round_trip_median_ms": statistics.median(trips),
        "load_median_ms": statistics.median(loads), "median_ms": statistics.median(verdicts),
        "p95_ms": _percentile(verdicts, 0.95), "explain_median_ms": statistics.median(explained),
        "explain_p95_ms": _percentile(explained, 0.95), "memberships": matches,
        "cpu_median_ms": statistics.median(verdicts_cpu), "load_cpu_median_ms": statistics.median(loads_cpu),
        "load_average": os.getloadavg()[0],
    }


def _stage(stage: str, engine_name: str, customers: int) -> dict[str, Any]:
    """One timed stage in this (child) process: ``audience/<format>`` (the CLI command), ``audience/memory``
    (:func:`_duckdb_memory`) or ``run`` (ids into a list)."""
    from cafehub.cli import app
    from cafehub.execution.sql import count_sql, run_sql
    from cafehub.registry import SegmentRegistry

    engine = _store(engine_name, customers, log=False)
    url = engine.url.render_as_string(hide_password=False)
    if stage == "audience/memory":
        registry = SegmentRegistry(engine, SHOP)
        return _duckdb_memory(engine, registry, customers, count_sql(engine, registry.checked("audience"), _ctx()))
    # The baseline is this process with its libraries imported and no database open: the store is opened
    # by the measured command, and the audience counted after it, so nothing read before (a count at 1M
    # leaves DuckDB's cache holding the blocks it read) hides in the baseline or under the peak.
    engine.dispose()
    del engine
    gc.collect()
    baseline = reset_peak()
    start, start_cpu = time.perf_counter(), time.process_time()
    if stage == "run":
        engine = _store(engine_name, customers, log=False)
        found = len(run_sql(engine, SegmentRegistry(engine, SHOP).checked("audience"), _ctx()))
    else:
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved_stdout = os.dup(1)
        os.dup2(devnull, 1)
        try:
            # A failed command (DuckDB out of memory, say) returns its exit code here instead of exiting.
            code = app(["segment", "audience", "audience", "--db", url, "--shop", SHOP,
                        "--now", data.NOW.isoformat(), "--format", stage.split("/")[1]], standalone_mode=False)
        finally:
            sys.stdout.flush()
            os.dup2(saved_stdout, 1)
        if code not in (None, 0):
            raise RuntimeError(f"cafehub segment audience failed (exit code {code})")
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    peak, load = peak_kb(), os.getloadavg()[0]
    engine = _store(engine_name, customers, log=False)
    members = count_sql(engine, SegmentRegistry(engine, SHOP).checked("audience"), _ctx())
    if stage == "run":
        assert found == members
    return {"engine": engine_name, "customers": customers, "stage": stage, "members": members,
            "seconds": seconds, "ids_per_second": members / seconds, "cpu_seconds": cpu,
            "ids_per_cpu_second": members / cpu, "baseline_mb": baseline / 1024, "peak_mb": peak / 1024,
            "load_average": load}


def _duckdb_memory(engine: Engine, registry: Any, customers: int, members: int) -> dict[str, Any]:
    """The audience as CSV (library call, not the CLI) under the memory limit the audience sets itself
    (:data:`cafehub.registry.audience.AUDIENCE_MEMORY_MB`), with ``duckdb_memory()`` read every 20 ms by a
    thread on another pooled connection of the same database: the most memory DuckDB held per category
    (sorts, hash tables, a range's temporary table, cached table blocks) while streaming, at 100k and 1M
    customers."""
    import threading

    from cafehub.registry.audience import AUDIENCE_MEMORY_MB, audience_text

    most: dict[str, int] = {}
    totals = [0]
    done = threading.Event()

    def poll() -> None:  # every 20 ms, so a range's sort is seen while it runs, not only between chunks
        with engine.connect() as probe:
            while not done.wait(0.02):
                found = dict(probe.exec_driver_sql("SELECT tag, memory_usage_bytes FROM duckdb_memory()").all())
                totals[0] = max(totals[0], sum(found.values()))
                for tag, used in found.items():
                    most[tag] = max(most.get(tag, 0), used)

    poller = threading.Thread(target=poll, daemon=True)
    gc.collect()
    baseline = reset_peak()
    start, start_cpu = time.perf_counter(), time.process_time()
    written = 0
    poller.start()
    try:
        for chunk in audience_text(engine, registry.checked("audience"), _ctx(), "csv"):
            written += chunk.count("\n")
    finally:
        done.set()
        poller.join()
    most_total = totals[0]
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    assert written == members + 1
    return {"engine": "duckdb", "customers": customers, "stage": "audience/memory", "members": members,
            "seconds": seconds, "ids_per_second": members / seconds, "cpu_seconds": cpu,
            "ids_per_cpu_second": members / cpu, "baseline_mb": baseline / 1024, "peak_mb": peak_kb() / 1024,
            "memory_limit_mb": AUDIENCE_MEMORY_MB, "duckdb_most_mb": most_total / 2**20,
            "duckdb_mb": {tag: used / 2**20 for tag, used in sorted(most.items()) if used},
            "load_average": os.getloadavg()[0]}


def run(customers: int = 100_000, million: bool = False, engines: tuple[str, ...] | None = None,
        **_: Any) -> dict[str, Any]:
    sizes = [100_000, 1_000_000] if million else [10_000, customers]
    members = []
    audiences = []
    for n in sizes:
        for engine_name in AUDIENCE_ENGINES:
            if (engines and engine_name not in engines) or not data.available(engine_name):
                continue
            engine = _store(engine_name, n)
            ensure_consents(engine)
            saved_registry(engine)
            engine.dispose()
            for stage in ("run", "audience/csv", "audience/jsonl", "audience/memory"):
                if stage in ("audience/jsonl", "audience/memory") and engine_name != "duckdb":
                    continue
                audiences.append(stage_in_child("saved_segments", stage, engine_name, n))
        if n == sizes[-1]:
            members = [membership(e, n) for e in MEMBERSHIP_ENGINES
                       if (not engines or e in engines) and data.available(e)]
    return {"membership": members, "audience": audiences}


def report(result: dict[str, Any]) -> str:
    lines = ["membership of one customer in 20 saved segments (ms per call; target: median <= 5 ms; "
             "cpu: this process's CPU per call, the wall time less waiting on a loaded machine and the server)",
             f"{'engine':<10}{'customers':>11}{'SELECT 1':>10}{'load only':>11}{'cpu':>7}{'median':>9}{'p95':>8}"
             f"{'cpu':>7}{'+explain':>10}{'p95':>8}{'ratio':>7}{'load avg':>10}"]
    for r in result["membership"]:
        lines.append(f"{r['engine']:<10}{r['customers']:>11,}{r.get('round_trip_median_ms', float('nan')):>10.2f}"
                     f"{r['load_median_ms']:>11.2f}"
                     f"{r.get('load_cpu_median_ms', float('nan')):>7.2f}{r['median_ms']:>9.2f}"
                     f"{r['p95_ms']:>8.2f}{r['cpu_median_ms']:>7.2f}{r['explain_median_ms']:>10.2f}"
                     f"{r['explain_p95_ms']:>8.2f}{r['median_ms'] / r['load_median_ms']:>7.2f}"
                     f"{r['load_average']:>10.1f}")
    lines += ["", "audience streaming (target: >= 500k ids/s on DuckDB, peak memory flat as the shop grows; "
              "ids/cpu s: by the process's CPU time, all threads)",
              f"{'engine':<10}{'customers':>11}  {'stage':<16}{'members':>10}{'seconds':>9}{'ids/s':>11}"
              f"{'ids/cpu s':>11}{'base MB':>9}{'peak MB':>9}{'load avg':>10}"]
    for r in result["audience"]:
        lines.append(f"{r['engine']:<10}{r['customers']:>11,}  {r['stage']:<16}{r['members']:>10,}"
                     f"{r['seconds']:>9.2f}{r['ids_per_second']:>11,.0f}{r['ids_per_cpu_second']:>11,.0f}"
                     f"{r['baseline_mb']:>9.0f}{r['peak_mb']:>9.0f}{r['load_average']:>10.1f}")
        if "duckdb_mb" in r:
            lines.append(f"{'':<23}DuckDB memory_limit {r['memory_limit_mb']} MB, most held "
                         f"{r['duckdb_most_mb']:.0f} MB; most per category (MB): "
                         + ", ".join(f"{tag.lower()} {mb:.1f}" for tag, mb in r["duckdb_mb"].items()))
    return "\n".join(lines)
