"""Measure a full and an incremental sync against the sandbox with Cafe24's real rate limit.

    .venv/bin/python bench/sync_rate.py [--customers 300] [--orders 3000] [--drain 2.0]

The sandbox runs in its own process (``cafehub sandbox serve``), as Cafe24
would be a remote service, so its JSON rendering does not compete with the
sync for this process's interpreter lock. Prints calls/s and rows/s of each
run, the call rate after the first 40 calls (the burst the bucket allows),
and how many 429s the client received.
"""

from __future__ import annotations

import argparse
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
from cafehub.store import io as store_io
from cafehub.sync.engine import Syncer, SyncReport


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def steady_rate(stamps: list[float], warmup: int = 40) -> float:
    tail = stamps[warmup:]
    return (len(tail) - 1) / (tail[-1] - tail[0]) if len(tail) > 1 else 0.0


def show(name: str, report: SyncReport, stamps: list[float]) -> None:
    print(f"{name}: {report.calls} calls, {report.rows} API rows in {report.seconds:.1f}s -> "
          f"{report.calls_per_second():.2f} calls/s, {report.rows_per_second():.1f} rows/s, "
          f"{report.rate_limited} answered 429, {report.changed} store rows changed; "
          f"after the first 40 calls: {steady_rate(stamps):.2f} calls/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--drain", type=float, default=2.0)
    args = parser.parse_args()
    data = sample_shop(customers=args.customers, orders=args.orders)
    with tempfile.TemporaryDirectory() as tmp:
        source_url = f"sqlite:///{Path(tmp) / 'source.db'}"
        store_io.write_shop(_created(source_url), data)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "cafehub", "sandbox", "serve", "--db", source_url,
                                   "--port", str(port), "--sellmate-port", str(free_port())],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(port)
            spec = BucketSpec(capacity=40, drain_per_second=args.drain)
            config = Cafe24Config(mall_id="demo", client_id="sandbox-client", client_secret="sandbox-secret",
                                  base_url=f"http://127.0.0.1:{port}", bucket=spec)
            client = Cafe24Client(config, MemoryTokenStore(), bucket=LeakyBucket(spec))
            stamps: list[float] = []
            call = client.caller.call

            def timed(*a: Any, **k: Any) -> Any:
                stamps.append(time.monotonic())
                return call(*a, **k)

            client.caller.call = timed  # type: ignore[method-assign]
            client.tokens.authorize_with_code(client.oauth.approve_without_browser())
            target = create_engine(f"sqlite:///{Path(tmp) / 'target.db'}")
            print(f"shop: {len(data.customers)} customers, {len(data.orders)} orders, {data.count()} store rows")
            stamps.clear()
            show("full sync", Syncer(client, target).run(), stamps)
            stamps.clear()
            show("incremental sync, nothing changed", Syncer(client, target).run(), stamps)
            client.close()
        finally:
            server.terminate()
            server.wait()


def _created(url: str) -> Any:
    engine = create_engine(url)
    store_io.create_schema(engine)
    return engine


def _wait_for(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the sandbox did not start")


if __name__ == "__main__":
    main()
