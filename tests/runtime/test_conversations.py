"""Conversations end to end against the sandbox over HTTP, every rule from the command engine: inquiry and
cancel in three languages (codes read from the SMS outbox), a refund account typed as text, a cancel
confirmed twice or concurrently, a worker killed mid-cancel, hand-offs, and the other commands (ETA,
return, address) inside the same machinery."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from cafehub.runtime.conversations import ChatActions, ChatStore, ConversationEngine, Event, numbered
from cafehub.runtime.conversations import store as store_module
from cafehub.runtime.messages.model import Message
from cafehub.sandbox.messaging import SmsOutbox
from cafehub.sandbox.testing import SandboxHandle, add_order, serve

from .chat_world import DONE, FIRST, INQUIRY, YES, World, chat_world, texts


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with serve(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


@pytest.fixture
def world(sandbox: SandboxHandle, tmp_path: Path, sms_outbox: tuple[SmsOutbox, str]) -> Iterator[World]:
    outbox, url = sms_outbox
    with chat_world(sandbox, tmp_path, outbox, url) as made:
        yield made


def number_of(messages: list[Message], **answers: Any) -> str:
    """The number a text surface shows for the button carrying ``answers``."""
    for index, button in enumerate(numbered(messages[-1]), start=1):
        if all(button.answers.get(k) == v for k, v in answers.items()):
            return str(index)
    raise AssertionError(f"no button with {answers} in:\n{texts(messages)}")


def cancel_until_confirm(world: World, conversation: str, lang: str, order_id: str, phone: str) -> list[Message]:
    asked = world.say(conversation, FIRST[lang])
    assert [m.key for m in asked] == ["chat.ask_contact"]
    listed = world.verify(conversation, phone)
    assert listed[-1].key == "cancel.pick_order", texts(listed)
    scope = world.say(conversation, number_of(listed, order=order_id))
    assert scope[-1].key == "cancel.scope_question", texts(scope)
    reason = world.say(conversation, number_of(scope, scope="whole"))
    assert reason[-1].key == "cancel.reason_question", texts(reason)
    return world.say(conversation, "1")


@pytest.mark.parametrize("lang", ["en", "ja", "ko"])
def test_cancel_from_intent_to_the_cafe24_write(world: World, lang: str) -> None:
    order = world.guest_order(["N20", "N20"])
    summary = cancel_until_confirm(world, f"c-{lang}", lang, order.order_id, order.buyer_cellphone or "")
    assert summary[-1].key == "cancel.summary"
    assert summary[-1].language == lang
    done = world.say(f"c-{lang}", YES[lang])
    assert [m.key for m in done] == ["cancel.done"]
    assert done[0].texts() == [DONE[lang]]
    assert all(i.status.startswith("C") for i in world.sandbox.shop.orders[order.order_id].items)
    assert len(world.writes(order.order_id)) == 1
    again = world.say(f"c-{lang}", YES[lang])  # a repeated confirmation, after the task ended
    assert "cancel.done" not in [m.key for m in again]
    assert len(world.writes(order.order_id)) == 1


def test_a_bank_paid_order_takes_the_refund_account_as_text(world: World) -> None:
    order = world.guest_order(["N20"], methods=("cash",))
    phone = order.buyer_cellphone or ""
    world.say("c-bank", "주문 취소해 주세요")
    listed = world.verify("c-bank", phone)
    asked = world.say("c-bank", number_of(listed, order=order.order_id))
    assert asked[-1].key == "account.question", texts(asked)  # one item: no scope question
    unreadable = world.say("c-bank", "잘 모르겠어요")
    assert unreadable[-1].key == "chat.hint.fields"
    reason = world.say("c-bank", "국민은행, 123-456-789012, 김민지")
    assert reason[-1].key == "cancel.reason_question", texts(reason)
    summary = world.say("c-bank", "1")
    assert "9012" in texts(summary)  # the account's last four digits, nothing more
    assert "123-456" not in texts(summary)
    done = world.say("c-bank", "네")
    assert done[-1].key == "cancel.done"
    (written,) = world.writes(order.order_id)
    assert "bank_04" in str(written)
    transcript = "\n".join(text for _, text in world.store.transcript("c-bank"))
    assert "789012" not in transcript  # the account is not kept in the transcript
    assert phone not in transcript
    assert world.code_for(phone) not in transcript


def test_concurrent_confirmations_cancel_once(world: World) -> None:
    order = world.guest_order(["N10", "N10"])
    cancel_until_confirm(world, "c-race", "en", order.order_id, order.buyer_cellphone or "")
    results: list[list[Message]] = []
    barrier = threading.Barrier(4)

    def confirm(n: int) -> None:
        barrier.wait()
        results.append(world.say("c-race", "yes", message_id=f"yes-{n}"))

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum([m.key for m in r] == ["cancel.done"] for r in results) == 1
    assert len(world.writes(order.order_id)) == 1


def test_a_repeated_message_id_is_answered_once(world: World) -> None:
    first = world.say("c-dup", "I want to cancel my order", message_id="m1")
    again = world.say("c-dup", "I want to cancel my order", message_id="m1")
    assert first == again
    assert [role for role, _ in world.store.transcript("c-dup")] == ["user", "bot"]
    assert len(world.engine._locks) == 0  # no lock kept for a conversation no thread is answering


class Killed(BaseException):
    pass


def test_a_worker_killed_mid_cancel_is_resumed_without_a_second_cancel(world: World,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    order = world.guest_order(["N20", "N20"])
    cancel_until_confirm(world, "c-kill", "ko", order.order_id, order.buyer_cellphone or "")
    real = ChatActions._command

    def step_then_die(self: ChatActions, *args: Any, **kwargs: Any) -> dict[str, Any]:
        real(self, *args, **kwargs)  # the write reaches Cafe24...
        raise Killed  # ...and the process dies before recording it

    monkeypatch.setattr(store_module, "LEASE_SECONDS", 1.0)
    monkeypatch.setattr(ChatActions, "_command", step_then_die)
    monkeypatch.setattr(ChatStore, "release", lambda self, conversation_id: None)  # a dead worker releases nothing
    with pytest.raises(Killed):
        world.say("c-kill", "네")
    monkeypatch.undo()
    assert len(world.writes(order.order_id)) == 1
    restarted = ConversationEngine(ChatStore(create_engine(str(world.db.url))), lambda shop: world.actions)
    with pytest.raises(store_module.Busy):
        restarted.store.acquire("c-kill", "demo", "api", wait=0.0)  # the dead worker's lease still holds
    resumed = restarted.resume()
    assert [m.texts() for m in resumed["c-kill"]] == [[DONE["ko"]]]
    assert len(world.writes(order.order_id)) == 1
    assert restarted.resume() == {}


def test_after_a_restart_the_customers_next_message_finishes_what_the_dead_worker_left(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody called resume(): the next message finds the conversation waiting for an effect no one runs,
    finishes it (the cancel it confirmed, written once), then answers the message."""
    order = world.guest_order(["N20", "N20"])
    cancel_until_confirm(world, "c-next", "en", order.order_id, order.buyer_cellphone or "")
    real = ChatActions._command

    def step_then_die(self: ChatActions, *args: Any, **kwargs: Any) -> dict[str, Any]:
        real(self, *args, **kwargs)
        raise Killed

    monkeypatch.setattr(store_module, "LEASE_SECONDS", 3.0)
    monkeypatch.setattr(ChatActions, "_command", step_then_die)
    monkeypatch.setattr(ChatStore, "release", lambda self, conversation_id: None)
    with pytest.raises(Killed):
        world.say("c-next", "yes")
    monkeypatch.undo()
    restarted = ConversationEngine(ChatStore(create_engine(str(world.db.url))), lambda shop: world.actions)
    assert restarted.resume(wait=0.0) == {}  # the dead worker's lease still holds: left for later, no error
    answered = restarted.handle("demo", "c-next", "hello", message_id="after-restart")
    assert answered[0].texts() == [DONE["en"]]
    assert len(answered) > 1  # then the answer to "hello"
    assert len(world.writes(order.order_id)) == 1
    assert restarted.resume() == {}


def test_an_effect_longer_than_the_lease_keeps_it_and_no_other_worker_answers_twice(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow Cafe24 write outlives the lease: the worker running it renews the lease meanwhile, so another
    worker given the customer's next message waits for the turn instead of taking the conversation over as
    a dead worker's (which ran the confirmation again and recorded its answer twice)."""
    import time

    order = world.guest_order(["N20", "N20"])
    cancel_until_confirm(world, "c-slow", "en", order.order_id, order.buyer_cellphone or "")
    real = ChatActions._command
    running = threading.Event()

    def slow_step(self: ChatActions, *args: Any, **kwargs: Any) -> dict[str, Any]:
        running.set()
        time.sleep(5.0)  # two and a half leases
        return real(self, *args, **kwargs)

    monkeypatch.setattr(store_module, "LEASE_SECONDS", 2.0)  # renewed every 0.67 s: slack for a loaded machine
    monkeypatch.setattr(ChatActions, "_command", slow_step)
    other = ConversationEngine(ChatStore(create_engine(str(world.db.url))), lambda shop: world.actions)
    answers: dict[str, list[Message]] = {}

    def confirm() -> None:
        answers["first"] = world.say("c-slow", "yes", message_id="confirm")

    def next_message() -> None:
        running.wait(10)
        time.sleep(3.0)  # the lease taken with the turn has run out by now
        answers["second"] = other.handle("demo", "c-slow", "hello", message_id="next")

    threads = [threading.Thread(target=confirm), threading.Thread(target=next_message)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [m.texts() for m in answers["first"]] == [[DONE["en"]]]
    assert DONE["en"] not in texts(answers["second"])
    assert [text for role, text in world.store.transcript("c-slow") if role == "bot"].count(DONE["en"]) == 1
    assert len(world.writes(order.order_id)) == 1


def test_inquiry_for_a_signed_in_member_in_japanese(world: World) -> None:
    order = add_order(world.sandbox, ["N20"], member="chatmember1")
    replies = world.say("c-member", INQUIRY["ja"], member_id="chatmember1")
    assert [m.key for m in replies] == ["orders.title"]
    assert order.order_id in texts(replies)
    details = world.say("c-member", number_of(replies, order=order.order_id))  # "Details" by its number
    assert details[-1].key == "orders.detail"
    cancel = world.say("c-member", number_of(details, order=order.order_id))  # the cancel action of the details
    assert cancel[-1].key == "cancel.reason_question"  # the order and its only item are known already


def test_inquiry_without_orders_hands_over(world: World) -> None:
    replies = world.say("c-none", INQUIRY["en"], member_id="nobody-ordered")
    assert [m.key for m in replies] == ["chat.no_orders"]
    state = world.store.load("c-none")
    assert state is not None
    assert (state.status, state.handoff_reason) == ("handed_over", "no_orders")
    assert world.handoffs == [("c-none", "no_orders")]


def test_failed_verification_hands_over_and_the_bot_stays_silent(world: World) -> None:
    order = world.guest_order(["N20"])
    phone = order.buyer_cellphone or ""
    world.say("c-fail", "where is my order")
    world.say("c-fail", phone)
    code = world.code_for(phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        last = world.say("c-fail", wrong)
    assert [m.key for m in last] == ["chat.verify_failed"]
    state = world.store.load("c-fail")
    assert state is not None
    assert (state.status, state.handoff_reason) == ("handed_over", "verification_failed")
    assert world.say("c-fail", "hello?") == []
    assert world.engine.give_back("demo", "c-fail")
    assert world.say("c-fail", "hello?")
    transcript = world.store.transcript("c-fail")
    assert ("user", "hello?") in transcript
    assert ("user", "[code]") in transcript
    assert all(code not in text and wrong not in text for _, text in transcript)


def test_the_menu_and_its_numbers(world: World) -> None:
    add_order(world.sandbox, ["N40"], member="chatmember2")
    menu = world.say("c-menu", "hi there", member_id="chatmember2")
    assert [m.key for m in menu] == ["chat.menu"]
    assert len(numbered(menu[0])) == 6
    orders = world.say("c-menu", "1")
    assert orders[-1].key == "orders.title"
    operator = world.say("c-menu", "/operator")
    assert [m.key for m in operator] == ["chat.handed_over"]
    assert world.handoffs[-1] == ("c-menu", "customer_asked")


def test_eta_return_and_address_run_in_the_conversation(world: World) -> None:
    member = "chatmember3"
    preparing = add_order(world.sandbox, ["N20"], member=member)
    eta = world.say("c-eta", "/eta", member_id=member)
    assert eta[-1].key == "eta.title", texts(eta)
    assert preparing.order_id in texts(eta)

    delivered = add_order(world.sandbox, ["N40"], member=member)
    listed = world.say("c-return", "I'd like to return what I got", member_id=member)
    assert listed[-1].key == "return.pick_order", texts(listed)
    kind = world.say("c-return", number_of(listed, order=delivered.order_id))
    assert kind[-1].key == "return.kind_question", texts(kind)
    reason = world.say("c-return", number_of(kind, kind="return"))
    assert reason[-1].key == "return.reason_question", texts(reason)
    summary = world.say("c-return", number_of(reason, reason="change_of_mind"))
    assert summary[-1].key == "return.summary", texts(summary)
    filed = world.say("c-return", "yes")
    assert filed[-1].key == "return.done_return", texts(filed)
    assert len(world.writes(delivered.order_id)) == 1

    moving = add_order(world.sandbox, ["N20"], member=member)
    listed = world.say("c-address", "/배송지변경", member_id=member)
    asked = world.say("c-address", number_of(listed, order=moving.order_id))
    assert asked[-1].key == "address.question", texts(asked)
    summary = world.say("c-address", "이순신\n04524\n서울 중구 세종대로 110\n2층\n010-3333-4444")
    assert summary[-1].key == "address.summary", texts(summary)
    changed = world.say("c-address", "네")
    assert changed[-1].key == "address.done", texts(changed)
    receiver = world.sandbox.shop.orders[moving.order_id].receivers[0]
    assert receiver.address1 == "서울 중구 세종대로 110"


def test_photos_are_uploaded_on_the_api_and_handed_over_on_channel_talk(world: World) -> None:
    member = "chatmember4"
    delivered = add_order(world.sandbox, ["N40"], member=member)
    for conversation, channel in (("c-photo-api", "api"), ("c-photo-ct", "channeltalk")):
        listed = world.say(conversation, "/return", member_id=member, channel=channel)
        kind = world.say(conversation, number_of(listed, order=delivered.order_id), channel=channel)
        reason = world.say(conversation, number_of(kind, kind="return"), channel=channel)
        asked = world.say(conversation, number_of(reason, reason="defective"), channel=channel)
        if channel == "channeltalk":
            assert [m.key for m in asked] == ["return.photos_question", "chat.photos_operator"]
            assert world.handoffs[-1] == ("c-photo-ct", "return_needs_photos")
            continue
        assert asked[-1].key == "return.photos_question"
        photo = world.commands.upload_photo(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        assert photo.photo_id is not None
        summary = world.engine.handle("demo", conversation, Event(kind="photos", photos=(photo.photo_id,)),
                                      member_id=member)
        assert summary[-1].key == "return.summary", texts(summary)


def test_another_shop_cannot_touch_a_conversation(world: World) -> None:
    world.say("c-shop", "hi")
    with pytest.raises(PermissionError):
        world.engine.handle("other", "c-shop", "hi")
