"""Plan shapes chosen from a store's statistics (SQLite), and the statistics themselves.

The choice only picks between shapes that return the same rows: every case is
also compiled with statistics that make the probe go first in
``tests/sql/test_shapes.py``, against the oracle on every engine. Here: which
segments the choice applies to, that it follows the estimate, and that the
statistics are gathered, cached and gathered again when the data changes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cafehub import check
from cafehub.compiler.backends.sql import SchemaMapping, TableMapping, compile_sql
from cafehub.compiler.backends.sql.stats import PROBE_COST, RangeRows, StoreStats, range_cap
from cafehub.execution import stats as gathering
from cafehub.execution.sql import compile_for_engine, run_sql
from cafehub.store import records as r
from cafehub.store.io import write_shop
from cafehub.testing.engines import canonical_engine

from .shop import CONTEXTS

LAPSED = "order(status = paid).count >= 3 and no order(ordered_at within last 60d)"
DAY = 86_400
#: Every order belongs to a customer with an order in the last day: the probe excludes them all.
RECENT = StoreStats(reference="2025-03-01 00:00:00.000000", orders=((50, 3600), (50, 3600), (0, None)))
#: Every order belongs to a customer whose last order is a year old: the probe excludes none.
LAPSED_SHOP = StoreStats(reference="2025-03-01 00:00:00.000000", orders=((2, 365 * DAY), (0, None)))


def _from_customers_probe_first(sql: str) -> bool:
    return sql.startswith('SELECT\n  "c"."member_id" AS "member_id"\nFROM "customers" AS "c"\nWHERE\n  NOT EXISTS(')


def test_ratio_is_probes_and_the_orders_they_keep_over_every_order() -> None:
    assert RECENT.probe_first_ratio(60 * DAY) == pytest.approx(3 * PROBE_COST / 100)
    assert LAPSED_SHOP.probe_first_ratio(60 * DAY) == pytest.approx((2 * PROBE_COST + 2) / 2)
    # A window longer than a customer's lapse counts the customer as kept out by the probe.
    assert LAPSED_SHOP.probe_first_ratio(400 * DAY) == pytest.approx(2 * PROBE_COST / 2)
    assert StoreStats(reference="x", orders=()).probe_first_ratio(DAY) is None
    assert StoreStats(reference="x", orders=((0, None),)).probe_first_ratio(DAY) is None


def test_statistics_choose_the_probe_first_only_where_estimated_cheaper() -> None:
    plain = compile_sql(LAPSED, dialect="sqlite", cache=False).sql
    assert not _from_customers_probe_first(plain)
    assert compile_sql(LAPSED, dialect="sqlite", stats=LAPSED_SHOP, cache=False).sql == plain
    probed = compile_sql(LAPSED, dialect="sqlite", stats=RECENT, cache=False).sql
    assert _from_customers_probe_first(probed)
    assert probed.index("NOT EXISTS") < probed.index("COUNT(*)")
    # The same statistics always give the same SQL, and the compile cache keys on them.
    assert compile_sql(LAPSED, dialect="sqlite", stats=RECENT).sql == probed
    assert compile_sql(LAPSED, dialect="sqlite", stats=LAPSED_SHOP).sql == plain
    # Engines that do not choose from statistics ignore them.
    assert compile_sql(LAPSED, dialect="duckdb", stats=RECENT).sql == compile_sql(LAPSED, dialect="duckdb").sql


@pytest.mark.parametrize("segment", [
    "order(status = paid).count >= 3 and no order(ordered_at within last 60d and status = paid)",  # more than time
    "order(status = paid).count >= 3 and no order(ordered_at < 60d ago)",  # not up to now
    "order(product = 42) and no order(ordered_at within last 60d)",  # a selective driver reads few rows
    "no order(ordered_at within last 60d)",  # nothing to drive
    "order(status = paid).count >= 3 and no cart(added_at within last 60d)",  # not orders
])
def test_probe_first_only_for_a_recent_order_window_after_an_unselective_pass(segment: str) -> None:
    assert not _from_customers_probe_first(compile_sql(segment, dialect="sqlite", stats=RECENT, cache=False).sql)


def test_probe_first_gives_the_same_customers(sqlite_shop: Engine) -> None:
    ctx = CONTEXTS["seoul_march"]
    for segment in (LAPSED, "order().count >= 1 and no order(ordered_at within last 30d) and cart()"):
        expected = run_sql(sqlite_shop, segment, ctx, verify=False)
        probed = compile_sql(segment, dialect="sqlite", stats=RECENT, cache=False)
        assert _from_customers_probe_first(probed.sql)
        with sqlite_shop.connect() as conn:
            got = sorted(str(m) for m in conn.execute(probed.statement(ctx)).scalars())
        assert got == expected, segment


def _customer(i: int, orders: int, days_ago: int) -> tuple[r.Customer, list[r.Order]]:
    from datetime import UTC, datetime, timedelta

    last = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days_ago)
    placed = [r.Order(order_id=f"o{i}-{k}", member_id=f"m{i}", ordered_at=last - timedelta(days=k), status="paid",
                      paid_amount=Decimal(1), order_amount=Decimal(1),
                      shipping_fee=Decimal(0)) for k in range(orders)]
    return r.Customer(member_id=f"m{i}"), placed


def test_store_statistics_are_sampled_cached_and_gathered_again_when_rows_are_added(tmp_path: Path) -> None:
    engine = canonical_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    gathering.clear()
    people = [_customer(i, 10, 1) for i in range(20)] + [_customer(20 + i, 1, 200) for i in range(20)]
    write_shop(engine, r.ShopData(customers=tuple(c for c, _ in people),
                                  orders=tuple(o for _, placed in people for o in placed)))
    found = gathering.store_stats(engine)
    assert found is not None
    assert len(found.orders) == 40
    assert sorted(count for count, _ in found.orders) == [1] * 20 + [10] * 20
    assert found.probe_first_ratio(60 * DAY) == pytest.approx((40 * PROBE_COST + 20) / 220)
    assert gathering.store_stats(engine) is found  # cached while the data is unchanged
    assert _from_customers_probe_first(compile_for_engine(engine, LAPSED).sql)
    later, _ = _customer(99, 0, 0)
    write_shop(engine, r.ShopData(customers=(later,)))
    again = gathering.store_stats(engine)
    assert again is not None
    assert again is not found
    assert len(again.orders) == 41
    engine.dispose()


def test_no_statistics_where_they_cannot_be_read(tmp_path: Path, duckdb_shop: Engine) -> None:
    engine = canonical_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    mapping = SchemaMapping(tables={"customers": TableMapping(table="nowhere")})
    assert gathering.store_stats(engine, mapping) is None  # a missing table
    assert gathering.store_stats(duckdb_shop) is None  # not SQLite
    engine.dispose()


CROSS_SELL = "order(product = 42 and ordered_at within last 30d) and no order(product = 43)"


def _probed_per_candidate(sql: str) -> bool:
    return 'NOT EXISTS(' in sql and 'CASE WHEN "el"."product_no" = :p2 THEN TRUE END' in sql


@pytest.mark.parametrize(("lines", "probed"), [
    (((42, 354), (43, 4423)), True),  # the heavy shop: few candidates, B's lines many
    (((42, 30989), (43, 9403)), False),  # the demo shop: B's key set is cheaper
    (((42, 10),), True),  # B's lines not counted: the probe, as without statistics
    ((), True),
])
def test_cross_sell_probes_per_candidate_unless_the_other_products_lines_are_fewer(
    lines: tuple[tuple[int, int], ...], probed: bool, sqlite_shop: Engine
) -> None:
    stats = StoreStats(reference="2025-03-01 00:00:00.000000", orders=((1, 0),), product_lines=lines)
    compiled = compile_sql(CROSS_SELL, dialect="sqlite", stats=stats, cache=False)
    assert _probed_per_candidate(compiled.sql) == probed
    assert ('NOT "c"."member_id" IN' in compiled.sql) == (not probed)
    assert _probed_per_candidate(compile_sql(CROSS_SELL, dialect="sqlite", cache=False).sql)
    ctx = CONTEXTS["seoul_march"]
    with sqlite_shop.connect() as conn:
        got = sorted(str(m) for m in conn.execute(compiled.statement(ctx)).scalars())
    assert got == run_sql(sqlite_shop, CROSS_SELL, ctx, verify=False)


def test_products_named_and_their_lines_counted(tmp_path: Path) -> None:
    assert gathering.named_products(check(CROSS_SELL).ir) == (42, 43)
    assert gathering.named_products(check("cart(product = 17) and order(product in [1, 2])").ir) == (1, 2)
    engine = canonical_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    gathering.clear()
    customer, placed = _customer(1, 3, 1)
    items = tuple(r.OrderItem(order_item_code=f"i{k}", order_id=o.order_id, product_no=42 if k else 43, quantity=1,
                              price=Decimal(1), option_price=Decimal(0)) for k, o in enumerate(placed))
    write_shop(engine, r.ShopData(customers=(customer,), orders=tuple(placed), order_items=items))
    found = gathering.store_stats(engine, products=(43, 42, 7))
    assert found is not None
    assert found.product_lines == ((7, 0), (42, 2), (43, 1))
    assert found.lines((42, 43)) == 3
    assert found.lines((42, 99)) is None
    engine.dispose()


def test_in_memory_stores_have_statistics_of_their_own() -> None:
    """Every in-memory SQLite database has the URL ``sqlite://``: two of them, with as many rows, are
    still two stores."""
    gathering.clear()
    first, second = canonical_engine("sqlite://"), canonical_engine("sqlite://")
    for engine, days in ((first, 1), (second, 300)):
        customer, placed = _customer(1, 2, days)
        write_shop(engine, r.ShopData(customers=(customer,), orders=tuple(placed)))
    ages = []
    for engine in (first, second):
        found = gathering.store_stats(engine)
        assert found is not None
        ages.append(found.reference)
    assert ages[0] != ages[1]
    first.dispose()
    second.dispose()


EXPIRING = "coupon(expires_at within next 1d)"
NEXT_DAY = ("coupon", "expires_at", 0, DAY)


def _ranged(rows: int, table_rows: int, customers: int, capped: bool = False) -> StoreStats:
    return StoreStats(reference="2025-03-01 00:00:00.000000", orders=((1, 0),),
                      ranges=(RangeRows(*NEXT_DAY, rows=rows, table_rows=table_rows, customers=customers,
                                        capped=capped),))


def _from_customers_exists(sql: str) -> bool:
    return sql.startswith('SELECT\n  "c"."member_id" AS "member_id"\nFROM "customers" AS "c"\nWHERE\n  EXISTS(')


@pytest.mark.parametrize(("rows", "table_rows", "customers", "capped", "probed"), [
    (101_255, 798_808, 100_000, False, True),  # the recent shop: a day of expiries is 13% of the coupons
    (50_581, 798_808, 100_000, False, False),  # its next 12 hours: the range was 1.5x faster
    (7_033, 301_573, 100_000, False, False),  # the dense shop
    (0, 10, 10, False, False),  # an empty range
    (5, 10, 10, True, True),  # counting stopped where the count could no longer change the choice
])
def test_a_short_range_is_probed_per_customer_where_it_holds_many_rows(
        rows: int, table_rows: int, customers: int, capped: bool, probed: bool) -> None:
    stats = _ranged(rows, table_rows, customers, capped)
    assert stats.exists_rather_than_range(*NEXT_DAY) == probed
    assert not stats.exists_rather_than_range("coupon", "expires_at", 0, DAY // 2)  # not counted
    sql = compile_sql(EXPIRING, dialect="sqlite", stats=stats, cache=False).sql
    assert _from_customers_exists(sql) == probed
    if probed:
        assert '"cc"."expires_at" >= :now\n' in sql  # the held coupons' bound and the range's, written once
    # Not for a test that is not a lone presence test on the range.
    for other in ("no coupon(expires_at within next 1d)", "coupon(expires_at within next 1d).count >= 2",
                  "coupon(expires_at within next 1d) and order()"):
        assert not _from_customers_exists(compile_sql(other, dialect="sqlite", stats=stats, cache=False).sql)
    duckdb = compile_sql(EXPIRING, dialect="duckdb", cache=False).sql
    assert compile_sql(EXPIRING, dialect="duckdb", stats=stats, cache=False).sql == duckdb


def test_a_short_range_probed_per_customer_gives_the_same_customers(sqlite_shop: Engine) -> None:
    compiled = compile_sql(EXPIRING, dialect="sqlite", stats=_ranged(1, 1, 1, capped=True), cache=False)
    assert _from_customers_exists(compiled.sql)
    for ctx in CONTEXTS.values():
        with sqlite_shop.connect() as conn:
            got = sorted(str(m) for m in conn.execute(compiled.statement(ctx)).scalars())
        assert got == run_sql(sqlite_shop, EXPIRING, ctx, verify=False)


def test_short_ranges_named_and_their_rows_counted_up_to_the_cap(tmp_path: Path) -> None:
    from datetime import timedelta

    assert gathering.named_ranges(check(EXPIRING).ir) == (NEXT_DAY,)
    assert gathering.named_ranges(check("coupon(expires_at within next 12h) or coupon()").ir) == (
        ("coupon", "expires_at", 0, DAY // 2),)
    assert gathering.named_ranges(check("coupon(expires_at within next 30d)").ir) == ()  # not short
    engine = canonical_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    gathering.clear()
    customer, placed = _customer(1, 1, 0)
    now = placed[0].ordered_at  # the statistics' reference: the latest order
    hours = [1, 2, 30, -5]  # two within the next day from the reference
    coupons = tuple(r.CustomerCoupon(id=k, member_id="m1", coupon_no="C", issued_at=now - timedelta(days=1),
                                     expires_at=now + timedelta(hours=h)) for k, h in enumerate(hours))
    others = tuple(r.Customer(member_id=f"x{i}") for i in range(29))
    write_shop(engine, r.ShopData(customers=(customer, *others), orders=tuple(placed),
                                  coupons=(r.Coupon(coupon_no="C", name="c", issue_type="x"),),
                                  customer_coupons=coupons))
    found = gathering.store_stats(engine, ranges=(NEXT_DAY,))
    assert found is not None
    assert range_cap(4, 30) == 5
    assert found.ranges == (RangeRows(*NEXT_DAY, rows=2, table_rows=4, customers=30),)
    assert gathering.store_stats(engine, ranges=(NEXT_DAY,)) == found  # cached
    write_shop(engine, r.ShopData(customers=(r.Customer(member_id="y"),)))
    again = gathering.store_stats(engine, ranges=(NEXT_DAY,))
    assert again is not None
    assert again.ranges == (RangeRows(*NEXT_DAY, rows=2, table_rows=4, customers=31),)  # counted again
    engine.dispose()
