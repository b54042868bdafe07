"""The scan planner (merged ranges, test order, shared loops) keeps the predicate's answers, and does its job.

Random segments rarely put several atoms over one collection side by side,
which is exactly where loops are shared, so the property here builds such
segments on purpose: two to four existence or aggregate tests over the same
collection, often with a condition in common, under ``and``/``or``/``not``,
and compares the compiled predicate with the reference evaluator on shops
drawn around them. The layout tests pin what makes the predicate fast (one
loop where the hand-written code has one, a chained comparison per field),
so a change that silently undoes it fails.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

import cafehub
from cafehub.compiler.backends.python import CustomerData, OrderRow, compile_predicate
from cafehub.compiler.catalog import Collection
from cafehub.compiler.check import check_tree
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.python import customers_from_shop
from cafehub.grammar import syntax as s
from cafehub.grammar.format import format_segment
from cafehub.testing import (
    Scenario,
    conditions,
    eval_contexts,
    hints_for,
    reference_ids,
    regression_test_source,
    shop_data,
)
from cafehub.testing.budget import budget


def _measure_field(collection: Collection, func: str) -> str | None:
    """A field the checker accepts for ``func`` on ``collection`` (None for count)."""
    if func == "count":
        return None
    numeric = {Collection.COUPON: None, Collection.CART: "amount", Collection.ORDER: "paid_amount"}[collection]
    if func == "count_distinct":
        return {Collection.COUPON: "coupon_no", Collection.CART: "product", Collection.ORDER: "product"}[collection]
    if func in ("min", "max"):
        times = {Collection.COUPON: "expires_at", Collection.CART: "added_at", Collection.ORDER: "ordered_at"}
        return times[collection]
    return numeric


@st.composite
def _atom(draw: st.DrawFn, collection: Collection, condition: s.Node | None) -> s.Node:
    name = s.Ident(name=collection.value)
    kind = draw(st.sampled_from(["exists", "no", "measure"]))
    if kind != "measure":
        return s.Exists(collection=name, condition=condition, negated=kind == "no")
    func = draw(st.sampled_from(["count", "count_distinct", "sum", "min", "max"]))
    field = _measure_field(collection, func)
    if func == "sum" and field is None:
        func, field = "count", None
    measure = s.Measure(collection=name, condition=condition, aggregate=s.Ident(name=func),
                        field=s.FieldRef(name=field) if field else None)
    if func in ("min", "max"):
        days = draw(st.integers(min_value=1, max_value=400))
        duration = s.Duration(amount=days, unit="d")
        return s.Within(subject=measure, direction="last" if collection is not Collection.COUPON else "next",
                        duration=duration)
    op = draw(st.sampled_from(list(s.CmpOp)))
    return s.Compare(subject=measure, op=op, value=s.IntLit(value=draw(st.integers(min_value=0, max_value=3))))


@st.composite
def shared_scan_scenarios(draw: st.DrawFn) -> Scenario:
    """Atoms over one collection (often with a common condition), combined, with a shop drawn around them."""
    ctx = draw(eval_contexts())
    collection = draw(st.sampled_from(list(Collection)))
    common = draw(st.none() | conditions(collection, ctx, max_leaves=2))
    atoms = []
    for _ in range(draw(st.integers(min_value=2, max_value=4))):
        own = draw(st.none() | conditions(collection, ctx, max_leaves=2))
        parts = tuple(p for p in (common, own) if p is not None)
        condition = None if not parts else parts[0] if len(parts) == 1 else s.And(items=parts)
        atom = draw(_atom(collection, condition))
        atoms.append(s.Not(operand=atom) if draw(st.booleans()) and draw(st.booleans()) else atom)
    if draw(st.booleans()):  # a nested group, so helper blocks are exercised too
        inner: s.Node = s.Or(items=tuple(atoms[:2])) if len(atoms) > 2 else atoms[0]
        tree: s.Node = s.And(items=(inner, *atoms[2:])) if len(atoms) > 2 else s.Or(items=tuple(atoms))
    else:
        tree = (s.And if draw(st.booleans()) else s.Or)(items=tuple(atoms))
    if draw(st.booleans()) and draw(st.booleans()):
        tree = s.Not(operand=tree)
    checked = check_tree(tree, "")
    data = draw(shop_data(ctx, hints=hints_for(checked.ir, ctx)))
    return Scenario(segment=format_segment(tree), data=data, ctx=ctx)


@budget(150)
@given(shared_scan_scenarios())
def test_shared_scans_select_what_the_reference_selects(case: Scenario) -> None:
    checked = cafehub.check(case.segment)
    expected = reference_ids(checked, case.data, case.ctx)
    got = compile_predicate(checked).select(customers_from_shop(case.data), case.ctx)
    assert got == expected, regression_test_source(case.segment, case.data, case.ctx,
                                                   note=f"reference: {expected!r}\npython: {got!r}")


# ---------------------------------------------------------------- layout


def _loops(source: str) -> int:
    return len(re.findall(r"for r in c\.\w+:", source))


def test_existence_tests_sharing_a_selective_test_read_the_orders_once() -> None:
    source = compile_predicate(cafehub.check(
        "order(product = 42 and ordered_at < 90d ago) and no order(product = 42 and ordered_at within last 90d)"
    )).source
    assert _loops(source) == 1
    assert source.count("in r.product") == 1  # the common test runs once per row, as a guard
    assert "isdisjoint" not in source  # one value: a tuple's ``in``


def test_an_aggregate_shares_its_loop_and_negative_tests_return_early() -> None:
    source = compile_predicate(cafehub.check(
        "order(status = paid).count >= 3 and no order(ordered_at within last 60d)")).source
    assert _loops(source) == 1
    body = source[source.index("for r in"):]
    assert body.index("return False") < body.index("+= 1")  # the early exit is tested before counting


def test_existence_tests_without_a_common_test_keep_their_own_early_exits() -> None:
    source = compile_predicate(cafehub.check(
        "order(product = 42 and ordered_at within last 30d) and no order(product = 43)")).source
    assert _loops(source) == 2
    assert "break" in source  # the first loop stops at its first match


def test_a_window_and_the_scope_on_one_field_are_one_chained_comparison() -> None:
    source = compile_predicate(cafehub.check("no order(ordered_at within last 3d)")).source
    assert source.count("r.ordered_at") == 1
    assert re.search(r"_d\d+ = max\(_hist_lo, _b\d+\)", source)  # combined once per bind
    assert "_now" in source
    assert "_b1" not in source  # ``now`` in the segment is the context's now, not a bound of its own
    older = compile_predicate(cafehub.check("order(ordered_at < 90d ago)")).source
    assert re.search(r"_hist_lo <= r\.ordered_at < _b\d+:", older)  # ``<= now`` is implied and dropped


def test_selective_tests_run_before_the_scope() -> None:
    source = compile_predicate(cafehub.check("cart(product = 17 and quantity >= 2)")).source
    test = re.search(r"if (.*):", source)
    assert test is not None
    parts = test.group(1)
    assert parts.index("r.product") < parts.index("r.added_at")
    assert parts.index("r.quantity") < parts.index("r.added_at")


def test_merged_bounds_keep_strict_and_inclusive_edges_apart() -> None:
    # ``after`` is strict and the history start inclusive: they cannot be one max(); both must hold.
    predicate = compile_predicate(cafehub.check("order(ordered_at > 2024-06-01T00:00 and ordered_at <= now)"))
    ctx = EvalContext(now=datetime(2025, 1, 1, tzinfo=UTC), history_start=datetime(2024, 6, 1).date())
    edge = ctx.history_cutoff.replace(tzinfo=None)

    def customer(at: datetime) -> CustomerData:
        return CustomerData(member_id="m", orders=(OrderRow(order_id="o", ordered_at=at, status="paid",
                                                            paid_amount=Decimal(1), order_amount=Decimal(1)),))

    wall = datetime(2024, 6, 1).replace(tzinfo=ctx.zone).astimezone(UTC).replace(tzinfo=None)
    assert wall == edge  # the literal and the history start are the same instant
    assert not predicate.evaluate(customer(edge), ctx)
    assert predicate.evaluate(customer(edge + timedelta(microseconds=1)), ctx)
    assert predicate.evaluate(customer(ctx.now.replace(tzinfo=None)), ctx)
    assert not predicate.evaluate(customer(ctx.now.replace(tzinfo=None) + timedelta(microseconds=1)), ctx)
