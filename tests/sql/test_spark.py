"""Spark SQL (PySpark, local mode) gives the oracle's ids for every case.

One SparkSession serves the whole test session; the shop is registered as
temporary views with ``TIMESTAMP_NTZ`` timestamps and ``DECIMAL(14, 2)``
money. Every case runs at two contexts (one on a daylight-saving day), with
all values inlined as literals quoted by sqlglot.
"""

from __future__ import annotations

from typing import Any

import pytest

from cafehub.compiler.backends.sql import compile_sql
from cafehub.execution.spark import register_shop, run_spark
from cafehub.store import records as r
from cafehub.store.engines import StoreError

from .conftest import CASES, Case
from .oracle import Oracle
from .shop import CONTEXTS

pytestmark = pytest.mark.spark

#: Time cases run at both daylight-saving contexts; the others at one context each, in rotation.
DST_CONTEXTS = ("new_york_dst_day", "berlin_after_fallback")


def _contexts(index: int, case: Case) -> tuple[str, ...]:
    if case.name.startswith(("time_", "lang_")):
        return DST_CONTEXTS
    names = list(CONTEXTS)
    return (names[index % len(names)],)


@pytest.fixture(scope="module")
def spark_shop(spark: Any, shop: r.ShopData) -> Any:
    register_shop(spark, shop)
    return spark


@pytest.mark.parametrize(("index", "case"), list(enumerate(CASES)), ids=[c.name for c in CASES])
def test_case_matches_oracle_on_spark(spark_shop: Any, oracle: Oracle, index: int, case: Case) -> None:
    compiled = compile_sql(case.checked, dialect="spark")
    for name in _contexts(index, case):
        ctx = CONTEXTS[name]
        assert run_spark(spark_shop, compiled, ctx, verify=False) == oracle.ids(case.checked.ir, ctx), name


def test_missing_view_is_named(spark_shop: Any) -> None:
    from cafehub.compiler.backends.sql import SchemaMapping

    mapping = SchemaMapping.model_validate({"tables": {"orders": {"table": "orders_missing"}}})
    with pytest.raises(StoreError, match="orders_missing"):
        run_spark(spark_shop, "order()", CONTEXTS["seoul_march"], mapping=mapping)


def test_missing_column_is_named(spark_shop: Any) -> None:
    from cafehub.compiler.backends.sql import SchemaMapping

    mapping = SchemaMapping.model_validate({"tables": {"orders": {"columns": {"ordered_at": "order_ts"}}}})
    with pytest.raises(StoreError, match=r"order_ts.*orders\.ordered_at"):
        run_spark(spark_shop, "order()", CONTEXTS["seoul_march"], mapping=mapping)
