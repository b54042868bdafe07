"""A Channel Talk stand-in: user chats, the Open API the bot uses, and webhooks.

Enough of Channel Talk for the whole chat path to run on loopback:

- the Open API (:mod:`cafehub.connectors.channeltalk`): ``POST``/``GET
  /open/v5/user-chats/{id}/messages`` (``private`` option = a note only
  managers see; a repeated ``requestId`` is the same message, answered
  again, not posted twice) and ``PATCH .../assign-to/managers/{managerId}``,
  all refusing a wrong ``X-Access-Key``/``X-Access-Secret`` with 401;
- the customer's side, for tests and demos: :meth:`ChannelTalkStandIn.user_says`
  posts a user message and delivers the webhook event Channel Talk sends
  (``{"event": "push", "type": "message", "entity": {...}, "refers": {...}}``)
  to the registered URL with ``?token=`` (and an ``X-Signature``, HMAC-SHA256
  of the body, base64, when a signing key is set); every message, the bot's
  and managers' too, is delivered, as Channel Talk does, so a receiver must
  ignore what is not the user's; failed deliveries are retried a few times.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass(slots=True)
class ChatMessage:
    id: str
    chat_id: str
    person_type: str  # user | bot | manager
    text: str
    private: bool = False
    request_id: str | None = None
    created_at: int = 0

    def entity(self, channel_id: str, person_id: str, language: str | None) -> dict[str, Any]:
        return {
            "chatKey": f"userChat-{self.chat_id}", "id": self.id, "channelId": channel_id, "chatType": "userChat",
            "chatId": self.chat_id, "personType": self.person_type, "personId": person_id,
            "requestId": self.request_id or "", "language": language or "", "createdAt": self.created_at,
            "version": 1, "blocks": [{"type": "text", "value": self.text}], "plainText": self.text,
            "options": ["private"] if self.private else [],
        }


@dataclass(slots=True)
class UserChat:
    id: str
    user_id: str
    member_id: str | None
    language: str | None
    messages: list[ChatMessage] = field(default_factory=list)
    assignee_id: str | None = None


class ChannelTalkStandIn:
    """One Channel Talk channel on loopback (thread-safe)."""

    def __init__(self, *, access_key: str = "sandbox-ct-key", access_secret: str = "sandbox-ct-secret",
                 channel_id: str = "1001", webhook_token: str = "sandbox-webhook-token",
                 signing_key_hex: str | None = None) -> None:
        self.access_key = access_key
        self.access_secret = access_secret
        self.channel_id = channel_id
        self.webhook_token = webhook_token
        self.signing_key_hex = signing_key_hex
        self.webhook_url: str | None = None
        self.chats: dict[str, UserChat] = {}
        self.deliveries: list[tuple[str, int]] = []  # (message id, HTTP status or 0 for no answer)
        self.changed = threading.Condition()
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=10.0)
        self._pending: list[threading.Thread] = []

    def close(self) -> None:
        with self.changed:
            pending = list(self._pending)
        for thread in pending:
            thread.join(timeout=15)
        self._http.close()

    # -- the customer's side ----------------------------------------------

    def open_chat(self, *, member_id: str | None = None, language: str | None = None) -> str:
        with self.changed:
            number = next(self._ids)
            chat = UserChat(f"uc{number:06d}", f"user{number:06d}", member_id, language)
            self.chats[chat.id] = chat
            return chat.id

    def _add(self, chat_id: str, person_type: str, text: str, *, private: bool = False,
             request_id: str | None = None) -> ChatMessage:
        with self.changed:
            chat = self.chats[chat_id]
            message = ChatMessage(f"m{next(self._ids):08d}", chat_id, person_type, text, private, request_id,
                                  int(time.time() * 1000))
            chat.messages.append(message)
            self.changed.notify_all()
            return message

    def user_says(self, chat_id: str, text: str, *, wait: bool = False) -> str:
        """The customer types ``text``: stored, then delivered to the webhook (in the background)."""
        message = self._add(chat_id, "user", text)
        self._deliver(message, wait=wait)
        return message.id

    def manager_says(self, chat_id: str, text: str) -> str:
        message = self._add(chat_id, "manager", text)
        self._deliver(message)
        return message.id

    def redeliver(self, message_id: str, *, wait: bool = True) -> None:
        """Deliver a message's webhook again (Channel Talk retries; receivers must not act twice)."""
        message = next(m for c in self.chats.values() for m in c.messages if m.id == message_id)
        self._deliver(message, wait=wait)

    def event(self, message: ChatMessage) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        person_id = chat.user_id if message.person_type == "user" else "bot-or-manager"
        user = {"id": chat.user_id, "channelId": self.channel_id, "memberId": chat.member_id,
                "language": chat.language, "member": chat.member_id is not None}
        return {"event": "push", "type": "message",
                "entity": message.entity(self.channel_id, person_id, chat.language),
                "refers": {"user": user, "userChat": {"id": chat.id, "userId": chat.user_id,
                                                      "assigneeId": chat.assignee_id}}}

    def signed(self, body: bytes) -> dict[str, str]:
        if not self.signing_key_hex:
            return {}
        digest = hmac.new(bytes.fromhex(self.signing_key_hex), body, hashlib.sha256).digest()
        return {"X-Signature": base64.b64encode(digest).decode()}

    def _deliver(self, message: ChatMessage, *, wait: bool = False) -> None:
        if self.webhook_url is None:
            return
        body = json.dumps(self.event(message), ensure_ascii=False).encode()
        url = self.webhook_url

        def post() -> None:
            headers = {"Content-Type": "application/json", **self.signed(body)}
            for attempt in range(4):
                try:
                    status = self._http.post(url, params={"token": self.webhook_token}, content=body,
                                             headers=headers).status_code
                except httpx.HTTPError:
                    status = 0
                with self.changed:
                    self.deliveries.append((message.id, status))
                if 200 <= status < 300:
                    return
                time.sleep(0.1 * (attempt + 1))

        if wait:
            post()
            return
        thread = threading.Thread(target=post, name=f"ct-webhook-{message.id}", daemon=True)
        thread.start()  # started before it is listed: close() joins only started threads
        with self.changed:
            self._pending = [t for t in self._pending if t.is_alive()] + [thread]

    # -- reading what happened --------------------------------------------

    def bot_messages(self, chat_id: str, *, private: bool | None = False) -> list[ChatMessage]:
        with self.changed:
            return [m for m in self.chats[chat_id].messages
                    if m.person_type == "bot" and (private is None or m.private == private)]

    def wait_bot(self, chat_id: str, count: int, *, timeout: float = 10.0) -> list[ChatMessage]:
        """Block until the bot has posted ``count`` public messages in the chat."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [m for m in self.chats[chat_id].messages if m.person_type == "bot" and not m.private]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the bot posted {len(found)} of {count} messages within {timeout} s")
                self.changed.wait(left)

    # -- the Open API -------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        return (hmac.compare_digest(request.headers.get("x-access-key", ""), self.access_key)
                and hmac.compare_digest(request.headers.get("x-access-secret", ""), self.access_secret))

    def app(self) -> Starlette:
        def denied() -> Response:
            return JSONResponse({"type": "unauthorized", "message": "bad access key or secret"}, 401)

        def chat_or_404(request: Request) -> UserChat | Response:
            chat = self.chats.get(request.path_params["chat_id"])
            if chat is None:
                return JSONResponse({"type": "not_found", "message": "no such user chat"}, 404)
            return chat

        async def messages(request: Request) -> Response:
            if not self._authorized(request):
                return denied()
            chat = chat_or_404(request)
            if isinstance(chat, Response):
                return chat
            if request.method == "GET":
                with self.changed:
                    rows = [m.entity(self.channel_id, m.person_type, chat.language) for m in chat.messages]
                if request.query_params.get("sortOrder") == "desc":
                    rows.reverse()
                return JSONResponse({"messages": rows[: int(request.query_params.get("limit", "25"))]})
            try:
                body = await request.json()
            except ValueError:
                return JSONResponse({"type": "bad_request", "message": "body is not JSON"}, 400)
            blocks = body.get("blocks") if isinstance(body, dict) else None
            if not isinstance(blocks, list) or not blocks:
                return JSONResponse({"type": "bad_request", "message": "blocks are required"}, 422)
            text = "\n".join(str(b.get("value", "")) for b in blocks if isinstance(b, dict))
            request_id = body.get("requestId")
            with self.changed:
                same = next((m for m in chat.messages if request_id and m.request_id == request_id), None)
            if same is None:
                same = self._add(chat.id, "bot", text, private="private" in (body.get("options") or []),
                                 request_id=request_id)
                self._deliver(same)
            return JSONResponse({"message": same.entity(self.channel_id, "bot", chat.language)})

        async def assign(request: Request) -> Response:
            if not self._authorized(request):
                return denied()
            chat = chat_or_404(request)
            if isinstance(chat, Response):
                return chat
            with self.changed:
                chat.assignee_id = request.path_params["manager_id"]
                self.changed.notify_all()
            return JSONResponse({"userChat": {"id": chat.id, "assigneeId": chat.assignee_id}})

        return Starlette(routes=[
            Route("/open/v5/user-chats/{chat_id}/messages", messages, methods=["GET", "POST"]),
            Route("/open/v5/user-chats/{chat_id}/assign-to/managers/{manager_id}", assign, methods=["PATCH"]),
        ])
