"""Laws of the language, as properties, on both backends.

Each law rewrites a random valid segment into one that must mean the same,
and both must select the same customers: on the compiled predicate (in
memory) and on the SQL backend (SQLite). Laws hold at both levels: inside
conditions (three-valued logic) and at segment level (two-valued).

- ``not (f = x)`` is ``f != x`` (and ``not (f != x)`` is ``f = x``);
- ``no C(c)`` is ``C(c).count = 0``;
- De Morgan: ``a and b`` is ``not (not a or not b)``, and dually;
- double negation: ``x`` is ``not not x``;
- formatting and the JSON round trip never change the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from sqlalchemy import Engine

import cafehub
from cafehub.compiler.backends.python import compile_predicate
from cafehub.compiler.check import CheckOptions
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.python import customers_from_shop
from cafehub.grammar import syntax as s
from cafehub.grammar.limits import Limits
from cafehub.store import records as rec
from cafehub.testing import Scenario, scenarios
from cafehub.testing.budget import budget
from cafehub.testing.differential import sql_runner
from cafehub.testing.engines import canonical_engine, embedded_urls, load

#: Rewrites nest deeper than the segments they start from.
DEEP = CheckOptions(limits=Limits(max_depth=200, max_atoms=5_000))

Rewrite = Callable[[s.Node], s.Node]


def transform(node: s.Node, *, condition: Rewrite | None = None, segment: Rewrite | None = None,
              inside: bool = False) -> s.Node:
    """Rebuild ``node`` bottom-up, applying ``condition`` to condition-level nodes and ``segment``
    to segment-level ones."""
    if isinstance(node, (s.And, s.Or)):
        rebuilt: s.Node = replace(node, items=tuple(
            transform(i, condition=condition, segment=segment, inside=inside) for i in node.items))
    elif isinstance(node, s.Not):
        rebuilt = replace(node, operand=transform(node.operand, condition=condition, segment=segment,
                                                   inside=inside))
    elif isinstance(node, s.Exists):
        rebuilt = replace(node, condition=None if node.condition is None else transform(
            node.condition, condition=condition, segment=segment, inside=True))
    else:
        subject = node.subject
        if isinstance(subject, s.Measure) and subject.condition is not None:
            subject = replace(subject, condition=transform(subject.condition, condition=condition,
                                                           segment=segment, inside=True))
            node = replace(node, subject=subject)
        rebuilt = node
    rule = condition if inside else segment
    return rule(rebuilt) if rule is not None else rebuilt


def is_predicate(node: s.Node) -> bool:
    return isinstance(node, s.PREDICATE_TYPES)


def eq_ne(node: s.Node) -> s.Node:
    if isinstance(node, s.Compare) and node.op in (s.CmpOp.EQ, s.CmpOp.NE):
        other = s.CmpOp.NE if node.op is s.CmpOp.EQ else s.CmpOp.EQ
        return s.Not(operand=replace(node, op=other))
    return node


def no_is_count_zero(node: s.Node) -> s.Node:
    if isinstance(node, s.Exists) and node.negated:
        measure = s.Measure(collection=node.collection, condition=node.condition,
                            aggregate=s.Ident(name="count"), field=None)
        return s.Compare(subject=measure, op=s.CmpOp.EQ, value=s.IntLit(value=0))
    return node


def de_morgan(node: s.Node) -> s.Node:
    if isinstance(node, s.And):
        return s.Not(operand=s.make_or([s.Not(operand=i) for i in node.items]))
    if isinstance(node, s.Or):
        return s.Not(operand=s.make_and([s.Not(operand=i) for i in node.items]))
    return node


def double_negation(node: s.Node) -> s.Node:
    if is_predicate(node) or isinstance(node, s.Exists):
        return s.Not(operand=s.Not(operand=node))
    return node


LAWS: dict[str, Callable[[s.Node], s.Node]] = {
    "not (f = x) is f != x": lambda t: transform(t, condition=eq_ne),
    "no C(c) is C(c).count = 0": lambda t: transform(t, segment=no_is_count_zero),
    "De Morgan in conditions": lambda t: transform(t, condition=de_morgan),
    "De Morgan on segments": lambda t: transform(t, segment=de_morgan),
    "double negation in conditions": lambda t: transform(t, condition=double_negation),
    "double negation on segments": lambda t: transform(t, segment=double_negation),
}


# ---------------------------------------------------------------- the two backends


Backend = Callable[[Any, rec.ShopData, EvalContext], list[str]]


@pytest.fixture(scope="module")
def sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = canonical_engine(embedded_urls(Path(tmp_path_factory.mktemp("laws")))["sqlite"])
    yield engine
    engine.dispose()


@pytest.fixture(params=["python", "sql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "python":
        return lambda checked, data, ctx: compile_predicate(checked).select(customers_from_shop(data), ctx)
    run = sql_runner()
    if run is None:
        pytest.skip("SQL backend not available")
    engine: Engine = request.getfixturevalue("sqlite")

    def on_sqlite(checked: Any, data: rec.ShopData, ctx: EvalContext) -> list[str]:
        load(engine, data)
        return run(engine, checked, ctx)

    return on_sqlite


def tree_of(case: Scenario) -> s.Node:
    return cafehub.parse(case.segment)


#: Examples per law: the SQL side writes the shop to SQLite for every example.
BUDGET = {"python": 50, "sql": 30}


@pytest.mark.parametrize("law", list(LAWS))
def test_law(backend: Backend, law: str, request: pytest.FixtureRequest) -> None:
    rewrite = LAWS[law]

    @budget(BUDGET[request.node.callspec.params["backend"]])
    @given(scenarios())
    def holds(case: Scenario) -> None:
        tree = tree_of(case)
        rewritten = rewrite(tree)
        assume(rewritten != tree)  # the law applies to this segment
        original = backend(cafehub.check(case.segment), case.data, case.ctx)
        again = backend(cafehub.check(cafehub.format(rewritten), options=DEEP), case.data, case.ctx)
        assert again == original, f"{case.segment!r} and {cafehub.format(rewritten)!r} disagree"

    holds()


def test_formatting_and_json_round_trip_never_change_the_result(backend: Backend,
                                                               request: pytest.FixtureRequest) -> None:
    @budget(BUDGET[request.node.callspec.params["backend"]])
    @given(scenarios())
    def holds(case: Scenario) -> None:
        original = backend(cafehub.check(case.segment), case.data, case.ctx)
        # The scenario's text is canonical already; a narrow width re-wraps it.
        narrow = cafehub.format(case.segment, width=20)
        assert backend(cafehub.check(narrow), case.data, case.ctx) == original
        through_json = cafehub.check_json(cafehub.to_json(narrow))
        assert backend(through_json, case.data, case.ctx) == original

    holds()


def test_each_rewrite_does_what_its_law_says() -> None:
    tree = cafehub.parse("no order(status = paid and product != 1) or cart(quantity > 2)")
    expected = {
        "not (f = x) is f != x": "no order(not status != paid and not product = 1) or cart(quantity > 2)",
        "no C(c) is C(c).count = 0": "order(status = paid and product != 1).count = 0 or cart(quantity > 2)",
        "De Morgan in conditions": "no order(not (not status = paid or not product != 1)) or cart(quantity > 2)",
        "De Morgan on segments": "not (not no order(status = paid and product != 1) and not cart(quantity > 2))",
        "double negation in conditions": (
            "no order(not not status = paid and not not product != 1) or cart(not not quantity > 2)"),
        "double negation on segments": (
            "not not no order(status = paid and product != 1) or not not cart(quantity > 2)"),
    }
    assert {name: cafehub.format(law(tree), width=1000) for name, law in LAWS.items()} == expected
