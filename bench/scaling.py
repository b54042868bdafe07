"""Scaling: time and peak memory per stage at 10k and 100k customers (1M with ``--million``).

Each stage runs in a fresh Python process, so its peak resident memory
(``VmHWM``) is its own; ``baseline MB`` is that peak once the libraries
are imported, before the stage starts, so the difference is the stage's.
Stages:

- ``build``: generate the demo shop and load it into a new SQLite file;
- ``compile``: parse + check + SQL generation + predicate compilation of the six references;
- ``sql/<engine>``: run the six references as SQL (ids only come back to Python);
- ``python-bulk``: run them as predicates over the store in batches (bounded memory);
- ``python-all-in-memory``: load every customer into memory first (what the bulk path avoids).

The point of the table is the shape: SQL stages keep a flat memory footprint as
the shop grows (the engine does the work), the bulk predicate path grows
only with the batch size, and only the all-in-memory load grows with the shop.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import data
from bench.common import peak_kb, stage_in_child
from bench.references import REFERENCES

STAGES = ("build", "compile", "sql/sqlite", "sql/duckdb", "sql/postgres", "python-bulk", "python-all-in-memory")


def _stage(stage: str, customers: int) -> dict[str, Any]:
    """Run one stage in this process and return its figures (called in a child process)."""

    from cafehub import api
    from cafehub.compiler.backends.python import compile_predicate
    from cafehub.compiler.backends.sql import compile_sql
    from cafehub.compiler.evaluation import EvalContext
    from cafehub.execution.python import iter_customers, run_predicate
    from cafehub.execution.sql import run_sql

    ctx = EvalContext(now=data.NOW, zone=ZoneInfo("Asia/Seoul"))
    matches = 0
    baseline_kb = peak_kb()
    start = time.perf_counter()
    if stage == "build":
        from sqlalchemy import create_engine

        from cafehub.demo.generator import DemoSettings
        from cafehub.demo.shop import build

        with tempfile.TemporaryDirectory() as tmp:
            engine = create_engine(f"sqlite:///{Path(tmp) / 'shop.db'}")
            build(engine, DemoSettings(customers=customers, seed=data.SEED, now=data.NOW), force=True)
            engine.dispose()
    elif stage == "compile":
        for ref in REFERENCES:
            checked = api.check(ref.segment)
            compile_sql(checked, dialect="sqlite")
            compile_predicate(checked)
    elif stage.startswith("sql/"):
        engine = data.store(stage.split("/")[1], customers, log=False)
        for ref in REFERENCES:
            matches += len(run_sql(engine, ref.segment, ctx, verify=False))
    elif stage == "python-bulk":
        engine = data.store("sqlite", customers, log=False)
        for ref in REFERENCES:
            matches += len(run_predicate(engine, ref.segment, ctx))
    else:
        engine = data.store("sqlite", customers, log=False)
        everyone = [c for batch in iter_customers(engine) for c in batch]
        for ref in REFERENCES:
            bound = compile_predicate(api.check(ref.segment)).bind(ctx)
            matches += sum(1 for c in everyone if bound(c))
    seconds = time.perf_counter() - start
    peak = peak_kb()
    return {"stage": stage, "seconds": seconds, "baseline_mb": baseline_kb / 1024, "peak_mb": peak / 1024,
            "matches": matches}


def run(million: bool = False, **_: Any) -> dict[str, Any]:
    sizes = [10_000, 100_000, *([1_000_000] if million else [])]
    rows = []
    for n in sizes:
        for engine in ("sqlite", "duckdb", "postgres"):
            if data.available(engine):
                data.store(engine, n).dispose()  # build caches outside the timed stages; release the file
        for stage in STAGES:
            if stage == "sql/postgres" and not data.available("postgres"):
                continue
            rows.append({"customers": n, **stage_in_child("scaling", stage, n)})
    return {"rows": rows}


def report(result: dict[str, Any]) -> str:
    lines = [f"{'customers':>10}  {'stage':<22}{'seconds':>9}{'baseline MB':>13}{'peak MB':>9}{'matches':>9}"]
    for r in result["rows"]:
        lines.append(f"{r['customers']:>10,}  {r['stage']:<22}{r['seconds']:>9.2f}{r['baseline_mb']:>13.0f}"
                     f"{r['peak_mb']:>9.0f}{r['matches']:>9}")
    return "\n".join(lines)
