"""An HTTP SMS provider adapter: one POST per message, every name configurable.

SMS providers (NHN Cloud, Aligo, Twilio, ...) differ only in where the key
goes, the path and the JSON field names, so, as with Sellmate, a
:class:`SmsConfig` holds them and the defaults describe the loopback SMS
outbox of the sandbox (:mod:`cafehub.sandbox.sms_outbox`).

Sending is a write: it is retried only when nothing can have reached the
provider (connection refused); a timeout after sending is an error rather
than a second text with a second code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cafehub.connectors.errors import ApiError, ConfigError, MalformedResponse, TransportError
from cafehub.connectors.http import json_body
from cafehub.connectors.retry import DEFAULT_RETRY, RetryPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsFields:
    """JSON field names of the request (``to``, ``text``, ``sender``) and of the answer's message id."""

    to: str = "to"
    text: str = "text"
    sender: str = "from"
    message_id: str = "message_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsConfig:
    base_url: str
    api_key: str = field(repr=False)
    #: The registered sender number (Korean carriers require a pre-registered one).
    sender: str = "0000"
    path: str = "/v1/messages"
    auth_header: str = "X-Api-Key"
    auth_prefix: str = ""
    fields: SmsFields = SmsFields()
    transport: httpx.BaseTransport | None = None
    timeout: float = 10.0
    retry: RetryPolicy = DEFAULT_RETRY
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError("SMS base URL is not an http(s) URL")


class SmsClient:
    """Sends texts through one provider account (thread-safe)."""

    def __init__(self, config: SmsConfig) -> None:
        self.config = config
        self._http = httpx.Client(transport=config.transport, timeout=config.timeout,
                                  base_url=config.base_url.rstrip("/"))

    def close(self) -> None:
        self._http.close()

    def send(self, to: str, text: str) -> str:
        """Send ``text`` to the E.164 number ``to``; the provider's message id."""
        cfg = self.config
        endpoint = f"POST (SMS) {cfg.path}"
        body: dict[str, Any] = {cfg.fields.to: to, cfg.fields.text: text, cfg.fields.sender: cfg.sender}
        headers = {cfg.auth_header: f"{cfg.auth_prefix}{cfg.api_key}"}
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.post(cfg.path, json=body, headers=headers)
            except httpx.HTTPError as exc:
                go, delay = cfg.retry.on_exception(attempt, exc, write=True)
                if go:
                    cfg.sleep(delay)
                    continue
                raise TransportError(type(exc).__name__, endpoint=endpoint) from exc
            if response.status_code >= 400:
                go, delay = cfg.retry.on_response(attempt, response, write=True)
                if go:
                    cfg.sleep(delay)
                    continue
                # The provider's error text may repeat the number: only the status is kept.
                raise ApiError(response.status_code, str(response.status_code), response.reason_phrase or "error",
                               endpoint=endpoint)
            answer = json_body(response, endpoint)
            message_id = answer.get(cfg.fields.message_id)
            if message_id is None:
                raise MalformedResponse("missing from the response", endpoint=endpoint, field=cfg.fields.message_id)
            return str(message_id)
