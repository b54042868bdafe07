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


def test_timestamp_columns_of_instants_in_another_session_zone(spark: Any, shop: r.ShopData, oracle: Oracle) -> None:
    """Views whose timestamps are Spark ``TIMESTAMP`` (instants, shown in the session's zone), read
    from a session in Seoul: the kind is read from the views, and bounds are instant literals."""
    from datetime import UTC

    from pyspark.sql import types as t

    from cafehub.compiler.backends.sql import SchemaMapping
    from cafehub.execution.spark import _spark_type
    from cafehub.store.schema import TABLES

    tables = {}
    for table in TABLES:
        fields = [t.StructField(c.name, t.TimestampType() if isinstance(_spark_type(c), t.TimestampNTZType)
                                else _spark_type(c), bool(c.nullable)) for c in table.columns]
        rows = [tuple(v.replace(tzinfo=UTC) if hasattr(v, "tzinfo") and hasattr(v, "hour") and v is not None else v
                      for v in (getattr(rec, c.name) for c in table.columns)) for rec in getattr(shop, table.name)]
        spark.createDataFrame(rows, t.StructType(fields)).createOrReplaceTempView(f"ltz_{table.name}")
        tables[table.name] = {"table": f"ltz_{table.name}"}
    mapping = SchemaMapping.model_validate({"tables": tables})
    spark.conf.set("spark.sql.session.timeZone", "Asia/Seoul")
    try:
        for case in CASES:
            if case.name not in ("lang_01_coupon_specific_expiring", "lang_03_cart_product_no_recent_order",
                                 "time_ago_exact", "time_coupon_windows", "agg_max_added_today"):
                continue
            ctx = CONTEXTS["new_york_dst_day"]
            assert run_spark(spark, case.checked, ctx, mapping=mapping) == oracle.ids(case.checked.ir, ctx), case.name
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
