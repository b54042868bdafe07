"""The chat API over real HTTP (uvicorn on loopback) against the sandbox: both tasks in three languages from the
first message to the Cafe24 write, who may call what, and the captured logs scanned for personal data."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cafehub.runtime.identity import normalize_phone
from cafehub.sandbox.state import Order
from cafehub.sandbox.testing import SandboxHandle, add_order

from .env import KEYS, ORIGIN, ChatService, random_message_id

FIRST = {"en": "I want to cancel my order", "ja": "注文をキャンセルしたいです", "ko": "주문 취소하고 싶어요"}
INQUIRY = {"en": "Can I see my order history?", "ja": "注文履歴を見たいです", "ko": "주문 내역 보여주세요"}
DONE = {"en": "Your order has been cancelled as requested.", "ja": "ご依頼通りに注文キャンセルが完了しました。",
        "ko": "요청하신 대로 주문 취소가 완료되었습니다."}
_phones = iter(range(1000, 9999))


def fresh_phone() -> str:
    return f"010-8{next(_phones) % 1000:03d}-{next(_phones):04d}"


def guest_order(sandbox: SandboxHandle, statuses: list[str], **details: Any) -> Order:
    return add_order(sandbox.sandbox, statuses, member=None, buyer_cellphone=fresh_phone(),
                     buyer_email=f"guest{next(_phones)}@example.com", **details)


def button(answer: dict[str, Any], **wanted: Any) -> dict[str, Any]:
    """The button of the last message carrying ``wanted`` answers, as the body that presses it."""
    message = answer["messages"][-1]["message"]
    buttons = [b for block in message["blocks"] if block["type"] == "order" for b in block["buttons"]]
    for each in buttons + message["buttons"]:
        if all(each["answers"].get(k) == v for k, v in wanted.items()):
            return {"button": {"command": each["command"], "answers": each["answers"]}}
    raise AssertionError(f"no button with {wanted} in {message}")


def keys(answer: dict[str, Any]) -> list[str]:
    return [m["message"]["key"] for m in answer["messages"]]


def verify(chat: ChatService, conversation: str, headers: dict[str, str], phone: str) -> dict[str, Any]:
    sent = chat.send(conversation, headers, text=phone)
    assert keys(sent) == ["chat.code_sent"]
    code = chat.outbox.last_code(normalize_phone(phone, "KR"))
    return chat.send(conversation, headers, text=code, message_id=random_message_id())


def scan_logs(caplog: pytest.LogCaptureFixture, secrets: list[str]) -> None:
    """No phone number (any spelling), e-mail, name, address, token or code in any captured log line."""
    lines = [f"{r.name}: {r.getMessage()}" for r in caplog.records]
    assert lines  # the service did log
    text = "\n".join(lines)
    for secret in secrets:
        assert secret not in text, f"{secret!r} is in the logs"
    assert not re.search(r"01[016789]-?\d{3,4}-?\d{4}|\+8210\d{8}", text), "a phone number is in the logs"
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), "an e-mail address is in the logs"


@pytest.mark.parametrize("lang", ["en", "ja", "ko"])
def test_cancel_over_the_chat_api_from_the_first_message_to_the_cafe24_write(
        chat: ChatService, lang: str, caplog: pytest.LogCaptureFixture) -> None:
    order = guest_order(chat.sandbox, ["N20", "N20"])
    phone = order.buyer_cellphone or ""
    conversation, headers = chat.open(language=lang)
    assert keys(chat.send(conversation, headers, text=FIRST[lang])) == ["chat.ask_contact"]
    listed = verify(chat, conversation, headers, phone)
    assert keys(listed) == ["cancel.pick_order"]
    scope = chat.send(conversation, headers, **button(listed, order=order.order_id))
    assert keys(scope) == ["cancel.scope_question"]
    reason = chat.send(conversation, headers, **button(scope, scope="whole"))
    summary = chat.send(conversation, headers, **button(reason, reason="change_of_mind"))
    assert keys(summary) == ["cancel.summary"]
    assert summary["messages"][0]["message"]["language"] == lang
    confirm = {**button(summary, confirm=True), "message_id": random_message_id()}
    done = chat.send(conversation, headers, **confirm)
    assert [m["message"]["blocks"][0]["text"] for m in done["messages"]] == [DONE[lang]]
    again = chat.send(conversation, headers, **confirm)  # the same message again (a client's retry)
    assert again["messages"] == done["messages"]
    writes = [c for c in chat.sandbox.sandbox.shop.claims() if c["order_id"] == order.order_id]
    assert len(writes) == 1
    assert all(i.status.startswith("C") for i in chat.sandbox.sandbox.shop.orders[order.order_id].items)
    transcript = chat.http.get(f"{chat.url}/v1/shops/alpha/chat/conversations/{conversation}/messages",
                               headers=headers).json()
    assert [e["role"] for e in transcript["entries"]].count("user") == 7
    assert phone not in str(transcript)
    scan_logs(caplog, [phone, normalize_phone(phone, "KR"), phone.replace("-", ""), "Kim Minji", "Sejong-daero",
                       order.buyer_email or "", headers["Authorization"].split()[1], KEYS["alpha"],
                       chat.api_tokens["alpha", "write"], *[m.code or "" for m in chat.outbox.messages]])


@pytest.mark.parametrize("lang", ["en", "ja", "ko"])
def test_inquiry_over_the_chat_api(chat: ChatService, lang: str, caplog: pytest.LogCaptureFixture) -> None:
    member = f"api-member-{lang}"
    order = add_order(chat.sandbox.sandbox, ["N30"], member=member)
    opened = chat.http.post(f"{chat.url}/v1/shops/alpha/chat/conversations", json={"member_id": member},
                            headers={"Authorization": f"Bearer {chat.api_tokens['alpha', 'write']}"})
    assert opened.status_code == 201, opened.text
    headers = {"Authorization": f"Bearer {opened.json()['token']}"}
    conversation = opened.json()["conversation_id"]
    shown = chat.send(conversation, headers, text=INQUIRY[lang])
    assert keys(shown) == ["orders.title"]
    assert shown["messages"][0]["message"]["language"] == lang
    assert order.order_id in shown["messages"][0]["text"]
    timed = chat.http.post(f"{chat.url}/v1/shops/alpha/chat/conversations/{conversation}/messages",
                           json={"text": "1"}, headers=headers)  # "Details" of the newest order, by its number
    assert keys(timed.json()) == ["orders.detail"]
    timing = dict(re.findall(r"([\w-]+);dur=([\d.]+)", timed.headers["server-timing"]))
    assert set(timing) == {"turn", "cpu", "cafe24-wait"}
    assert float(timing["turn"]) >= max(float(timing["cpu"]), float(timing["cafe24-wait"]))

    guest, guest_headers = chat.open()  # a guest whose contact has no orders: verification, then an operator
    chat.send(guest, guest_headers, text=INQUIRY[lang])
    nobody = fresh_phone()
    handed = verify(chat, guest, guest_headers, nobody)
    assert keys(handed) == ["chat.no_orders"]
    assert handed["status"] == "handed_over"
    waiting = chat.http.get(f"{chat.url}/v1/shops/alpha/chat/handoffs",
                            headers={"Authorization": f"Bearer {chat.api_tokens['alpha', 'read']}"}).json()
    assert {"conversation_id": guest, "channel": "api", "reason": "no_identity"} in [
        {k: c[k] for k in ("conversation_id", "channel", "reason")} for c in waiting["conversations"]]
    scan_logs(caplog, [nobody, nobody.replace("-", ""), normalize_phone(nobody, "KR"), guest_headers["Authorization"]
                       .split()[1], *[m.code or "" for m in chat.outbox.messages]])


def test_who_may_call_the_chat_api(chat: ChatService) -> None:
    base = f"{chat.url}/v1/shops"
    post = chat.http.post
    assert post(f"{base}/alpha/chat/conversations", json={}).status_code == 401
    assert post(f"{base}/alpha/chat/conversations", json={}, headers={"X-Chat-Key": KEYS["beta"]}).status_code == 403
    assert post(f"{base}/gamma/chat/conversations", json={}, headers={"X-Chat-Key": KEYS["alpha"]}).json() == \
        post(f"{base}/beta/chat/conversations", json={}, headers={"X-Chat-Key": KEYS["alpha"]}).json()
    refused = post(f"{base}/alpha/chat/conversations", json={}, headers={"X-Chat-Key": KEYS["alpha"],
                                                                        "Origin": "https://evil.example"})
    assert (refused.status_code, refused.json()["error"]["field"]) == (403, "header.origin")
    allowed = post(f"{base}/alpha/chat/conversations", json={}, headers={"X-Chat-Key": KEYS["alpha"],
                                                                        "Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    preflight = chat.http.options(f"{base}/alpha/chat/conversations", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "X-Chat-Key" in preflight.headers["access-control-allow-headers"]
    assert chat.http.options(f"{base}/alpha/chat/conversations", headers={"Origin": "https://evil.example"}
                             ).status_code == 403
    vouched = post(f"{base}/alpha/chat/conversations", json={"member_id": "m0001"},
                   headers={"X-Chat-Key": KEYS["alpha"]})
    assert (vouched.status_code, vouched.json()["error"]["field"]) == (403, "body.member_id")
    assert post(f"{base}/alpha/chat/conversations", json={"member_id": "m0001"}, headers={
        "Authorization": f"Bearer {chat.api_tokens['alpha', 'read']}"}).status_code == 403  # needs write
    assert post(f"{base}/alpha/chat/conversations", json={"member_id": "m0001"}, headers={
        "Authorization": f"Bearer {chat.api_tokens['beta', 'write']}"}).status_code == 403

    mine, headers = chat.open("alpha")
    theirs, their_headers = chat.open("beta")
    body = {"text": "hello"}
    assert post(f"{base}/alpha/chat/conversations/{mine}/messages", json=body, headers=headers).status_code == 200
    for shop, conversation, credentials, status in (
            ("alpha", theirs, headers, 403),  # my token, another conversation
            ("beta", mine, headers, 403),  # my token on another shop's path
            ("alpha", mine, their_headers, 403),  # another shop's token
            ("alpha", mine, {}, 401),
            ("alpha", mine, {"Authorization": headers["Authorization"][:-3] + "AAA"}, 401),  # forged signature
            ("alpha", mine, {"Authorization": f"Bearer {chat.api_tokens['alpha', 'write']}"}, 401)):
        response = post(f"{base}/{shop}/chat/conversations/{conversation}/messages", json=body, headers=credentials)
        assert response.status_code == status, (shop, conversation, response.text)
        assert headers["Authorization"].split()[1] not in response.text
    both = post(f"{base}/alpha/chat/conversations/{mine}/messages", json={"text": "a", "button": {"command": "x"}},
                headers=headers)
    assert both.status_code == 422
    assert chat.http.get(f"{base}/alpha/chat/handoffs", headers=headers).status_code == 401
    assert chat.http.get(f"{base}/alpha/chat/handoffs", headers={
        "Authorization": f"Bearer {chat.api_tokens['beta', 'read']}"}).status_code == 403


def test_photos_and_give_back(chat: ChatService) -> None:
    conversation, headers = chat.open()
    url = f"{chat.url}/v1/shops/alpha/chat/conversations/{conversation}/photos"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    uploaded = chat.http.post(url, content=png, headers={**headers, "Content-Type": "application/octet-stream"})
    assert uploaded.status_code == 201
    assert uploaded.json()["photo_id"]
    refused = chat.http.post(url, content=b"not an image", headers=headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_photo")
    assert chat.send(conversation, headers, text="/operator")["status"] == "handed_over"
    assert chat.send(conversation, headers, text="hello?")["messages"] == []
    back = f"{chat.url}/v1/shops/alpha/chat/conversations/{conversation}/give-back"
    assert chat.http.post(back, headers={"Authorization": f"Bearer {chat.api_tokens['beta', 'write']}"}
                          ).status_code == 403
    assert chat.http.post(back, headers={"Authorization": f"Bearer {chat.api_tokens['alpha', 'read']}"}
                          ).status_code == 403
    assert chat.http.post(back, headers={"Authorization": f"Bearer {chat.api_tokens['alpha', 'write']}"}
                          ).status_code == 204
    assert chat.send(conversation, headers, text="hello?")["messages"]
