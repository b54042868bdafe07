"""The strategies find real bugs: seeded mutations of the predicate backend must be caught.

Each mutant changes one detail of the generated code (an inclusive bound
made strict, a null guard dropped, ``contains`` as a prefix test, ...); the
predicate-vs-reference property must then fail. Kill rates at CI budgets are
high but not certain, so this runs only on long runs (``CAFEHUB_LONG=1``);
measured kill rates are in docs/PREDICATES.md. (Every one of these mutants
also fails the hand-written cases of ``test_semantics.py``.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import Phase, given

import cafehub
from cafehub.compiler import ir
from cafehub.compiler.backends.python import codegen, compile_predicate, plan
from cafehub.compiler.catalog import Collection
from cafehub.execution.python import customers_from_shop
from cafehub.testing import Scenario, reference_ids, scenarios
from cafehub.testing.budget import LONG, budget

pytestmark = pytest.mark.skipif(not LONG, reason="mutation runs are long: set CAFEHUB_LONG=1")

Gen = codegen.Generator


def scope(collection: Collection, change: Callable[[plan.Scope], plan.Scope]) -> Callable[[pytest.MonkeyPatch], None]:
    """Change how a collection is scoped at ``now`` (the scope's terms, shared by every scan)."""
    def apply(mp: pytest.MonkeyPatch) -> None:
        mp.setitem(plan.SCOPES, collection, change(plan.SCOPES[collection]))
    return apply


def _with_bounds(found: plan.Range, side: str, inclusive: bool) -> plan.Range:
    moved = tuple(replace(b, inclusive=inclusive) for b in getattr(found, side))
    return replace(found, lower=moved) if side == "lower" else replace(found, upper=moved)


def scope_bound(attribute: str, side: str, inclusive: bool) -> Callable[[plan.Scope], plan.Scope]:
    def change(old: plan.Scope) -> plan.Scope:
        ranges = tuple(_with_bounds(r, side, inclusive) if r.attribute == attribute else r for r in old.ranges)
        return replace(old, ranges=ranges)
    return change


def condition_bounds(side: str, inclusive: bool) -> Callable[[pytest.MonkeyPatch], None]:
    """Make every bound on one side of the segment's own time ranges strict (or inclusive)."""
    op, other = ("<=", "<") if inclusive is False else ("<", "<=")

    def apply(mp: pytest.MonkeyPatch) -> None:
        original_range = plan._as_range

        def as_range(node: ir.Node, want: bool, collection: Collection) -> plan.Range | None:
            found = original_range(node, want, collection)
            if found is None:
                return None
            return _with_bounds(found, side, inclusive)
        mp.setattr(plan, "_as_range", as_range)
        original_in_range = Gen.in_range

        def in_range(self: Any, node: ir.TimeRange, x: str) -> str:
            text: str = original_in_range(self, node, x)
            left, _, right = text.partition(x)
            if side == "lower":
                return left.replace(f" {op} ", f" {other} ") + x + right
            return left + x + right.replace(f" {op} ", f" {other} ")
        mp.setattr(Gen, "in_range", in_range)
    return apply


def patch_text(method: str, old: str, new: str) -> Callable[[pytest.MonkeyPatch], None]:
    """Replace text in what a Generator method returns (an expression, or an accumulator's lines)."""
    def apply(mp: pytest.MonkeyPatch) -> None:
        original = getattr(Gen, method)

        def mutated(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            if isinstance(result, str):
                return result.replace(old, new, 1)
            return replace(result, update=[line.replace(old, new) for line in result.update])
        mp.setattr(Gen, method, mutated)
    return apply


def avg_never_null(mp: pytest.MonkeyPatch) -> None:
    original = Gen.accumulate
    mp.setattr(Gen, "accumulate", lambda self, agg: replace(original(self, agg), null=None))


def contains_as_prefix(mp: pytest.MonkeyPatch) -> None:
    original = Gen.holds

    def holds(self: Any, node: ir.Test, x: str, *, exact: bool = False) -> str:
        if isinstance(node, ir.Contains):
            return f"({'not ' if node.negated else ''}{x}.startswith({self.const(node.needle)}))"
        return original(self, node, x, exact=exact)
    mp.setattr(Gen, "holds", holds)


MUTANTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "cart retention strict": scope(Collection.CART, scope_bound("added_at", "lower", False)),
    "orders until before now": scope(Collection.ORDER, scope_bound("ordered_at", "upper", False)),
    "history start strict": scope(Collection.ORDER, scope_bound("ordered_at", "lower", False)),
    "expiry strict": scope(Collection.COUPON, scope_bound("expires_at", "lower", False)),
    "issue strict": scope(Collection.COUPON, scope_bound("issued_at", "upper", False)),
    "used coupons held": scope(Collection.COUPON, lambda old: replace(old, unset=())),
    "lower bounds strict": condition_bounds("lower", False),
    "upper bounds inclusive": condition_bounds("upper", True),
    "no null guard": patch_text("leaf", " is not None and not ", " is None or not "),
    "avg of nothing is a value": avg_never_null,
    # Not here: counting null in count_distinct. Random scenarios rarely hold a coupon without a
    # definition under count_distinct(name); test_semantics.py pins that case instead.
    "min is max": patch_text("accumulate", "v < ", "v > "),
    "contains is a prefix test": contains_as_prefix,
}


@pytest.fixture(params=list(MUTANTS))
def mutant(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    MUTANTS[request.param](monkeypatch)
    name: str = request.param
    return name


def test_the_property_catches_the_mutant(mutant: str) -> None:
    @budget(300, phases=[Phase.generate], database=None)
    @given(scenarios())
    def predicate_is_reference(case: Scenario) -> None:
        checked = cafehub.check(case.segment)
        got = compile_predicate(checked).select(customers_from_shop(case.data), case.ctx)
        assert got == reference_ids(checked, case.data, case.ctx)

    # A wrong answer, or a crash (dividing by zero for an average of nothing, comparing a null minimum).
    with pytest.raises((AssertionError, ArithmeticError, TypeError)):
        predicate_is_reference()
