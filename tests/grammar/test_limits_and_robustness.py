"""No input can crash the front end: only SegmentError, quickly, for anything bad."""

from __future__ import annotations

import contextlib

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


def _codes(text: str | bytes, limits: Limits = BIG) -> list[str]:
    with pytest.raises(SegmentError) as info:
        api.check(text, options=cafehub.CheckOptions(limits=limits))
    return info.value.codes


@pytest.mark.timeout(5)
def test_100k_nested_parentheses_is_a_clean_error() -> None:
    assert _codes("(" * 100_000 + "order()" + ")" * 100_000) == ["E0102"]
    assert _codes("order(" + "(" * 100_000 + "status = paid" + ")" * 100_001) == ["E0102"]
    assert _codes("(" * 100_000) == ["E0102"]


@pytest.mark.timeout(5)
def test_100k_nested_not_is_a_clean_error() -> None:
    assert _codes("not " * 100_000 + "order()") == ["E0102"]


@pytest.mark.timeout(5)
def test_5mb_of_text_is_a_clean_error() -> None:
    assert _codes("order() or " * 500_000 + "cart()", Limits()) == ["E0101"]
    assert _codes(("x" * 5_000_000).encode(), Limits()) == ["E0101"]


@pytest.mark.timeout(5)
def test_atom_limit_is_a_clean_error() -> None:
    text = " or ".join(f"cart(product = {i})" for i in range(2_000))
    assert _codes(text) == ["E0103"]


@pytest.mark.timeout(5)
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
