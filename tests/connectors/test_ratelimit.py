"""The client-side leaky bucket, on a fake clock."""

from __future__ import annotations

import itertools

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


def test_the_opening_burst_is_paced_below_the_abnormal_rate_then_calls_go_at_the_drain_rate() -> None:
    clock = Clock()
    b = bucket(clock)
    starts = []
    for _ in range(100):
        b.acquire()
        starts.append(clock.now)
    busiest = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert busiest == 4  # never more than max_per_second in any one second (Cafe24: 10 is abnormal)
    assert min(b - a for a, b in itertools.pairwise(starts)) == pytest.approx(0.25)  # evenly
    assert b.level == pytest.approx(39.0)  # the bucket filled at 4 - 2 = 2 calls/s net
    tail = starts[80:]
    assert (len(tail) - 1) / (tail[-1] - tail[0]) == pytest.approx(2.0)  # then the drain rate


def test_the_bucket_drains_while_idle() -> None:
    clock = Clock()
    b = bucket(clock, max_per_second=1000)
    for _ in range(39):
        b.acquire()
    clock.now = 10  # 20 calls drained since the first
    assert b.level == pytest.approx(19.0)
    assert b.wait_time() == 0.0


def test_the_servers_count_replaces_our_estimate() -> None:
    clock = Clock()
    b = bucket(clock)
    b.acquire()
    clock.now += 1
    assert b.observe({"x-api-call-limit": "39/40"}) == 0.0
    assert b.level == pytest.approx(39.0)
    assert b.wait_time() == pytest.approx(0.5)
    b.observe({"x-api-call-limit": "5/10"})  # another capacity: scaled to ours
    assert b.level == pytest.approx(20.0)


def test_remain_is_the_seconds_a_usage_block_lasts_and_every_call_waits_it_out() -> None:
    clock = Clock()
    b = bucket(clock)
    # below 100 % there is no Remain header: nothing to wait for
    assert b.observe({"x-cafe24-call-usage": "42.50", "x-cafe24-time-usage": "3.00"}) == 0.0
    assert b.wait_time() == 0.0
    b.observe({"x-cafe24-call-usage": "120.04", "x-cafe24-call-remain": "32", "x-cafe24-time-usage": "100.5",
               "x-cafe24-time-remain": "7"})
    assert b.blocked_for() == pytest.approx(32.0)  # the longer of the two
    assert b.acquire() == pytest.approx(32.0)
    assert b.blocked_seconds == pytest.approx(32.0)
    assert b.observe({"x-api-call-limit": "lots", "x-cafe24-call-remain": "?"}) == 0.0


def test_high_usage_slows_the_pace_before_a_block() -> None:
    clock = Clock()
    b = bucket(clock)
    assert b.observe({"x-cafe24-call-usage": "89.99"}) == 0.0
    assert b.observe({"x-cafe24-time-usage": "93.10"}) == pytest.approx(0.5)


def test_fill_after_a_429_makes_the_next_call_wait() -> None:
    clock = Clock()
    b = bucket(clock)
    b.fill()
    # the server had no room: the next call waits for one slot to drain (1 / 2 s), not for the headroom too
    assert b.wait_time() == pytest.approx(0.5)


def test_waits_are_counted_on_the_thread_that_waited() -> None:
    """A request handler tells its own time from the rate limit's by the waits counted on its thread."""
    import threading

    from cafehub.connectors.ratelimit import thread_waited

    clock = Clock()
    b = bucket(clock, max_per_second=2.0)
    before = thread_waited()
    b.acquire()  # the first call goes at once
    assert thread_waited() == before
    b.acquire()  # the next waits half a second
    assert thread_waited() - before == pytest.approx(0.5)
    elsewhere: list[float] = []
    other = threading.Thread(target=lambda: elsewhere.append(thread_waited()))
    other.start()
    other.join()
    assert elsewhere == [0.0]
