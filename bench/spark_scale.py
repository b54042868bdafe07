"""Spark at scale: the six reference segments as Spark SQL (PySpark, local mode) against DuckDB, same data.

The DuckDB store of the demo shop (100k; 1M with ``--million``, ten copies
of the 100k shop, see ``bench/bulk.py``) is exported once to Parquet
(``COPY ... (FORMAT PARQUET)``: zone-less timestamps, which Spark reads as
``TIMESTAMP_NTZ``, exact decimals). Spark runs each compiled segment
(``run_spark``) over views on those files in a local session with every
core of the machine and the default planner settings (whole-stage code
generation and adaptive execution on); DuckDB runs the same segments
(``run_sql``) twice: on its own store file, and on the same Parquet files
(views), so the file format is not what is compared. Each segment runs
once to warm up, then ``runs`` times, taking turns; the median is reported.
Both must return the same ids.

Environment: ``CAFEHUB_BENCH_SPARK_SIZES`` (comma-separated customer
counts: 100000 and/or 1000000, default 100000, or 1000000 with
``--million``), ``CAFEHUB_BENCH_SPARK_MEMORY`` (driver memory, default 4g).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from bench import data
from bench.references import REFERENCES
from cafehub.store.schema import TABLES


def _parquet(customers: int) -> Path:
    """The store's tables as Parquet files (exported once per store)."""
    engine = data.copies_store("duckdb", 10) if customers == 1_000_000 else data.store("duckdb", customers)
    folder = data.DATA / f"parquet-{customers}"
    marker = folder / "fingerprint"
    with engine.connect() as conn:
        fingerprint = str(conn.execute(text("SELECT fingerprint FROM bench_fingerprint")).scalar())
        if not (marker.exists() and marker.read_text() == fingerprint):
            folder.mkdir(parents=True, exist_ok=True)
            for table in TABLES:
                conn.execute(text(f"COPY {table.name} TO '{folder / table.name}.parquet' (FORMAT PARQUET)"))
            marker.write_text(fingerprint)
    engine.dispose()
    return folder


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure(customers: int, runs: int) -> list[dict[str, Any]]:
    from cafehub import api
    from cafehub.compiler.evaluation import EvalContext
    from cafehub.execution.spark import local_session, run_spark
    from cafehub.execution.sql import run_sql

    folder = _parquet(customers)
    ctx = EvalContext(now=data.NOW, zone=ZoneInfo("Asia/Seoul"))
    checked = {r.name: api.check(r.segment) for r in REFERENCES}
    store = data.copies_store("duckdb", 10, log=False) if customers == 1_000_000 else data.store("duckdb", customers)
    on_files = create_engine("duckdb:///:memory:")
    with on_files.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"CREATE VIEW {table.name} AS SELECT * FROM '{folder / table.name}.parquet'"))
    started = time.perf_counter()
    spark = local_session("cafehub-bench", cores=os.cpu_count() or 1,
                          config={"spark.driver.memory": os.environ.get("CAFEHUB_BENCH_SPARK_MEMORY", "4g")})
    for table in TABLES:
        spark.read.parquet(str(folder / f"{table.name}.parquet")).createOrReplaceTempView(table.name)
    startup = time.perf_counter() - started
    runners = {
        "spark": lambda c: run_spark(spark, c, ctx),
        "duckdb": lambda c: run_sql(store, c, ctx, verify=False),
        "duckdb-parquet": lambda c: run_sql(on_files, c, ctx, verify=False),
    }
    samples: dict[tuple[str, str], list[float]] = {(n, e): [] for n in checked for e in runners}
    first: dict[tuple[str, str], float] = {}
    ids: dict[tuple[str, str], list[str]] = {}
    for round_ in range(runs + 1):
        for name, segment in checked.items():
            for engine, runner in runners.items():
                seconds, found = _timed(lambda r=runner, s=segment: r(s))
                if round_ == 0:
                    first[name, engine], ids[name, engine] = seconds, found
                else:
                    samples[name, engine].append(seconds)
    spark.stop()
    store.dispose()
    on_files.dispose()
    rows = []
    for name in checked:
        agree = ids[name, "spark"] == ids[name, "duckdb"] == ids[name, "duckdb-parquet"]
        rows.append({
            "customers": customers, "reference": name, "matches": len(ids[name, "duckdb"]), "agree": agree,
            **{f"{e}_s": statistics.median(samples[name, e]) for e in runners},
            **{f"{e}_first_s": first[name, e] for e in runners},
            "spark_startup_s": startup, "load": os.getloadavg()[0],
        })
    return rows


def run(customers: int = 100_000, million: bool = False, runs: int | None = None, **_: Any) -> dict[str, Any]:
    wanted = os.environ.get("CAFEHUB_BENCH_SPARK_SIZES")
    sizes = [int(s) for s in wanted.split(",")] if wanted else [1_000_000 if million else customers]
    rows = [row for n in sizes for row in measure(n, runs if runs is not None else 3)]
    return {"rows": rows, "cores": os.cpu_count()}


def report(result: dict[str, Any]) -> str:
    lines = [f"local mode, {result['cores']} cores; median seconds per segment (first run in brackets)",
             f"{'customers':>10}  {'reference':<28}{'ids':>7}{'spark':>16}{'duckdb':>16}{'duckdb parquet':>18}"
             f"{'spark/duckdb':>14}  same ids"]
    for r in result["rows"]:
        lines.append(
            f"{r['customers']:>10,}  {r['reference']:<28}{r['matches']:>7}"
            f"{r['spark_s']:>8.2f} [{r['spark_first_s']:>5.1f}]{r['duckdb_s']:>8.3f} [{r['duckdb_first_s']:>5.2f}]"
            f"{r['duckdb-parquet_s']:>10.3f} [{r['duckdb-parquet_first_s']:>5.2f}]"
            f"{r['spark_s'] / r['duckdb_s']:>14.1f}  {'yes' if r['agree'] else 'NO'}")
    for n in sorted({r["customers"] for r in result["rows"]}):
        mine = [r for r in result["rows"] if r["customers"] == n]
        lines.append(f"{n:>10,}  six segments: spark {sum(r['spark_s'] for r in mine):.2f} s, duckdb "
                     f"{sum(r['duckdb_s'] for r in mine):.2f} s, duckdb on parquet "
                     f"{sum(r['duckdb-parquet_s'] for r in mine):.2f} s; spark session start "
                     f"{mine[0]['spark_startup_s']:.1f} s; load average {mine[-1]['load']:.1f}")
    return "\n".join(lines)
