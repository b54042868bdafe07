"""Conversations end to end against the sandbox over HTTP: inquiry and cancel in three languages, codes read from
the SMS outbox, a cancel confirmed twice or concurrently, a worker killed mid-cancel, hand-off."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine

from cafehub.connectors.sms import SmsClient, SmsConfig
from cafehub.runtime.conversations import ChatStore, ConversationEngine, ShopActions
from cafehub.runtime.conversations import store as store_module
from cafehub.runtime.identity import MemoryCodeStore, OtpService, SmsCodeSender, normalize_phone
from cafehub.sandbox.messaging import SmsOutbox
from cafehub.sandbox.state import Order
from cafehub.sandbox.testing import SandboxHandle, serve

UTC = ZoneInfo("UTC")


@dataclass
class World:
    handle: SandboxHandle
    outbox: SmsOutbox
    engine: ConversationEngine
    store: ChatStore
    db_url: str
    actions: Any

    def code_for(self, phone: str, count: int = 1) -> str:
        return self.outbox.last_code(phone, count=count)


@pytest.fixture
def world(tmp_path: Path, sms_outbox: tuple[SmsOutbox, str]) -> Iterator[World]:
    outbox, url = sms_outbox
    with serve(tmp_path) as handle, handle.client() as client:
        otp = OtpService(MemoryCodeStore(), SmsCodeSender(SmsClient(SmsConfig(base_url=url, api_key=outbox.api_key))),
                         b"k" * 32)
        actions = ShopActions(client, otp, shop="demo")
        db_url = f"sqlite:///{tmp_path / 'chat.db'}"
        store = ChatStore(create_engine(db_url))
        yield World(handle, outbox, ConversationEngine(store, lambda shop: actions), store, db_url, actions)


def cancellable_guest_order(world: World) -> Order:
    cutoff = datetime.now(UTC) - timedelta(days=80)
    return next(o for o in sorted(world.handle.sandbox.shop.orders.values(), key=lambda o: o.order_id)
                if o.member_id is None and o.buyer_cellphone and o.ordered_at.replace(tzinfo=UTC) > cutoff
                and all(i.status in ("N10", "N20") for i in o.items)
                and not {"cash", "tcash", "icash"} & set(o.payment_methods))


def pick(replies: list[str], needle: str) -> str:
    for line in "\n".join(replies).splitlines():
        found = re.match(r"(\d+)\. .*" + re.escape(needle), line)
        if found:
            return found.group(1)
    raise AssertionError(f"no option with {needle!r} in {replies}")


FIRST = {"en": "I want to cancel my order", "ja": "注文をキャンセルしたいです", "ko": "주문 취소하고 싶어요"}
YES = {"en": "yes", "ja": "はい", "ko": "네"}
DONE = {"en": "Your order has been cancelled as requested.", "ja": "ご依頼通りに注文キャンセルが完了しました。",
        "ko": "요청하신 대로 주문 취소가 완료되었습니다."}


def verify(world: World, conv: str, phone: str, *, sends: int = 1) -> list[str]:
    replies = world.engine.handle("demo", conv, phone)
    assert any("6" in r for r in replies)
    return world.engine.handle("demo", conv, world.code_for(normalize_phone(phone, "KR"), sends))


def cancel_until_confirm(world: World, conv: str, lang: str, order: Order) -> list[str]:
    assert world.engine.handle("demo", conv, FIRST[lang])
    replies = verify(world, conv, order.buyer_cellphone or "")
    if "1. " in replies[-1] and order.order_id not in "\n".join(replies):  # several identities: take the guest one
        replies = world.engine.handle("demo", conv, str(len(replies[-1].splitlines()) - 1))
    replies = world.engine.handle("demo", conv, pick(replies, order.order_id))
    replies = world.engine.handle("demo", conv, "1")  # the whole order
    return world.engine.handle("demo", conv, "1")  # the first reason


@pytest.mark.parametrize("lang", ["en", "ja", "ko"])
def test_cancel_from_intent_to_the_cafe24_write(world: World, lang: str) -> None:
    order = cancellable_guest_order(world)
    conv = f"c-{lang}"
    summary = cancel_until_confirm(world, conv, lang, order)
    assert order.order_id in summary[-1]
    assert world.engine.handle("demo", conv, YES[lang]) == [DONE[lang]]
    claims = [c for c in world.handle.sandbox.shop.claims() if c["order_id"] == order.order_id]
    assert len(claims) == 1
    assert all(i.status.startswith("C") for i in world.handle.sandbox.shop.orders[order.order_id].items)
    world.engine.handle("demo", conv, YES[lang])  # a repeated confirmation
    assert len([c for c in world.handle.sandbox.shop.claims() if c["order_id"] == order.order_id]) == 1


def test_concurrent_confirmations_cancel_once(world: World) -> None:
    order = cancellable_guest_order(world)
    cancel_until_confirm(world, "c-race", "en", order)
    results: list[list[str]] = []
    barrier = threading.Barrier(4)

    def confirm(n: int) -> None:
        barrier.wait()
        results.append(world.engine.handle("demo", "c-race", "yes", message_id=f"yes-{n}"))

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r == [DONE["en"]] for r in results) == 1
    assert len([c for c in world.handle.sandbox.shop.claims() if c["order_id"] == order.order_id]) == 1


def test_a_repeated_message_id_is_answered_once(world: World) -> None:
    first = world.engine.handle("demo", "c-dup", "I want to cancel my order", message_id="m1")
    again = world.engine.handle("demo", "c-dup", "I want to cancel my order", message_id="m1")
    assert first == again
    assert [role for role, _ in world.store.transcript("c-dup")] == ["user", "bot"]


class Killed(BaseException):
    pass


def test_a_worker_killed_mid_cancel_is_resumed_without_a_second_cancel(world: World,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    order = cancellable_guest_order(world)
    cancel_until_confirm(world, "c-kill", "ko", order)
    real_cancel = world.actions._cancel

    def cancel_then_die(*args: Any, **kwargs: Any) -> dict[str, Any]:
        real_cancel(*args, **kwargs)  # the write reaches Cafe24...
        raise Killed  # ...and the process dies before recording it

    monkeypatch.setattr(store_module, "LEASE_SECONDS", 1.0)
    monkeypatch.setattr(world.actions, "_cancel", cancel_then_die)
    monkeypatch.setattr(ChatStore, "release", lambda self, conversation_id: None)  # a dead worker releases nothing
    with pytest.raises(Killed):
        world.engine.handle("demo", "c-kill", "네")
    monkeypatch.undo()
    restarted = ConversationEngine(ChatStore(create_engine(world.db_url)), lambda shop: world.actions)
    with pytest.raises(store_module.Busy):
        restarted.store.acquire("c-kill", "demo", "api", wait=0.0)  # the dead worker's lease still holds
    resumed = restarted.resume()
    assert resumed == {"c-kill": [DONE["ko"]]}
    assert len([c for c in world.handle.sandbox.shop.claims() if c["order_id"] == order.order_id]) == 1


def test_inquiry_for_a_signed_in_member_in_japanese(world: World) -> None:
    member = next(o.member_id for o in sorted(world.handle.sandbox.shop.orders.values(), key=lambda o: o.ordered_at,
                                              reverse=True) if o.member_id)
    replies = world.engine.handle("demo", "c-member", "注文履歴を見たいです", member_id=member)
    assert replies[0].startswith("最新のご注文です。")
    assert 1 <= len(replies[0].splitlines()) - 1 <= 5


def test_failed_verification_hands_over_and_the_bot_stays_silent(world: World) -> None:
    order = cancellable_guest_order(world)
    phone = order.buyer_cellphone or ""
    world.engine.handle("demo", "c-fail", "where is my order")
    world.engine.handle("demo", "c-fail", phone)
    code = world.code_for(normalize_phone(phone, "KR"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        last = world.engine.handle("demo", "c-fail", wrong)
    assert last == ["We could not verify you. Connecting you to an operator."]
    state = world.store.load("c-fail")
    assert state is not None
    assert state.status == "handed_over"
    assert state.handoff_reason is not None
    assert world.engine.handle("demo", "c-fail", "hello?") == []
    assert world.engine.give_back("demo", "c-fail")
    assert world.engine.handle("demo", "c-fail", "hello?")
    transcript = world.store.transcript("c-fail")
    assert ("user", "hello?") in transcript


def test_another_shop_cannot_touch_a_conversation(world: World) -> None:
    world.engine.handle("demo", "c-shop", "hi")
    with pytest.raises(PermissionError):
        world.engine.handle("other", "c-shop", "hi")
