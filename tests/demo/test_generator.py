"""The demo-shop generator: reproducible, and its shops hold together like a real shop's data."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cafehub.compiler.catalog import ENUMS
from cafehub.demo import catalog
from cafehub.demo.generator import DemoSettings, _coupon_value, generate, generate_shop
from cafehub.store import records as r
from cafehub.store.engines import open_engine
from cafehub.store.formats import SPEC_BY_NAME
from cafehub.store.io import create_schema, read_shop, write_shop
from cafehub.store.load import dump_directory, load_directory

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 12, 1, 12, 0, tzinfo=SEOUL)
NOW_UTC = NOW.astimezone(UTC).replace(tzinfo=None)
HISTORY = datetime(2023, 12, 31, 15, 0)  # 2024-01-01 00:00 in Seoul, as naive UTC
DISCOUNT_METHODS = {"point", "pointfy", "market_discount"}


@pytest.fixture(scope="module")
def shop() -> r.ShopData:
    return generate_shop(DemoSettings(customers=2_000, seed=7, now=NOW))


def digest(data: r.ShopData) -> str:
    return hashlib.sha256(repr(data).encode()).hexdigest()


# ---------------------------------------------------------------- reproducibility


def test_same_settings_same_shop_and_another_seed_another_shop() -> None:
    settings = DemoSettings(customers=300, seed=1, now=NOW)
    assert generate_shop(settings) == generate_shop(settings)
    assert generate_shop(DemoSettings(customers=300, seed=2, now=NOW)) != generate_shop(settings)


def test_chunking_does_not_change_the_rows() -> None:
    whole = generate_shop(DemoSettings(customers=250, seed=3, now=NOW, chunk=1_000))
    assert generate_shop(DemoSettings(customers=250, seed=3, now=NOW, chunk=7)) == whole
    chunks = list(generate(DemoSettings(customers=250, seed=3, now=NOW, chunk=100)))
    assert [len(c.customers) for c in chunks] == [100, 100, 50]
    assert [len(c.coupons) for c in chunks] == [len(catalog.COUPONS), 0, 0]


def test_reproducible_across_processes_whatever_the_hash_seed() -> None:
    """String hashing differs between processes; the shop must not."""
    code = (
        "import hashlib; from datetime import datetime; from zoneinfo import ZoneInfo;"
        "from cafehub.demo.generator import DemoSettings, generate_shop;"
        "now = datetime(2025, 12, 1, 12, 0, tzinfo=ZoneInfo('Asia/Seoul'));"
        "print(hashlib.sha256(repr(generate_shop(DemoSettings(customers=200, seed=5, now=now))).encode()).hexdigest())"
    )
    here = digest(generate_shop(DemoSettings(customers=200, seed=5, now=NOW)))
    for hash_seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
            env={"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == here


def test_an_empty_shop_still_has_its_coupon_definitions() -> None:
    data = generate_shop(DemoSettings(customers=0, now=NOW))
    assert len(data.coupons) == len(catalog.COUPONS)
    assert data.count() == len(catalog.COUPONS)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="now must carry"):
        DemoSettings(now=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="before the order history starts"):
        DemoSettings(now=datetime(2023, 6, 1, tzinfo=UTC))


# ---------------------------------------------------------------- keys and references


def test_keys_are_unique_and_references_resolve(shop: r.ShopData) -> None:
    for name, rows in shop.tables().items():
        keys = [SPEC_BY_NAME[name].key_of(row) for row in rows]
        assert len(keys) == len(set(keys)), name
    members = {c.member_id for c in shop.customers}
    coupons = {c.coupon_no for c in shop.coupons}
    orders = {o.order_id for o in shop.orders}
    assert {h.member_id for h in shop.customer_coupons} <= members
    assert {h.coupon_no for h in shop.customer_coupons} <= coupons
    assert {i.member_id for i in shop.cart_items} <= members
    assert {o.member_id for o in shop.orders} - {None} <= members
    assert {i.order_id for i in shop.order_items} == orders  # every order has items
    assert {p.order_id for p in shop.order_payments} == orders  # and a payment method


def test_the_loader_accepts_the_generated_shop(tmp_path: Path) -> None:
    """Every generated value is one the loader's validation lets through, and dump/load round-trips it."""
    data = generate_shop(DemoSettings(customers=300, seed=11, now=NOW))
    engine = open_engine(f"sqlite:///{tmp_path / 'a.db'}")
    create_schema(engine)
    write_shop(engine, data)
    dump_directory(engine, tmp_path / "dump")
    stored = read_shop(engine)
    load_directory(engine, tmp_path / "dump", replace=True)
    assert read_shop(engine) == stored
    assert stored.count() == data.count()
    engine.dispose()


# ---------------------------------------------------------------- money


def test_order_amount_is_the_sum_of_its_items(shop: r.ShopData) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for item in shop.order_items:
        totals[item.order_id] += (item.price + item.option_price) * item.quantity
        assert item.price > 0
        assert item.option_price >= 0
        assert item.quantity >= 1
    assert all(o.order_amount == totals[o.order_id] for o in shop.orders)


def test_paid_amount_is_items_plus_shipping_minus_discounts(shop: r.ShopData) -> None:
    methods: dict[str, set[str]] = defaultdict(set)
    for payment in shop.order_payments:
        methods[payment.order_id].add(payment.payment_method)
    used: dict[tuple[str, datetime], list[str]] = defaultdict(list)
    for held in shop.customer_coupons:
        if held.used_at is not None:
            used[(held.member_id, held.used_at)].append(held.coupon_no)
    checked_coupon_orders = 0
    for order in shop.orders:
        total = order.order_amount + order.shipping_fee
        discount = total - order.paid_amount
        assert Decimal(0) <= order.paid_amount <= total
        coupons = used.get((order.member_id, order.ordered_at), []) if order.member_id else []
        assert len(coupons) <= 1, "one coupon per order"
        if not coupons and not methods[order.order_id] & DISCOUNT_METHODS:
            assert discount == 0, order
        elif coupons and not methods[order.order_id] & DISCOUNT_METHODS:
            value = _coupon_value(catalog.COUPON_BY_NO[coupons[0]], int(order.order_amount))
            assert discount == min(value, total), order
            checked_coupon_orders += 1
        else:
            assert discount > 0 or order.paid_amount == 0
    assert checked_coupon_orders > 100


def test_shipping_is_free_from_the_threshold(shop: r.ShopData) -> None:
    for order in shop.orders:
        base = 0 if order.order_amount >= catalog.FREE_SHIPPING_FROM else catalog.SHIPPING_FEE
        assert order.shipping_fee in (base, base + catalog.REMOTE_SURCHARGE)


# ---------------------------------------------------------------- time


def test_everything_happens_by_now_and_orders_after_the_history_start(shop: r.ShopData) -> None:
    assert all(HISTORY <= o.ordered_at <= NOW_UTC for o in shop.orders)
    assert all(c.joined_at is None or c.joined_at <= NOW_UTC for c in shop.customers)
    for held in shop.customer_coupons:
        assert held.issued_at <= NOW_UTC
        assert held.issued_at < held.expires_at
        assert held.used_at is None or held.issued_at <= held.used_at <= min(held.expires_at, NOW_UTC)


def test_used_coupons_were_used_on_one_of_the_members_orders(shop: r.ShopData) -> None:
    order_times = {(o.member_id, o.ordered_at) for o in shop.orders}
    assert all((h.member_id, h.used_at) in order_times for h in shop.customer_coupons if h.used_at)


def test_carts_hold_recent_items_and_some_abandoned_old_ones(shop: r.ShopData) -> None:
    retention = NOW_UTC - timedelta(days=7)
    ages = [NOW_UTC - item.added_at for item in shop.cart_items]
    assert all(timedelta(0) <= age <= timedelta(days=30) for age in ages)
    recent = [i for i in shop.cart_items if i.added_at >= retention]
    assert len(recent) > 100
    assert len(shop.cart_items) - len(recent) > 30
    per_member = Counter(i.member_id for i in recent)
    assert max(per_member.values()) >= 3  # some carts with several products


def test_statuses_fit_the_order_age(shop: r.ShopData) -> None:
    for order in shop.orders:
        age = NOW_UTC - order.ordered_at
        if order.status == "pending":
            assert age < timedelta(days=3)
        if order.status in ("returned", "refunded"):
            assert age > timedelta(days=7)


def test_seasons_show_peaks_and_lulls(shop: r.ShopData) -> None:
    """Against the neighbouring months (the member base grows, so compare like with like)."""
    per_month = Counter(((o.ordered_at + timedelta(hours=9)).year, (o.ordered_at + timedelta(hours=9)).month)
                        for o in shop.orders)  # fmt: skip
    assert per_month[2024, 11] > 1.5 * per_month[2024, 10]  # November sales
    assert per_month[2024, 7] > 1.5 * per_month[2024, 6]  # the summer sale
    assert per_month[2025, 2] < min(per_month[2025, 1], per_month[2025, 3])  # the February lull


# ---------------------------------------------------------------- variety


def test_every_status_method_and_issue_type_appears(shop: r.ShopData) -> None:
    issue_type = {c.coupon_no: c.issue_type for c in shop.coupons}
    assert {issue_type[h.coupon_no] for h in shop.customer_coupons} == set(ENUMS["issue_type"])
    assert {p.payment_method for p in shop.order_payments} == set(ENUMS["payment_method"])
    assert {o.status for o in shop.orders} == set(ENUMS["status"])


def test_the_shop_has_the_customers_a_real_shop_has(shop: r.ShopData) -> None:
    orders_of = Counter(o.member_id for o in shop.orders if o.member_id)
    last_order: dict[str, datetime] = {}
    for order in shop.orders:
        if order.member_id:
            last_order[order.member_id] = max(last_order.get(order.member_id, order.ordered_at), order.ordered_at)
    assert sum(1 for o in shop.orders if o.member_id is None) > 50  # guest orders
    assert sum(1 for n in orders_of.values() if n >= 3) > 200  # repeat buyers
    assert sum(1 for n in orders_of.values() if n >= 15) > 10  # VIPs
    assert len(shop.customers) - len(orders_of) > 300  # members who never ordered
    lapsed = [m for m, t in last_order.items() if NOW_UTC - t > timedelta(days=180) and orders_of[m] >= 2]
    assert len(lapsed) > 50
    by_order: dict[str, set[str]] = defaultdict(set)
    for payment in shop.order_payments:
        by_order[payment.order_id].add(payment.payment_method)
    assert sum(1 for m in by_order.values() if {"point", "card"} <= m) > 20  # points + card


def test_coupons_are_held_used_and_expired(shop: r.ShopData) -> None:
    held = [h for h in shop.customer_coupons if h.used_at is None and h.expires_at >= NOW_UTC]
    used = [h for h in shop.customer_coupons if h.used_at is not None]
    expired = [h for h in shop.customer_coupons if h.used_at is None and h.expires_at < NOW_UTC]
    assert len(held) > 300
    assert len(used) > 300
    assert len(expired) > 1_000


def test_people_look_real_but_contacts_are_fake(shop: r.ShopData) -> None:
    names = [c.name or "" for c in shop.customers]
    assert any("\uac00" <= ch <= "\ud7a3" for n in names for ch in n)  # Hangul
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for n in names for ch in n)  # Japanese
    assert any(n.isascii() and " " in n for n in names)  # English
    emails = [c.email for c in shop.customers if c.email]
    assert all("***@" in e and e.split("@")[1] in catalog.EMAIL_DOMAINS for e in emails)
    phones = [c.cellphone for c in shop.customers if c.cellphone]
    assert all("***" in p for p in phones)
    assert any(c.member_id.endswith(("@k", "@n")) for c in shop.customers)  # social logins
