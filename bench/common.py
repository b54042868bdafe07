"""Timing helpers and the machine description every result file carries."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
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


def peak_kb() -> int:
    """This process's peak resident memory in KiB.

    Linux's ``VmHWM`` belongs to the process image, so it starts afresh at ``exec``;
    ``ru_maxrss`` survives ``exec`` and would report the parent's peak (2.3 GB after the
    parent built the 1M-customer caches) for every stage. ``ru_maxrss`` elsewhere.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def reset_peak() -> int:
    """Start this process's peak resident memory afresh at its current resident memory, which is returned
    (KiB): the baseline a stage's peak is measured against.

    Without the reset the baseline would be the peak so far (``VmHWM``), and a
    stage's own peak would hide under whatever the set-up before it reached
    (counting the audience at 1M customers reaches more than streaming it).
    Linux resets ``VmHWM`` when ``5`` is written to ``/proc/self/clear_refs``;
    elsewhere the peak so far is returned and the figure is an upper bound.
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return peak_kb()


def stage_in_child(module: str, *args: object) -> dict[str, Any]:
    """``bench.<module>._stage(*args)`` run in a fresh Python process, its JSON result read back.

    Each stage gets its own process so its peak memory and timings are its own.
    """
    code = f"import json; from bench.{module} import _stage; print(json.dumps(_stage(*{args!r})))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).parent.parent, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{module} stage {args!r} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
