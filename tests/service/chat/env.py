"""The whole chat path on loopback for the service's chat tests: the sandbox (Cafe24 + Sellmate), the SMS
outbox, a Channel Talk stand-in, and the cafehub service (uvicorn) with two chat shops, ``alpha`` and
``beta``, on their own stores."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cafehub.sandbox.channeltalk import ChannelTalkStandIn
from cafehub.sandbox.messaging import SmsOutbox
from cafehub.sandbox.server import _Server
from cafehub.sandbox.testing import SandboxHandle
from cafehub.service.app import create_app
from cafehub.service.config import parse_config
from cafehub.service.tokens import Scope

KEYS = {"alpha": "pk_alpha_" + "a" * 20, "beta": "pk_beta_" + "b" * 20}
WEBHOOK_TOKEN = "ct-webhook-" + "t" * 24
SIGNING_KEY = "5f" * 32
ORIGIN = "https://shop.example"


@dataclass
class ChatService:
    url: str
    app: Any
    sandbox: SandboxHandle
    outbox: SmsOutbox
    channel: ChannelTalkStandIn
    api_tokens: dict[tuple[str, str], str]
    http: httpx.Client

    def open(self, shop: str = "alpha", **body: Any) -> tuple[str, dict[str, str]]:
        """A new conversation: its id and the headers that carry its token."""
        response = self.http.post(f"{self.url}/v1/shops/{shop}/chat/conversations", json=body,
                                  headers={"X-Chat-Key": KEYS[shop]})
        assert response.status_code == 201, response.text
        opened = response.json()
        return opened["conversation_id"], {"Authorization": f"Bearer {opened['token']}"}

    def send(self, conversation: str, headers: dict[str, str], shop: str = "alpha", **body: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.url}/v1/shops/{shop}/chat/conversations/{conversation}/messages",
                                  json=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def _store(path: Path) -> str:
    sqlite3.connect(path).close()
    return f"sqlite:///{path}"


@contextmanager
def chat_service(tmp: Path, sandbox: SandboxHandle, outbox: SmsOutbox, sms_url: str) -> Iterator[ChatService]:
    channel = ChannelTalkStandIn(signing_key_hex=SIGNING_KEY, webhook_token=WEBHOOK_TOKEN)
    channel_server = _Server(channel.app(), "127.0.0.1", 0)
    channel_url = f"http://127.0.0.1:{channel_server.start()}"
    settings = tmp / "shop.toml"
    settings.write_text('[hub]\nwms = "sellmate"\ncancel_mode = "complete"\n', encoding="utf-8")
    config = sandbox.sandbox.config

    def chat(shop: str) -> dict[str, Any]:
        return {"key": KEYS[shop], "origins": [ORIGIN], "mall_id": config.mall_id, "cafe24_url": sandbox.cafe24_url,
                "client_id": config.client_id, "client_secret": config.client_secret,
                "sellmate_url": sandbox.sellmate_url, "sellmate_key": config.sellmate_key, "settings": "shop.toml",
                "sms_url": sms_url, "sms_key": outbox.api_key, "cafe24_capacity": 10_000,
                "cafe24_drain_per_second": 10_000.0, "cafe24_max_per_second": 10_000.0,
                "channeltalk": {"access_key": channel.access_key, "access_secret": channel.access_secret,
                                "webhook_token": WEBHOOK_TOKEN, "signing_key": SIGNING_KEY,
                                "base_url": channel_url, "handoff_manager_id": "mgr-7"}}

    service_config = parse_config({"shops": {shop: {"store": _store(tmp / f"{shop}.db"), "chat": chat(shop)}
                                             for shop in KEYS}}, tmp)
    app = create_app(service_config)
    tokens = {}
    for shop in KEYS:
        tokens[shop, "read"] = app.state.cafehub.tokens.issue(shop, "staff", frozenset({Scope.READ})).token
        tokens[shop, "write"] = app.state.cafehub.tokens.issue(shop, "server", frozenset(
            {Scope.READ, Scope.WRITE})).token
    server = _Server(app, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.start()}"
    channel.webhook_url = f"{url}/v1/shops/alpha/channeltalk/webhook"
    try:
        with httpx.Client(timeout=30.0) as http:
            yield ChatService(url, app, sandbox, outbox, channel, tokens, http)
    finally:
        server.stop()
        app.state.cafehub.close()  # waits for the webhook workers
        channel.close()
        channel_server.stop()


def random_message_id() -> str:
    return secrets.token_hex(8)
