"""Service overhead: what the HTTP API adds to the library call, for check and compile (SQL).

For each reference segment, the library call (``cafehub.check``;
``compile_sql(check(text))``) and the same work through the API
(``POST /v1/shops/{shop}/text/check`` and ``text/sql``) are timed in turns,
one after the other, so machine load falls on both alike. Two ways in:

- **in process**: the ASGI app called directly (no sockets): routing, token
  verification against the service's SQLite token table, body parsing and
  validation, response serialisation. This is the API's own overhead and what
  the target is measured on.
- **loopback HTTP**: ``cafehub serve`` in its own process (uvicorn) and a
  keep-alive ``http.client`` connection: adds the HTTP server, the kernel's
  loopback and the client. Shown for scale.

Target (issue 11): API overhead over the library call <= 1 ms median, for
check and for compile. Overhead is reported two ways: the difference of the
two medians and the median of the per-pair differences.

Also, **audience streaming over HTTP**: ``cafehub serve`` in its own process
on a bench SQLite store of 10,000 and of ``--customers`` customers (the
store of bench/saved_segments.py, with its saved segment ``audience``
selecting most of the shop); ``GET segments/audience/audience`` as CSV read
to the end by a client on loopback. Reported: members per second and the
server's peak resident memory (``VmHWM``) before and after the stream,
which must not grow with the audience (``--skip-stream`` leaves it out).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.compile_latency import REFERENCE
from cafehub import api

TARGET_US = 1000.0
SHOP = "bench"
DIALECT = "postgres"


def _medians(lib: list[float], via: list[float]) -> dict[str, float]:
    lib_median, api_median = statistics.median(lib) * 1e6, statistics.median(via) * 1e6
    return {
        "library_median_us": lib_median,
        "api_median_us": api_median,
        "overhead_us": api_median - lib_median,
        "overhead_paired_median_us": statistics.median(b - a for a, b in zip(lib, via, strict=True)) * 1e6,
        "api_p95_us": sorted(via)[int(len(via) * 0.95) - 1] * 1e6,
    }


def paired(library: Callable[[], object], through_api: Callable[[], object], runs: int) -> dict[str, Any]:
    """Library and API timed in alternating turns (µs): wall clock, and CPU time of this thread.

    On a shared machine the wall clock of a millisecond-long call includes
    waiting for a core (a call twice as long is more than twice as likely to be
    preempted); the thread's CPU time does not, so it is the fairer figure for
    work done in this process (the in-process API). Both are reported.
    """
    for _ in range(max(50, runs // 10)):
        library()
        through_api()
    wall: tuple[list[float], list[float]] = ([], [])
    cpu: tuple[list[float], list[float]] = ([], [])
    clock, cpu_clock = time.perf_counter, time.thread_time
    for _ in range(runs):
        for index, fn in enumerate((library, through_api)):
            start, start_cpu = clock(), cpu_clock()
            fn()
            wall[index].append(clock() - start)
            cpu[index].append(cpu_clock() - start_cpu)
    return {"wall": _medians(*wall), "cpu": _medians(*cpu), "runs": runs}


class InProcess:
    """Calls an ASGI app directly with one request at a time (the smallest possible driver)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.headers = [(b"host", b"bench"), (b"content-type", b"application/json"),
                        (b"authorization", f"Bearer {token}".encode())]
        self.loop = asyncio.new_event_loop()

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self._post(path, body))

    async def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {}}
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Loopback:
    """``cafehub serve`` in a child process and one keep-alive HTTP connection to it."""

    def __init__(self, config: Path, token: str) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cafehub", "serve", "--config", str(config), "--port", str(self.port),
             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        while True:
            try:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                self.connection.request("GET", "/health")
                self.connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise RuntimeError("cafehub serve did not start") from None
                time.sleep(0.1)

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        try:
            self.connection.request("POST", path, body=body, headers=self.headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # uvicorn closes a connection idle for 5 s (between two measurements): open a new one
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.connection.request("POST", path, body=body, headers=self.headers)
            response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def _peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def audience_stream(customers: int) -> dict[str, Any]:
    """Stream a saved segment's audience from ``cafehub serve`` on a bench SQLite store (see the module doc)."""
    from bench import data
    from bench.saved_segments import ensure_consents, saved_registry
    from cafehub.execution.sql import count_sql
    from cafehub.service.app import create_app
    from cafehub.service.config import load_config
    from cafehub.service.tokens import Scope

    engine = data.store("sqlite", customers)
    ensure_consents(engine)
    registry = saved_registry(engine)
    members = count_sql(engine, registry.checked("audience"), data_ctx())
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    directory = Path(tempfile.mkdtemp(prefix="cafehub-bench-stream-"))
    config_file = directory / "cafehub.toml"
    config_file.write_text(f'[shops.{SHOP}]\nstore = "{url}"\n', encoding="utf-8")
    app = create_app(load_config(config_file))
    token = app.state.cafehub.tokens.issue(SHOP, "bench", frozenset({Scope.READ})).token
    app.state.cafehub.close()
    server = Loopback(config_file, token)
    try:
        query = f"now={data.NOW.isoformat().replace('+', '%2B')}&format=csv"
        # warm-up: the first request imports the compiler and opens the store (a steady server has done so)
        server.connection.request("GET", f"/v1/shops/{SHOP}/segments/audience/audience?{query}&count=true",
                                  headers=server.headers)
        assert json.loads(server.connection.getresponse().read())["count"] == members
        before = _peak_mb(server.process.pid)
        start = time.perf_counter()
        server.connection.request("GET", f"/v1/shops/{SHOP}/segments/audience/audience?{query}",
                                  headers=server.headers)
        response = server.connection.getresponse()
        assert response.status == 200, response.status
        lines = size = 0
        while chunk := response.read(1 << 16):
            lines += chunk.count(b"\n")
            size += len(chunk)
        seconds = time.perf_counter() - start
        after = _peak_mb(server.process.pid)
    finally:
        server.close()
    assert lines - 1 == members, (lines, members)
    return {"customers": customers, "members": members, "bytes": size, "seconds": seconds,
            "ids_per_second": members / seconds, "server_peak_before_mb": before, "server_peak_after_mb": after}


def data_ctx() -> Any:
    from bench.saved_segments import _ctx

    return _ctx()


def run(runs: int = 1000, customers: int = 100_000, skip_stream: bool = False, **_: Any) -> dict[str, Any]:
    result = overhead(runs)
    if not skip_stream:
        result["stream"] = [audience_stream(n) for n in sorted({10_000, customers})]
    return result


def overhead(runs: int = 1000) -> dict[str, Any]:
    from cafehub.compiler.backends.sql import compile_sql
    from cafehub.service.app import create_app
    from cafehub.service.config import load_config
    from cafehub.service.tokens import Scope

    directory = Path(tempfile.mkdtemp(prefix="cafehub-bench-service-"))
    config_file = directory / "cafehub.toml"
    config_file.write_text(f'[shops.{SHOP}]\nstore = "sqlite:///store.db"\n', encoding="utf-8")
    app = create_app(load_config(config_file))
    token = app.state.cafehub.tokens.issue(SHOP, "bench", frozenset({Scope.READ})).token
    in_process = InProcess(app, token)
    loopback = Loopback(config_file, token)
    routes = {"check": f"/v1/shops/{SHOP}/text/check", "compile": f"/v1/shops/{SHOP}/text/sql"}
    rows = []
    try:
        for name, text in REFERENCE.items():
            bodies = {"check": json.dumps({"text": text}).encode(),
                      "compile": json.dumps({"text": text, "dialect": DIALECT}).encode()}
            libraries: dict[str, Callable[[], object]] = {
                "check": lambda text=text: api.check(text),
                "compile": lambda text=text: compile_sql(api.check(text), dialect=DIALECT),
            }
            for operation, library in libraries.items():
                path, body = routes[operation], bodies[operation]
                for client in (in_process, loopback):
                    status, _ = client.post(path, body)
                    assert status == 200, (operation, name, status)
                rows.append({
                    "segment": name, "operation": operation,
                    "in_process": paired(library, lambda path=path, body=body: in_process.post(path, body), runs),
                    "loopback": paired(library, lambda path=path, body=body: loopback.post(path, body),
                                       max(200, runs // 2)),
                })
    finally:
        loopback.close()
        app.state.cafehub.close()
    worst = {clock: {op: max(r["in_process"][clock]["overhead_us"] for r in rows if r["operation"] == op)
                     for op in ("check", "compile")} for clock in ("cpu", "wall")}
    return {
        "rows": rows,
        "load_average": os.getloadavg(),
        "target": {"overhead_us": TARGET_US, "worst_in_process_overhead_us": worst,
                   "met_cpu": all(v <= TARGET_US for v in worst["cpu"].values()),
                   "met_wall": all(v <= TARGET_US for v in worst["wall"].values())},
    }


def report(result: dict[str, Any]) -> str:
    lines = [f"{'':31} {'in process, CPU time':^29}  {'in process, wall clock':^29}  {'loopback HTTP, wall':^20}",
             f"{'segment':<22} {'op':<8} " + f"{'library':>9} {'api':>9} {'overhead':>9}  " * 2
             + f"{'api':>9} {'overhead':>9}   (µs, medians)"]
    for row in result["rows"]:
        cpu, wall, outer = row["in_process"]["cpu"], row["in_process"]["wall"], row["loopback"]["wall"]
        figures = "  ".join(f"{t['library_median_us']:>9.0f} {t['api_median_us']:>9.0f} {t['overhead_us']:>9.0f}"
                            for t in (cpu, wall))
        lines.append(f"{row['segment']:<22} {row['operation']:<8} {figures}  {outer['api_median_us']:>9.0f} "
                     f"{outer['overhead_us']:>9.0f}")
    target = result["target"]
    load = ", ".join(f"{v:.2f}" for v in result["load_average"])
    for clock, met in (("cpu", target["met_cpu"]), ("wall", target["met_wall"])):
        worst = ", ".join(f"{op} {us:.0f} µs" for op, us in target["worst_in_process_overhead_us"][clock].items())
        lines.append(f"target ({clock}): in-process API overhead <= {target['overhead_us']:.0f} µs median; worst: "
                     f"{worst} -> {'met' if met else 'NOT met'}")
    lines.append(f"load average during the run: {load} (the wall clock counts waiting for a core)")
    if result.get("stream"):
        lines += ["", "audience streamed by cafehub serve (SQLite store, CSV, loopback client; peak memory of the "
                  "server must not grow with the audience)",
                  f"{'customers':>10} {'members':>9} {'MB sent':>8} {'seconds':>8} {'ids/s':>9} "
                  f"{'server peak before':>19} {'after':>7}"]
        for r in result["stream"]:
            lines.append(f"{r['customers']:>10,} {r['members']:>9,} {r['bytes'] / 1e6:>8.1f} {r['seconds']:>8.2f} "
                         f"{r['ids_per_second']:>9,.0f} {r['server_peak_before_mb']:>16.0f} MB "
                         f"{r['server_peak_after_mb']:>4.0f} MB")
    return "\n".join(lines)
