"""No input can crash the front end: only SegmentError, quickly, for anything bad."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cafehub
from cafehub import api
from cafehub.diagnostics import SegmentError
from cafehub.grammar.format import format_segment
from cafehub.grammar.limits import Limits
from cafehub.testing.syntax import segments

BIG = Limits(max_length=20_000_000, max_depth=50, max_atoms=1_000)
#: Seconds after which a case counts as hung. Each takes well under a second of CPU; the bound catches
#: unbounded work (a hang or runaway growth), not slowness, so it leaves room for a loaded CI machine.
HANG = 30


def _codes(text: str | bytes, limits: Limits = BIG) -> list[str]:
    with pytest.raises(SegmentError) as info:
        api.check(text, options=cafehub.CheckOptions(limits=limits))
    return info.value.codes


@pytest.mark.timeout(HANG)
def test_100k_nested_parentheses_is_a_clean_error() -> None:
    assert _codes("(" * 100_000 + "order()" + ")" * 100_000) == ["E0102"]
    assert _codes("order(" + "(" * 100_000 + "status = paid" + ")" * 100_001) == ["E0102"]
    assert _codes("(" * 100_000) == ["E0102"]


@pytest.mark.timeout(HANG)
def test_100k_nested_not_is_a_clean_error() -> None:
    assert _codes("not " * 100_000 + "order()") == ["E0102"]


@pytest.mark.timeout(HANG)
def test_5mb_of_text_is_a_clean_error() -> None:
    assert _codes("order() or " * 500_000 + "cart()", Limits()) == ["E0101"]
    assert _codes(("x" * 5_000_000).encode(), Limits()) == ["E0101"]


@pytest.mark.timeout(HANG)
def test_atom_limit_is_a_clean_error() -> None:
    text = " or ".join(f"cart(product = {i})" for i in range(2_000))
    assert _codes(text) == ["E0103"]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("cart(product = 1)", 1),
        ("cart()", 1),
        ("no order(status = paid and ordered_at within last 30d)", 2),
        ("order(status = paid).count >= 3", 2),
        ("order().count >= 3", 1),
        ('segment("vip") or coupon(expires_at within next 1d)', 2),
        ("not (cart(product in [1, 2]) or order(product = 3 or product = 4).sum(quantity) > 2)", 4),
    ],
)
def test_a_collection_test_counts_as_its_conditions(text: str, count: int) -> None:
    cafehub.parse(text, limits=Limits(max_atoms=count))
    with pytest.raises(SegmentError) as caught:
        cafehub.parse(f"({text}) and cart()", limits=Limits(max_atoms=count))
    (problem,) = caught.value.diagnostics
    assert problem.message == f"segment has {count + 1} conditions; the limit is {count}"


def test_e0103_gives_the_real_count_at_the_first_condition_past_the_limit() -> None:
    for total in (1_001, 1_500, 3_000):
        text = " or ".join(f"cart(product = {i})" for i in range(total))
        with pytest.raises(SegmentError) as caught:
            cafehub.parse(text)
        (problem,) = caught.value.diagnostics
        assert problem.message == f"segment has {total:,} conditions; the limit is 1,000"
        assert problem.span is not None
        assert text[problem.span.start:problem.span.end] == "product = 1000"


@pytest.mark.timeout(HANG)
def test_deep_json_is_a_clean_error() -> None:
    deep = '{"version": 1, "segment": ' + '{"type": "not", "operand": ' * 100_000 + "{}" + "}" * 100_001
    with pytest.raises(SegmentError) as info:
        api.from_json(deep, limits=BIG)
    assert info.value.codes == ["E0102"]
    with pytest.raises(SegmentError) as info:
        api.from_json("[" * 200_000, limits=BIG)
    assert info.value.codes == ["E0102"]


def test_limits_are_configurable() -> None:
    text = "(((order())))"
    api.check(text)
    with pytest.raises(SegmentError):
        api.check(text, options=cafehub.CheckOptions(limits=Limits(max_depth=2)))
    with pytest.raises(ValueError, match="max_depth"):
        Limits(max_depth=10_000)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_raises_only_segment_error(text: str) -> None:
    with contextlib.suppress(SegmentError):
        api.check(text)


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_segment_error(data: bytes) -> None:
    with contextlib.suppress(SegmentError):
        api.check(data)


_WORDS = [
    "and", "or", "not", "no", "in", "order", "cart", "coupon", "status", "paid", "3d", "ago", "1", "2.5",
    "2025-01-01", "within", "last", "next", "between", "contains", "count", "sum",
]
_SEGMENT_ALPHABET = st.sampled_from([*'()[]=!<>,."#\\ \n', *_WORDS])


@given(st.lists(_SEGMENT_ALPHABET, max_size=40).map(" ".join))
def test_random_token_soup_raises_only_segment_error(text: str) -> None:
    with contextlib.suppress(SegmentError):
        api.check(text)


@given(segments, st.data())
def test_mutated_segments_raise_only_segment_error(tree: object, data: st.DataObject) -> None:
    text = format_segment(tree)  # type: ignore[arg-type]
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    cut = data.draw(st.integers(min_value=0, max_value=5))
    insert = data.draw(st.text(max_size=3))
    with contextlib.suppress(SegmentError):
        api.check(text[:at] + insert + text[at + cut :])


@given(segments)
def test_random_trees_check_or_fail_with_diagnostics_only(tree: object) -> None:
    try:
        checked = api.check(tree)  # type: ignore[arg-type]
    except SegmentError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.code[0] in "EW"
            assert diagnostic.span is not None or diagnostic.code in {"E0101", "E0102", "E0103", "E0006"}
    else:
        assert checked.ir is not None


@pytest.mark.parametrize("text", [
    "cart(quantity > {n})",
    "cart(quantity > -{n})",
    "cart(quantity > 1_{n})",
    "order().count in [1, {n}]",
    'segment("vip", version = {n})',
])
def test_an_integer_of_thousands_of_digits_is_located_out_of_range(text: str) -> None:
    # Python refuses int() of more than 4,300 digits; that must never escape as a ValueError.
    n = "9" * 4_301
    segment = text.format(n=n)
    with pytest.raises(SegmentError) as info:
        api.check(segment)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "E0304"
    assert n not in diagnostic.message
    assert diagnostic.span is not None
    assert segment[diagnostic.span.start:diagnostic.span.end].endswith(n)
    assert segment[diagnostic.span.start - 1] in " ["


def test_a_duration_of_thousands_of_digits_is_too_long() -> None:
    segment = "order(ordered_at within last " + "1" * 5_000 + "d) or order(ordered_at > " + "2" * 5_000 + "h ago)"
    with pytest.raises(SegmentError) as info:
        api.check(segment)
    assert info.value.codes == ["E0308", "E0308"]
    assert [d.span.column for d in info.value.diagnostics if d.span] == [30, segment.index("2") + 1]


def test_json_integers_of_thousands_of_digits_are_refused_with_their_path() -> None:
    doc = api.to_json("order(ordered_at within last 3d) and cart(quantity > 7)")
    text = json.dumps(doc).replace('"value": 7', '"value": -' + "9" * 5_000)
    text = text.replace('"amount": 3', '"amount": ' + "1" * 5_000)
    with pytest.raises(SegmentError) as info:
        api.from_json(text)
    assert sorted(d.path or "" for d in info.value.diagnostics) == [
        "$.segment.items[0].condition.duration.amount", "$.segment.items[1].condition.value.value"]
    assert {d.code for d in info.value.diagnostics} == {"E0702"}
    assert all(d.message == "integer of more than 100 digits is out of range" for d in info.value.diagnostics)
    doc["segment"]["items"][1]["condition"]["value"]["value"] = 10**5_000  # already decoded: the same refusal
    with pytest.raises(SegmentError) as info:
        api.from_json(doc)
    assert [d.path for d in info.value.diagnostics] == ["$.segment.items[1].condition.value.value"]
