"""Every plan shape means the same: each case, compiled with every shape choice, gives the oracle's ids.

A dialect's :class:`Shapes` (and its key-set test) only choose *how* a segment
becomes SQL, by measurement; any choice must select exactly the same
customers. So each case is compiled with a covering set of shape variants
(all sixteen construct combinations with planning off, eight of them with
planning fully on, two with each planning option on its own; the set-based ones with both key-set
tests), the distinct SQL texts are run on
every engine at every context, and each must give the oracle's ids. A
later change of a dialect's shapes for speed can then not change results.
The same holds on random segments, shops and contexts (Hypothesis, SQLite
and DuckDB) against the reference evaluator.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from cafehub import check
from cafehub.compiler.backends.sql import CompiledSQL, Shape, Shapes, compile_sql, dialect_for_engine
from cafehub.compiler.backends.sql.dialects import ElementJoin, KeySetTest, Merge
from cafehub.compiler.backends.sql.stats import RangeRows, StoreStats
from cafehub.execution.sql import run_compiled
from cafehub.execution.stats import named_ranges
from cafehub.store.io import write_shop
from cafehub.testing import Scenario, eval_contexts, hints_for, reference_ids, scenarios, shop_data
from cafehub.testing.budget import budget
from cafehub.testing.engines import canonical_engine, embedded_urls

from .conftest import CASES, Case
from .oracle import Oracle
from .shop import CONTEXTS

_TWO = (Shape.CORRELATED, Shape.SEMI_JOIN)
_BASES = [
    Shapes(exists=e, aggregate=a, selective_element=s, common_element=c)
    for e, a, s, c in itertools.product(_TWO, (Shape.CORRELATED, Shape.GROUPED), _TWO, _TWO)
]
_PLANNING = [
    {"merge": Merge.SHARED, "element_join": ElementJoin.HULL, "filter": Shape.CORRELATED, "rows_drive": True,
     "extremes": True, "exists_join": True},
    {"merge": Merge.SELECTIVE},
    {"element_join": ElementJoin.HULL},
    {"filter": Shape.CORRELATED},
    {"merge": Merge.SELECTIVE, "element_join": ElementJoin.SHARED},
    {"merge": Merge.SHARED, "element_join": ElementJoin.HULL},
    {"merge": Merge.SHARED, "extremes": True},
    {"merge": Merge.SELECTIVE, "rows_drive": True},
]
VARIANTS: list[Shapes] = [
    *_BASES,
    *(replace(base, **_PLANNING[0]) for base in _BASES if base.selective_element is base.common_element),
    *(replace(base, **planning) for base in (_BASES[0], _BASES[-1]) for planning in _PLANNING[1:]),
]


def test_variants_cover_every_option() -> None:
    """The variants set every field of :class:`Shapes` to each of its values."""
    seen: dict[str, set[object]] = {}
    for shapes in VARIANTS:
        for name in Shapes.__dataclass_fields__:
            seen.setdefault(name, set()).add(getattr(shapes, name))
    assert seen["merge"] == set(Merge)
    assert seen["element_join"] == set(ElementJoin)
    assert seen["filter"] == {None, Shape.CORRELATED}
    assert seen["rows_drive"] == {False, True}
    assert seen["extremes"] == {False, True}
    assert seen["exists_join"] == {False, True}
    assert seen["aggregate"] == {Shape.CORRELATED, Shape.GROUPED}
    assert all(seen[k] == set(_TWO) for k in ("exists", "selective_element", "common_element"))


#: Variants also compiled with the other key-set test (``IN`` / ``EXISTS``): the set-based ones.
KEY_SET_VARIANTS = [v for v in VARIANTS if v.exists is Shape.SEMI_JOIN and v.aggregate is Shape.GROUPED]


#: Statistics under which probing every customer's recent window first is estimated cheapest.
PROBE_FIRST = StoreStats(reference="2025-03-01 00:00:00.000000", orders=((100, 0),))


def _distinct(engine: Engine, case: Case) -> list[CompiledSQL]:
    """The case compiled with every variant, one per distinct SQL text."""
    dialect = dialect_for_engine(engine.dialect.name)
    other = KeySetTest.EXISTS if dialect.key_set_test is KeySetTest.IN else KeySetTest.IN
    variants = [replace(dialect, shapes=s) for s in VARIANTS]
    variants += [replace(dialect, shapes=s, key_set_test=other) for s in KEY_SET_VARIANTS]
    filtered = [s for s in VARIANTS if s.filter is not None]
    variants += [replace(dialect, shapes=s, selective_probe=not dialect.selective_probe) for s in filtered]
    found: dict[str, CompiledSQL] = {}
    for variant in variants:
        compiled = compile_sql(case.checked, dialect=variant)
        found.setdefault(compiled.sql, compiled)
    # Statistics that make a recent-window probe go first, and a short range probed per customer,
    # where one can.
    ranges = tuple(RangeRows(*key, rows=1, table_rows=1, customers=1, capped=True)
                   for key in named_ranges(case.checked.ir))
    for shapes in filtered:
        compiled = compile_sql(case.checked, dialect=replace(dialect, shapes=shapes, probe_first=True),
                               stats=replace(PROBE_FIRST, ranges=ranges))
        found.setdefault(compiled.sql, compiled)
    return list(found.values())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_shape_matches_oracle(shop_engine: Engine, oracle: Oracle, case: Case) -> None:
    expected = {name: oracle.ids(case.checked.ir, ctx) for name, ctx in CONTEXTS.items()}
    for compiled in _distinct(shop_engine, case):
        for ctx_name, ctx in CONTEXTS.items():
            got = run_compiled(shop_engine, compiled, ctx, verify=False)
            assert got == expected[ctx_name], f"{case.name} at {ctx_name} with\n{compiled.sql}"


# ---------------------------------------------------------------- random segments and shops

#: Shape variants for the random property: every planning option on, over set-based and over
#: correlated constructs, and the partial planning a dialect is likeliest to choose.
RANDOM_VARIANTS = [
    replace(_BASES[-1], **_PLANNING[0]),
    replace(_BASES[0], **_PLANNING[0]),
    replace(_BASES[-1], **_PLANNING[-1]),
]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    """Empty canonical stores on SQLite and DuckDB, rewritten by each example."""
    directory = tmp_path_factory.mktemp("shapes")
    engines = {name: canonical_engine(url) for name, url in embedded_urls(directory).items()}
    yield engines
    for engine in engines.values():
        engine.dispose()


#: Conditions that planning treats differently: selective ones (shared or not), and others.
_SELECTIVE = {
    "order": ["product = 1", "product = 2", "product in [1, 2]", "product in [2, 3]", "order_id = \"o1\""],
    "cart": ["product = 1", "product in [1, 2]"],
    "coupon": ["coupon_no = \"c1\"", "coupon_no in [\"c1\", \"c2\"]"],
}
_OTHER = {
    "order": ["status = paid", "ordered_at within last 30d", "paid_amount > 100", "not payment_method = card",
              "ordered_at < 90d ago", "product != 3", "status in [paid, canceled] or paid_amount < 50"],
    "cart": ["quantity >= 2", "added_at within last 1d", "not price > 10"],
    "coupon": ["expires_at within next 3d", "issue_type = signup", "not name = \"x\""],
}
_AGGREGATES = {
    "order": [".count >= 2", ".count < 2", ".sum(paid_amount) > 50", ".avg(paid_amount) between 10 and 500",
              ".max(ordered_at) within last 60d", ".count_distinct(status) >= 2", ".min(order_amount) != 0"],
    "cart": [".count >= 2", ".sum(amount) >= 100", ".count_distinct(product) < 2", ".min(added_at) < 1d ago"],
    "coupon": [".count >= 2", ".max(expires_at) within next 7d", ".count_distinct(coupon_no) = 1"],
}


@st.composite
def planned_segments(draw: st.DrawFn) -> str:
    """Conjunctions of tests on one collection that share (or almost share) conditions: what planning groups."""
    collection = draw(st.sampled_from(sorted(_SELECTIVE)))
    shared = draw(st.sampled_from(["", *_SELECTIVE[collection]]))
    tests = []
    for _ in range(draw(st.integers(2, 4))):
        parts = [p for p in (draw(st.sampled_from([shared, *_SELECTIVE[collection]])),
                             draw(st.sampled_from(["", *_OTHER[collection]]))) if p]
        condition = " and ".join(f"({p})" if " or " in p else p for p in parts)
        kind = draw(st.sampled_from(["exists", "no", "aggregate", "not aggregate"]))
        test = f"{collection}({condition})"
        if kind == "no":
            test = f"no {test}"
        elif kind.endswith("aggregate"):
            test = f"{'not ' if kind.startswith('not') else ''}{test}{draw(st.sampled_from(_AGGREGATES[collection]))}"
        tests.append(test)
    if draw(st.booleans()):
        tests.append(draw(st.sampled_from(["cart()", "no coupon()", "order(status = paid)"])))
    return " and ".join(tests)


@st.composite
def planned_scenarios(draw: st.DrawFn) -> Scenario:
    ctx = draw(eval_contexts())
    segment = draw(planned_segments())
    data = draw(shop_data(ctx, hints=hints_for(check(segment).ir, ctx), max_customers=6))
    return Scenario(segment=segment, data=data, ctx=ctx)


def test_planned_shapes_agree_with_the_reference(embedded: dict[str, Engine]) -> None:
    """Random segments, shops and contexts: every planning option gives the reference's ids."""

    @budget(40)
    @given(st.one_of(scenarios(), planned_scenarios()))
    def agree(case: Scenario) -> None:
        checked = check(case.segment)
        expected = reference_ids(checked, case.data, case.ctx)
        for name, engine in embedded.items():
            write_shop(engine, case.data, replace=True)
            dialect = dialect_for_engine(engine.dialect.name)
            for shapes in [dialect.shapes, *RANDOM_VARIANTS]:
                compiled = compile_sql(checked, dialect=replace(dialect, shapes=shapes))
                got = run_compiled(engine, compiled, case.ctx, verify=False)
                assert got == expected, f"{name} with {shapes}:\n{case.segment}\n{compiled.sql}"

    agree()


@pytest.mark.parametrize(("segment", "drives"), [
    ("coupon(expires_at within next 1d)", True),
    ('coupon(coupon_no = "A" and expires_at within next 24h)', True),
    ("coupon(expires_at within next 25h)", False),  # over a day: not narrow
    ("coupon(expires_at within next 1d) and cart()", False),  # not alone
    ("not coupon(expires_at within next 1d)", False),
    ("coupon(not expires_at within next 1d)", False),
    ("coupon(issued_at within last 1d)", False),  # no index of its own
    ("coupon(expires_at >= now)", False),  # one end only
    ("cart(product = 17)", False),  # an equality alone was measured slower
])
def test_lone_narrow_range_drives_from_its_rows(segment: str, drives: bool) -> None:
    from cafehub.compiler.backends.sql import planning

    node = check(segment).ir
    units = planning.plan([node], Merge.SHARED, ElementJoin.NEVER)
    chosen = planning.row_pass(units)
    assert (chosen is not None and not chosen.own_key) == drives
    sql = compile_sql(segment, dialect="postgres").sql
    assert sql.startswith('SELECT\n  "c"."member_id" AS "member_id"\nFROM "customer_coupons"') == drives


@pytest.mark.parametrize(("segment", "alone"), [
    ("order(status = paid).count >= 3 and no order(ordered_at within last 60d)", True),
    ("order().avg(paid_amount) between 1000 and 5000", True),  # two tests on one aggregate
    ("order(status = paid).count >= 3 and no order(ordered_at within last 60d) and cart()", False),
    ("order(status = paid).count >= 3", False),  # one test is not a group
])
def test_lone_group_is_the_query_grouped_by_its_own_key(segment: str, alone: bool) -> None:
    from cafehub.compiler.backends.sql import planning

    units = planning.plan(planning.conjuncts(check(segment).ir), Merge.SHARED, ElementJoin.NEVER)
    chosen = planning.row_pass(units)
    assert (chosen is not None and chosen.own_key) == alone
    sql = compile_sql(segment, dialect="postgres").sql
    assert ('GROUP BY\n  "o"."member_id"' in sql and sql.startswith('SELECT\n  "o"."member_id"')) == alone
