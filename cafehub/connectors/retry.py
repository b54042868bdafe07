"""Retry decisions as values: ``(retry, delay)`` for one failed attempt.

A retry loop asks a :class:`RetryPolicy` after each failed attempt whether to
try again and how long to wait. Keeping the decision a pure function of the
attempt number, the outcome and the request's kind makes every rule testable
without a network, and lets tests swap the jitter for a constant.

Rules (Cafe24 documents 429 for a full bucket, 5xx and 504 for transient
failures; see docs/CONNECTORS.md):

- 429 is retried for every method: the request was refused before any work
  was done. The delay honours ``Retry-After`` and is never shorter than what
  the client-side limits say (the caller passes that in: bucket room, or the
  seconds a usage block lasts, from ``X-Cafe24-Call-Remain``/``-Time-Remain``).
- 5xx, timeouts and dropped connections are retried for *reads* only, with
  exponential backoff and jitter. A write that may have reached the server is
  never retried blindly: the caller settles it by reading back
  (:mod:`cafehub.connectors.cafe24.writes`).
- A connection that was never made (``ConnectError``, ``ConnectTimeout``) is safe to retry
  for writes too: nothing reached the server.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

Decision = tuple[bool, float]
Jitter = Callable[[float], float]


def full_jitter(delay: float) -> float:
    """A delay drawn uniformly from ``[delay / 2, delay]`` (keeps some spacing, breaks lockstep)."""
    return random.uniform(delay / 2, delay)


def no_jitter(delay: float) -> float:
    """The delay unchanged (for tests)."""
    return delay


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), or ``None`` when absent or unreadable."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How many attempts, and how long to wait between them."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    #: 429s are retried more often than errors: a full bucket always drains and a usage block ends
    #: (the wait is what the server says, so many attempts cost little; this only stops a broken server).
    max_rate_limited_attempts: int = 100
    jitter: Jitter = field(default=full_jitter)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff for the ``attempt``-th failure (1-based), jittered and capped."""
        return self.jitter(min(self.max_delay, self.base_delay * (2 ** (attempt - 1))))

    def on_response(self, attempt: int, response: httpx.Response, *, write: bool, bucket_wait: float = 0.0) -> Decision:
        """Decide after an error status."""
        status = response.status_code
        if status == 429:
            if attempt >= self.max_rate_limited_attempts:
                return False, 0.0
            hinted = retry_after_seconds(response)
            delay = max(bucket_wait, hinted if hinted is not None else self.jitter(self.base_delay))
            return True, min(delay, self.max_delay)
        if status >= 500 and not write:
            if attempt >= self.max_attempts:
                return False, 0.0
            hinted = retry_after_seconds(response)
            return True, max(self.backoff(attempt), hinted or 0.0)
        return False, 0.0

    def on_exception(self, attempt: int, error: httpx.HTTPError, *, write: bool) -> Decision:
        """Decide after a transport failure (no response)."""
        if attempt >= self.max_attempts:
            return False, 0.0
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
            return True, self.backoff(attempt)  # nothing was sent: safe for writes too
        if write:
            return False, 0.0
        if isinstance(error, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
            return True, self.backoff(attempt)
        return False, 0.0


DEFAULT_RETRY = RetryPolicy()
