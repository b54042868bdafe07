"""Chat command steps against the sandbox: Cafe24 and Sellmate calls per step, latency (median, p95).

The sandbox runs in its own process (``cafehub sandbox serve --no-rate-limit``)
over a sample shop whose orders all fall in the last six months (so order
history reads real windows); the engine runs here with a warehouse, the
``complete`` cancel mode and the mall's settings already cached (the first,
cold step is reported on its own). Each step is timed over many customers
and orders; writes use a fresh order each time. The baseline, measured in
the same run, is one ``GET /orders/{id}`` round trip to the same sandbox:
the ratio says how many round trips' worth of time a step costs.
Target: p95 <= 150 ms per step; order history <= 2 Cafe24 calls.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from bench.sync_rate import _wait_for, free_port

TARGET_P95_MS = 150.0


@dataclass(frozen=True)
class StepFigures:
    name: str
    runs: int
    median_ms: float
    p95_ms: float
    cafe24_calls: float
    cafe24_max: int
    sellmate_calls: float
    ratio_to_round_trip: float
    #: Median time spent waiting for Cafe24 and Sellmate answers within the step.
    in_calls_ms: float


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def run(runs: int = 60, **_: Any) -> dict[str, Any]:
    """Measure every step (the suite's ``--customers`` does not apply: a 200-member, 3,000-order shop)."""
    customers, orders = 200, 3000
    from cafehub.connectors.cafe24.client import Cafe24Client
    from cafehub.connectors.config import Cafe24Config
    from cafehub.connectors.ratelimit import BucketSpec
    from cafehub.connectors.sellmate import SellmateClient, SellmateConfig
    from cafehub.connectors.tokens import MemoryTokenStore
    from cafehub.runtime.answers import Identity
    from cafehub.runtime.engine import CommandEngine
    from cafehub.runtime.reads import ShopConnectors
    from cafehub.runtime.settings import HubSettings, ShopSettings
    from cafehub.sandbox.sample import sample_shop
    from cafehub.sandbox.state import open_shop
    from cafehub.store import io as store_io

    now = datetime.now(UTC)
    data = sample_shop(customers=customers, orders=orders, start=(now - timedelta(days=170)).replace(tzinfo=None))
    with tempfile.TemporaryDirectory() as tmp:
        source = create_engine(f"sqlite:///{Path(tmp) / 'source.db'}")
        store_io.create_schema(source)
        store_io.write_shop(source, data)
        shop = open_shop(source, derive_now=now.replace(tzinfo=None), zone="Asia/Seoul")  # derive once, here
        port, sellmate_port = free_port(), free_port()
        log = Path(tmp) / "sandbox.log"
        with log.open("wb") as sink:
            server = subprocess.Popen([sys.executable, "-m", "cafehub", "sandbox", "serve", "--db", str(source.url),
                                       "--port", str(port), "--sellmate-port", str(sellmate_port), "--no-rate-limit",
                                       "--sms-port", "0", "--smtp-port", "0"], stdout=sink, stderr=subprocess.STDOUT)
        try:
            _wait_for(port, server, log)
            _wait_for(sellmate_port, server, log)
            # The rate limit is off on both sides: the sandbox never answers 429, and the client's own
            # bucket drains, and its pacing (4 calls/s evenly spaced by default) allows, fast enough never
            # to make a call wait.
            config = Cafe24Config(mall_id="demo", client_id="sandbox-client", client_secret="sandbox-secret",
                                  base_url=f"http://127.0.0.1:{port}",
                                  bucket=BucketSpec(capacity=40, drain_per_second=10_000.0, max_per_second=10_000.0))
            client = Cafe24Client(config, MemoryTokenStore())
            client.tokens.authorize_with_code(client.oauth.approve_without_browser())
            sellmate = SellmateClient(SellmateConfig(base_url=f"http://127.0.0.1:{sellmate_port}",
                                                     api_key="sandbox-sellmate-key"))
            settings = ShopSettings(hub=HubSettings(wms="sellmate", cancel_mode="complete", defect_mode="apply"))
            # The ledger's store: a SQLite file by default, or CAFEHUB_BENCH_STORE (e.g. a PostgreSQL URL).
            ledger_store = create_engine(os.environ.get("CAFEHUB_BENCH_STORE") or f"sqlite:///{Path(tmp) / 'rt.db'}")
            # A ledger name of its own per run: a reused store never answers "already done" from a past run.
            engine = CommandEngine(ShopConnectors(client, sellmate), ledger_store, settings,
                                   mall_id=f"bench-{os.getpid()}-{int(time.time())}")
            result = _measure(engine, client, sellmate, shop, runs, Identity)
            engine.close()
        finally:
            server.terminate()
            server.wait()
    result["shop"] = {"customers": customers, "orders": orders, "history_window_days": 170}
    result["ledger_store"] = "CAFEHUB_BENCH_STORE" if os.environ.get("CAFEHUB_BENCH_STORE") else "sqlite file"
    return result


def _measure(engine: Any, client: Any, sellmate: Any, shop: Any, runs: int, identity_cls: Any) -> dict[str, Any]:
    orders = sorted(shop.orders.values(), key=lambda o: o.order_id)
    members = sorted({o.member_id for o in orders if o.member_id})

    def pick(statuses: set[str], *, methods: set[str] | None = None, tracked: bool | None = None,
             single_address: bool = False) -> list[Any]:
        out = []
        for o in orders:
            if not o.member_id or not o.items or not all(i.status in statuses for i in o.items):
                continue
            if methods is not None and not set(o.payment_methods) <= methods:
                continue
            if tracked is not None and any(i.tracking_no for i in o.items) != tracked:
                continue
            if single_address and (len(o.receivers) != 1 or o.order_id in shop.packing):
                continue
            out.append(o)
        return out

    cold_start = time.perf_counter()
    engine.mall_settings()
    cold_settings_ms = (time.perf_counter() - cold_start) * 1e3

    round_trips = []
    for o in orders[:runs]:
        start = time.perf_counter()
        client.order(o.order_id, embed=())
        round_trips.append(time.perf_counter() - start)
    round_trip_ms = statistics.median(round_trips) * 1e3

    waited = [0.0]

    def timed(call: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                waited[0] += time.perf_counter() - start
        return wrapper

    client.caller.call = timed(client.caller.call)
    sellmate._get = timed(sellmate._get)

    def step(identity: Any, command: str, answers: dict[str, Any]) -> tuple[float, int, int, str, float]:
        c0, s0, waited[0] = client.stats.calls, sellmate.calls, 0.0
        start = time.perf_counter()
        result = engine.step(identity, command, answers, language="ja")
        took = time.perf_counter() - start
        return took, client.stats.calls - c0, sellmate.calls - s0, result.state, waited[0]

    figures: list[StepFigures] = []

    def measure(name: str, cases: list[tuple[Any, str, dict[str, Any]]], expect: set[str]) -> None:
        samples, calls, sm_calls, in_calls = [], [], [], []
        for identity, command, answers in cases[:runs]:
            took, c, s, state, remote = step(identity, command, answers)
            if state not in expect:
                raise SystemExit(f"{name}: unexpected state {state} for {answers}")
            samples.append(took * 1e3)
            calls.append(c)
            sm_calls.append(s)
            in_calls.append(remote * 1e3)
        if not samples:
            return
        figures.append(StepFigures(name, len(samples), statistics.median(samples), _p95(samples),
                                   statistics.mean(calls), max(calls), statistics.mean(sm_calls),
                                   statistics.median(samples) / round_trip_ms, statistics.median(in_calls)))

    def member(o: Any) -> Any:
        return identity_cls.member(o.member_id)

    recent = [o for o in orders if o.member_id]
    measure("/orders (latest 5)", [(identity_cls.member(m), "/orders", {}) for m in members], {"done"})
    measure("/orders details", [(member(o), "/orders", {"order": o.order_id}) for o in recent[::7]], {"done"})
    measure("/eta (orders preparing)", [(identity_cls.member(m), "/eta", {}) for m in members], {"done"})
    measure("/cancel (list)", [(identity_cls.member(m), "/cancel", {}) for m in members], {"asking", "refused"})
    cancellable = pick({"N10", "N20"}, methods={"card", "point", "coupon", "credit"}, tracked=False)
    half = len(cancellable) // 2
    summary = [(member(o), "/cancel", {"order": o.order_id, "scope": "whole", "reason": "change_of_mind"})
               for o in cancellable[:half]]
    measure("/cancel summary", summary, {"asking"})
    confirm = [(member(o), "/cancel", {"order": o.order_id, "scope": "whole", "reason": "change_of_mind",
                                       "confirm": True}) for o in cancellable[half:]]
    measure("/cancel confirm (write)", confirm, {"done"})
    delivered = pick({"N40"})
    half = len(delivered) // 2
    measure("/return summary", [(member(o), "/return", {"order": o.order_id, "kind": "return",
                                                         "items": [i.order_item_code for i in o.items],
                                                         "reason": "change_of_mind"})
                                for o in delivered[:half]], {"asking"})
    measure("/return confirm (write)", [(member(o), "/return", {"order": o.order_id, "kind": "return",
                                                                 "items": [i.order_item_code for i in o.items],
                                                                 "reason": "change_of_mind", "confirm": True})
                                        for o in delivered[half:]], {"done", "asking"})
    movable = [o for o in pick({"N10", "N20"}, tracked=False, single_address=True)
               if o.receivers[0].zipcode in ("04524", "48058") and o not in cancellable]
    address = {"zipcode": "48058", "address1": "Haeundae-ro 264", "address2": "3F"}
    measure("/address (checks)", [(member(o), "/address", {"order": o.order_id}) for o in movable],
            {"asking", "refused"})
    measure("/address confirm (write)", [(member(o), "/address", {"order": o.order_id, "address": address,
                                                                  "confirm": True}) for o in movable],
            {"done", "refused"})
    return {"round_trip_ms": round_trip_ms, "cold_mall_settings_ms": cold_settings_ms,
            "steps": [f.__dict__ for f in figures], "target_p95_ms": TARGET_P95_MS}


def report(result: dict[str, Any]) -> str:
    lines = [f"one GET /orders/{{id}} round trip: {result['round_trip_ms']:.1f} ms (median); "
             f"first read of the mall's settings (4 calls, then cached): {result['cold_mall_settings_ms']:.0f} ms",
             f"{'step':28} {'runs':>5} {'median':>9} {'p95':>9} {'x trip':>7} {'in calls':>9} {'Cafe24':>7} "
             f"{'max':>4} {'Sellmate':>9}  p95 <= {result['target_p95_ms']:.0f} ms"]
    for s in result["steps"]:
        ok = "yes" if s["p95_ms"] <= result["target_p95_ms"] else "NO"
        lines.append(f"{s['name']:28} {s['runs']:>5} {s['median_ms']:>7.1f}ms {s['p95_ms']:>7.1f}ms "
                     f"{s['ratio_to_round_trip']:>6.1f}x {s['in_calls_ms']:>7.1f}ms {s['cafe24_calls']:>7.2f} "
                     f"{s['cafe24_max']:>4} "
                     f"{s['sellmate_calls']:>9.2f}  {ok}")
    return "\n".join(lines)

