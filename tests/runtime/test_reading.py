"""Reading typed replies as the command engine's answers, numbering for text surfaces, and the chat's words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cafehub.runtime.conversations.model import TASKS
from cafehub.runtime.conversations.reading import bank_code, merge, number, read_answer, read_items, yes_no
from cafehub.runtime.conversations.render import numbered, render_text, selectable_items
from cafehub.runtime.messages.catalogue import default_catalogue
from cafehub.runtime.messages.model import Button, ChoiceOption, Expect, FieldSpec, ItemLine, Message, OrderBlock

CODES = ("A-01", "A-02", "A-03")
ACCOUNT = Expect(answer="account", kind="fields", fields=[
    FieldSpec(name="bank_code", label="Bank"), FieldSpec(name="account_no", label="Account number"),
    FieldSpec(name="holder", label="Account holder")])
ADDRESS = Expect(answer="address", kind="fields", fields=[
    FieldSpec(name="name", label="Receiver's name"), FieldSpec(name="zipcode", label="Postal code"),
    FieldSpec(name="address1", label="Address"), FieldSpec(name="address2", label="Address line 2", required=False),
    FieldSpec(name="cellphone", label="Mobile number")])


@pytest.mark.parametrize(("text", "expected"), [("2", 2), ("２", 2), ("2번", 2), ("2番", 2), (" no. 3 ", 3),
                                                ("#1", 1), ("two", None), ("2,3", None), ("123", None)])
def test_numbers_in_every_spelling(text: str, expected: int | None) -> None:
    assert number(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("Yes!", True), ("はい", True), ("네", True), ("ＯＫ", True),
                                                ("no", False), ("いいえ", False), ("아니요", False),
                                                ("maybe", None)])
def test_yes_and_no(text: str, expected: bool | None) -> None:
    assert yes_no(text) is expected


def test_items_by_number_with_quantities_or_by_code() -> None:
    assert read_items("1,3", CODES) == [{"order_item_code": "A-01"}, {"order_item_code": "A-03"}]
    assert read_items("１、 ２x2", CODES) == [{"order_item_code": "A-01"}, {"order_item_code": "A-02", "quantity": 2}]
    assert read_items("a-02:1", CODES) == [{"order_item_code": "A-02", "quantity": 1}]
    for bad in ("4", "1,1", "0", "", "first one"):
        assert read_items(bad, CODES) is None


def test_a_refund_account_in_a_line_or_in_lines_with_the_bank_by_name() -> None:
    expected = {"account": {"bank_code": "bank_04", "account_no": "123-456-789012", "holder": "김민지"}}
    assert read_answer(ACCOUNT, (), "국민은행, 123-456-789012, 김민지") == expected
    assert read_answer(ACCOUNT, (), "KB\n123-456-789012\n김민지") == expected
    assert read_answer(ACCOUNT, (), "Bank: kb bank\nAccount number: 123-456-789012\nAccount holder: 김민지") \
        == expected
    assert read_answer(ACCOUNT, (), "I don't know") is None
    assert bank_code("카카오뱅크") == "bank_90"
    assert bank_code("bank_88") == "bank_88"
    assert bank_code("Some Bank Nobody Knows") == "Some Bank Nobody Knows"  # the engine names the problem


def test_an_address_without_its_optional_line() -> None:
    given = read_answer(ADDRESS, (), "Lee Sun\n04524\nSejong-daero 110\n010-3333-4444")
    assert given == {"address": {"name": "Lee Sun", "zipcode": "04524", "address1": "Sejong-daero 110",
                                 "cellphone": "010-3333-4444"}}


def test_choices_by_label_and_variants_merge_per_item() -> None:
    expect = Expect(answer="variants.A-01", kind="choice", options=[
        ChoiceOption(value="V1", label="Red / M"), ChoiceOption(value="V2", label="Blue / L", available=False)])
    assert read_answer(expect, (), "red / m") == {"variants": {"A-01": "V1"}}
    assert read_answer(expect, (), "Blue / L") is None  # not available
    assert merge({"variants": {"A-02": "V9"}, "order": "o"}, {"variants": {"A-01": "V1"}}) == {
        "variants": {"A-02": "V9", "A-01": "V1"}, "order": "o"}


def test_text_numbers_match_the_buttons_and_items() -> None:
    def item(code: str) -> ItemLine:
        return ItemLine(order_item_code=code, name="Tee", quantity=1, status="preparing", status_label="Preparing",
                        selectable=code != "A-02")

    message = Message(key="k", language="en", blocks=[
        OrderBlock(order_id="O1", ordered_on="Mon", status_label=None, items=[item(c) for c in CODES],
                   buttons=[Button(label="Details", command="orders", answers={"order": "O1"})]),
        OrderBlock(order_id="O2", ordered_on="Tue", status_label="Preparing", items=[],
                   buttons=[Button(label="Cancel", command="cancel", answers={"order": "O2"}),
                            Button(label="Return", command="return", answers={"order": "O2"})])],
        buttons=[Button(label="Stop", command="cancel", answers={"confirm": False})],
        expect=Expect(answer="items", kind="items", multiple=True))
    shown = render_text(message)
    assert [b.label for b in numbered(message)] == ["Details", "Cancel", "Return", "Stop"]
    for index, label in enumerate(["Details", "Cancel", "Return", "Stop"], start=1):
        assert re.search(rf"{index}\. .*{label}", shown), shown
    assert selectable_items(message) == ["A-01", "A-03"]
    assert "  1) Tee" in shown
    assert "  2) Tee" in shown


def test_every_chat_key_the_code_names_is_in_the_catalogue() -> None:
    catalogue = default_catalogue()
    source = "".join(p.read_text() for p in Path("cafehub/runtime/conversations").glob("*.py"))
    named = set(re.findall(r'"(chat\.[a-z_.]+)"', source)) | {f"chat.menu.{k}" for k in (*TASKS, "operator")}
    assert named
    assert sorted(k for k in named if k not in catalogue) == []
