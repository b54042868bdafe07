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
from sqlalchemy import Engine, text

from cafehub import check
from cafehub.compiler.backends.sql import (
    MappingError,
    SchemaMapping,
    Shape,
    TableMapping,
    compile_sql,
    dialect_for_engine,
)
from cafehub.compiler.backends.sql.stats import StoreStats, fence_cap
from cafehub.execution import pg_stats
from cafehub.execution.pg_stats import PROBED, named_product_tests
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
    keyed = replace(dialect.shapes, distinct_last=True, exists_join=True, extremes=True, keyed_exists=Shape.SEMI_JOIN,
                    grouped_keys=not dialect.shapes.grouped_keys)
    found = {}
    fencing = _fencing(case.checked.ir)  # PostgreSQL: every absence probe it can fence, fenced
    for variant in (dialect, replace(dialect, shapes=keyed)):
        for stats in (None, fencing):
            compiled = compile_sql(case.checked, dialect=variant, mapping=ENFORCED, stats=stats)
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
    assert 'GROUP BY\n    "ci"."member_id"' in compiled.sql  # SQLite: grouped_keys
    assert "SELECT DISTINCT" in compile_sql("cart(product = 17) and no order(ordered_at within last 3d)",
                                            dialect="duckdb", mapping=ENFORCED).sql
    alone = compile_sql("coupon(expires_at within next 1d)", dialect="sqlite", mapping=ENFORCED, cache=False)
    assert alone.sql.startswith('SELECT\n  "cc"."member_id" AS "member_id"\nFROM "customer_coupons" AS "cc"')
    assert [t.logical for t in alone.tables] == ["customer_coupons"]
    joined = compile_sql("order(product = 42 and ordered_at within last 30d) and no order(product = 43)",
                         dialect="sqlite", mapping=ENFORCED, cache=False)
    assert "SELECT DISTINCT" in joined.sql  # keys read through a join stay DISTINCT


def _fencing(node: object, rows: int = 0, table_rows: int = 10**9) -> StoreStats:
    """Statistics under which every product a segment names has ``rows`` rows, and every member
    table ``table_rows``: with the defaults, PostgreSQL fences every absence probe it can."""
    return StoreStats(reference="", orders=(), table_rows=tuple((t, table_rows) for t in PROBED),
                      product_rows=tuple((c, p, rows) for c, p in named_product_tests(node)))


def test_postgres_fences_an_absence_probe_after_a_small_driver() -> None:
    """PostgreSQL: ``OFFSET 0`` keeps "no order in 3 days" a per-candidate probe of the member index
    (``fenced_probe``), not an anti-join it may hash from a scan of every order; only where the
    statistics count the driver's product rows few against the orders, on the store's own
    tables, and not on other engines."""
    segment = "cart(product = 17) and no order(ordered_at within last 3d)"
    ir = check(segment).ir

    def fenced(dialect: str = "postgres", mapping: SchemaMapping = ENFORCED, stats: StoreStats | None = None,
               text: str = segment) -> bool:
        return "OFFSET 0" in compile_sql(text, dialect=dialect, mapping=mapping, stats=stats).sql

    assert fenced(stats=_fencing(ir, rows=20, table_rows=1000))
    assert not fenced(stats=_fencing(ir, rows=21, table_rows=1000))  # above FENCE_SHARE of the orders
    assert not fenced()  # no statistics
    assert not fenced(stats=StoreStats(reference="", orders=(), table_rows=(("orders", 1000),)))  # uncounted
    assert not fenced(mapping=SchemaMapping(), stats=_fencing(ir))  # from customers: no keys
    assert not fenced(dialect="duckdb", stats=_fencing(ir))
    mapped = SchemaMapping(member_references="enforced", tables={"orders": TableMapping(table="shop_orders")})
    assert not fenced(mapping=mapped, stats=_fencing(ir))
    for other in ("cart() and no order(ordered_at within last 3d)",  # no product to count
                  "order(product = 42 and ordered_at within last 30d) and no order(product = 43)"):  # a join
        assert not fenced(text=other, stats=_fencing(check(other).ir))
    order = "order(product in [42, 43]) and no order(ordered_at within last 3d)"
    assert fenced(text=order, stats=_fencing(check(order).ir))


def test_named_product_tests() -> None:
    ir = check("cart(product in [17, 18]) and order(product = 42) and not cart(product != 5)"
               " and order(product = 42 and ordered_at within last 3d)").ir
    assert named_product_tests(ir) == (("cart", 17), ("cart", 18), ("order", 42))


@pytest.mark.postgres
def test_postgres_statistics_count_products(postgres_shop: Engine) -> None:
    with postgres_shop.begin() as conn:
        conn.execute(text("ANALYZE"))
    pg_stats.clear()
    found = pg_stats.postgres_stats(postgres_shop, ENFORCED, (("cart", 17), ("order", 42)))
    assert found is not None
    assert {t for t, _ in found.table_rows} == set(PROBED)
    with postgres_shop.connect() as conn:
        cart = conn.execute(text("SELECT COUNT(*) FROM cart_items WHERE product_no = 17")).scalar()
        lines = conn.execute(text("SELECT COUNT(*) FROM order_items WHERE product_no = 42")).scalar()
    cap = fence_cap(max(n for _, n in found.table_rows))
    assert found.product_rows == (("cart", 17, min(cart, cap)), ("order", 42, min(lines, cap)))


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
