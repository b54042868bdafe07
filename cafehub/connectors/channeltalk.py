"""Channel Talk's Open API (v5): bot replies, private notes and hand-off to a manager.

Endpoints used (``https://api.channel.io`` by default; the sandbox's
stand-in replaces it), authenticated with the ``X-Access-Key`` and
``X-Access-Secret`` headers of the channel's API key:

- ``POST /open/v5/user-chats/{userChatId}/messages?botName=`` with
  ``{"blocks": [{"type": "text", "value": ...}], "options": [...], "requestId": ...}``:
  a reply from the bot; with the ``private`` option it is an internal note
  that only managers see;
- ``GET /open/v5/user-chats/{userChatId}/messages?sortOrder=&limit=``;
- ``PATCH /open/v5/user-chats/{userChatId}/assign-to/managers/{managerId}?botName=``:
  give the chat to a manager.

Hand-off (:meth:`ChannelTalkClient.hand_off`) leaves a private note with the
reason and, when a manager (or a team's first responder) is configured,
assigns the chat to them; the bot never assigns chats to itself (replies go
without ``actAsManager``), so the chat waits in the managers' unassigned
inbox otherwise. Writes carry our own ``requestId`` so a retried send can be
recognised; they are retried only when nothing reached the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from cafehub.connectors.errors import ApiError, ConfigError, MalformedResponse, TransportError
from cafehub.connectors.http import json_body
from cafehub.connectors.retry import DEFAULT_RETRY, RetryPolicy

DEFAULT_BASE_URL = "https://api.channel.io"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelTalkConfig:
    access_key: str = field(repr=False)
    access_secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    bot_name: str = "Cafe24 Hub"
    #: Manager who receives handed-over chats (none: they wait unassigned in the inbox).
    handoff_manager_id: str | None = None
    transport: httpx.BaseTransport | None = None
    timeout: float = 10.0
    retry: RetryPolicy = DEFAULT_RETRY
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if not self.access_key or not self.access_secret:
            raise ConfigError("Channel Talk needs an access key and an access secret")
        if not self.base_url.startswith(("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")):
            raise ConfigError("Channel Talk base URL must be https (plain http only on loopback)")


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: str
    chat_id: str


def text_blocks(paragraphs: Sequence[str]) -> list[dict[str, Any]]:
    """Channel Talk message blocks for plain paragraphs (``<``, ``>`` and ``&`` escaped: values are markup)."""
    return [{"type": "text", "value": _escape(p)} for p in paragraphs if p]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ChannelTalkClient:
    """One channel's Open API (thread-safe)."""

    def __init__(self, config: ChannelTalkConfig) -> None:
        self.config = config
        self.calls = 0
        self._http = httpx.Client(transport=config.transport, timeout=config.timeout,
                                  base_url=config.base_url.rstrip("/"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChannelTalkClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, template: str, *, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
        endpoint = f"{method} (Channel Talk) {template}"
        headers = {"X-Access-Key": self.config.access_key, "X-Access-Secret": self.config.access_secret}
        write = method != "GET"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(method, path, params=params, json=body, headers=headers)
            except httpx.HTTPError as exc:
                go, delay = self.config.retry.on_exception(attempt, exc, write=write)
                if go:
                    self.config.sleep(delay)
                    continue
                raise TransportError(type(exc).__name__, endpoint=endpoint) from exc
            self.calls += 1
            if response.status_code >= 400:
                go, delay = self.config.retry.on_response(attempt, response, write=write)
                if go:
                    self.config.sleep(delay)
                    continue
                # Error bodies may quote the message: keep the status only.
                raise ApiError(response.status_code, str(response.status_code), response.reason_phrase or "error",
                               endpoint=endpoint)
            return json_body(response, endpoint)

    def send_message(self, chat_id: str, blocks: list[dict[str, Any]], *, request_id: str,
                     private: bool = False, buttons: list[dict[str, Any]] | None = None) -> SentMessage:
        """Post a bot message (a private note with ``private``) to a user chat."""
        body: dict[str, Any] = {"blocks": blocks, "requestId": request_id}
        if private:
            body["options"] = ["private"]
        if buttons:
            body["buttons"] = buttons
        answer = self._call("POST", f"/open/v5/user-chats/{chat_id}/messages",
                            "/open/v5/user-chats/{userChatId}/messages", params={"botName": self.config.bot_name},
                            body=body)
        message = answer.get("message")
        if not isinstance(message, dict) or "id" not in message:
            raise MalformedResponse("missing from the response", endpoint="POST (Channel Talk) messages",
                                    field="message.id")
        return SentMessage(str(message["id"]), chat_id)

    def send_text(self, chat_id: str, paragraphs: Sequence[str], *, request_id: str,
                  private: bool = False) -> SentMessage:
        return self.send_message(chat_id, text_blocks(paragraphs), request_id=request_id, private=private)

    def messages(self, chat_id: str, *, limit: int = 100, newest_first: bool = False) -> list[dict[str, Any]]:
        answer = self._call("GET", f"/open/v5/user-chats/{chat_id}/messages",
                            "/open/v5/user-chats/{userChatId}/messages",
                            params={"sortOrder": "desc" if newest_first else "asc", "limit": limit})
        rows = answer.get("messages")
        if not isinstance(rows, list):
            raise MalformedResponse("expected a list", endpoint="GET (Channel Talk) messages", field="messages")
        return rows

    def assign(self, chat_id: str, manager_id: str) -> None:
        self._call("PATCH", f"/open/v5/user-chats/{chat_id}/assign-to/managers/{manager_id}",
                   "/open/v5/user-chats/{userChatId}/assign-to/managers/{managerId}",
                   params={"botName": self.config.bot_name})

    def hand_off(self, chat_id: str, note: Sequence[str], *, request_id: str) -> None:
        """Leave a private note for the managers and give the chat to the configured manager, if any."""
        self.send_text(chat_id, note, request_id=request_id, private=True)
        if self.config.handoff_manager_id:
            self.assign(chat_id, self.config.handoff_manager_id)
