"""The chat side of the running service: per shop, its command engine, code service, conversations and
Channel Talk client, built on first use from the shop's ``[shops.ID.chat]`` configuration.

Also the conversation tokens of the chat API: a token names the shop, the
conversation, the signed-in member (if a shop's server vouched for one) and
an expiry, signed with HMAC-SHA256 under a key derived from the service's
secret (``CAFEHUB_OTP_SECRET``; without it a random key for this process).
Nothing is stored for a token: it is checked by its signature, in constant
time, on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cafehub.connectors.cafe24.client import Cafe24Client
from cafehub.connectors.channeltalk import ChannelTalkClient, ChannelTalkConfig
from cafehub.connectors.config import Cafe24Config
from cafehub.connectors.errors import ConnectorError
from cafehub.connectors.mail import SmtpConfig, SmtpMailer
from cafehub.connectors.ratelimit import BucketSpec, LeakyBucket
from cafehub.connectors.sellmate import SellmateClient, SellmateConfig
from cafehub.connectors.sms import SmsClient, SmsConfig
from cafehub.connectors.tokens import MemoryTokenStore, SqlTokenStore
from cafehub.runtime.conversations import ChatActions, ChatStore, ConversationEngine, render_text
from cafehub.runtime.conversations.store import LEASE_SECONDS
from cafehub.runtime.engine import CommandEngine
from cafehub.runtime.identity import (
    CodeSender,
    CodeStore,
    ConsoleSender,
    EmailCodeSender,
    MemoryCodeStore,
    OtpService,
    RedisCodeStore,
    RoutingSender,
    SmsCodeSender,
    load_secret,
)
from cafehub.runtime.messages.model import Message
from cafehub.runtime.reads import ShopConnectors
from cafehub.runtime.settings import HubSettings, ShopSettings, load_settings
from cafehub.service.config import ChatConfig, ShopConfig, secret_value
from cafehub.service.state import ServiceState

log = logging.getLogger("cafehub.service.chat")

#: Conversations of the chat API are ``w-…``; Channel Talk user chats are ``ct-<userChatId>``.
CHANNELTALK_PREFIX = "ct-"


@dataclass(frozen=True, slots=True)
class ConversationClaim:
    """What a valid conversation token says."""

    shop: str
    conversation_id: str
    member_id: str | None
    expires: int


class ConversationTokens:
    """Signs and checks conversation tokens (``<payload>.<signature>``, both base64url)."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"cafehub chat conversation token v1", hashlib.sha256).digest()

    def issue(self, shop: str, conversation_id: str, member_id: str | None, ttl_seconds: int) -> ConversationClaim:
        return ConversationClaim(shop, conversation_id, member_id, int(time.time()) + ttl_seconds)

    def encode(self, claim: ConversationClaim) -> str:
        payload = json.dumps({"s": claim.shop, "c": claim.conversation_id, "m": claim.member_id,
                              "e": claim.expires}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, token: str) -> ConversationClaim | None:
        """The claim of a well-signed, unexpired token; ``None`` for anything else."""
        head, _, signature = token.partition(".")
        try:
            payload = _unb64(head)
            given = _unb64(signature)
        except ValueError:
            return None
        if not hmac.compare_digest(given, self._sign(payload)):
            return None
        try:
            data = json.loads(payload)
            claim = ConversationClaim(str(data["s"]), str(data["c"]), data["m"], int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return claim if claim.expires > time.time() else None

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()


def _secret(value: str, key: str, sandbox_default: str | None) -> str:
    """A configured secret; against a sandbox an unset ``env:`` value falls back to the sandbox's own."""
    if sandbox_default is not None and value.startswith("env:") and not os.environ.get(value.removeprefix("env:")):
        return sandbox_default
    return secret_value(value, key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or len(text) > 4096:
        raise ValueError("bad token part")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("bad token part") from error


class ShopChat:
    """One shop's chat: command engine, code service, conversation engine, Channel Talk client."""

    def __init__(self, shop: ShopConfig, chat: ChatConfig, state: ServiceState, secret: bytes) -> None:
        self.shop = shop
        self.config = chat
        store = state.store(shop)
        settings = load_settings(chat.settings) if chat.settings else ShopSettings(hub=HubSettings(
            wms="sellmate" if chat.sellmate_url else "none", zone=shop.zone))
        self.commands = CommandEngine(self._connectors(chat, store, settings), store, settings,
                                      mall_id=chat.mall_id)
        self.otp = OtpService(self._code_store(chat), self._sender(chat), secret)
        self.channeltalk = self._channeltalk(chat)
        self.actions = ChatActions(self.commands, self.otp, shop=shop.id, on_hand_over=self.hand_over)
        self.conversations = ConversationEngine(ChatStore(store), lambda _shop: self.actions)

    @staticmethod
    def _connectors(chat: ChatConfig, store: Any, settings: ShopSettings) -> ShopConnectors:
        key = f"shops.{chat.mall_id}.chat"
        bucket = BucketSpec(capacity=chat.cafe24_capacity, drain_per_second=chat.cafe24_drain_per_second,
                            max_per_second=chat.cafe24_max_per_second)
        sandbox = chat.cafe24_url is not None
        if sandbox:  # a sandbox (or a proxy) that authorizes at once
            config = Cafe24Config(mall_id=chat.mall_id, client_id=chat.client_id or "sandbox-client",
                                  client_secret=_secret(chat.client_secret, f"{key}.client_secret", "sandbox-secret"),
                                  base_url=chat.cafe24_url, zone=settings.hub.zone, bucket=bucket)
            client = Cafe24Client(config, MemoryTokenStore(), bucket=LeakyBucket(config.bucket))
            client.tokens.authorize_with_code(client.oauth.approve_without_browser())
        else:
            config = Cafe24Config(mall_id=chat.mall_id, client_id=chat.client_id,
                                  client_secret=secret_value(chat.client_secret, f"{key}.client_secret"),
                                  zone=settings.hub.zone, bucket=bucket)
            client = Cafe24Client(config, SqlTokenStore(store))
        sellmate = None
        if chat.sellmate_url and settings.hub.wms == "sellmate":
            api_key = _secret(chat.sellmate_key, f"{key}.sellmate_key", "sandbox-sellmate-key" if sandbox else None)
            sellmate = SellmateClient(SellmateConfig(base_url=chat.sellmate_url, api_key=api_key))
        return ShopConnectors(client, sellmate)

    @staticmethod
    def _code_store(chat: ChatConfig) -> CodeStore:
        if chat.codes == "memory":
            return MemoryCodeStore()
        return RedisCodeStore.from_url(chat.codes)

    @staticmethod
    def _sender(chat: ChatConfig) -> CodeSender:
        sms: CodeSender = ConsoleSender()
        if chat.sms_url:
            api_key = _secret(chat.sms_key, "chat.sms_key", "sandbox-sms-key" if chat.cafe24_url else None)
            sms = SmsCodeSender(SmsClient(SmsConfig(base_url=chat.sms_url, api_key=api_key)))
        email: CodeSender = ConsoleSender()
        if chat.smtp_host:
            loopback = chat.smtp_host in ("127.0.0.1", "localhost", "::1")
            email = EmailCodeSender(SmtpMailer(SmtpConfig(host=chat.smtp_host, port=chat.smtp_port,
                                                          sender=chat.smtp_sender,
                                                          security="none" if loopback else "starttls")))
        return RoutingSender(sms, email)

    @staticmethod
    def _channeltalk(chat: ChatConfig) -> ChannelTalkClient | None:
        ct = chat.channeltalk
        if ct is None:
            return None
        return ChannelTalkClient(ChannelTalkConfig(
            access_key=secret_value(ct.access_key, "chat.channeltalk.access_key"),
            access_secret=secret_value(ct.access_secret, "chat.channeltalk.access_secret"),
            base_url=ct.base_url, bot_name=ct.bot_name, handoff_manager_id=ct.handoff_manager_id))

    def post_replies(self, chat_id: str, replies: list[Message], request_id: str) -> None:
        """Post the bot's messages to a Channel Talk user chat (request ids ``<request_id>:<n>``: a retried
        post is the same message); a failure is logged and the rest is not sent."""
        if self.channeltalk is None:
            return
        for number, reply in enumerate(replies):
            try:
                self.channeltalk.send_text(chat_id, render_text(reply).split("\n"), request_id=f"{request_id}:{number}")
            except ConnectorError as error:
                log.warning("channel talk reply failed: %s", error.endpoint or type(error).__name__)
                return

    def resume(self) -> int:
        """Finish the conversations a dead worker of this shop left mid-effect (their leases free); the
        Channel Talk ones get their answers posted. How many were finished."""
        done = self.conversations.resume(wait=0.0)
        for conversation_id, replies in done.items():
            if conversation_id.startswith(CHANNELTALK_PREFIX) and replies:
                self.post_replies(conversation_id.removeprefix(CHANNELTALK_PREFIX), replies,
                                  f"resume-{conversation_id}")
        return len(done)

    def hand_over(self, shop: str, conversation_id: str, reason: str, key: str) -> None:
        """A Channel Talk chat: a private note for the managers and the chat given to the configured manager.

        Chats of the chat API wait in ``GET /v1/shops/{shop}/chat/handoffs`` for staff.
        """
        if self.channeltalk is None or not conversation_id.startswith(CHANNELTALK_PREFIX):
            return
        chat_id = conversation_id.removeprefix(CHANNELTALK_PREFIX)
        self.channeltalk.hand_off(chat_id, [f"Cafe24 Hub handed this chat over ({reason})."], request_id=key)

    def close(self) -> None:
        self.commands.close()
        if self.channeltalk is not None:
            self.channeltalk.close()


class ChatRuntime:
    """Every shop's chat in this process, and the worker threads that answer Channel Talk webhooks."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.secret = load_secret(allow_random=True)
        self.tokens = ConversationTokens(self.secret)
        self.workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="chat-webhook")
        self._shops: dict[str, ShopChat] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()

    def shop(self, shop: ShopConfig) -> ShopChat:
        found = self._shops.get(shop.id)
        if found is None:
            assert shop.chat is not None
            with self._lock:
                found = self._shops.get(shop.id)
                if found is None:
                    found = self._shops[shop.id] = ShopChat(shop, shop.chat, self.state, self.secret)
                    if not self._closing.is_set():  # a closed service (its workers shut down) resumes nothing
                        self.workers.submit(self._resume, found)
        return found

    def _resume(self, chat: ShopChat) -> None:
        """A restarted service finishes what its dead workers left mid-effect: once when the shop's chat is
        first used, and again when a dead worker's lease has run out (conversations still leased then are
        finished by their customer's next message; see :meth:`ConversationEngine.handle`)."""
        for attempt in range(2):
            if attempt and self._closing.wait(LEASE_SECONDS + 1.0):
                return
            try:
                finished = chat.resume()
            except Exception as error:  # a background sweep must not die silently, nor stop the service
                log.warning("resuming conversations failed: %s", type(error).__name__)
                continue
            if finished:
                log.info("resumed %d conversation(s) left mid-effect", finished)

    def new_conversation_id(self) -> str:
        return f"w-{secrets.token_urlsafe(16)}"

    def close(self) -> None:
        self._closing.set()
        self.workers.shutdown(wait=True, cancel_futures=False)
        with self._lock:
            for chat in self._shops.values():
                chat.close()
            self._shops.clear()


def chat_runtime(state: ServiceState) -> ChatRuntime:
    """The service's chat runtime (made on first use, closed with the service)."""
    found: ChatRuntime | None = getattr(state, "chat", None)
    if found is None:
        with state._lock:
            found = getattr(state, "chat", None)
            if found is None:
                found = ChatRuntime(state)
                state.chat = found
                state.closers.append(found.close)
    return found
