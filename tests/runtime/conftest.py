"""Fixtures for the chat runtime: Redis with a private key prefix, an SMTP sink (the SMS outbox is in
tests/conftest.py, shared with the service's chat tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from cafehub.sandbox.messaging import SmtpSink

REDIS_URL = os.environ.get("CAFEHUB_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("CAFEHUB_REQUIRE_SERVICES") == "1"


@pytest.fixture
def redis_client() -> Iterator[object]:
    """A Redis client; every key the test writes starts with the returned client's ``test_prefix``."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except RedisConnectionError as error:
        message = f"Redis at {REDIS_URL} is not reachable ({error})"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}; CAFEHUB_REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
        pytest.skip(message)
    prefix = f"cafehub-test:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    client.test_prefix = prefix  # type: ignore[attr-defined]
    yield client
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink
