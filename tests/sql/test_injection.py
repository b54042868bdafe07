"""Hostile strings are data in every string position, on every engine and in every dialect's text.

Each hostile string is stored as a coupon number, a coupon name and an order
id, and searched for with ``=``, ``!=``, ``in``, ``not in`` and ``contains``
in each of those positions. The engines must return exactly the customers an
in-Python evaluation picks, and the tables must be intact afterwards. For the
dialects whose SQL is given values inline (Spark here, and any dialect through
``CompiledSQL.inline``), the literal sqlglot printed must parse back to the
very same string.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlglot
from sqlalchemy import Engine, create_engine, func, select
from sqlglot import exp

from cafehub import SegmentError, check
from cafehub.compiler.backends.sql import DIALECTS, compile_sql
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.sql import run_sql
from cafehub.store import io
from cafehub.store import records as r
from cafehub.store.schema import TABLES

from .oracle import Oracle

HOSTILE = [
    "'", "''", '"', "\\", "\\'", "'\\", "--", ";", "'; DROP TABLE customers; --", "a' OR '1'='1",
    "\\'; DELETE FROM orders; --", "%", "_", "%_%", "\\%", "$1", ":p1", "?", "@p1", "{p1}", "`", "]", "[",
    "*/", "/*", "\n", "\r\n", "\t", "\x1a", "\b", "쿠폰'", "😀'\"", "O'Brien", "x" * 60 + "'",
    "' UNION SELECT member_id FROM customers --", "\\\\", "\\n", "${x}", "%(p1)s", "&", "\u2028",
]
LONG = "'" + "x" * 10_000 + "--"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CTX = EvalContext(now=NOW)


def seg_string(value: str) -> str:
    """``value`` as a segment string literal."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ch == "\u2028":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def hostile_shop() -> r.ShopData:
    now = NOW.replace(tzinfo=None)
    customers, coupons, held, orders = [], [], [], []
    for k, value in enumerate(HOSTILE):
        member = f"h{k:02d}"
        customers.append(r.Customer(member_id=member))
        coupons.append(r.Coupon(coupon_no=value, name=value, issue_type="signup"))
        held.append(r.CustomerCoupon(id=k + 1, member_id=member, coupon_no=value, issued_at=now - timedelta(days=1),
                                     expires_at=now + timedelta(days=1)))
        orders.append(r.Order(order_id=value, member_id=member, ordered_at=now - timedelta(days=1), status="paid",
                              paid_amount=Decimal("1.00"), order_amount=Decimal("1.00"), shipping_fee=Decimal(0)))
    customers.append(r.Customer(member_id="plain"))
    coupons.append(r.Coupon(coupon_no="plain", name="plain", issue_type="signup"))
    held.append(r.CustomerCoupon(id=len(held) + 1, member_id="plain", coupon_no="plain",
                                 issued_at=now - timedelta(days=1), expires_at=now + timedelta(days=1)))
    return r.ShopData(customers=tuple(customers), coupons=tuple(coupons), customer_coupons=tuple(held),
                      orders=tuple(orders))


def segments(value: str) -> Iterator[str]:
    s = seg_string(value)
    for field in ("coupon_no", "name"):
        yield f"coupon({field} = {s})"
        yield f"coupon({field} != {s})"
        yield f'coupon({field} in [{s}, "plain"])'
        yield f"coupon({field} not in [{s}])"
    yield f"coupon(name contains {s})"
    yield f"coupon(not (name contains {s}))"
    yield f"order(order_id = {s}) or order(order_id contains {s})"


ALL_SEGMENTS = [s for value in [*HOSTILE, LONG] for s in segments(value)]


@pytest.fixture(scope="module")
def hostile_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'h.db'}"
    elif kind == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('hostile') / 'h.duckdb'}"
    else:
        url = request.getfixturevalue(f"{kind}_url")
    engine = create_engine(url)
    io.drop_schema(engine)
    io.create_schema(engine)
    io.write_shop(engine, hostile_shop())
    yield engine
    io.drop_schema(engine)
    engine.dispose()


ENGINES = [
    pytest.param("sqlite"), pytest.param("duckdb"),
    pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mysql", marks=pytest.mark.mysql),
]


@pytest.mark.parametrize("hostile_engine", ENGINES, indirect=True)
def test_hostile_strings_are_data(hostile_engine: Engine) -> None:
    shop = hostile_shop()
    oracle = Oracle(shop)
    for text in ALL_SEGMENTS:
        expected = oracle.ids(check(text).ir, CTX)
        assert run_sql(hostile_engine, text, CTX) == expected, text
    with hostile_engine.connect() as conn:
        for table in TABLES:
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            assert count == len(getattr(shop, table.name)), table.name


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_inlined_literals_parse_back_exactly(dialect: str) -> None:
    for value in [*HOSTILE, LONG]:
        compiled = compile_sql(f"coupon(name = {seg_string(value)})", dialect=dialect)
        tree = sqlglot.parse_one(compiled.inline(CTX), read=dialect)
        strings = [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]
        assert value in strings, (dialect, value)
        assert not list(tree.find_all(exp.Placeholder, exp.Parameter))


def test_user_values_are_never_in_the_sql_text() -> None:
    for dialect in DIALECTS:
        compiled = compile_sql('coupon(name = "zq\'uniq" and coupon_no contains "zz%qq")', dialect=dialect)
        assert "uniq" not in compiled.sql
        assert "zz%qq" not in compiled.sql
        values = compiled.parameters(CTX)
        assert "zq'uniq" in values.values()
        assert "zz%qq" in values.values()


def test_nul_never_reaches_a_database() -> None:
    with pytest.raises(SegmentError, match="NUL"):
        compile_sql('coupon(name = "a\\u0000b")')


@pytest.mark.spark
def test_hostile_strings_on_spark(spark: Any) -> None:
    """On Spark every value is an inlined literal: each position is tested with all values at once."""
    from cafehub.compiler.backends.sql import SchemaMapping
    from cafehub.execution.spark import register_shop, run_spark

    shop = hostile_shop()
    names = {t.name: f"hostile_{t.name}" for t in TABLES}
    register_shop(spark, shop, names=names)
    mapping = SchemaMapping.model_validate({"tables": {k: {"table": v} for k, v in names.items()}})
    oracle = Oracle(shop)
    values = [seg_string(v) for v in [*HOSTILE, LONG]]
    # Row-level or/and keep each position in one subquery (a long segment-level "or" makes
    # Spark plan dozens of joins).
    texts = [
        f"coupon({' or '.join(f'coupon_no = {v}' for v in values)})",
        f"coupon({' or '.join(f'name = {v}' for v in values)})",
        f"coupon(name in [{', '.join(values)}])",
        f"coupon({' or '.join(f'name contains {v}' for v in values)})",
        f"order(order_id in [{', '.join(values)}])",
        f"coupon({' and '.join(f'name != {v}' for v in values[:20])})",
    ]
    for text in texts:
        expected = oracle.ids(check(text).ir, CTX)
        assert run_spark(spark, text, CTX, mapping=mapping) == expected, text[:200]
    assert spark.sql("SELECT COUNT(*) FROM hostile_customers").collect()[0][0] == len(shop.customers)
