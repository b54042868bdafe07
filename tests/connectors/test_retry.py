"""Retry decisions are values: each rule checked without a network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from cafehub.connectors.retry import RetryPolicy, no_jitter, retry_after_seconds

POLICY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, max_rate_limited_attempts=5, jitter=no_jitter)


def response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "https://x.test/"))


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds(response(429, **{"Retry-After": "3"})) == 3.0
    now = datetime(2025, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert retry_after_seconds(response(429, **{"Retry-After": later}), now) == pytest.approx(7.0)
    assert retry_after_seconds(response(429, **{"Retry-After": "soon"})) is None
    assert retry_after_seconds(response(429)) is None


def test_429_is_retried_for_reads_and_writes_honouring_retry_after_and_the_bucket() -> None:
    assert POLICY.on_response(1, response(429, **{"Retry-After": "2"}), write=True) == (True, 2.0)
    # the bucket's own estimate wins when it is longer than the hint
    assert POLICY.on_response(1, response(429, **{"Retry-After": "2"}), write=False, bucket_wait=3.5) == (True, 3.5)
    assert POLICY.on_response(5, response(429), write=False) == (False, 0.0)


def test_server_errors_are_retried_for_reads_only_with_exponential_backoff() -> None:
    delays = [POLICY.on_response(n, response(503), write=False) for n in (1, 2, 3)]
    assert delays == [(True, 1.0), (True, 2.0), (True, 4.0)]
    assert POLICY.on_response(4, response(503), write=False) == (False, 0.0)
    assert POLICY.on_response(1, response(500), write=True) == (False, 0.0)
    assert POLICY.on_response(1, response(422), write=False) == (False, 0.0)


def test_backoff_is_capped_and_jitter_is_swappable() -> None:
    halved = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=lambda d: d / 2)
    assert halved.backoff(10) == 4.0
    assert POLICY.backoff(10) == 8.0


def test_transport_failures_writes_only_retry_when_nothing_was_sent() -> None:
    request = httpx.Request("POST", "https://x.test/")
    refused = httpx.ConnectError("refused", request=request)
    timed_out = httpx.ReadTimeout("slow", request=request)
    assert POLICY.on_exception(1, refused, write=True)[0] is True
    assert POLICY.on_exception(1, httpx.ConnectTimeout("slow connect", request=request), write=True)[0] is True
    assert POLICY.on_exception(1, timed_out, write=True) == (False, 0.0)
    assert POLICY.on_exception(1, timed_out, write=False) == (True, 1.0)
    assert POLICY.on_exception(4, timed_out, write=False) == (False, 0.0)
