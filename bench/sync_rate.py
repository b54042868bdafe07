"""Sync against the sandbox with Cafe24's limits: call rate, busiest second, 429s and blocks.

    .venv/bin/python bench/sync_rate.py [--customers 300] [--orders 3000] [--second-client 3]

The sandbox runs in its own process (``cafehub sandbox serve``), as Cafe24
would be a remote service, with the documented limits: the request bucket
(40 calls, draining 2/s), the usage limit (``X-Cafe24-*-Remain`` seconds
while blocked) and the burst rule (10 calls in one second from one address
refused as abnormal). For a full and an incremental sync it prints calls/s
overall and after the bucket has filled (the steady state), the largest
number of calls started in any one second, 429s and usage blocks; then the
same full sync again (into a fresh store) while a second client on the same
mall calls at ``--second-client`` calls/s, ignoring 429s.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from cafehub.connectors.cafe24.client import Cafe24Client
from cafehub.connectors.config import Cafe24Config
from cafehub.connectors.ratelimit import BucketSpec, LeakyBucket
from cafehub.connectors.tokens import MemoryTokenStore
from cafehub.sandbox.sample import sample_shop
from cafehub.sandbox.testing import SteadyCaller
from cafehub.store import io as store_io
from cafehub.sync.engine import Syncer, SyncReport


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def steady_rate(stamps: list[float], full_at: float | None) -> float | None:
    """Calls/s once the bucket is full (after the paced opening burst); None if it never filled."""
    tail = [t for t in stamps if full_at is not None and t >= full_at]
    return round((len(tail) - 1) / (tail[-1] - tail[0]), 2) if len(tail) > 10 else None


def busiest_second(stamps: list[float]) -> int:
    ordered = sorted(stamps)
    best, first = 0, 0
    for last, t in enumerate(ordered):
        while ordered[first] <= t - 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def figures(name: str, report: SyncReport, stamps: Stamps) -> dict[str, Any]:
    row = {"run": name, "calls": report.calls, "seconds": round(report.seconds, 1),
           "calls_per_s": round(report.calls_per_second(), 2),
           "answered_per_s": round((report.calls - report.rate_limited) / max(report.seconds, 1e-9), 2),
           "steady_calls_per_s": steady_rate(stamps.sent, stamps.full_at),
           "busiest_second": busiest_second(stamps.sent), "answered_429": report.rate_limited, "blocks": report.blocks,
           "api_rows": report.rows, "store_rows_changed": report.changed}
    print(f"{name}: {row['calls']} calls in {row['seconds']}s = {row['calls_per_s']} calls/s "
          f"(steady {row['steady_calls_per_s']}; {row['answered_per_s']}/s answered without 429), "
          f"busiest second {row['busiest_second']} calls, "
          f"{row['answered_429']} answered 429 ({row['blocks']} usage blocks), {row['api_rows']} API rows, "
          f"{row['store_rows_changed']} store rows changed", flush=True)
    return row


class Stamps:
    """When each call was sent, and when the bucket first reached its working level."""

    def __init__(self) -> None:
        self.sent: list[float] = []
        self.full_at: float | None = None

    def clear(self) -> None:
        self.sent.clear()
        self.full_at = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--second-client", type=float, default=3.0, help="calls/s of another app on the mall")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    data = sample_shop(customers=args.customers, orders=args.orders)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        source_url = f"sqlite:///{Path(tmp) / 'source.db'}"
        store_io.write_shop(_created(source_url), data)
        port = free_port()
        log = open(Path(tmp) / "sandbox.log", "w")  # noqa: SIM115
        server = subprocess.Popen([sys.executable, "-m", "cafehub", "sandbox", "serve", "--db", source_url,
                                   "--port", str(port), "--sellmate-port", str(free_port()), "--sms-port", "0",
                                   "--smtp-port", "0", "--channeltalk-port", "0"],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for(port, server, Path(tmp) / "sandbox.log")
            base = f"http://127.0.0.1:{port}"
            print(f"shop: {len(data.customers)} customers, {len(data.orders)} orders, {data.count()} store rows; "
                  f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
            client, stamps = _client(base)
            rows.append(figures("full sync", Syncer(client, _target(tmp, "a")).run(), stamps))
            stamps.clear()
            rows.append(figures("incremental sync, nothing changed", Syncer(client, _target(tmp, "a")).run(), stamps))
            client.close()
            time.sleep(25)  # let the bucket drain before the contended run
            other_client, _ = _client(base)
            other = SteadyCaller(base, other_client.tokens.access_token(), args.second_client)
            client, stamps = _client(base)
            other.start()
            try:
                report = Syncer(client, _target(tmp, "b")).run()
            finally:
                other.stop()
            row = figures(f"full sync, second client at {args.second_client:g} calls/s", report, stamps)
            row |= {"second_client_sent": other.sent, "second_client_429": other.refused}
            print(f"  the second client sent {other.sent} calls, {other.refused} answered 429", flush=True)
            rows.append(row)
            client.close()
            other_client.close()
        finally:
            server.terminate()
            server.wait()
            log.close()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


def _client(base: str) -> tuple[Cafe24Client, Stamps]:
    spec = BucketSpec()
    config = Cafe24Config(mall_id="demo", client_id="sandbox-client", client_secret="sandbox-secret",
                          base_url=base, bucket=spec)
    client = Cafe24Client(config, MemoryTokenStore(), bucket=LeakyBucket(spec))
    stamps = Stamps()
    bucket = client.caller.bucket
    acquire = bucket.acquire

    def timed() -> float:
        waited = acquire()
        now = time.monotonic()  # when the call is sent
        stamps.sent.append(now)
        if stamps.full_at is None and bucket.level >= spec.capacity - spec.headroom - 1:
            stamps.full_at = now
        return waited

    client.caller.bucket.acquire = timed  # type: ignore[method-assign]
    client.tokens.authorize_with_code(client.oauth.approve_without_browser())
    return client, stamps


def _target(tmp: str, name: str) -> Any:
    return create_engine(f"sqlite:///{Path(tmp) / f'target-{name}.db'}")


def _created(url: str) -> Any:
    engine = create_engine(url)
    store_io.create_schema(engine)
    return engine


def _wait_for(port: int, server: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the sandbox did not start:\n{log.read_text()}")


if __name__ == "__main__":
    main()
