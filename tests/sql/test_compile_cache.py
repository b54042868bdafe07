"""The compile cache: a cached compile gives exactly the SQL and parameters of a fresh one.

Differential: every segment is compiled with the cache (a miss, then a hit)
and without it, and so is a sibling of the same shape with other literal
values, compiled in between so that a cache keyed by shape alone would
answer it with the first segment's plan.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cafehub import api
from cafehub.compiler.backends.sql import CompiledSQL, SchemaMapping, compile_sql
from cafehub.compiler.backends.sql.compiled import COMPILE_CACHE, CompileCache, ir_key
from cafehub.diagnostics import SegmentError
from cafehub.grammar import syntax as s
from cafehub.grammar.format import format_segment
from cafehub.testing import segment_trees
from cafehub.testing.syntax import string_values

DIALECTS = ["sqlite", "duckdb", "postgres", "mysql", "spark", "bigquery", "snowflake", "trino"]
RENAMED = SchemaMapping.model_validate({
    "default_schema": "shop",
    "tables": {"orders": {"table": "orders_v2", "columns": {"ordered_at": "order_ts"},
                          "times": {"ordered_at": "zoned"}}},
})


def fingerprint(compiled: CompiledSQL) -> tuple[Any, ...]:
    """Everything a caller reads, with values by their exact text (``Decimal('1.0')`` is not ``Decimal('1.00')``)."""
    return (
        compiled.dialect,
        compiled.sql,
        tuple((p.name, repr(p.source), p.describe()) for p in compiled.params),
        compiled.tables,
        compiled.target,
        compiled.mapping.model_dump_json(),
    )


def _mutated(node: Any, draw: st.DrawFn) -> Any:
    """The same tree with other literal values (names, operators and structure kept)."""
    if isinstance(node, s.IntLit):
        return replace(node, value=draw(st.integers(0, 10**7)))
    if isinstance(node, s.DecimalLit):
        places = draw(st.integers(1, 6))
        return replace(node, value=draw(st.decimals(0, 10**6, places=places, allow_nan=False, allow_infinity=False)))
    if isinstance(node, s.StringLit):
        return replace(node, value=draw(string_values))
    if isinstance(node, s.Duration):
        return replace(node, amount=draw(st.integers(1, 500)))
    if isinstance(node, s.DateTimeLit):
        shift = draw(st.integers(-3, 3))
        return replace(node, value=node.value + timedelta(days=shift),
                       offset_minutes=draw(st.sampled_from([None, 0, 540, -300])))
    if isinstance(node, tuple):
        return tuple(_mutated(item, draw) for item in node)
    if is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: _mutated(getattr(node, f.name), draw) for f in fields(node) if f.name != "span"}
        return replace(node, **changes)
    return node


@st.composite
def siblings(draw: st.DrawFn) -> tuple[str, str]:
    tree = draw(segment_trees(max_leaves=4, condition_leaves=3))
    return format_segment(tree), format_segment(_mutated(tree, draw))


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    COMPILE_CACHE.clear()


@settings(max_examples=15, deadline=None)
@given(siblings(), st.sampled_from(DIALECTS), st.sampled_from([None, RENAMED]))
def test_cached_compile_equals_fresh_compile(pair: tuple[str, str], dialect: str,
                                             mapping: SchemaMapping | None) -> None:
    first, second = pair
    try:
        checked_second = api.check(second)
    except SegmentError:
        assume(False)
        raise
    checked_first = api.check(first)
    fresh_first = compile_sql(checked_first, dialect=dialect, mapping=mapping, cache=False)
    fresh_second = compile_sql(checked_second, dialect=dialect, mapping=mapping, cache=False)
    for checked, fresh in ((checked_first, fresh_first), (checked_second, fresh_second),
                           (checked_first, fresh_first), (checked_second, fresh_second)):
        assert fingerprint(compile_sql(checked, dialect=dialect, mapping=mapping)) == fingerprint(fresh)
    assert fingerprint(compile_sql(first, dialect=dialect, mapping=mapping)) == fingerprint(fresh_first)  # from text


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("order().count >= 1", "order().count >= 0"),  # a count compared with zero: another plan
        ("order().avg(paid_amount) < 1.5", "order().avg(paid_amount) < 1.50"),  # equal decimals, other scale
        ("order(ordered_at within last 1h)", "order(ordered_at within last 30d)"),  # a narrow window
        ("cart(product in [1, 2])", "cart(product in [1, 1])"),  # a repeated value
        ("order(ordered_at > 2025-01-01T09:00:00+09:00)", "order(ordered_at > 2025-01-01T00:00:00Z)"),  # one instant
        ("order(ordered_at within last 3d) and cart(added_at within last 3d)",
         "order(ordered_at within last 3d) and cart(added_at within last 4d)"),  # shared time parameter
    ],
)
def test_values_that_change_the_sql_or_parameters_are_keyed_apart(first: str, second: str) -> None:
    """Same shape, and yet other SQL or parameters: why the key holds every value, exactly."""
    fresh = [fingerprint(compile_sql(text, dialect="postgres", cache=False)) for text in (first, second)]
    assert fresh[0] != fresh[1]
    cached = [fingerprint(compile_sql(text, dialect="postgres")) for text in (first, second)]
    assert cached == fresh
    assert ir_key(api.check(first).ir) != ir_key(api.check(second).ir)


def test_texts_with_the_same_ir_share_one_entry() -> None:
    one = compile_sql("order(status = paid).count >= 3", dialect="sqlite")
    two = compile_sql("ORDER( status=Paid ).count>=3  # a comment", dialect="sqlite")
    assert two is one
    assert (len(COMPILE_CACHE), COMPILE_CACHE.hits, COMPILE_CACHE.misses) == (1, 1, 1)


def test_dialect_and_mapping_are_part_of_the_key() -> None:
    text = "order(ordered_at within last 3d)"
    plain = compile_sql(text, dialect="postgres")
    renamed = compile_sql(text, dialect="postgres", mapping=RENAMED)
    same_again = compile_sql(text, dialect="postgres", mapping=SchemaMapping.model_validate(RENAMED.model_dump()))
    other = compile_sql(text, dialect="mysql")
    assert '"order_ts"' in renamed.sql
    assert '"order_ts"' not in plain.sql
    assert same_again is renamed  # an equal mapping read again
    assert other.dialect == "mysql"
    assert len(COMPILE_CACHE) == 3


def test_the_cache_is_bounded() -> None:
    cache = CompileCache(maxsize=2)
    compiled = compile_sql("cart()", cache=False)
    for key in "abc":
        cache.put(key, compiled)
    assert len(cache) == 2
    assert cache.get("a") is None
    assert cache.get("c") is compiled


def test_ir_key_tells_apart_what_equality_does_not() -> None:
    assert Decimal("1.0") == Decimal("1.00") == 1
    assert ir_key(Decimal("1.0")) != ir_key(Decimal("1.00"))
    assert ir_key(Decimal("1")) != ir_key(1)
    assert ir_key((1, "a")) == ir_key((1, "a"))
