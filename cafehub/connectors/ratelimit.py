"""Client-side pacing per mall, kept in step with what Cafe24's headers say.

Cafe24 limits a mall three ways (Admin API reference, "API Limit"; the
sandbox models them in :mod:`cafehub.sandbox.limits`):

1. a leaky bucket of 40 calls draining 2 per second, reported on every answer
   as ``X-Api-Call-Limit: n/40``; a call into a full bucket gets 429;
2. a usage limit on calls and processing time: ``X-Cafe24-Call-Usage`` /
   ``X-Cafe24-Time-Usage`` in percent, and, only once a usage reaches 100 %,
   ``X-Cafe24-Call-Remain`` / ``X-Cafe24-Time-Remain``: the *seconds* until
   calls are accepted again. Calling while blocked makes the block longer;
3. 10 or more calls in one second from one address may be treated as abnormal.

So :class:`LeakyBucket` waits *before* each call until

- the bucket (by our estimate, replaced by the server's ``n/40`` whenever we
  hear it, so other workers on the mall count) has room;
- at least ``1 / max_per_second`` has passed since the last call started
  (4 per second by default: well under the abnormal threshold, with room for
  another client on the same address, and evenly spaced so that network
  jitter cannot bunch them);
- a usage block the server reported is over: every thread waits it out, and
  nothing is sent meanwhile.

When a usage passes ``slow_usage`` percent, each call adds one drain
interval of rest, halving the pace before a block can happen. The steady
state is the drain rate (2 calls/s) with no 429 at all.

One :class:`LeakyBucket` per mall is shared by every client in the process
(:func:`bucket_for`), so two syncs of one mall in one process do not each
believe they own the full 40.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], None]

#: Headers giving the seconds until a usage block ends (present only while blocked).
REMAIN_HEADERS = ("x-cafe24-call-remain", "x-cafe24-time-remain")
USAGE_HEADERS = ("x-cafe24-call-usage", "x-cafe24-time-usage")


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketSpec:
    """How fast to call one mall."""

    #: The request bucket: capacity in calls, and calls it drains per second.
    capacity: int = 40
    drain_per_second: float = 2.0
    #: Calls kept free as a margin for clock skew and calls in flight.
    headroom: int = 1
    #: Most calls started in any one second, evenly spaced (Cafe24 may treat 10 or more from one
    #: address as abnormal).
    max_per_second: float = 4.0
    #: Above this usage (percent), rest one drain interval after each call.
    slow_usage: float = 90.0


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


_THREAD_WAITS = threading.local()


def thread_waited() -> float:
    """Seconds this thread has spent so far waiting for a mall's rate limit: the bucket before a call, the
    back-off after a 429, the pause a usage block asks for. A request handler reads it before and after its
    work to tell its own time from Cafe24's limit (the chat API's ``Server-Timing``)."""
    return float(getattr(_THREAD_WAITS, "seconds", 0.0))


def count_wait(seconds: float) -> None:
    """Add ``seconds`` of rate-limit waiting to this thread's :func:`thread_waited`."""
    if seconds > 0:
        _THREAD_WAITS.seconds = thread_waited() + seconds


class LeakyBucket:
    """Our view of a mall's limits; :meth:`acquire` waits until a call may be sent."""

    def __init__(self, spec: BucketSpec = BucketSpec(), *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep):
        self.spec = spec
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._stamp = clock()
        self._last_start = -math.inf
        self._blocked_until = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for reports
        self.blocked_seconds = 0.0  # of which waiting out usage blocks

    def _drain(self, now: float) -> None:
        self._level = max(0.0, self._level - (now - self._stamp) * self.spec.drain_per_second)
        self._stamp = now

    @property
    def level(self) -> float:
        with self._lock:
            self._drain(self._clock())
            return self._level

    def wait_time(self) -> float:
        """Seconds until one more call may be sent."""
        with self._lock:
            now = self._clock()
            self._drain(now)
            return self._wait_locked(now)

    def blocked_for(self) -> float:
        """Seconds left of a usage block the server reported (0 when none)."""
        with self._lock:
            return max(0.0, self._blocked_until - self._clock())

    def _wait_locked(self, now: float) -> float:
        limit = self.spec.capacity - self.spec.headroom
        bucket = max(0.0, (self._level + 1 - limit) / self.spec.drain_per_second)
        spacing = self._last_start + 1.0 / self.spec.max_per_second - now
        return max(bucket, spacing, self._blocked_until - now)

    def acquire(self) -> float:
        """Block until a call may be sent, then count it. Returns the seconds waited."""
        total = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._drain(now)
                wait = self._wait_locked(now)
                if wait <= 0:
                    self._level += 1
                    self._last_start = now
                    self.waited += total
                    count_wait(total)
                    return total
                blocked = max(0.0, self._blocked_until - now)
            self._sleep(wait)
            total += wait
            with self._lock:
                self.blocked_seconds += min(wait, blocked)

    def observe(self, headers: Mapping[str, str]) -> float:
        """Take the server's counters from an answer; returns a rest to take before the next call.

        ``X-Api-Call-Limit: n/cap`` sets our level to ``n``. A ``Remain`` header
        (a usage block) holds every call back for that many seconds. A usage
        above ``slow_usage`` asks for one drain interval of rest.
        """
        raw = headers.get("x-api-call-limit")
        if raw:
            used, _, cap = raw.partition("/")
            level, capacity = _number(used.strip()), _number(cap.strip()) or float(self.spec.capacity)
            if level is not None and level >= 0:
                with self._lock:
                    self._drain(self._clock())
                    # the server's capacity may differ from our default: scale to ours
                    self._level = level * self.spec.capacity / capacity
        remain = [r for r in (_number(headers.get(h)) for h in REMAIN_HEADERS) if r is not None]
        if remain:
            self.block(max(remain))
        usage = [u for u in (_number(headers.get(h)) for h in USAGE_HEADERS) if u is not None]
        if usage and max(usage) >= self.spec.slow_usage:
            return 1.0 / self.spec.drain_per_second
        return 0.0

    def block(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the server said a usage block lasts that long)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def fill(self) -> None:
        """Mark the bucket full (after a 429 from the request bucket: the server has no room).

        The next call then waits one drain interval, when a slot frees: waiting
        longer would hand every freed slot to another client calling the mall
        steadily, and the sync would crawl far below its share.
        """
        with self._lock:
            self._drain(self._clock())
            self._level = float(self.spec.capacity - self.spec.headroom)


_BUCKETS: dict[tuple[str, BucketSpec], LeakyBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def bucket_for(mall_id: str, spec: BucketSpec = BucketSpec()) -> LeakyBucket:
    """The process-wide bucket of ``mall_id`` (created on first use)."""
    with _BUCKETS_LOCK:
        key = (mall_id, spec)
        bucket = _BUCKETS.get(key)
        if bucket is None:
            bucket = _BUCKETS[key] = LeakyBucket(spec)
        return bucket


def is_usage_block(headers: Mapping[str, str]) -> bool:
    """A 429 from the usage limit (it carries a ``Remain`` header), not from the request bucket."""
    return any(headers.get(h) is not None for h in REMAIN_HEADERS)
