"""Where the sandbox's texts and e-mails land: an SMS provider outbox and an SMTP sink.

Tests (and a person trying ``cafehub chat``) read a one-time code the way a
phone or a mailbox would: from what was delivered, never from the code
store. :class:`SmsOutbox` is an HTTP app speaking the default dialect of
:mod:`cafehub.connectors.sms` (``POST /v1/messages`` with ``X-Api-Key``; the
outbox is readable at ``GET /v1/outbox?to=``). :class:`SmtpSink` is a real
SMTP server (aiosmtpd) on a loopback port keeping every message.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass(frozen=True, slots=True)
class Delivered:
    to: str
    text: str
    sender: str = ""
    at: float = 0.0

    @property
    def code(self) -> str | None:
        found = _CODE.search(self.text)
        return found.group(1) if found else None


@dataclass(slots=True)
class _Inbox:
    """Messages with a condition to wait on (shared by the SMS outbox and the SMTP sink)."""

    messages: list[Delivered] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, message: Delivered) -> None:
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()

    def to(self, address: str) -> list[Delivered]:
        with self.changed:
            return [m for m in self.messages if m.to == address]

    def wait(self, address: str, *, count: int = 1, timeout: float = 5.0) -> list[Delivered]:
        """Block until ``address`` has ``count`` messages; all of them (``TimeoutError`` otherwise)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [m for m in self.messages if m.to == address]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{count} message(s) did not arrive within {timeout} s")
                self.changed.wait(left)

    def last_code(self, address: str, *, count: int = 1, timeout: float = 5.0) -> str:
        code = self.wait(address, count=count, timeout=timeout)[-1].code
        if code is None:
            raise LookupError("the last message holds no 6-digit code")
        return code


class SmsOutbox(_Inbox):
    """An SMS provider stand-in: accepts texts, keeps them, can be told to fail."""

    def __init__(self, api_key: str = "sandbox-sms-key") -> None:
        _Inbox.__init__(self)
        self.api_key = api_key
        self._failures: list[int] = []
        self._seq = 0

    def fail_next(self, times: int = 1, status: int = 503) -> None:
        with self.changed:
            self._failures += [status] * times

    def app(self) -> Starlette:
        async def send(request: Request) -> Response:
            if request.headers.get("x-api-key") != self.api_key:
                return JSONResponse({"error": {"code": "unauthorized", "message": "bad API key"}}, 401)
            try:
                body: Any = await request.json()
            except ValueError:
                return JSONResponse({"error": {"code": "bad_request", "message": "body is not JSON"}}, 400)
            if not isinstance(body, dict) or not isinstance(body.get("to"), str) or not isinstance(
                    body.get("text"), str):
                return JSONResponse({"error": {"code": "bad_request", "message": "to and text are required"}}, 422)
            with self.changed:
                if self._failures:
                    status = self._failures.pop(0)
                    return JSONResponse({"error": {"code": "unavailable", "message": "provider failure"}}, status)
                self._seq += 1
                number = self._seq
            self.add(Delivered(body["to"], body["text"], str(body.get("from", "")), time.time()))
            return JSONResponse({"message_id": f"sms-{number}", "status": "accepted"})

        async def outbox(request: Request) -> Response:
            if request.headers.get("x-api-key") != self.api_key:
                return JSONResponse({"error": {"code": "unauthorized", "message": "bad API key"}}, 401)
            to = request.query_params.get("to")
            rows = self.to(to) if to else list(self.messages)
            return JSONResponse({"messages": [{"to": m.to, "text": m.text, "from": m.sender} for m in rows]})

        return Starlette(routes=[Route("/v1/messages", send, methods=["POST"]),
                                 Route("/v1/outbox", outbox, methods=["GET"])])


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed: Message = message_from_bytes(envelope.original_content or envelope.content)
        payload = parsed.get_payload(decode=True)
        text = payload.decode(parsed.get_content_charset() or "utf-8") if isinstance(payload, bytes) else str(
            parsed.get_payload())
        for rcpt in envelope.rcpt_tos:
            self.sink.add(Delivered(rcpt, text, envelope.mail_from or "", time.time()))
        return "250 Message accepted for delivery"


class _LoopbackController(Controller):
    """aiosmtpd's controller, able to bind port 0 (it connects to itself once to start up)."""

    def _trigger_server(self) -> None:
        server: Any = self.server
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpSink(_Inbox):
    """A real SMTP server on loopback that keeps every message (no relay)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        _Inbox.__init__(self)
        self._controller = _LoopbackController(_Handler(self), hostname=host, port=port)

    @property
    def host(self) -> str:
        return str(self._controller.hostname)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
