"""Cafe24's limits as documented, over loopback: the drain rate, usage blocks, the burst rule, a second client.

The sandbox enforces the request bucket (40 calls, 2/s), the usage limit
(``X-Cafe24-*-Remain`` = seconds until calls are accepted again, only at 100 %
usage; calling while blocked makes the block longer) and the burst rule (10
calls in one second from one address are refused as abnormal).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cafehub.sandbox.limits import UsageQuota
from cafehub.sandbox.sample import sample_shop
from cafehub.sandbox.testing import SandboxHandle, SteadyCaller, serve, sqlite, store_tables, tables
from cafehub.store import records as r
from cafehub.sync.engine import Syncer, SyncOptions

#: Cafe24's documented limits, with the sandbox's quotas for the usage limit.
REAL = {"capacity": 40, "drain_per_second": 2.0, "usage": UsageQuota()}
DAYS = (date(2024, 1, 1), date(2024, 1, 31))


def recent_shop() -> tuple[r.ShopData, date]:
    """A small shop with 50 days of orders (fewer order windows, so fewer calls, than the default since 2024)."""
    start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(days=50)
    return sample_shop(customers=12, orders=40, seed=3, start=start), start.date()


def busiest_second(stamps: list[float]) -> int:
    return max((sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps), default=0)


def test_steady_state_runs_at_two_calls_per_second_without_429(tmp_path: Path) -> None:
    with serve(tmp_path, **REAL) as sb:
        client = sb.client()
        sb.sandbox.bucket.fill(38)  # warmed up: the bucket is nearly full, as after a burst
        stamps = []
        for _ in range(11):
            client.count_orders(*DAYS)
            stamps.append(time.monotonic())
        rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        assert client.stats.rate_limited == 0
        assert sb.sandbox.count(429) == 0
        assert rate == pytest.approx(2.0, rel=0.1)


def test_a_usage_block_is_waited_out_as_told_with_a_single_refused_call(tmp_path: Path) -> None:
    quota = UsageQuota(call_quota=50, call_drain=1.0)
    with serve(tmp_path, capacity=40, drain_per_second=2.0, usage=quota) as sb:
        client = sb.client()
        sb.sandbox.limits.block(2.0)  # another app put the mall over its quota: blocked for 2 s
        started = time.monotonic()
        assert client.count_orders(*DAYS) >= 0
        elapsed = time.monotonic() - started
        assert client.stats.blocks == 1  # one 429 carrying X-Cafe24-Call-Remain, then silence until it ends
        assert sb.sandbox.limits.refused["usage"] == 1
        assert elapsed >= 2.0
        assert client.caller.bucket.blocked_seconds >= 1.5


def test_a_sync_never_bursts_past_the_abnormal_rate(tmp_path: Path) -> None:
    data, since = recent_shop()
    with serve(tmp_path, data, **REAL) as sb:
        client = sb.client()
        report = Syncer(client, sqlite(tmp_path, "synced.db"), SyncOptions(since=since)).run()
        stamps = [x.at for x in sb.sandbox.log if "/admin/" in x.path]
        assert sb.sandbox.limits.abnormal == 0
        assert busiest_second(stamps) <= 5  # 4 started per second by the client; 1 for loopback jitter
        assert report.rate_limited == 0
        client.close()


def test_a_second_client_at_three_calls_per_second_slows_the_sync_but_never_stops_it(tmp_path: Path) -> None:
    data, since = recent_shop()
    with serve(tmp_path, data, **REAL) as sb:
        sb.sandbox.bucket.fill(38)  # the other app has been calling for a while: the shared bucket is nearly full
        other = second_client(sb, rate=3.0)
        other.start()
        try:
            client = sb.client()
            target = sqlite(tmp_path, "synced.db")
            report = Syncer(client, target, SyncOptions(since=since)).run()
            client.close()
        finally:
            other.stop()
        assert store_tables(target) == tables(data)
        assert other.sent > 0
        assert other.refused > 0
        assert report.calls_per_second() < 2.0
        assert sb.sandbox.limits.abnormal == 0


def second_client(sb: SandboxHandle, rate: float) -> SteadyCaller:
    """Another app authorized on the same mall, calling at ``rate`` calls/s regardless of 429s."""
    cfg = sb.sandbox.config
    answer = httpx.post(f"{sb.cafe24_url}/api/v2/oauth/token", auth=(cfg.client_id, cfg.client_secret),
                        data={"grant_type": "authorization_code", "code": sb.sandbox.authorize()})
    return SteadyCaller(sb.cafe24_url, answer.json()["access_token"], rate)
