"""Sync over loopback HTTP: full equality, idempotence, incrementality, segments agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from cafehub.connectors.cafe24 import cancel_order, update_receivers
from cafehub.sandbox.state import Item, Order, Receiver
from cafehub.sandbox.testing import SandboxHandle, serve, shop, sqlite, store_tables, tables
from cafehub.store import records as r
from cafehub.sync.engine import Syncer, SyncOptions, SyncReport

SEGMENTS = (
    "order(status = paid).count >= 2",
    "order(status in [canceled, returned, refunded])",
    "coupon(issue_type in [signup, recurring, all_members])",
    "coupon(expires_at within next 30d)",
    "cart().sum(amount) >= 50000",
    "order(payment_method in [card, point] and ordered_at within last 365d)",
    "no order(status = pending)",
    "order().max(ordered_at) < 60d ago",
    "order(product = 7) and not order(product = 8)",
    "order().sum(paid_amount) >= 300000",
)


def sync(sb: SandboxHandle, target: Engine, **options: object) -> SyncReport:
    client = sb.client()
    try:
        return Syncer(client, target, SyncOptions(**options)).run()  # type: ignore[arg-type]
    finally:
        client.close()


def test_a_full_sync_equals_the_sandbox_shop_row_for_row(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        target = sqlite(tmp_path, "synced.db")
        report = sync(sb, target)
        assert store_tables(target) == tables(shop())
        assert report.rate_limited == 0
        assert report.rows > 250


@pytest.mark.parametrize("server", ["postgres", "mysql", "duckdb"])
def test_a_full_sync_into_every_engine_keeps_cafe24_size_numbers(
    tmp_path: Path, server: str, request: pytest.FixtureRequest
) -> None:
    if server == "duckdb":
        pytest.importorskip("duckdb_engine")
        url = f"duckdb:///{tmp_path / 'synced.duckdb'}"
    else:
        url = request.getfixturevalue(f"{server}_url")
    assert max(i.id for i in shop().customer_coupons) > 10**18  # 19-digit issue numbers, as Cafe24's
    target = create_engine(url)
    try:
        from cafehub.store import io as store_io
        from cafehub.sync.state import sync_metadata

        store_io.drop_schema(target)
        sync_metadata.drop_all(target)
        with serve(tmp_path) as sb:
            sync(sb, target)
            assert store_tables(target) == tables(shop())
            assert sync(sb, target).changed == 0
    finally:
        target.dispose()


def test_a_second_run_changes_nothing_and_reads_little(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        target = sqlite(tmp_path, "synced.db")
        first = sync(sb, target)
        second = sync(sb, target)
        assert second.changed == 0
        assert store_tables(target) == tables(shop())
        assert second.phases["orders"].rows < first.phases["orders"].rows / 5
        assert second.phases["customers"].rows == 0


def test_an_incremental_run_picks_up_every_kind_of_change(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        target = sqlite(tmp_path, "synced.db")
        sync(sb, target)
        shop_ = sb.sandbox.shop
        now = datetime.now(UTC).replace(tzinfo=None)
        client = sb.client()
        # a cancellation and an address change through the API
        victim = next(o for o in shop_.orders.values() if o.items and all(i.status == "N20" for i in o.items))
        cancel_order(client, victim.order_id)
        movable = next(o for o in shop_.orders.values() if o.items and all(i.status == "N10" for i in o.items))
        update_receivers(client, movable.order_id, {"address2": "B-101"})
        # a new member, a new order, a new and a used coupon issue, a changed cart (as the mall would)
        shop_.add_customer(r.Customer("m9999", "New Member", None, "new@example.com", now - timedelta(minutes=5)))
        fresh = Order("29991231-0000001", "m9999", now - timedelta(minutes=3), ["card"], Decimal(5000),
                      Decimal(5000), Decimal(0), Decimal(5000), Decimal(5000), Decimal(0),
                      pay_date=now - timedelta(minutes=2))
        fresh.items.append(Item("29991231-0000001-01", fresh.order_id, 1, 3, "X", 1, Decimal(5000), Decimal(0), "N10"))
        fresh.receivers.append(Receiver("D-29991231-0000001-00", fresh.order_id, "N", None, None, "04524", "a", "b"))
        shop_.add_order(fresh)
        coupon_no = next(iter(shop_.coupons))
        new_issue = max(i.id for rows in shop_.issues.values() for i in rows) + 7  # Cafe24 numbers count up
        shop_.add_issue(r.CustomerCoupon(new_issue, "m9999", coupon_no, now - timedelta(minutes=1),
                                         now + timedelta(days=7)))
        unused = next(i for rows in shop_.issues.values() for i in rows if i.used_at is None and i.expires_at > now)
        shop_.add_issue(replace(unused, used_at=now - timedelta(seconds=30)))
        member, cart = next((k, v) for k, v in shop_.carts.items() if v)
        shop_.carts[member] = cart[1:]

        report = sync(sb, target)
        got = store_tables(target)
        orders = {row[0]: row for row in got["orders"]}
        assert orders[victim.order_id][3] == "canceled"
        assert orders[victim.order_id][4] == Decimal("0.00")
        assert fresh.order_id in orders
        assert tuple(x[0] for x in got["customers"] if x[0] == "m9999") == ("m9999",)
        issues = {row[0]: row for row in got["customer_coupons"]}
        assert new_issue in issues
        assert issues[unused.id][5] is not None
        assert cart[0].id not in {row[0] for row in got["cart_items"]}
        assert report.phases["orders"].rows < 20
        assert sync(sb, target).changed == 0


def test_segments_give_the_same_members_on_the_synced_store(tmp_path: Path) -> None:
    run_sql = pytest.importorskip("cafehub.execution.sql").run_sql
    from cafehub.compiler.evaluation import EvalContext

    ctx = EvalContext(now=datetime.now(UTC))
    with serve(tmp_path) as sb:
        target = sqlite(tmp_path, "synced.db")
        sync(sb, target)
        sizes = []
        for segment in SEGMENTS:
            expected = run_sql(sb.engine, segment, ctx)
            assert run_sql(target, segment, ctx) == expected, segment
            sizes.append(len(expected))
        assert sum(1 for n in sizes if n > 0) >= len(SEGMENTS) - 2  # the segments are not vacuous


def test_a_coupon_given_back_by_a_cancellation_is_unused_after_an_incremental_run(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        shop_ = sb.sandbox.shop
        order = next(o for o in shop_.orders.values()
                     if o.member_id and o.items and all(i.status in {"N10", "N20"} for i in o.items))
        coupon_no = next(iter(shop_.coupons))
        issue_no = max(i.id for rows in shop_.issues.values() for i in rows) + 11
        used = r.CustomerCoupon(issue_no, order.member_id or "", coupon_no, order.ordered_at - timedelta(days=1),
                                order.ordered_at + timedelta(days=30), order.ordered_at)
        shop_.add_issue(used, related_order_id=order.order_id)  # the coupon was spent on this order
        target = sqlite(tmp_path, "synced.db")
        sync(sb, target)
        assert _used_at(target, issue_no) == order.ordered_at

        client = sb.client()
        cancel_order(client, order.order_id, recover_coupon=True)  # Cafe24 gives the coupon back
        assert client.coupon_issues(coupon_no, since_issue_no=issue_no - 1)[0].used_coupon == "F"
        client.close()

        report = sync(sb, target)  # incremental
        assert _used_at(target, issue_no) is None
        assert report.phases["orders"].changes.updated >= 2  # the order and the issue
        assert sync(sb, target).changed == 0


def _used_at(engine: Engine, issue_no: int) -> datetime | None:
    from sqlalchemy import select

    from cafehub.store import schema as s

    with engine.connect() as conn:
        query = select(s.customer_coupons.c.used_at).where(s.customer_coupons.c.id == issue_no)
        return conn.execute(query).scalar_one()  # type: ignore[no-any-return]


def test_members_are_paged_by_join_date_even_past_a_day_with_more_than_a_thousand_sign_ups(tmp_path: Path) -> None:
    base = shop()
    busy_day = datetime(2024, 5, 1, 1, 0)  # 10:00 in Seoul
    crowd = tuple(r.Customer(f"crowd{n:04d}", None, None, None, busy_day + timedelta(seconds=7 * n))
                  for n in range(1500))  # all on 2024-05-01, shop time
    data = replace(base, customers=base.customers + crowd)
    with serve(tmp_path, data) as sb:
        target = sqlite(tmp_path, "synced.db")
        first = sync(sb, target)
        got = store_tables(target)
        assert got["customers"] == tables(data)["customers"]
        assert first.phases["customers"].rows == len(data.customers)
        again = sync(sb, target)
        assert again.phases["customers"].rows == 0
        assert again.changed == 0
        # one more member joins on the last day seen: the next run finds exactly that one
        last_join = max(c.joined_at for c in data.customers if c.joined_at)
        sb.sandbox.shop.add_customer(r.Customer("latecomer", None, None, None, last_join + timedelta(seconds=1)))
        assert sync(sb, target).phases["customers"].rows == 1


def test_a_member_who_withdraws_is_forgotten_but_their_orders_stay(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        shop_ = sb.sandbox.shop
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        leaver = r.Customer("leaver01", "Ottoline Quaresma", "010-5551-0042", "ottoline.q@example.org",
                            now - timedelta(days=3))
        shop_.add_customer(leaver)
        shop_.carts["leaver01"] = [r.CartItem(990001, "leaver01", 7, 1, Decimal(9900), Decimal(0),
                                              now - timedelta(days=1))]
        coupon_no = next(iter(shop_.coupons))
        issue_no = max(i.id for rows in shop_.issues.values() for i in rows) + 5
        shop_.add_issue(r.CustomerCoupon(issue_no, "leaver01", coupon_no, now - timedelta(days=2),
                                         now + timedelta(days=28)))
        order = Order("29991230-0000009", "leaver01", now - timedelta(days=2), ["card"], Decimal(9900),
                      Decimal(9900), Decimal(0), Decimal(9900), Decimal(9900), Decimal(0),
                      pay_date=now - timedelta(days=2))
        order.items.append(Item("29991230-0000009-01", order.order_id, 1, 7, "X", 1, Decimal(9900), Decimal(0), "N40"))
        shop_.add_order(order)
        target = sqlite(tmp_path, "synced.db")
        sync(sb, target)
        held = store_tables(target)
        assert "leaver01" in {row[0] for row in held["customers"]}
        assert 990001 in {row[0] for row in held["cart_items"]}

        shop_.withdraw("leaver01", now)
        report = sync(sb, target)
        got = store_tables(target)
        assert "leaver01" not in {row[0] for row in got["customers"]}
        assert all(row[1] != "leaver01" for row in got["cart_items"])
        assert all(row[1] != "leaver01" for row in got["customer_coupons"])
        assert [row[1] for row in got["orders"] if row[0] == order.order_id] == ["leaver01"]  # history stays
        assert report.phases["carts"].changes.deleted == 3  # the member, the cart item, the coupon
        target.dispose()
        on_disk = (tmp_path / "synced.db").read_bytes()
        for value in ("Ottoline Quaresma", "010-5551-0042", "ottoline.q@example.org"):
            assert value.encode() not in on_disk  # not even in freed pages
        assert sync(sb, target).changed == 0
