"""Enforced member references: a segment's customers taken from the rows that qualify them.

With ``member_references: "enforced"`` a mapping declares that every member id
of a coupon, cart item or order names a customer, and the compiler may answer a
segment from the keys of its driving test without reading ``customers``. The
test shop breaks the declaration on purpose (rows of the member ``ghost``, who
is not a customer), so the declared semantics are checked exactly: a query
that reads no ``customers`` gives the ids of the same shop in which every
referenced member is a customer, and one that reads it (no positive test to
drive) the shop's own ids. Every case, on every engine, at every context.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from cafehub.compiler.backends.sql import (
    MappingError,
    SchemaMapping,
    Shape,
    TableMapping,
    compile_sql,
    dialect_for_engine,
)
from cafehub.execution.sql import run_compiled
from cafehub.store import records as r

from .conftest import CASES, Case
from .oracle import Oracle
from .shop import CONTEXTS

ENFORCED = SchemaMapping(member_references="enforced")


@pytest.fixture(scope="module")
def trusting_oracle(shop: r.ShopData) -> Oracle:
    """The oracle of the shop in which every referenced member is a customer."""
    known = {c.member_id for c in shop.customers}
    referenced = {row.member_id for rows in (shop.customer_coupons, shop.cart_items, shop.orders) for row in rows}
    missing = sorted(m for m in referenced if m is not None and m not in known)
    assert missing, "the test shop must hold rows of members who are not customers"
    return Oracle(replace(shop, customers=(*shop.customers, *(r.Customer(m) for m in missing))))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_enforced_references_match_the_oracle(
    shop_engine: Engine, oracle: Oracle, trusting_oracle: Oracle, case: Case
) -> None:
    dialect = dialect_for_engine(shop_engine.dialect.name)
    # The dialect's own shapes, and the options that change a query driven by its keys on.
    keyed = replace(dialect.shapes, distinct_last=True, exists_join=True, extremes=True, keyed_exists=Shape.SEMI_JOIN)
    found = {}
    for variant in (dialect, replace(dialect, shapes=keyed)):
        compiled = compile_sql(case.checked, dialect=variant, mapping=ENFORCED)
        if compiled.sql != compile_sql(case.checked, dialect=variant).sql:
            found.setdefault(compiled.sql, compiled)
    if not found:
        pytest.skip("the same SQL as without the declaration (tested by test_shapes and test_engines)")
    for compiled in found.values():
        expected = oracle if any(t.logical == "customers" for t in compiled.tables) else trusting_oracle
        for ctx_name, ctx in CONTEXTS.items():
            got = run_compiled(shop_engine, compiled, ctx, verify=False)
            assert got == expected.ids(case.checked.ir, ctx), f"{case.name} at {ctx_name}:\n{compiled.sql}"


def test_a_positive_driver_replaces_customers() -> None:
    compiled = compile_sql("cart(product = 17) and no order(ordered_at within last 3d)", dialect="sqlite",
                           mapping=ENFORCED)
    assert "customers" not in compiled.sql
    assert [t.logical for t in compiled.tables] == ["cart_items", "orders"]
    assert "SELECT DISTINCT" in compiled.sql


def test_postgres_fences_an_absence_probe_after_a_selective_driver() -> None:
    """PostgreSQL: ``OFFSET 0`` keeps "no order in 3 days" a per-candidate probe of the member index
    (``fenced_probe``), not an anti-join it may hash from a scan of every order; only after a
    selective driver, only on the store's own tables, and not on other engines."""
    segment = "cart(product = 17) and no order(ordered_at within last 3d)"
    assert "OFFSET 0" in compile_sql(segment, dialect="postgres", mapping=ENFORCED).sql
    assert "OFFSET 0" not in compile_sql(segment, dialect="postgres").sql  # from customers: no keys
    assert "OFFSET 0" not in compile_sql(segment, dialect="duckdb", mapping=ENFORCED).sql
    mapped = SchemaMapping(member_references="enforced", tables={"orders": TableMapping(table="shop_orders")})
    assert "OFFSET 0" not in compile_sql(segment, dialect="postgres", mapping=mapped).sql
    unselective = "cart() and no order(ordered_at within last 3d)"
    assert "OFFSET 0" not in compile_sql(unselective, dialect="postgres", mapping=ENFORCED).sql
    cross_sell = "order(product = 42 and ordered_at within last 30d) and no order(product = 43)"
    assert "OFFSET 0" not in compile_sql(cross_sell, dialect="postgres", mapping=ENFORCED).sql


@pytest.mark.parametrize("segment", [
    "no order(ordered_at within last 3d)",  # holds without rows
    "order().count < 3",
    "not cart(product = 17)",
    "cart() or coupon()",
])
def test_without_a_positive_driver_customers_are_read(segment: str) -> None:
    compiled = compile_sql(segment, dialect="postgres", mapping=ENFORCED)
    assert compiled.sql == compile_sql(segment, dialect="postgres").sql


def test_collation_dialects_keep_customers() -> None:
    """MySQL: a DISTINCT over member ids would merge keys a case-insensitive collation calls equal."""
    segment = "coupon(expires_at within next 1d)"
    assert compile_sql(segment, dialect="mysql", mapping=ENFORCED).sql == compile_sql(segment, dialect="mysql").sql


def test_unknown_declaration_is_refused() -> None:
    with pytest.raises(MappingError, match="member_references"):
        SchemaMapping.from_json({"member_references": "yes"})
