"""The real limit (40 calls, draining 2 per second): steady state at the drain rate, no 429."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from cafehub.sandbox.testing import serve


def test_steady_state_runs_at_two_calls_per_second_without_429(tmp_path: Path) -> None:
    with serve(tmp_path, capacity=40, drain_per_second=2.0) as sb:
        client = sb.client()
        sb.sandbox.bucket.fill(38)  # warmed up: the bucket is nearly full, as after a burst
        stamps = []
        for _ in range(11):
            client.count_orders(date(2024, 1, 1), date(2024, 1, 31))
            stamps.append(time.monotonic())
        rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        assert client.stats.rate_limited == 0
        assert sb.sandbox.count(429) == 0
        assert rate == pytest.approx(2.0, rel=0.1)
