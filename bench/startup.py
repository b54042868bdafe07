"""Command start-up: ``cafehub segment check`` and ``fmt`` as whole processes, against bare Python.

Target (issue 14, item 12): ``segment check`` and ``segment fmt`` of a short
segment start, work and exit in at most 250 ms on the project's machine
(2 cores). Measured as the process's CPU time (user + system) against
``python -c pass`` in the same rounds: bare Python takes 28 ms of CPU there
when the machine is quiet, so the target is a median ratio of at most 9
(250 / 28), which holds however busy the shared machine is (on a busy one
every absolute figure, CPU time too, grows). The absolute medians, wall time
and load average are printed beside it.

Each command runs as a user runs it (a new ``python -m cafehub`` process,
compiled bytecode and the parser's table cache in place after a warm-up run).
The baselines, measured in the same run and interleaved with the commands
(one round runs every command once, in turn), are ``python -c pass`` (the
interpreter alone) and ``python -c "import cafehub"`` (the library's front
end). CPU time comes from the operating system's accounting of the child;
the ratio against ``python -c pass`` in the same round is the figure to
compare across runs and machines.

Which modules the commands import (not their timing) is held by
``tests/cli/test_cli_start.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

SEGMENT = "order(status = paid).count >= 3 and no order(ordered_at within last 60d)"
TARGET_MS = 250.0
#: ``python -c pass`` on the project's machine when it is quiet (CPU ms): the target as a ratio.
QUIET_PYTHON_MS = 28.0
TARGET_RATIO = TARGET_MS / QUIET_PYTHON_MS

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import cafehub": [sys.executable, "-c", "import cafehub"],
    "segment check": [sys.executable, "-m", "cafehub", "segment", "check", SEGMENT],
    "segment fmt": [sys.executable, "-m", "cafehub", "segment", "fmt", SEGMENT],
}
TARGETED = ("segment check", "segment fmt")


def _environment() -> dict[str, str]:
    """The user's environment, with bytecode writing on (as it is by default) so later runs read .pyc files."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env


def _once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``argv``."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read() if process.stderr else b""
    if process.stderr:
        process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}: {stderr.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def run(runs: int = 15, **_: Any) -> dict[str, Any]:
    env = _environment()
    for argv in COMMANDS.values():  # warm-up: bytecode and the grammar cache written
        _once(argv, env)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    ratios: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        round_: dict[str, tuple[float, float]] = {}
        for name, argv in COMMANDS.items():
            round_[name] = _once(argv, env)
            samples[name].append(round_[name])
        for name in COMMANDS:
            ratios[name].append(round_[name][1] / round_["python -c pass"][1])
    rows = []
    for name in COMMANDS:
        walls = sorted(w for w, _ in samples[name])
        cpus = sorted(c for _, c in samples[name])
        rows.append({
            "command": name,
            "wall_median_ms": statistics.median(walls) * 1000,
            "wall_min_ms": walls[0] * 1000,
            "cpu_median_ms": statistics.median(cpus) * 1000,
            "cpu_ratio_vs_python": statistics.median(ratios[name]),
            "runs": runs,
        })
    worst = max((r for r in rows if r["command"] in TARGETED), key=lambda r: r["cpu_ratio_vs_python"])
    return {
        "segment": SEGMENT,
        "rows": rows,
        "load_average": os.getloadavg(),
        "target": {
            "target_ms": TARGET_MS,
            "worst_command": worst["command"],
            "wall_median_ms": worst["wall_median_ms"],
            "cpu_median_ms": worst["cpu_median_ms"],
            "target_ratio": TARGET_RATIO,
            "cpu_ratio_vs_python": worst["cpu_ratio_vs_python"],
            "met": worst["cpu_ratio_vs_python"] <= TARGET_RATIO,
        },
    }


def report(result: dict[str, Any]) -> str:
    lines = [f"{'command':<18}{'wall ms (median)':>18}{'wall min':>10}{'cpu ms (median)':>17}{'cpu / python':>14}"]
    for r in result["rows"]:
        lines.append(f"{r['command']:<18}{r['wall_median_ms']:>18.1f}{r['wall_min_ms']:>10.1f}"
                     f"{r['cpu_median_ms']:>17.1f}{r['cpu_ratio_vs_python']:>14.2f}")
    t = result["target"]
    load = ", ".join(f"{x:.1f}" for x in result["load_average"])
    lines.append(f"target: segment check/fmt <= {t['target_ms']:.0f} ms, i.e. CPU <= {t['target_ratio']:.1f}x "
                 f"python -c pass: {t['worst_command']} {t['cpu_ratio_vs_python']:.2f}x "
                 f"({t['cpu_median_ms']:.1f} ms CPU, {t['wall_median_ms']:.1f} ms wall at load average {load} "
                 f"on {os.cpu_count()} CPUs) -> {'met' if t['met'] else 'MISSED'}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
