"""Cafe24's two rate limits and its burst rule, as the sandbox enforces them.

From the Admin API reference ("API Limit"):

- **Request count**: a leaky bucket per mall, 40 calls, draining 2 per
  second; a call into a full bucket gets 429. Every answer reports the level
  as ``X-Api-Call-Limit: n/40``.
- **Usage**: calls and processing time are metered against quotas.
  ``X-Cafe24-Call-Usage`` and ``X-Cafe24-Time-Usage`` (percent) are on every
  answer; ``X-Cafe24-Call-Remain`` / ``X-Cafe24-Time-Remain`` appear only
  once the usage is 100 % or more, and give the *seconds* until calls are
  accepted again. While blocked every call is refused (429) and still
  counted, so calling while blocked makes the block longer.
- **Burst**: 10 or more calls in one second from one address to one mall
  "may be treated as abnormal" even inside the bucket. The sandbox refuses
  such a call (429) and counts it (:attr:`Limits.abnormal`), so a client that
  bursts shows up in tests.

Cafe24 publishes no quota numbers for the usage limit; the sandbox's
(:class:`UsageQuota`) are chosen so that a well-behaved client at the
request bucket's pace never reaches them, and tests set small ones.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageQuota:
    """The usage limit's quotas and the burst rule (Cafe24 publishes no numbers: these are the sandbox's)."""

    #: Calls metered by the usage limit, and how many it forgets per second.
    call_quota: float = 3000.0
    call_drain: float = 2.5
    #: Processing seconds metered by the usage limit, and how many it forgets per second.
    time_quota: float = 600.0
    time_drain: float = 1.0
    #: Modelled processing time of a call: a base and a share per record answered.
    time_per_call: float = 0.01
    time_per_row: float = 0.0005
    #: Calls in one second from one address from which a call is "abnormal".
    burst_threshold: int = 10


#: For functional tests: nothing but the request bucket ever refuses.
UNLIMITED = UsageQuota(call_quota=1e12, time_quota=1e12, burst_threshold=10**9)


class Meter:
    """A leaky meter: ``level`` rises by what is added and falls by ``drain`` per second."""

    def __init__(self, quota: float, drain: float, clock: Clock) -> None:
        self.quota, self.drain, self.clock = quota, drain, clock
        self.level = 0.0
        self.stamp = clock()

    def leak(self) -> None:
        now = self.clock()
        self.level = max(0.0, self.level - (now - self.stamp) * self.drain)
        self.stamp = now

    def add(self, amount: float) -> None:
        self.leak()
        self.level += amount

    @property
    def usage(self) -> float:
        """Percent of the quota in use."""
        self.leak()
        return 100.0 * self.level / self.quota

    def blocked(self) -> bool:
        return self.usage >= 100.0

    def remain(self) -> int:
        """Whole seconds until the level is back under the quota (at least 1 while blocked)."""
        self.leak()
        return max(1, math.ceil((self.level - self.quota) / self.drain + 1e-9))


class Bucket:
    """The request-count leaky bucket: ``capacity`` calls draining ``drain`` per second."""

    def __init__(self, capacity: int, drain: float, clock: Clock = time.monotonic) -> None:
        self.capacity = capacity
        self.drain = drain
        self.clock = clock
        self.level = 0.0
        self.stamp = clock()
        self.lock = threading.Lock()

    def _leak(self) -> None:
        now = self.clock()
        self.level = max(0.0, self.level - (now - self.stamp) * self.drain)
        self.stamp = now

    def take(self) -> tuple[bool, float]:
        """Count a call if it fits; returns (accepted, level after)."""
        with self.lock:
            self._leak()
            if self.level + 1 > self.capacity + 1e-9:
                return False, self.level
            self.level += 1
            return True, self.level

    def fill(self, level: float | None = None) -> None:
        with self.lock:
            self._leak()
            self.level = float(self.capacity if level is None else level)

    def limit_header(self, level: float) -> str:
        return f"{min(self.capacity, math.ceil(level - 1e-9))}/{self.capacity}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the limits decide about one call: accepted or not, why, and the headers to send."""

    accepted: bool
    headers: dict[str, str]
    reason: str = ""


class Limits:
    """One mall's limits (thread-safe): admit a call, then charge its processing time."""

    def __init__(self, capacity: int, drain_per_second: float, quota: UsageQuota = UsageQuota(),
                 clock: Clock = time.monotonic) -> None:
        self.quota = quota
        self.clock = clock
        self.bucket = Bucket(capacity, drain_per_second, clock)
        self.calls = Meter(quota.call_quota, quota.call_drain, clock)
        self.time = Meter(quota.time_quota, quota.time_drain, clock)
        self.recent: dict[str, deque[float]] = {}
        self.lock = threading.Lock()
        #: Calls refused for each reason.
        self.refused = {"bucket": 0, "usage": 0, "burst": 0}

    @property
    def abnormal(self) -> int:
        """Calls refused by the burst rule."""
        return self.refused["burst"]

    def _usage_headers(self) -> dict[str, str]:
        headers = {"X-Cafe24-Call-Usage": f"{self.calls.usage:.2f}", "X-Cafe24-Time-Usage": f"{self.time.usage:.2f}"}
        if self.calls.blocked():
            headers["X-Cafe24-Call-Remain"] = str(self.calls.remain())
        if self.time.blocked():
            headers["X-Cafe24-Time-Remain"] = str(self.time.remain())
        return headers

    def _burst(self, address: str) -> bool:
        """Record a call from ``address``; True when it is the ``burst_threshold``-th within one second."""
        now = self.clock()
        window = self.recent.setdefault(address, deque())
        window.append(now)
        while window and window[0] <= now - 1.0:
            window.popleft()
        return len(window) >= self.quota.burst_threshold

    def admit(self, address: str) -> Verdict:
        with self.lock:
            burst = self._burst(address)
            if self.calls.blocked() or self.time.blocked():
                self.calls.add(1)  # calling while blocked lengthens the block
                self.refused["usage"] += 1
                headers = {"X-Api-Call-Limit": self.bucket.limit_header(self.bucket.level), **self._usage_headers()}
                return Verdict(False, headers, "usage")
            accepted, level = self.bucket.take()
            headers = {"X-Api-Call-Limit": self.bucket.limit_header(level)}
            if not accepted:
                self.refused["bucket"] += 1
                return Verdict(False, {**headers, **self._usage_headers()}, "bucket")
            if burst:
                self.refused["burst"] += 1
                return Verdict(False, {**headers, **self._usage_headers()}, "burst")
            self.calls.add(1)
            return Verdict(True, {**headers, **self._usage_headers()})

    def charge(self, rows: int) -> None:
        """Meter the processing time of an answered call of ``rows`` records."""
        with self.lock:
            self.time.add(self.quota.time_per_call + self.quota.time_per_row * rows)

    def block(self, seconds: float, *, meter: str = "calls") -> None:
        """Put the mall over its ``calls`` or ``time`` quota for ``seconds`` (as a heavy user would; for tests)."""
        with self.lock:
            target = self.calls if meter == "calls" else self.time
            target.leak()
            target.level = target.quota + seconds * target.drain
