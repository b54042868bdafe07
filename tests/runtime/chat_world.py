"""A whole chat back end on loopback for the conversation tests: the sandbox (Cafe24 + Sellmate), the SMS
outbox, a command engine and the conversation engine over one store database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

from cafehub.connectors.sellmate import SellmateClient
from cafehub.connectors.sms import SmsClient, SmsConfig
from cafehub.runtime.conversations import ChatActions, ChatStore, ConversationEngine, render_text
from cafehub.runtime.conversations.actions import HandOver
from cafehub.runtime.engine import CommandEngine
from cafehub.runtime.identity import MemoryCodeStore, OtpService, SmsCodeSender, normalize_phone
from cafehub.runtime.messages.model import Message
from cafehub.runtime.reads import ShopConnectors
from cafehub.runtime.settings import HubSettings, ShopSettings
from cafehub.sandbox.messaging import SmsOutbox
from cafehub.sandbox.state import Order
from cafehub.sandbox.testing import SandboxHandle, add_order

_phones = itertools.count(1)

FIRST = {"en": "I want to cancel my order", "ja": "注文をキャンセルしたいです", "ko": "주문 취소하고 싶어요"}
INQUIRY = {"en": "where is my order?", "ja": "注文履歴を見たいです", "ko": "주문 내역 확인하고 싶어요"}
YES = {"en": "yes", "ja": "はい", "ko": "네"}
DONE = {"en": "Your order has been cancelled as requested.", "ja": "ご依頼通りに注文キャンセルが完了しました。",
        "ko": "요청하신 대로 주문 취소가 완료되었습니다."}


def fresh_phone() -> str:
    """A mobile number no other order of the sandbox uses (so it unlocks exactly one guest identity)."""
    return f"010-7{next(_phones):03d}-{next(_phones) % 10000:04d}"


def texts(messages: list[Message]) -> str:
    return "\n".join(render_text(m) for m in messages)


@dataclass
class World:
    handle: SandboxHandle
    outbox: SmsOutbox
    commands: CommandEngine
    actions: ChatActions
    engine: ConversationEngine
    store: ChatStore
    db: Engine
    handoffs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def sandbox(self) -> Any:
        return self.handle.sandbox

    def say(self, conversation: str, text: str, **kwargs: Any) -> list[Message]:
        return self.engine.handle("demo", conversation, text, **kwargs)

    def code_for(self, phone: str, count: int = 1) -> str:
        return self.outbox.last_code(normalize_phone(phone, "KR"), count=count)

    def guest_order(self, statuses: list[str], **details: Any) -> Order:
        return add_order(self.sandbox, statuses, member=None, buyer_cellphone=fresh_phone(), **details)

    def writes(self, order_id: str) -> list[dict[str, Any]]:
        return [c for c in self.sandbox.shop.claims() if c["order_id"] == order_id]

    def verify(self, conversation: str, phone: str, *, sends: int = 1) -> list[Message]:
        asked = self.say(conversation, phone)
        assert [m.key for m in asked] == ["chat.code_sent"], texts(asked)
        return self.say(conversation, self.code_for(phone, sends))


@contextmanager
def chat_world(handle: SandboxHandle, tmp: Path, outbox: SmsOutbox, sms_url: str, *, store_name: str = "chat.db",
               hub: dict[str, Any] | None = None, on_hand_over: HandOver | None = None) -> Iterator[World]:
    """The conversation engine for ``handle``'s mall; every conversation, write and code in ``tmp``."""
    db = create_engine(f"sqlite:///{tmp / store_name}")
    settings = ShopSettings(hub=HubSettings(**({"wms": "sellmate", "cancel_mode": "complete"} | (hub or {}))))
    commands = CommandEngine(ShopConnectors(handle.client(), SellmateClient(handle.sellmate_config())), db, settings,
                             mall_id=handle.sandbox.config.mall_id)
    otp = OtpService(MemoryCodeStore(), SmsCodeSender(SmsClient(SmsConfig(base_url=sms_url, api_key=outbox.api_key))),
                     b"k" * 32)
    handoffs: list[tuple[str, str]] = []

    def handed(shop: str, conversation: str, reason: str, key: str) -> None:
        handoffs.append((conversation, reason))
        if on_hand_over is not None:
            on_hand_over(shop, conversation, reason, key)

    actions = ChatActions(commands, otp, shop="demo", on_hand_over=handed)
    store = ChatStore(db)
    try:
        yield World(handle, outbox, commands, actions, ConversationEngine(store, lambda shop: actions), store, db,
                    handoffs)
    finally:
        commands.close()
        db.dispose()
