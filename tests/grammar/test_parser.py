"""The parser: what it accepts, how it tokenises, and that it agrees with Lark's own lexer."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cafehub import api
from cafehub.diagnostics import SegmentError
from cafehub.grammar import syntax as s
from cafehub.grammar.format import format_segment
from cafehub.grammar.parser import _engine
from cafehub.testing.syntax import segments


def _tokens(text: str) -> list[tuple[str, str, int, int, int]]:
    return [(t.type, t.value, t.start_pos, t.line, t.column) for t in _engine().tokens(text)][:-1]


def _lark_tokens(text: str) -> list[tuple[str, str, int, int, int]]:
    return [(t.type, t.value, t.start_pos, t.line, t.column) for t in _engine().lark.lex(text)]


@given(segments, st.sampled_from([" ", "\n", "\t", "  # note\n"]))
def test_fast_lexer_tokenises_exactly_like_lark(tree: s.Node, gap: str) -> None:
    # Vary the white space between tokens (never inside string literals).
    text = re.sub(r'("(?:[^"\\]|\\.)*")| ', lambda m: m.group(1) or gap, format_segment(tree))
    assert _tokens(text) == _lark_tokens(text)


@given(segments)
def test_fast_parser_builds_what_lark_builds(tree: s.Node) -> None:
    from cafehub.grammar.transform import begin_parse

    text = format_segment(tree)
    begin_parse(text)
    # Lark's own LALR loop over Lark's own tokens, with the same callbacks.
    lark_tree = _engine().lark.parse(text)
    assert api.parse(text) == lark_tree == tree


def test_keywords_and_enums_are_case_insensitive_fields_are_not() -> None:
    upper = api.parse("NO Order(Status = PAID AND ordered_at WITHIN LAST 3D) Or CART().COUNT >= 1")
    lower = api.parse("no order(Status = paid and ordered_at within last 3d) or cart().count >= 1")
    assert upper == lower
    field = upper.items[0].condition.items[0].subject  # type: ignore[union-attr]
    assert field == s.FieldRef(name="Status")


def test_precedence_not_and_or_at_both_levels() -> None:
    assert api.parse("not order() and cart() or coupon()") == s.Or(items=(
        s.And(items=(s.Not(operand=s.Exists(collection=s.Ident(name="order"), condition=None, negated=False)),
                     s.Exists(collection=s.Ident(name="cart"), condition=None, negated=False))),
        s.Exists(collection=s.Ident(name="coupon"), condition=None, negated=False),
    ))
    inner = api.parse("order(not status = paid and product = 1 or product = 2)").condition  # type: ignore[union-attr]
    assert isinstance(inner, s.Or)
    assert isinstance(inner.items[0], s.And)
    assert isinstance(inner.items[0].items[0], s.Not)


def test_literals() -> None:
    cond = api.parse(
        'order(a = 100_000 and b = -12.50 and c = "q\\"\\\\\\n\\u00e9\\ud83d\\ude00 한글" and d = 2025-01-31'
        " and e = 2025-01-31T09:05 and f = 2025-01-31T09:05:07.25Z and g = 2025-01-31T09:05:07-04:30"
        " and h = now and i = today and j = yesterday and k = 12h ago and l = 2w from now and m = Paid)"
    ).condition  # type: ignore[union-attr]
    values = [item.value for item in cond.items]  # type: ignore[union-attr]
    assert values == [
        s.IntLit(value=100000),
        s.DecimalLit(value=Decimal("-12.50")),
        s.StringLit(value='q"\\\né😀 한글'),
        s.DateLit(value=date(2025, 1, 31)),
        s.DateTimeLit(value=datetime(2025, 1, 31, 9, 5), offset_minutes=None),
        s.DateTimeLit(value=datetime(2025, 1, 31, 9, 5, 7, 250000), offset_minutes=0),
        s.DateTimeLit(value=datetime(2025, 1, 31, 9, 5, 7), offset_minutes=-270),
        s.Now(),
        s.Today(),
        s.Yesterday(),
        s.Ago(duration=s.Duration(amount=12, unit="h")),
        s.FromNow(duration=s.Duration(amount=2, unit="w")),
        s.EnumLit(name="paid"),
    ]


def test_comments_and_newlines_are_white_space() -> None:
    assert api.parse("# header\norder(  # open\n status = paid # why\n)\n# end") == api.parse("order(status = paid)")


def test_spans_point_at_the_source() -> None:
    text = "cart(product = 17)\n  and no order(ordered_at within last 3d)"
    tree = api.parse(text)
    second = tree.items[1]  # type: ignore[union-attr]
    assert text[second.span.start : second.span.end] == "no order(ordered_at within last 3d)"
    assert (second.span.line, second.span.column) == (2, 7)
    within = second.condition
    assert text[within.span.start : within.span.end] == "ordered_at within last 3d"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("order(status = paid", "E0002"),
        ("order(status = paid))", "E0001"),
        ("order() and", "E0002"),
        ("order(in = 3)", "E0001"),
        ('coupon(name = "abc)', "E0005"),
        ("order(x = 1) ; drop table orders", "E0003"),
        ("order(x = 2025-13-01)", "E0004"),
        ("order(x = 2025-01-01T10:61)", "E0004"),
        ('coupon(name = "\\ud800")', "E0004"),
        ('coupon(name = "\\u0000")', "E0004"),
        ('coupon(name = "a\x00b")', "E0004"),
        ("order(x = 3 days ago)", "E0001"),
    ],
)
def test_syntax_errors_have_codes_and_positions(text: str, code: str) -> None:
    with pytest.raises(SegmentError) as info:
        api.parse(text)
    assert info.value.codes == [code]
    assert info.value.diagnostics[0].span is not None


@pytest.mark.parametrize(
    ("written", "problem", "hint"),
    [
        ("1e309", "exponents are not supported", "write the number out: 1e3 is 1000"),
        ("-2.5E+3", "exponents are not supported", "write the number out: 1e3 is 1000"),
        ("0x10", "hexadecimal, octal and binary are not supported", "write it in decimal"),
        ("0b101", "hexadecimal, octal and binary are not supported", "write it in decimal"),
        ("1__0", "'_' must stand between two digits", None),
        ("1_000_", "'_' must stand between two digits", None),
        ("1.5.2", "more than one decimal point", None),
        ("7.", "a decimal point needs digits after it", "write 1.0 or 1, not 1."),
        ("10abc", "letters right after the digits", "a duration is a number and one unit: h, d or w (3d, 12h, "
                                                      "2w); otherwise put a space after the number"),
    ],
)
def test_a_malformed_number_says_what_a_number_may_look_like(written: str, problem: str, hint: str | None) -> None:
    text = f"cart(quantity > {written}) and cart()"
    with pytest.raises(SegmentError) as info:
        api.parse(text)
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.code, diagnostic.message) == ("E0004", f"malformed number: {problem}")
    assert diagnostic.span is not None
    assert text[diagnostic.span.start:diagnostic.span.end] == written
    number_forms = "a number is digits, with an optional '-', '_' between two digits and a decimal part: " \
                   "12, -3, 1_000, 12.50"
    assert diagnostic.hints == ((hint,) if hint else ()) + (number_forms,)


def test_a_duration_with_an_unknown_unit_is_a_malformed_number() -> None:
    with pytest.raises(SegmentError) as info:
        api.parse("order(ordered_at within last 3m)")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.message == "malformed number: letters right after the digits"
    assert "a duration is a number and one unit: h, d or w" in diagnostic.hints[0]
