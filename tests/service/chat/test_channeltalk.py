"""The Channel Talk path on loopback: the stand-in delivers webhooks to the service, the service answers through
the Open API. Both tasks in three languages, duplicate deliveries, the token and signature, hand-off with a
private note and a manager, and the logs scanned for personal data."""

from __future__ import annotations

import json
import re
import time

import pytest

from cafehub.runtime.identity import normalize_phone
from cafehub.runtime.messages.catalogue import default_catalogue
from cafehub.sandbox.testing import add_order

from .env import WEBHOOK_TOKEN, ChatService
from .test_api import DONE, FIRST, INQUIRY, fresh_phone, scan_logs

YES = {"en": "yes", "ja": "はい", "ko": "네"}


class Customer:
    """A customer typing in one Channel Talk user chat, reading the bot's public replies."""

    def __init__(self, chat: ChatService, *, member: str | None = None, language: str | None = None) -> None:
        self.channel = chat.channel
        self.id = chat.channel.open_chat(member_id=member, language=language)
        self.seen = 0

    def says(self, text: str) -> str:
        self.channel.user_says(self.id, text)
        return self.reply()

    def reply(self) -> str:
        replies = self.channel.wait_bot(self.id, self.seen + 1, timeout=20)
        self.seen = len(replies)
        return replies[-1].text

    def number_of(self, text: str, needle: str) -> str:
        found = re.search(rf"^\s*(\d+)\. .*{re.escape(needle)}", text, re.MULTILINE)
        assert found, f"no numbered {needle!r} in:\n{text}"
        return found.group(1)


@pytest.mark.parametrize("lang", ["en", "ja", "ko"])
def test_cancel_through_channel_talk(chat: ChatService, lang: str, caplog: pytest.LogCaptureFixture) -> None:
    phone = fresh_phone()
    order = add_order(chat.sandbox.sandbox, ["N20", "N20"], member=None, buyer_cellphone=phone)
    customer = Customer(chat, language=lang)
    assert customer.says(FIRST[lang]) == default_catalogue().text("chat.ask_contact", lang)  # type: ignore[arg-type]
    customer.says(phone)
    listed = customer.says(chat.outbox.last_code(normalize_phone(phone, "KR")))
    scope = customer.says(customer.number_of(listed, order.order_id))
    reason = customer.says("1")  # the whole order
    assert scope != reason
    summary = customer.says("1")  # the first reason
    assert order.order_id in summary
    assert customer.says(YES[lang]) == DONE[lang]
    writes = [c for c in chat.sandbox.sandbox.shop.claims() if c["order_id"] == order.order_id]
    assert len(writes) == 1
    scan_logs(caplog, [phone, phone.replace("-", ""), normalize_phone(phone, "KR"), "Kim Minji", "Sejong-daero",
                       WEBHOOK_TOKEN, chat.channel.access_secret, *[m.code or "" for m in chat.outbox.messages]])


@pytest.mark.parametrize("lang", ["en", "ja", "ko"])
def test_inquiry_through_channel_talk_for_a_signed_in_member(chat: ChatService, lang: str) -> None:
    member = f"ct-member-{lang}"
    order = add_order(chat.sandbox.sandbox, ["N40"], member=member)
    customer = Customer(chat, member=member, language=lang)
    shown = customer.says(INQUIRY[lang])
    assert order.order_id in shown
    assert chat.channel.bot_messages(customer.id, private=True) == []


def test_a_repeated_delivery_is_answered_once(chat: ChatService) -> None:
    customer = Customer(chat, member="ct-member-dup")
    message = chat.channel.user_says(customer.id, "hello")
    customer.reply()
    chat.channel.redeliver(message)
    chat.channel.redeliver(message)
    time.sleep(0.5)  # the service answers at once and works in the background: give it the time to misbehave
    assert len(chat.channel.bot_messages(customer.id)) == 1
    assert sum(1 for m, status in chat.channel.deliveries if m == message and status == 202) == 3


def test_failed_verification_hands_over_with_a_note_and_a_manager(chat: ChatService) -> None:
    phone = fresh_phone()
    add_order(chat.sandbox.sandbox, ["N20"], member=None, buyer_cellphone=phone)
    customer = Customer(chat)
    customer.says("where is my order")
    customer.says(phone)
    code = chat.outbox.last_code(normalize_phone(phone, "KR"))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        last = customer.says(wrong)
    assert last == "We could not verify you. Connecting you to an operator."
    notes = chat.channel.bot_messages(customer.id, private=True)
    assert [n.text for n in notes] == ["Cafe24 Hub handed this chat over (verification_failed)."]
    assert chat.channel.chats[customer.id].assignee_id == "mgr-7"
    chat.channel.user_says(customer.id, "hello?", wait=True)
    time.sleep(0.5)
    assert customer.seen == len(chat.channel.bot_messages(customer.id))  # the bot stays silent


def test_the_webhook_checks_its_token_and_signature(chat: ChatService) -> None:
    customer = chat.channel.open_chat()
    event = chat.channel.event(chat.channel._add(customer, "user", "hello"))
    body = json.dumps(event).encode()
    url = f"{chat.url}/v1/shops/alpha/channeltalk/webhook"
    good = {"Content-Type": "application/json", **chat.channel.signed(body)}
    assert chat.http.post(url, params={"token": "wrong"}, content=body, headers=good).status_code == 403
    assert chat.http.post(url, params={"token": WEBHOOK_TOKEN}, content=body,
                          headers={"Content-Type": "application/json"}).status_code == 403
    tampered = body.replace(b"hello", b"HELLO")
    assert chat.http.post(url, params={"token": WEBHOOK_TOKEN}, content=tampered, headers=good).status_code == 403
    other = chat.http.post(f"{chat.url}/v1/shops/beta/channeltalk/webhook", params={"token": "x"}, content=body,
                           headers=good)
    assert other.status_code == 403
    assert WEBHOOK_TOKEN not in other.text
    accepted = chat.http.post(url, params={"token": WEBHOOK_TOKEN}, content=body, headers=good)
    assert accepted.status_code == 202
    note = json.dumps({**event, "entity": {**event["entity"], "options": ["private"]}}).encode()
    ignored = chat.http.post(url, params={"token": WEBHOOK_TOKEN}, content=note,
                             headers={"Content-Type": "application/json", **chat.channel.signed(note)})
    assert ignored.json() == {"accepted": True, "ignored": "private"}


class Killed(BaseException):
    """The worker process dies (not an exception the service could catch)."""


def test_a_restarted_service_posts_the_answer_a_dead_worker_left(chat: ChatService,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker dies after the Cafe24 write and before answering; the restarted service's sweep finishes
    the conversation and posts the answer to Channel Talk, with no second cancellation."""
    from cafehub.runtime.conversations import ChatActions, ChatStore
    from cafehub.runtime.conversations import store as store_module

    member = "ct-member-restart"
    order = add_order(chat.sandbox.sandbox, ["N20", "N20"], member=member)
    customer = Customer(chat, member=member, language="en")
    listed = customer.says(FIRST["en"])
    customer.says(customer.number_of(listed, order.order_id))
    customer.says("1")  # the whole order
    assert order.order_id in customer.says("1")  # the first reason: the summary
    real = ChatActions._command

    def step_then_die(self: ChatActions, *args: object, **kwargs: object) -> dict[str, object]:
        real(self, *args, **kwargs)  # type: ignore[arg-type]
        raise Killed

    monkeypatch.setattr(store_module, "LEASE_SECONDS", 1.0)
    monkeypatch.setattr(ChatActions, "_command", step_then_die)
    monkeypatch.setattr(ChatStore, "release", lambda self, conversation_id: None)
    chat.channel.user_says(customer.id, YES["en"], wait=True)
    time.sleep(1.5)  # the dead worker's lease runs out
    monkeypatch.undo()
    assert len(chat.channel.bot_messages(customer.id)) == customer.seen  # no answer yet
    runtime = chat.app.state.cafehub.chat
    runtime._shops.clear()  # a restart: the shop's chat is built again, with a new store owner
    staff = {"Authorization": f"Bearer {chat.api_tokens['alpha', 'read']}"}
    assert chat.http.get(f"{chat.url}/v1/shops/alpha/chat/handoffs", headers=staff).status_code == 200
    assert customer.reply() == DONE["en"]
    assert len([c for c in chat.sandbox.sandbox.shop.claims() if c["order_id"] == order.order_id]) == 1
