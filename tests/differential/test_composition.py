"""The composition law on every engine: a segment using saved segments selects what its inlined text selects.

For random saved segments (several versions, using each other, pinned or
latest) and a segment using them, the segment and its copy with every
``segment("x")`` written out as x's text give the same member ids through
the SQL backend and the bulk predicate on SQLite, DuckDB, PostgreSQL and
MariaDB, and through Spark SQL (a smaller budget under its own marker), and
those ids are the reference evaluator's.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

import cafehub
from cafehub.execution.python import run_predicate
from cafehub.execution.sql import run_sql
from cafehub.store.io import write_shop
from cafehub.testing import eval_contexts, hints_for, reference_ids, shop_data
from cafehub.testing.budget import budget
from cafehub.testing.composition import compositions
from cafehub.testing.differential import Runner

BUDGET = {"sqlite": 60, "duckdb": 40, "postgres": 30, "mysql": 30}


def test_a_segment_and_its_inlined_text_select_the_same_customers(engine: tuple[str, Engine]) -> None:
    name, store = engine

    @budget(BUDGET[name])
    @given(st.data())
    def agree(data: st.DataObject) -> None:
        ctx = data.draw(eval_contexts())
        case = data.draw(compositions(ctx))
        composed = cafehub.check(case.text, resolver=case.resolver())
        inlined = cafehub.check(case.inlined)
        shop = data.draw(shop_data(ctx, hints=hints_for(composed.ir, ctx), max_customers=5))
        write_shop(store, shop, replace=True)
        expected = reference_ids(inlined, shop, ctx)
        assert run_sql(store, composed, ctx) == expected, case
        assert run_sql(store, inlined, ctx) == expected, case
        assert run_predicate(store, composed, ctx, batch_size=2) == expected, case

    agree()


@pytest.mark.spark
@budget(5)
@given(st.data())
def test_spark_selects_what_the_inlined_text_selects(spark_backend: Runner, data: st.DataObject) -> None:
    ctx = data.draw(eval_contexts())
    case = data.draw(compositions(ctx))
    composed = cafehub.check(case.text, resolver=case.resolver())
    inlined = cafehub.check(case.inlined)
    shop = data.draw(shop_data(ctx, hints=hints_for(composed.ir, ctx), max_customers=3))
    expected = reference_ids(inlined, shop, ctx)
    assert spark_backend(composed, shop, ctx) == expected, case
