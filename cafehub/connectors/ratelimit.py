"""Client-side leaky bucket per mall, kept in step with the server's counters.

Cafe24 meters each mall with a leaky bucket: 40 calls of capacity, draining
2 per second; a call into a full bucket gets 429. Every response reports the
level as ``X-Api-Call-Limit: n/40`` (and ``X-Cafe24-Call-Usage`` /
``X-Cafe24-Call-Remain`` for the usage-based limit). Waiting *before* the
call, by our own estimate of the level, means the steady state runs at the
drain rate with no 429 at all; taking the server's reported level whenever we
hear it keeps the estimate honest when other workers share the mall.

One :class:`LeakyBucket` per mall is shared by every client in the process
(:func:`bucket_for`), so two syncs of one mall in one process do not each
believe they own the full 40.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketSpec:
    """The shape of a mall's bucket: capacity in calls and drain in calls per second."""

    capacity: int = 40
    drain_per_second: float = 2.0
    #: Calls kept free as a margin for clock skew and calls in flight.
    headroom: int = 1
    #: Below this many remaining calls (``X-Cafe24-Call-Remain``), wait one drain interval.
    min_remain: int = 2


class LeakyBucket:
    """Our estimate of a mall's bucket level; :meth:`acquire` waits until a call fits."""

    def __init__(self, spec: BucketSpec = BucketSpec(), *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep):
        self.spec = spec
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for reports

    def _drain(self, now: float) -> None:
        self._level = max(0.0, self._level - (now - self._stamp) * self.spec.drain_per_second)
        self._stamp = now

    @property
    def level(self) -> float:
        with self._lock:
            self._drain(self._clock())
            return self._level

    def wait_time(self) -> float:
        """Seconds until one more call fits under capacity minus headroom."""
        with self._lock:
            self._drain(self._clock())
            return self._wait_locked()

    def _wait_locked(self) -> float:
        limit = self.spec.capacity - self.spec.headroom
        excess = self._level + 1 - limit
        return max(0.0, excess / self.spec.drain_per_second)

    def acquire(self) -> float:
        """Block until a call fits, then count it. Returns the seconds waited."""
        total = 0.0
        while True:
            with self._lock:
                self._drain(self._clock())
                wait = self._wait_locked()
                if wait <= 0:
                    self._level += 1
                    self.waited += total
                    return total
            self._sleep(wait)
            total += wait

    def observe(self, headers: Mapping[str, str]) -> float:
        """Take the server's counters from a response; return an extra pause the usage headers ask for.

        ``X-Api-Call-Limit: n/cap`` sets our level to ``n`` (the server knows about
        every worker). A low ``X-Cafe24-Call-Remain`` asks for one drain interval
        of rest before the next call.
        """
        pause = 0.0
        raw = headers.get("x-api-call-limit")
        if raw:
            used, _, cap = raw.partition("/")
            try:
                level, capacity = float(used.strip()), float(cap.strip() or self.spec.capacity)
            except ValueError:
                level, capacity = -1.0, 0.0
            if level >= 0:
                with self._lock:
                    self._drain(self._clock())
                    # the server's capacity may differ from our default: scale to ours
                    if capacity and capacity != self.spec.capacity:
                        level = level * self.spec.capacity / capacity
                    self._level = level
        remain = headers.get("x-cafe24-call-remain")
        if remain is not None:
            try:
                if float(remain) < self.spec.min_remain:
                    pause = 1.0 / self.spec.drain_per_second
            except ValueError:
                pass
        return pause

    def fill(self) -> None:
        """Mark the bucket full (after a 429: the server says there is no room)."""
        with self._lock:
            self._drain(self._clock())
            self._level = float(self.spec.capacity)


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
