"""Timing helpers and the machine description every result file carries."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Timing:
    """Per-call wall-clock figures in microseconds."""

    median_us: float
    p95_us: float
    runs: int


def time_calls(fn: Callable[[], object], *, runs: int = 2000, warmup: int = 200) -> Timing:
    """Median and 95th percentile of ``fn()`` over ``runs`` calls (after ``warmup`` calls)."""
    for _ in range(warmup):
        fn()
    samples = []
    clock = time.perf_counter
    for _ in range(runs):
        start = clock()
        fn()
        samples.append(clock() - start)
    samples.sort()
    return Timing(
        median_us=statistics.median(samples) * 1e6,
        p95_us=samples[int(len(samples) * 0.95) - 1] * 1e6,
        runs=runs,
    )


def machine() -> dict[str, Any]:
    versions = {}
    for dist in ("cafehub", "lark", "sqlglot", "sqlalchemy", "duckdb", "psycopg", "pymysql", "pyspark"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = {"benchmark": name, "machine": machine(), **data}
    path.write_text(json.dumps(payload, indent=2, default=_default), encoding="utf-8")
    return path


def _default(value: object) -> object:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)  # type: ignore[call-overload]
    return str(value)
