"""The web chat page in a real headless Chromium: an order cancelled from the first message to the Cafe24 write,
by typing and pressing the buttons the page draws; a reload continues the conversation."""

from __future__ import annotations

from typing import Any

from cafehub.runtime.identity import normalize_phone
from cafehub.runtime.messages.catalogue import default_catalogue
from cafehub.sandbox.testing import SandboxHandle, add_order

from .env import KEYS, ChatService
from .test_api import DONE, fresh_phone


def last_bot(page: Any, key: str) -> Any:
    bubble = page.locator(f'li.bot .bubble[data-key="{key}"]').last
    bubble.wait_for(state="visible")
    return bubble


def test_cancel_in_the_web_chat_page(chat: ChatService, browser: Any) -> None:
    text = default_catalogue().text
    phone = fresh_phone()
    sandbox: SandboxHandle = chat.sandbox
    order = add_order(sandbox.sandbox, ["N20", "N20"], member=None, buyer_cellphone=phone)
    page = browser
    page.goto(f"{chat.url}/shops/alpha/chat?key={KEYS['alpha']}")
    box = page.locator("#text")

    def say(words: str) -> None:
        box.fill(words)
        box.press("Enter")

    say("I want to cancel my order")
    last_bot(page, "chat.ask_contact")
    say(phone)
    last_bot(page, "chat.code_sent")
    say(chat.outbox.last_code(normalize_phone(phone, "KR")))
    listed = last_bot(page, "cancel.pick_order")
    listed.locator(".order", has_text=order.order_id).get_by_role("button").click()
    last_bot(page, "cancel.scope_question")
    page.reload()  # the conversation continues where it was (token in sessionStorage, transcript restored)
    scope = last_bot(page, "cancel.scope_question")
    scope.get_by_role("button", name=text("cancel.scope.whole", "en")).click()
    reason = last_bot(page, "cancel.reason_question")
    reason.get_by_role("button", name=text("cancel.reason.change_of_mind", "en")).click()
    summary = last_bot(page, "cancel.summary")
    assert order.order_id in summary.inner_text()
    summary.get_by_role("button", name=text("common.confirm", "en")).click()
    done = last_bot(page, "cancel.done")
    assert done.inner_text().strip() == DONE["en"]
    writes = [c for c in sandbox.sandbox.shop.claims() if c["order_id"] == order.order_id]
    assert len(writes) == 1
    csp = page.request.get(f"{chat.url}/shops/alpha/chat?key={KEYS['alpha']}").headers["content-security-policy"]
    assert "script-src 'self'" in csp


def test_the_page_needs_the_shops_key(chat: ChatService) -> None:
    assert chat.http.get(f"{chat.url}/shops/alpha/chat", params={"key": KEYS["beta"]}).status_code == 403
    assert chat.http.get(f"{chat.url}/shops/alpha/chat").status_code == 422
    page = chat.http.get(f"{chat.url}/shops/alpha/chat", params={"key": KEYS["alpha"]})
    assert page.status_code == 200
    assert 'data-shop="alpha"' in page.text
    assert chat.http.get(f"{chat.url}/chat-static/chat.js").status_code == 200
    assert chat.http.get(f"{chat.url}/chat-static/../app.py").status_code == 404
