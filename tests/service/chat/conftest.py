"""Fixtures of the chat surfaces' tests: one sandbox per module, and the whole service around it per test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cafehub.sandbox.messaging import SmsOutbox
from cafehub.sandbox.testing import SandboxHandle, serve

from .env import ChatService, chat_service


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with serve(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


@pytest.fixture
def chat(tmp_path: Path, sandbox: SandboxHandle, sms_outbox: tuple[SmsOutbox, str],
         caplog: pytest.LogCaptureFixture) -> Iterator[ChatService]:
    """The service with two chat shops on the sandbox; every log record captured (the tests scan them)."""
    caplog.set_level(logging.DEBUG)
    outbox, url = sms_outbox
    with chat_service(tmp_path, sandbox, outbox, url) as made:
        yield made
