"""The chat API's published OpenAPI operations, fuzzed by schemathesis against a shop whose chat runs on the
sandbox, with each route's own credentials (the chat key, a conversation token, an API token), so the
conversation engine itself gets the generated texts, buttons, answers and photos: no 5xx, and every answer
is one the document declares."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from cafehub.sandbox.messaging import SmsOutbox
from cafehub.sandbox.server import _Server
from cafehub.sandbox.testing import serve
from cafehub.service.app import create_app
from cafehub.service.config import parse_config

from .env import KEYS, ChatService, chat_service


def _document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        app = create_app(parse_config({"shops": {"alpha": {"store": "sqlite:///alpha.db"}}}, Path(directory)))
        try:
            return app.openapi()
        finally:
            app.state.cafehub.close()


schema = schemathesis.openapi.from_dict(_document()).include(tag="chat")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ChatService, str, dict[str, str]]]:
    outbox = SmsOutbox()
    sms = _Server(outbox.app(), "127.0.0.1", 0)
    sms_url = f"http://127.0.0.1:{sms.start()}"
    with serve(tmp_path_factory.mktemp("sandbox")) as handle, \
            chat_service(tmp_path_factory.mktemp("chat"), handle, outbox, sms_url) as chat:
        conversation, headers = chat.open()
        yield chat, conversation, headers
    sms.stop()


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_chat_operation_keeps_its_published_contract(
        case: Any, fuzzed: tuple[ChatService, str, dict[str, str]]) -> None:
    chat, conversation, token = fuzzed
    parameters = case.path_parameters or {}
    parameters["shop"] = "alpha"
    if re.fullmatch(r"w-[A-Za-z0-9_-]{16,40}", str(parameters.get("conversation", ""))):
        parameters["conversation"] = conversation  # a valid id: the open conversation's (an invalid one stays)
    path = case.path
    if path.endswith("/chat/conversations"):
        headers = {"X-Chat-Key": KEYS["alpha"]}
    elif path.endswith(("/handoffs", "/give-back")):
        headers = {"Authorization": f"Bearer {chat.api_tokens['alpha', 'write']}"}
    else:
        headers = token
    case.call_and_validate(app=chat.app, headers=headers, excluded_checks=[positive_data_acceptance])


def test_the_fuzz_reaches_every_chat_operation() -> None:
    operations = {(o.ok().method.upper(), o.ok().path) for o in schema.get_all_operations()}
    assert ("POST", "/v1/shops/{shop}/chat/conversations/{conversation}/messages") in operations
    assert len(operations) == 6
