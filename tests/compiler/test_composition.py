"""``segment("name")``: resolution, cycles, limits, inlining, explain, and the text forms of a reference."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cafehub
from cafehub.compiler.backends.python import CustomerData, compile_predicate
from cafehub.compiler.check import check_tree
from cafehub.compiler.references import MappingResolver, SavedSegment
from cafehub.execution.explain import Node, explain
from cafehub.execution.python import customers_from_shop
from cafehub.testing import eval_contexts, hints_for, shop_data
from cafehub.testing.budget import budget
from cafehub.testing.composition import compositions, inline_text

SAVED = MappingResolver({
    "vip": ["order(status = paid).count >= 3", "order(status = paid).count >= 5 and cart()"],
    "lapsed": ["no order(ordered_at within last 90d)"],
    "loyal": ['segment("vip") and not segment("lapsed")'],
})


def codes(text: str, resolver: object = SAVED) -> list[str]:
    with pytest.raises(cafehub.SegmentError) as caught:
        cafehub.check(text, resolver=resolver)  # type: ignore[arg-type]
    return caught.value.codes


class CountingResolver(MappingResolver):
    def __init__(self, segments: dict[str, list[str]]) -> None:
        super().__init__(segments)
        self.calls: list[tuple[str, int | None]] = []

    def resolve(self, name: str, version: int | None) -> SavedSegment:
        self.calls.append((name, version))
        return super().resolve(name, version)


@budget(300)
@given(st.data())
def test_a_composed_segment_checks_to_the_ir_of_its_inlined_text(data: st.DataObject) -> None:
    case = data.draw(compositions(data.draw(eval_contexts())))
    composed = cafehub.check(case.text, resolver=case.resolver())
    inlined = cafehub.check(case.inlined)
    assert composed.ir == inlined.ir
    assert composed.shaped_ir is composed.composed_ir
    assert inline_text(case.text, case.saved) == case.inlined


@budget(100)
@given(st.data())
def test_explain_walks_into_saved_segments_and_agrees_with_the_predicate(data: st.DataObject) -> None:
    ctx = data.draw(eval_contexts())
    case = data.draw(compositions(ctx))
    checked = cafehub.check(case.text, resolver=case.resolver())
    shop = data.draw(shop_data(ctx, hints=hints_for(checked.ir, ctx), max_customers=3))
    matches = compile_predicate(checked).bind(ctx)
    for customer in customers_from_shop(shop):
        explanation = explain(checked, customer, ctx)
        assert explanation.matches == matches(customer)
        stack: list[Node] = [explanation.root]
        while stack:
            node = stack.pop()
            if node.kind == "segment":
                assert node.version is not None
                assert len(node.children) == 1
                assert node.value == node.children[0].value
            stack.extend(node.children)
        json.dumps(explanation.to_dict())


def test_latest_and_pinned_versions() -> None:
    latest = cafehub.check('segment("vip")', resolver=SAVED)
    assert latest.ir == cafehub.check("order(status = paid).count >= 5 and cart()").ir
    pinned = cafehub.check('segment("vip", version = 1)', resolver=SAVED)
    assert pinned.ir == cafehub.check("order(status = paid).count >= 3").ir
    assert cafehub.check('segment("loyal") or segment("vip", version = 1)', resolver=SAVED).saved_segments() == {
        ("loyal", 1): True, ("vip", 2): True, ("lapsed", 1): True, ("vip", 1): False}


def test_nested_references_are_inlined_flat() -> None:
    composed = cafehub.check('segment("loyal") and coupon()', resolver=SAVED)
    assert composed.ir == cafehub.check(
        "order(status = paid).count >= 5 and cart() and not no order(ordered_at within last 90d) and coupon()").ir


def test_unknown_names_and_versions() -> None:
    assert codes('segment("vipp")') == ["E0801"]
    assert codes('segment("vip", version = 3)') == ["E0802"]
    assert codes('segment("vip", version = 0)') == ["E0802"]
    assert codes('segment("nobody") and segment("vip", version = 9) and cart(qty > 1)') == [
        "E0801", "E0802", "E0202"]


def test_cycles_are_refused_with_their_path() -> None:
    ring = MappingResolver({"a": ['segment("b") and cart()'], "b": ['coupon() or segment("c")'],
                            "c": ['segment("a")']})
    with pytest.raises(cafehub.SegmentError) as caught:
        cafehub.check('order() and segment("a")', resolver=ring)
    (problem,) = caught.value.diagnostics
    assert problem.code == "E0803"
    assert problem.message == "segment 'a' would include itself: a → b → c → a"
    assert problem.span is not None
    assert problem.span.column == 13


def test_a_text_about_to_be_saved_may_not_use_itself_but_may_use_its_older_versions() -> None:
    resolver = MappingResolver({"vip": ["order().count >= 3"]})

    def as_new_vip(text: str) -> cafehub.CheckedSegment:
        class Candidate(MappingResolver):
            def resolve(self, name: str, version: int | None) -> SavedSegment:
                if name == "vip" and version in (None, 2):
                    return SavedSegment("vip", 2, text)
                return resolver.resolve(name, version)

        return check_tree(cafehub.parse(text), text, resolver=Candidate({}), saved_as=("vip", 2))

    with pytest.raises(cafehub.SegmentError) as caught:
        as_new_vip('segment("vip") and cart()')
    assert caught.value.codes == ["E0803"]
    assert "vip → vip" in caught.value.diagnostics[0].message
    older = as_new_vip('segment("vip", version = 1) and cart()')
    assert older.ir == cafehub.check("order().count >= 3 and cart()").ir


def test_a_saved_segment_that_no_longer_checks_is_reported_at_the_reference() -> None:
    stale = MappingResolver({"old": ["order(status = payed)"]})
    with pytest.raises(cafehub.SegmentError) as caught:
        cafehub.check('cart() or segment("old")', resolver=stale)
    (problem,) = caught.value.diagnostics
    assert problem.code == "E0804"
    assert "unknown status 'payed'" in problem.message
    assert problem.span is not None
    assert problem.span.column == 11


def test_each_saved_segment_is_resolved_and_checked_once_per_check() -> None:
    resolver = CountingResolver({"base": ["cart()"], "left": ['segment("base") and coupon()'],
                                 "right": ['segment("base") or order()']})
    cafehub.check('segment("left") and segment("right") and segment("base") and segment("base")', resolver=resolver)
    assert sorted(resolver.calls) == [("base", None), ("left", None), ("right", None)]


def test_references_cannot_grow_a_segment_past_the_limits_even_exponentially() -> None:
    chain = {"c0": ["cart(product = 1) and coupon()"]}
    for level in range(1, 40):  # each level doubles: c39 would be 2^41 atoms written out
        chain[f"c{level}"] = [f'segment("c{level - 1}") or segment("c{level - 1}")']
    resolver = MappingResolver(chain)
    assert codes('segment("c8") and segment("c8")', resolver) == ["E0103"]  # 2 x 512 atoms
    with pytest.raises(cafehub.SegmentError) as caught:
        cafehub.check('segment("c39")', resolver=resolver)  # answered at once: sizes are counted, not expanded
    (problem,) = caught.value.diagnostics
    assert problem.code == "E0804"
    assert problem.message.startswith("the saved segment 'c9' (version 1) no longer checks: with its saved segments")
    deep = {"d0": ["cart()"]}
    for level in range(1, 60):
        deep[f"d{level}"] = [f'not (segment("d{level - 1}") and cart())']
    nested = MappingResolver(deep)
    valid = [level for level in range(60) if _valid(f'segment("d{level}")', nested)]
    assert valid == list(range(len(valid)))
    assert 10 < len(valid) < 60
    assert codes(f'not (segment("d{valid[-1]}") and cart())', nested) == ["E0102"]
    assert codes('segment("d59")', nested) == ["E0804"]


def _valid(text: str, resolver: MappingResolver) -> bool:
    try:
        cafehub.check(text, resolver=resolver)
    except cafehub.SegmentError:
        return False
    return True


def test_without_a_resolver_a_reference_is_an_error_not_a_crash() -> None:
    assert codes('segment("vip")', None) == ["E0805"]
    with pytest.raises(cafehub.SegmentError):
        cafehub.compile_sql('segment("vip")')


def test_text_and_json_forms_round_trip() -> None:
    text = 'segment("여름 세일", version = 2) and not segment("a\\"b")'
    tree = cafehub.parse(text)
    assert cafehub.format(tree) == text
    document = cafehub.to_json(text)
    assert document["segment"]["items"][0] == {"type": "segment", "name": "여름 세일", "version": 2}
    assert cafehub.from_json(document) == tree
    assert cafehub.format('SEGMENT( "x" , VERSION=3 )') == 'segment("x", version = 3)'
    assert codes('segment("x", since = 3)', None) == ["E0007"]
    assert codes("segment(x)", None) == ["E0001"]
    assert codes('cart(segment("x"))', None) == ["E0001"]


def test_explain_shows_each_saved_segment_with_its_version() -> None:
    checked = cafehub.check('segment("loyal")', resolver=SAVED)
    result = explain(checked, CustomerData(member_id="m1"), cafehub.EvalContext(now=datetime(2025, 1, 1, tzinfo=UTC)))
    loyal = result.root
    assert (loyal.kind, loyal.text, loyal.version) == ("segment", 'segment("loyal")', 1)
    body = loyal.children[0]
    assert body.text == 'segment("vip") and not segment("lapsed")'
    vip = body.children[0]
    assert (vip.kind, vip.version, vip.children[0].text) == ("segment", 2, "order(status = paid).count >= 5 and cart()")
    assert result.to_dict()["root"]["version"] == 1
