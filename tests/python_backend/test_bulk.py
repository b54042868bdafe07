"""The bulk path: customers read from a store in batches give what the in-memory predicate gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Engine, String, create_engine, literal, select

import cafehub
from cafehub.compiler.backends.python import CustomerData, compile_predicate
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.python import (
    FIRST_FREE_TAG,
    SLOTS,
    customers_from_shop,
    iter_customers,
    load_customer,
    one_member_statement,
    one_statement_connection,
    read_one_member,
    run_predicate,
    slotted,
)
from cafehub.store import records as rec
from cafehub.store.engines import StoreError
from cafehub.testing import Scenario, scenarios
from cafehub.testing.budget import budget
from cafehub.testing.engines import load

NOW = datetime(2025, 3, 1, tzinfo=UTC)
CTX = EvalContext(now=NOW)
#: Member ids whose order differs between collations, code points and UTF-16.
TRICKY_IDS = ["a", "B", "b", "é", "e\u0301", "😀", "ｍ", "m1", "m1 ", "M1", "z", "~", "𝒜", "가"]


def tricky_shop() -> rec.ShopData:
    at = (NOW - timedelta(days=1)).replace(tzinfo=None)
    return rec.ShopData(
        customers=tuple(rec.Customer(m) for m in TRICKY_IDS),
        orders=tuple(
            rec.Order(order_id=f"o{i}", member_id=m, ordered_at=at, status="paid" if i % 2 else "pending",
                      paid_amount=Decimal("1.05") * i, order_amount=Decimal("1.05") * i, shipping_fee=Decimal(0))
            for i, m in enumerate(TRICKY_IDS)
        ),
        order_items=tuple(rec.OrderItem(f"i{i}", f"o{i}", 17 + i % 3, 1, Decimal("1.05"), Decimal(0))
                          for i in range(len(TRICKY_IDS))),
        order_payments=tuple(rec.OrderPayment(f"o{i}", "card") for i in range(0, len(TRICKY_IDS), 2)),
    )


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_every_customer_is_read_once_with_all_their_rows(store: Engine, batch_size: int) -> None:
    data = tricky_shop()
    load(store, data)
    batches = list(iter_customers(store, batch_size=batch_size))
    assert all(len(batch) <= batch_size for batch in batches)
    read = [c for batch in batches for c in batch]
    assert sorted(c.member_id for c in read) == sorted(TRICKY_IDS)
    expected = {c.member_id: c for c in customers_from_shop(data)}
    for customer in read:
        assert customer == expected[customer.member_id]


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_rows_of_strangers_between_customers_are_dropped(store: Engine, batch_size: int) -> None:
    # Batches read the range of member ids a page spans: these ids sort inside, before and after the pages.
    data = tricky_shop()
    at = (NOW - timedelta(days=1)).replace(tzinfo=None)
    strangers = ["0", "aa", "M", "m1  ", "m", "é ", "zz", "힣"]
    data = rec.ShopData(
        customers=data.customers,
        coupons=(rec.Coupon("C1", "welcome", "signup"),),
        customer_coupons=tuple(rec.CustomerCoupon(i, m, "C1", at, at + timedelta(days=9))
                               for i, m in enumerate(strangers, start=1)),
        cart_items=tuple(rec.CartItem(i, m, 17, 1, Decimal(1), Decimal(0), at)
                         for i, m in enumerate(strangers, start=1)),
        orders=(*data.orders, *(rec.Order(f"x{i}", m, at, "paid", Decimal(1), Decimal(1), Decimal(0))
                                for i, m in enumerate(strangers))),
        order_items=(*data.order_items, *(rec.OrderItem(f"xi{i}", f"x{i}", 99, 1, Decimal(1), Decimal(0))
                                          for i in range(len(strangers)))),
        order_payments=data.order_payments,
    )
    load(store, data)
    read = [c for batch in iter_customers(store, batch_size=batch_size) for c in batch]
    expected = {c.member_id: c for c in customers_from_shop(data)}
    assert sorted(c.member_id for c in read) == sorted(TRICKY_IDS)
    for customer in read:
        assert customer == expected[customer.member_id]
        assert not customer.coupons
        assert not customer.cart
    for segment in ("order(product = 99)", "cart()", "coupon()"):
        assert run_predicate(store, segment, CTX, batch_size=batch_size) == []


@pytest.mark.parametrize("segment", [
    "order(status = paid and product in [17, 18])",
    "no order(payment_method = card)",
    "order().sum(paid_amount) >= 5.25",
])
def test_run_predicate_equals_the_in_memory_predicate(store: Engine, segment: str) -> None:
    data = tricky_shop()
    load(store, data)
    checked = cafehub.check(segment)
    expected = compile_predicate(checked).select(customers_from_shop(data), CTX)
    assert expected  # the case is not vacuous
    assert run_predicate(store, checked, CTX, batch_size=4) == expected


@budget(25)
@given(scenarios(), st.sampled_from([1, 2, 5, 1000]))
def test_run_predicate_on_random_shops(store: Engine, case: Scenario, batch_size: int) -> None:
    load(store, case.data)
    checked = cafehub.check(case.segment)
    expected = compile_predicate(checked).select(customers_from_shop(case.data), case.ctx)
    assert run_predicate(store, checked, case.ctx, batch_size=batch_size) == expected


def test_load_customer_is_exact_and_none_for_strangers(store: Engine) -> None:
    data = tricky_shop()
    load(store, data)
    expected = {c.member_id: c for c in customers_from_shop(data)}
    for member in ("m1", "m1 ", "M1", "e\u0301", "😀"):
        assert load_customer(store, member) == expected[member]
    assert load_customer(store, "nobody") is None
    assert load_customer(store, "E\u0301") is None


@budget(25)
@given(scenarios())
def test_the_one_member_statement_reads_what_the_per_table_queries_read(store: Engine, case: Scenario) -> None:
    """load_customer (one UNION ALL statement) against the shop in memory and the batches' query per table."""
    load(store, case.data)
    batches = {c.member_id: c for batch in iter_customers(store, batch_size=2) for c in batch}
    for customer in customers_from_shop(case.data):
        found = load_customer(store, customer.member_id)
        assert found is not None
        assert unordered(found) == unordered(customer) == unordered(batches[customer.member_id])


def unordered(customer: CustomerData) -> CustomerData:
    """``customer`` with its rows in one order (no query promises an order, and no predicate depends on it)."""
    orders = sorted((replace(o, product=tuple(sorted(o.product)), payment_method=tuple(sorted(o.payment_method)))
                     for o in customer.orders), key=lambda o: o.order_id)
    return replace(customer, coupons=tuple(sorted(customer.coupons, key=lambda c: c.id)),
                   cart=tuple(sorted(customer.cart, key=lambda c: c.id)), orders=tuple(orders))


def test_extra_branches_come_back_by_tag_for_strangers_too(store: Engine) -> None:
    load(store, tricky_shop())
    extra = select(*slotted(FIRST_FREE_TAG, key=literal("x", String), n1=literal(3, BigInteger)))
    statement = one_member_statement(extra)
    version = [name for name, _ in SLOTS].index("n1")
    with store.connect() as conn:
        for member in ("m1", "nobody"):
            customer, rows = read_one_member(conn, statement, member)
            assert (customer is None) == (member == "nobody")
            assert [(row[0], int(row[version])) for row in rows[FIRST_FREE_TAG]] == [("x", 3)]
            assert set(rows) == {FIRST_FREE_TAG}
    with pytest.raises(ValueError, match="no such slots"):
        slotted(FIRST_FREE_TAG, key=literal("x"), version=literal(3))


def test_the_one_statement_reads_in_autocommit_on_postgresql_only_and_the_pool_gets_it_back(store: Engine) -> None:
    """No BEGIN before and no ROLLBACK after the one statement on PostgreSQL (two round trips); the pooled
    connection is back in transactions for everyone else."""
    postgres = store.dialect.name == "postgresql"
    with one_statement_connection(store) as conn:
        assert (conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT") == postgres
        if postgres:
            assert conn.connection.driver_connection.autocommit is True
        assert conn.execute(select(literal(1))).scalar_one() == 1
    if postgres:
        with store.connect() as conn:
            assert conn.connection.driver_connection.autocommit is False


def test_money_comes_back_exact_from_every_engine(store: Engine) -> None:
    cents = ["0.01", "0.10", "0.29", "1.15", "99999.99", "123456789.07"]
    data = rec.ShopData(
        customers=(rec.Customer("m"),),
        cart_items=tuple(
            rec.CartItem(id=i, member_id="m", product_no=i, quantity=3, price=Decimal(v), option_price=Decimal("0.07"),
                         added_at=(NOW - timedelta(hours=1)).replace(tzinfo=None))
            for i, v in enumerate(cents)
        ),
    )
    load(store, data)
    (customer,) = [c for batch in iter_customers(store) for c in batch]
    assert [str(item.price) for item in sorted(customer.cart, key=lambda i: i.id)] == cents
    assert {item.amount for item in customer.cart} == {(Decimal(v) + Decimal("0.07")) * 3 for v in cents}


def test_a_store_without_the_tables_is_a_store_error(tmp_path: object) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/empty.db")  # type: ignore[str-bytes-safe]
    with pytest.raises(StoreError, match="customers"):
        run_predicate(engine, cafehub.check("order()"), CTX)
    engine.dispose()


def test_segment_text_is_checked_before_the_store_is_touched(tmp_path: object) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/empty.db")  # type: ignore[str-bytes-safe]
    with pytest.raises(cafehub.SegmentError, match="did you mean 'paid'"):
        run_predicate(engine, "order(status = payed)", CTX)
    with pytest.raises(StoreError):
        run_predicate(engine, "order(status = paid)", CTX)
    engine.dispose()
