"""The segment editor in a real headless Chromium: sign in, live diagnostics, formatted text, SQL,
audience size, explain, save as new versions, history; refusals for other shops and read-only tokens.

Each expectation is computed by the library on the same text and store, so
the page must show what cafehub computes. ``CAFEHUB_SCREENSHOTS=1`` also
writes the screenshots kept in docs/images/ for the README.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cafehub import api
from cafehub.compiler.backends.sql import compile_sql
from cafehub.execution.explain import explain
from cafehub.execution.python import load_customer
from cafehub.execution.sql import run_sql
from cafehub.service.state import shop_context
from cafehub.store.engines import open_engine

from .conftest import NOW, Service

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "images"
AT = NOW.replace(tzinfo=None).isoformat(timespec="seconds")  # the datetime-local value: wall-clock in the shop's zone


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def screenshot(page: Any, name: str) -> None:
    if os.environ.get("CAFEHUB_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def sign_in(page: Any, base: str, token: str, shop: str = "alpha") -> None:
    page.goto(f"{base}/shops/{shop}/editor")
    assert "/login" in page.url  # no session yet
    page.fill("#token", token)
    page.click("#sign-in")
    page.wait_for_url(f"{base}/shops/{shop}/editor")


def type_segment(page: Any, text: str) -> None:
    page.fill("#segment-text", text)


def test_live_diagnostics_formatting_sql_count_and_explain(
    service: Service, serve_app: Callable[[Any], str], browser: Any
) -> None:
    base = serve_app(service.app)
    sign_in(browser, base, service.tokens["alpha", "read"])
    expect(browser.locator("#shop-id")).to_have_text("alpha")
    expect(browser.locator("#save")).to_be_disabled()  # a read token cannot save

    bad = "order(status = payed).count >= 3"
    type_segment(browser, bad)
    diagnostic = browser.locator(".diagnostic").first
    expect(diagnostic.locator(".headline")).to_have_text("error[E0203]: unknown status 'payed'; did you mean 'paid'?")
    expect(browser.locator("#status")).to_have_text("✗ 1 error")
    excerpt = diagnostic.locator("pre.excerpt").text_content().splitlines()
    assert excerpt == [" --> 1:16", "1 | order(status = payed).count >= 3", "  |                ^^^^^"]
    expect(diagnostic.locator(".hint")).to_have_text(
        "= hint: status is one of: pending, paid, canceled, returned, refunded")
    screenshot(browser, "editor-diagnostics.png")
    diagnostic.click()  # puts the text cursor on the error
    assert browser.eval_on_selector("#segment-text", "e => [e.selectionStart, e.selectionEnd]") == [15, 20]

    text = "order(status=paid).count>=2 and no order(ordered_at within last 30d)"
    type_segment(browser, text)
    expect(browser.locator("#status")).to_have_text("✓ valid")
    expect(browser.locator(".diagnostic")).to_have_count(0)
    expect(browser.locator("#formatted")).to_have_text(api.format(text))
    expect(browser.locator("#sql")).to_have_text(compile_sql(api.check(text), dialect="postgres").sql)
    browser.select_option("#dialect", "mysql")
    expect(browser.locator("#sql")).to_have_text(compile_sql(api.check(text), dialect="mysql").sql)
    browser.click("#use-formatted")
    expect(browser.locator("#segment-text")).to_have_value(api.format(text))

    engine = open_engine(service.stores["alpha"])
    ctx = shop_context(service.config.shops["alpha"], NOW)
    try:
        audience = run_sql(engine, text, ctx)
        browser.fill("#at", AT)
        browser.click("#count")
        expect(browser.locator("#count-result")).to_have_text(f"{len(audience):,} customers at {NOW.isoformat()}")

        member = audience[0]
        customer = load_customer(engine, member)
        assert customer is not None
        expected = explain(api.check(text), customer, ctx)
        browser.fill("#member", member)
        browser.click("#explain")
        expect(browser.locator(".explanation .verdict")).to_have_text(f"{member} matches at {NOW.isoformat()}")
        marks = browser.locator(".explanation li.true > .mark, .explanation li.false > .mark").all_text_contents()
        assert marks[0].strip() == ("✓" if expected.matches else "✗")
        assert len(marks) == 1 + len(expected.root.children)
        screenshot(browser, "editor-explain.png")
    finally:
        engine.dispose()


def test_another_shops_editor_sends_the_browser_to_sign_in(
    service: Service, serve_app: Callable[[Any], str], browser: Any
) -> None:
    base = serve_app(service.app)
    sign_in(browser, base, service.tokens["alpha", "write"])
    browser.goto(f"{base}/shops/beta/editor")
    assert "/login" in browser.url
    expect(browser.locator("#login-reason")).to_have_text(
        "Your session is not for this shop; sign in with one of its API tokens.")
    # and the session cookie gives the page's script nothing of beta's either
    status = browser.evaluate("""async () => (await fetch('/v1/shops/beta/text/check', {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CafeHub-Csrf': '1'}, body: '{"text": "cart()"}'})).status""")
    assert status == 403


def test_a_wrong_token_is_refused_without_echoing_it(
    service: Service, serve_app: Callable[[Any], str], browser: Any
) -> None:
    base = serve_app(service.app)
    browser.goto(f"{base}/login")
    wrong = service.tokens["alpha", "read"][:-3] + "zzz"
    browser.fill("#token", wrong)
    browser.click("#sign-in")
    expect(browser.locator("#login-reason")).to_have_text("That token is not valid (it may be mistyped or revoked).")
    assert wrong not in browser.content()


def test_the_session_cookie_is_httponly_and_changes_need_the_csrf_header(
    service: Service, serve_app: Callable[[Any], str], browser: Any
) -> None:
    base = serve_app(service.app)
    sign_in(browser, base, service.tokens["alpha", "read"])
    assert browser.evaluate("document.cookie") == ""  # the script cannot read the token
    cookie = next(c for c in browser.context.cookies() if c["name"] == "cafehub_session")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    status = browser.evaluate("""async () => (await fetch('/v1/shops/alpha/text/check', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{"text": "cart()"}'})).status""")
    assert status == 403
    browser.click(".logout button")
    expect(browser.locator("#login-reason")).to_have_text("You are signed out.")
    browser.goto(f"{base}/shops/alpha/editor")
    assert "/login" in browser.url


def test_save_as_new_versions_and_the_history(
    writable: Service, serve_app: Callable[[Any], str], browser: Any
) -> None:
    from cafehub.registry import SegmentRegistry

    base = serve_app(writable.app)
    sign_in(browser, base, writable.tokens["alpha", "write"])
    expect(browser.locator("#saved-list")).to_have_text("none yet")
    expect(browser.locator("#save")).to_be_enabled()

    first = "order(status = paid).count >= 2"
    browser.fill("#segment-name", "vip")
    browser.fill("#segment-description", "two paid orders")
    type_segment(browser, first)
    expect(browser.locator("#status")).to_have_text("✓ valid")
    browser.click("#save")
    expect(browser.locator("#save-result")).to_have_text("saved as version 1")
    assert browser.url.endswith("/shops/alpha/editor?segment=vip")
    expect(browser.locator("#saved-list li")).to_have_text(["vip v1"])

    second = "order(status = paid).count >= 3 and no order(ordered_at within last 60d)"
    type_segment(browser, second)
    browser.click("#save")
    expect(browser.locator("#save-result")).to_have_text("saved as version 2")
    browser.click("#save")  # the same text again: nothing new
    expect(browser.locator("#save-result")).to_have_text("unchanged: the same text as version 2")

    type_segment(browser, "order(status = payed).count >= 3")  # refused with its diagnostics, nothing saved
    expect(browser.locator("#status")).to_have_text("✗ 1 error")
    browser.click("#save")
    expect(browser.locator("#save-result")).to_have_text("the segment has 1 error")
    expect(browser.locator(".diagnostic .headline").first).to_have_text(
        "error[E0203]: unknown status 'payed'; did you mean 'paid'?")

    engine = open_engine(writable.stores["alpha"])
    try:
        history = SegmentRegistry(engine, "alpha").history("vip")
    finally:
        engine.dispose()
    assert [v.text for v in history] == [first, second]
    versions = browser.locator("#history li.version")
    expect(versions).to_have_count(2)
    assert [versions.nth(i).get_attribute("data-version") for i in range(2)] == ["2", "1"]  # newest first
    expect(versions.nth(1).locator(".muted")).to_contain_text(f"by {history[0].saved_by}")
    expect(versions.nth(0).locator("code.preview")).to_have_text(second)
    versions.nth(1).locator("button").click()  # load version 1 back into the editor
    expect(browser.locator("#segment-text")).to_have_value(first)
    expect(browser.locator("#status")).to_have_text("✓ valid")
    expect(browser.locator("#save-result")).to_have_text("loaded version 1")
    expect(browser.locator("#sql")).to_have_text(compile_sql(api.check(first), dialect="postgres").sql)
    screenshot(browser, "editor-history.png")

    # opening the saved segment by its link shows its latest version and description
    browser.goto(f"{base}/shops/alpha/editor?segment=vip")
    expect(browser.locator("#segment-text")).to_have_value(second)
    expect(browser.locator("#segment-description")).to_have_value("two paid orders")
    expect(browser.locator("#history li.version")).to_have_count(2)


def test_a_saved_segment_is_usable_by_name_in_the_editor(
    writable: Service, serve_app: Callable[[Any], str], browser: Any
) -> None:
    from cafehub.registry import SegmentRegistry

    engine = open_engine(writable.stores["alpha"])
    try:
        registry = SegmentRegistry(engine, "alpha")
        registry.save("vip", "order(status = paid).count >= 2", saved_by="setup")
        text = 'segment("vip") and no order(ordered_at within last 30d)'
        ctx = shop_context(writable.config.shops["alpha"], NOW)
        audience = run_sql(engine, registry.check(text), ctx)
    finally:
        engine.dispose()
    base = serve_app(writable.app)
    sign_in(browser, base, writable.tokens["alpha", "read"])
    type_segment(browser, text)
    expect(browser.locator("#status")).to_have_text("✓ valid")
    browser.fill("#at", AT)
    browser.click("#count")
    expect(browser.locator("#count-result")).to_have_text(f"{len(audience):,} customers at {NOW.isoformat()}")
    type_segment(browser, 'segment("vpi")')
    expect(browser.locator(".diagnostic .headline").first).to_contain_text("unknown saved segment 'vpi'")
