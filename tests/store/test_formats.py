"""Table-file formats: value rules per column, the CSV dialect, and writer/reader agreement."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cafehub.compiler.catalog import ENUMS
from cafehub.store import formats
from cafehub.store import records as r
from cafehub.store.formats import SPEC_BY_NAME, ValueProblem, split_csv_record

CART = SPEC_BY_NAME["cart_items"]
ORDERS = SPEC_BY_NAME["orders"]
CUSTOMERS = SPEC_BY_NAME["customers"]


def column(table: str, name: str) -> formats.ColumnSpec:
    return next(c for c in SPEC_BY_NAME[table].columns if c.name == name)


# ---------------------------------------------------------------- specs follow the schema


def test_specs_follow_the_schema_and_the_catalog() -> None:
    assert [s.name for s in formats.SPECS] == list(r.ShopData._tables)
    assert column("customers", "member_id").length == 64
    assert column("customers", "name").nullable
    assert not column("orders", "status").nullable
    assert column("orders", "status").enum == ENUMS["status"]
    assert column("coupons", "issue_type").enum == ENUMS["issue_type"]
    assert column("order_payments", "payment_method").enum == ENUMS["payment_method"]
    assert column("cart_items", "price").kind == "money"
    assert column("orders", "ordered_at").kind == "timestamp"
    assert SPEC_BY_NAME["order_payments"].key == ("order_id", "payment_method")


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("table", "name", "raw", "expected"),
    [
        ("orders", "ordered_at", "2025-01-31T09:30:00+09:00", datetime(2025, 1, 31, 0, 30)),
        ("orders", "ordered_at", "2025-01-31T09:30:00Z", datetime(2025, 1, 31, 9, 30)),
        ("orders", "ordered_at", "2025-01-31 09:30:00.123456Z", datetime(2025, 1, 31, 9, 30, 0, 123456)),
        ("orders", "ordered_at", "2025-01-01T00:30:00-05:00", datetime(2025, 1, 1, 5, 30)),
        ("orders", "paid_amount", "12500", Decimal("12500.00")),
        ("orders", "paid_amount", "12500.5", Decimal("12500.50")),
        ("orders", "paid_amount", "1.000", Decimal("1.00")),
        ("orders", "paid_amount", "-0.01", Decimal("-0.01")),
        ("orders", "paid_amount", "999999999999.99", Decimal("999999999999.99")),
        ("orders", "paid_amount", "1e3", Decimal("1000.00")),
        ("cart_items", "quantity", "3", 3),
        ("cart_items", "quantity", "2147483647", 2**31 - 1),
        ("cart_items", "product_no", "-9223372036854775808", -(2**63)),
        ("customer_coupons", "id", "6073442924700000532", 6073442924700000532),
        ("orders", "status", "refunded", "refunded"),
        ("coupons", "name", "", ""),
    ],
)
def test_csv_values_parse_to_exact_values(table: str, name: str, raw: str, expected: Any) -> None:
    value = column(table, name).parse(raw, from_csv=True)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("table", "name", "raw", "message"),
    [
        ("orders", "paid_amount", "1.005", "more than two decimal places"),
        ("orders", "paid_amount", "1000000000000", "out of range"),
        ("orders", "paid_amount", "NaN", "expected an amount"),
        ("orders", "paid_amount", "1,000", "expected an amount"),
        ("orders", "paid_amount", "1_000", "expected an amount"),
        ("orders", "paid_amount", "", "expected an amount such as 12500 or 12500.50, got ''"),
        ("cart_items", "quantity", "0", "at least 1"),
        ("cart_items", "quantity", "1.0", "expected a whole number"),
        ("cart_items", "quantity", "2147483648", "out of range (a 32-bit integer)"),
        ("cart_items", "product_no", "9223372036854775808", "out of range (a 64-bit integer)"),
        ("cart_items", "product_no", " 17", "expected a whole number"),
        ("orders", "ordered_at", "yesterday", "not an ISO 8601 timestamp"),
        ("orders", "ordered_at", "0999-12-31T00:00:00Z", "year 999 is out of range"),
        ("orders", "ordered_at", "9999-12-31T23:00:00-05:00", "out of range in UTC"),
        ("orders", "status", "Paid", "did you mean 'paid'?"),
        ("orders", "status", "shipped", "one of: pending, paid"),
        ("order_payments", "payment_method", "crad", "did you mean 'card'?"),
        ("customers", "member_id", "", "an id must not be empty"),
        ("customers", "member_id", "x" * 65, "65 characters long; at most 64 fit"),
        ("customers", "name", "a\x00b", "a NUL character at position 2"),
        ("customers", "name", "a\ud800", "unpaired surrogate"),
    ],
)
def test_bad_csv_values_say_what_is_wrong(table: str, name: str, raw: str, message: str) -> None:
    with pytest.raises(ValueProblem, match=_escape(message)):
        column(table, name).parse(raw, from_csv=True)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("quantity", True, "expected a whole number, got a boolean"),
        ("quantity", "3", "expected a whole number, got a string"),
        ("quantity", Decimal("3.0"), "expected a whole number, got a number"),
        ("member_id", 17, "expected a string, got a number"),
        ("member_id", None, "required, but null was given"),
        ("added_at", 1700000000, "expected an ISO 8601 timestamp string, got a number"),
        ("price", [1], "expected an amount, got an array"),
        ("price", Decimal("0.001"), "more than two decimal places"),
    ],
)
def test_bad_json_values_say_what_is_wrong(name: str, raw: object, message: str) -> None:
    with pytest.raises(ValueProblem, match=_escape(message)):
        column("cart_items", name).parse(raw, from_csv=False)


def test_an_empty_cell_in_a_required_column_is_refused() -> None:
    with pytest.raises(ValueProblem, match="required, but the cell is empty"):
        column("orders", "paid_amount").parse(None, from_csv=True)


def test_null_and_empty_are_kept_apart() -> None:
    name = column("customers", "name")
    assert name.parse(None, from_csv=True) is None  # unquoted empty cell
    assert name.parse("", from_csv=True) == ""  # quoted "" cell
    assert name.parse(None, from_csv=False) is None
    assert column("coupons", "name").parse(None, from_csv=True) == ""  # required text: empty cell is ""


def _escape(text: str) -> str:
    import re

    return re.escape(text)


# ---------------------------------------------------------------- CSV records


@pytest.mark.parametrize(
    ("record", "cells"),
    [
        ("a,b,c", ["a", "b", "c"]),
        ('a,"",c', ["a", "", "c"]),
        ("a,,c", ["a", None, "c"]),
        (",", [None, None]),
        ("", [None]),
        ('"x, ""y"""', ['x, "y"']),
        ('"line\nbreak",2', ["line\nbreak", "2"]),
        (" spaced ,x", [" spaced ", "x"]),
    ],
)
def test_csv_records_split_into_cells(record: str, cells: list[str | None]) -> None:
    assert split_csv_record(record) == cells


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ('ab"c,d', "a quote inside an unquoted cell"),
        ('"ab"c,d', "unexpected 'c' after the closing quote"),
    ],
)
def test_malformed_csv_records_are_refused(record: str, message: str) -> None:
    with pytest.raises(ValueError, match=_escape(message)):
        split_csv_record(record)


def _csv_rows(text: str) -> list[formats.RawRow | formats.FileProblem]:
    return list(formats.read_csv(io.BytesIO(text.encode("utf-8")), CUSTOMERS))


def test_csv_reader_tracks_lines_across_multiline_cells_and_skips_blank_lines() -> None:
    rows = _csv_rows('\ufeffmember_id,name\r\na,"two\r\nlines"\r\n\r\nb,\r\n')
    assert [(row.line, row.cells) for row in rows if isinstance(row, formats.RawRow)] == [
        (2, {"member_id": "a", "name": "two\r\nlines"}),
        (5, {"member_id": "b", "name": None}),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "member_id,nickname\n",
            1,
            "header names unknown column 'nickname' (columns: member_id, name, cellphone, email, joined_at)",
        ),
        ("member_id,member_id\n", 1, "header names column 'member_id' twice"),
        ("name\n", 1, "header lacks required column(s) 'member_id'"),
        ("member_id,name\na,b,c\n", 2, "3 cells, but the header has 2"),
        ('member_id,name\na,"open\n', 2, "a quoted cell is never closed"),
    ],
)
def test_csv_file_problems_name_the_line(text: str, line: int, message: str) -> None:
    problems = [p for p in _csv_rows(text) if isinstance(p, formats.FileProblem)]
    assert [(p.line, str(p)) for p in problems] == [(line, message)]


def test_non_utf8_bytes_are_reported_with_their_line() -> None:
    rows = list(formats.read_jsonl(io.BytesIO(b'{"member_id": "a"}\n{"member_id": "\xff"}\n')))
    assert isinstance(rows[1], formats.FileProblem)
    assert rows[1].line == 2
    assert "not UTF-8" in str(rows[1])


def test_jsonl_refuses_nan_and_keeps_decimals_exact() -> None:
    rows = list(formats.read_jsonl(io.BytesIO(b'{"p": NaN}\n{"p": 0.1}\n[1]\n')))
    assert isinstance(rows[0], formats.FileProblem)
    assert "not valid JSON" in str(rows[0])
    assert isinstance(rows[1], formats.RawRow)
    assert rows[1].cells["p"] == Decimal("0.1")
    assert isinstance(rows[2], formats.FileProblem)
    assert "expected a JSON object, got an array" in str(rows[2])


# ---------------------------------------------------------------- writers agree with readers

_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20)
_cells = st.lists(st.one_of(st.none(), _text), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(_cells)
def test_any_cells_survive_a_csv_record(cells: list[str | None]) -> None:
    record = ",".join("" if c is None else formats._csv_text(c) for c in cells)
    assert split_csv_record(record) == cells


_moment = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999))
_money = st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2)
_int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_cart_items = st.builds(
    r.CartItem,
    _int64,
    _text.filter(bool),
    _int64,
    st.integers(min_value=1, max_value=2**31 - 1),
    _money,
    _money,
    _moment,
)
_customers = st.builds(r.Customer, _text.filter(bool), st.none() | _text, st.none() | _text, st.none() | _text,
                       st.none() | _moment)


@settings(max_examples=200, deadline=None)
@given(st.one_of(_cart_items, _customers), st.sampled_from(["jsonl", "csv"]))
def test_written_records_read_back_equal(record: Any, fmt: str) -> None:
    spec = SPEC_BY_NAME[record.table]
    if fmt == "csv":
        data = formats.csv_header(spec) + "\n" + formats.csv_line(spec, record) + "\n"
        rows = list(formats.read_csv(io.BytesIO(data.encode()), spec))
    else:
        rows = list(formats.read_jsonl(io.BytesIO((formats.jsonl_line(spec, record) + "\n").encode())))
    assert len(rows) == 1
    assert isinstance(rows[0], formats.RawRow)
    parsed, problems = formats.check_row(spec, rows[0], from_csv=fmt == "csv")
    assert problems == []
    assert parsed == record


def test_a_timestamp_without_an_offset_needs_a_zone() -> None:
    from zoneinfo import ZoneInfo

    ordered_at = column("orders", "ordered_at")
    for written in ("2025-01-01T10:00:00", "2025-01-31 09:30:00.123456", "2025-01-31"):
        with pytest.raises(ValueProblem, match=_escape("a timestamp without an offset: write the offset")):
            ordered_at.parse(written, from_csv=True)
    assert ordered_at.parse("2025-01-31", from_csv=True, zone=ZoneInfo("UTC")) == datetime(2025, 1, 31)
    assert ordered_at.parse("2025-01-01T10:00:00", from_csv=True, zone=ZoneInfo("Asia/Seoul")) == datetime(
        2025, 1, 1, 1, 0)
    # wall-clock time as --now reads it (fold 0 in a repeated hour), stored as UTC
    new_york = ZoneInfo("America/New_York")
    assert ordered_at.parse("2025-11-02T01:30:00", from_csv=False, zone=new_york) == datetime(2025, 11, 2, 5, 30)
    assert ordered_at.parse("2025-11-02T01:30:00Z", from_csv=False, zone=new_york) == datetime(2025, 11, 2, 1, 30)
