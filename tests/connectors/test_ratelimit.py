"""The client-side leaky bucket, on a fake clock."""

from __future__ import annotations

import pytest

from cafehub.connectors.ratelimit import BucketSpec, LeakyBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def bucket(clock: Clock, **spec: float) -> LeakyBucket:
    return LeakyBucket(BucketSpec(**spec), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def test_a_burst_fills_the_bucket_then_calls_go_at_the_drain_rate() -> None:
    clock = Clock()
    b = bucket(clock)
    for _ in range(39):  # capacity 40 minus one call of headroom
        assert b.acquire() == 0.0
    waits = [b.acquire() for _ in range(10)]
    assert waits == pytest.approx([0.5] * 10)
    assert clock.now == pytest.approx(5.0)


def test_the_bucket_drains_while_idle() -> None:
    clock = Clock()
    b = bucket(clock)
    for _ in range(39):
        b.acquire()
    clock.now += 10  # 20 calls drained
    assert b.level == pytest.approx(19.0)
    assert b.wait_time() == 0.0


def test_the_servers_count_replaces_our_estimate() -> None:
    clock = Clock()
    b = bucket(clock)
    b.acquire()
    assert b.observe({"x-api-call-limit": "39/40"}) == 0.0
    assert b.level == pytest.approx(39.0)
    assert b.wait_time() == pytest.approx(0.5)
    b.observe({"x-api-call-limit": "5/10"})  # another capacity: scaled to ours
    assert b.level == pytest.approx(20.0)


def test_low_remaining_usage_asks_for_a_pause_and_garbage_is_ignored() -> None:
    clock = Clock()
    b = bucket(clock)
    assert b.observe({"x-cafe24-call-remain": "1"}) == pytest.approx(0.5)
    assert b.observe({"x-cafe24-call-remain": "30"}) == 0.0
    assert b.observe({"x-api-call-limit": "lots", "x-cafe24-call-remain": "?"}) == 0.0
    assert b.level == 0.0


def test_fill_after_a_429_makes_the_next_call_wait() -> None:
    clock = Clock()
    b = bucket(clock)
    b.fill()
    assert b.wait_time() == pytest.approx(1.0)  # (40 + 1 - 39) / 2
