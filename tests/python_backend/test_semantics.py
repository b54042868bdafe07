"""The semantics decisions, case by case, on the predicate backend and the reference evaluator.

Each case states what the language says a segment selects on a tiny shop;
both implementations must select exactly that. Times in rows are naive UTC,
as stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import cafehub
from cafehub.compiler.backends.python import compile_predicate
from cafehub.compiler.evaluation import EvalContext
from cafehub.execution.python import customers_from_shop
from cafehub.grammar.literals import quote_string
from cafehub.store import records as rec
from cafehub.testing.reference import reference_ids

NOW = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
SEOUL = EvalContext(now=NOW, zone=ZoneInfo("Asia/Seoul"))
TICK = timedelta(microseconds=1)


def naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def order(oid: str, member: str | None, at: datetime, status: str = "paid", paid: str = "10.00") -> rec.Order:
    return rec.Order(order_id=oid, member_id=member, ordered_at=naive(at), status=status,
                     paid_amount=Decimal(paid), order_amount=Decimal(paid), shipping_fee=Decimal(0))


def shop(members: list[str], **tables: tuple[object, ...]) -> rec.ShopData:
    return rec.ShopData(customers=tuple(rec.Customer(m) for m in members), **tables)  # type: ignore[arg-type]


def selects(segment: str, data: rec.ShopData, ctx: EvalContext) -> list[str]:
    """The ids both implementations select; they must agree."""
    checked = cafehub.check(segment)
    predicate = compile_predicate(checked).select(customers_from_shop(data), ctx)
    assert predicate == reference_ids(checked, data, ctx)
    return predicate


# ---------------------------------------------------------------- windows and time


def test_within_last_includes_both_ends_and_nothing_after_now() -> None:
    at = {"edge": NOW - timedelta(days=3), "before": NOW - timedelta(days=3) - TICK, "now": NOW, "after": NOW + TICK}
    data = shop(list(at), orders=tuple(order(f"o-{k}", k, t) for k, t in at.items()))
    assert selects("order(ordered_at within last 3d)", data, SEOUL) == ["edge", "now"]


def test_a_date_is_the_whole_day_in_the_shop_zone_even_when_it_has_23_hours() -> None:
    # 2025-03-09 in New York runs from 05:00 UTC to 04:00 UTC the next day (23 hours).
    ctx = EvalContext(now=datetime(2025, 3, 20, tzinfo=UTC), zone=ZoneInfo("America/New_York"))
    at = {
        "first": datetime(2025, 3, 9, 5, 0, tzinfo=UTC),
        "last": datetime(2025, 3, 10, 4, 0, tzinfo=UTC) - TICK,
        "next": datetime(2025, 3, 10, 4, 0, tzinfo=UTC),
        "before": datetime(2025, 3, 9, 5, 0, tzinfo=UTC) - TICK,
    }
    data = shop(list(at), orders=tuple(order(f"o-{k}", k, t) for k, t in at.items()))
    assert selects("order(ordered_at = 2025-03-09)", data, ctx) == ["first", "last"]
    assert selects("order(ordered_at <= 2025-03-09)", data, ctx) == ["before", "first", "last"]
    assert selects("order(ordered_at > 2025-03-09)", data, ctx) == ["next"]
    assert selects("order(ordered_at != 2025-03-09)", data, ctx) == ["before", "next"]


def test_today_starts_at_the_first_instant_of_a_day_whose_midnight_does_not_exist() -> None:
    # Santiago skipped 2024-09-08 00:00 -> 01:00; the day starts at 04:00 UTC.
    ctx = EvalContext(now=datetime(2024, 9, 8, 12, 0, tzinfo=UTC), zone=ZoneInfo("America/Santiago"))
    start = datetime(2024, 9, 8, 4, 0, tzinfo=UTC)
    data = shop(["in", "out"], orders=(order("a", "in", start), order("b", "out", start - TICK)))
    assert selects("order(ordered_at = today)", data, ctx) == ["in"]
    assert selects("order(ordered_at = yesterday)", data, ctx) == ["out"]


def test_a_wall_clock_time_is_read_in_the_shop_zone_at_the_first_of_two_repeated_hours() -> None:
    # 2025-11-02 01:30 happens twice in New York; fold=0 is 05:30 UTC (still EDT).
    ctx = EvalContext(now=datetime(2025, 11, 10, tzinfo=UTC), zone=ZoneInfo("America/New_York"))
    first = datetime(2025, 11, 2, 5, 30, tzinfo=UTC)
    later = first + timedelta(hours=1)
    data = shop(["first", "second"], orders=(order("a", "first", first), order("b", "second", later)))
    assert selects("order(ordered_at = 2025-11-02T01:30)", data, ctx) == ["first"]
    assert selects("order(ordered_at = 2025-11-02T01:30-05:00)", data, ctx) == ["second"]


def test_durations_are_fixed_lengths_across_a_dst_change() -> None:
    # 1d ago is exactly 86400 s before now, not "the same wall-clock time yesterday".
    ctx = EvalContext(now=datetime(2025, 3, 10, 4, 30, tzinfo=UTC), zone=ZoneInfo("America/New_York"))
    exact = ctx.now_utc - timedelta(days=1)
    data = shop(["exact", "wall"], orders=(order("a", "exact", exact), order("b", "wall", exact + timedelta(hours=1))))
    assert selects("order(ordered_at = 1d ago)", data, ctx) == ["exact"]


# ---------------------------------------------------------------- collection scoping


def test_orders_count_from_the_first_instant_of_the_history_day_in_the_shop_zone() -> None:
    ctx = EvalContext(now=NOW, zone=ZoneInfo("Asia/Seoul"), history_start=date(2024, 6, 1))
    start = datetime(2024, 5, 31, 15, 0, tzinfo=UTC)  # 2024-06-01 00:00 in Seoul
    data = shop(["at", "before", "guest"], orders=(
        order("a", "at", start), order("b", "before", start - TICK), order("g", None, start),
    ))
    assert selects("order()", data, ctx) == ["at"]
    assert selects("no order()", data, ctx) == ["before", "guest"]


def test_cart_items_are_kept_for_exactly_the_retention() -> None:
    ctx = EvalContext(now=NOW, cart_retention_days=7)
    def item(i: int, member: str, at: datetime) -> rec.CartItem:
        return rec.CartItem(id=i, member_id=member, product_no=17, quantity=1, price=Decimal("1.00"),
                            option_price=Decimal(0), added_at=naive(at))
    data = shop(["edge", "old", "future"], cart_items=(
        item(1, "edge", NOW - timedelta(days=7)), item(2, "old", NOW - timedelta(days=7) - TICK),
        item(3, "future", NOW + TICK),
    ))
    assert selects("cart(product = 17)", data, ctx) == ["edge"]
    assert selects("cart().count = 0", data, ctx) == ["future", "old"]


def coupon_shop() -> rec.ShopData:
    def issued(i: int, member: str, no: str, issued: datetime, expires: datetime,
               used: datetime | None = None) -> rec.CustomerCoupon:
        return rec.CustomerCoupon(id=i, member_id=member, coupon_no=no, issued_at=naive(issued),
                                  expires_at=naive(expires), used_at=naive(used) if used else None)
    day = timedelta(days=1)
    return shop(
        ["held", "expiring_now", "used", "expired", "not_yet", "undefined"],
        coupons=(rec.Coupon("C1", "Welcome 10%", "signup"),),
        customer_coupons=(
            issued(1, "held", "C1", NOW - day, NOW + day),
            issued(2, "expiring_now", "C1", NOW, NOW),
            issued(3, "used", "C1", NOW - day, NOW + day, used=NOW - day),
            issued(4, "expired", "C1", NOW - day, NOW - TICK),
            issued(5, "not_yet", "C1", NOW + TICK, NOW + day),
            issued(6, "undefined", "C9", NOW - day, NOW + day),
        ),
    )


def test_a_held_coupon_is_issued_unused_and_not_expired_at_now() -> None:
    assert selects("coupon()", coupon_shop(), SEOUL) == ["expiring_now", "held", "undefined"]


def test_a_coupon_without_a_definition_has_null_name_and_issue_type() -> None:
    data = coupon_shop()
    assert selects('coupon(name != "x")', data, SEOUL) == ["expiring_now", "held"]
    assert selects('coupon(not (name = "x"))', data, SEOUL) == ["expiring_now", "held"]
    assert selects("coupon(issue_type not in [review])", data, SEOUL) == ["expiring_now", "held"]
    assert selects('coupon(name not contains "zzz")', data, SEOUL) == ["expiring_now", "held"]
    assert selects('coupon(coupon_no = "C9")', data, SEOUL) == ["undefined"]
    # Not unknown is unknown, so the row does not count either way.
    assert selects('coupon(not (name contains "" or coupon_no = "nope"))', data, SEOUL) == []
    assert selects("coupon().count_distinct(name) = 0", data, SEOUL) == ["expired", "not_yet", "undefined", "used"]


# ---------------------------------------------------------------- set-valued fields


def test_set_fields_mean_some_element_and_negations_mean_none() -> None:
    at = NOW - timedelta(days=1)
    data = shop(
        ["bare", "both", "other"],
        orders=(order("o1", "bare", at), order("o2", "both", at), order("o3", "other", at)),
        order_items=(
            rec.OrderItem("i1", "o2", 42, 1, Decimal(1), Decimal(0)),
            rec.OrderItem("i2", "o2", 43, 1, Decimal(1), Decimal(0)),
            rec.OrderItem("i3", "o3", 43, 1, Decimal(1), Decimal(0)),
        ),
        order_payments=(rec.OrderPayment("o2", "card"), rec.OrderPayment("o3", "cash")),
    )
    assert selects("order(product = 42)", data, SEOUL) == ["both"]
    assert selects("order(product != 42)", data, SEOUL) == ["bare", "other"]
    assert selects("order(not (product = 42))", data, SEOUL) == ["bare", "other"]
    assert selects("order(product not in [42, 43])", data, SEOUL) == ["bare"]
    assert selects("order(payment_method != card)", data, SEOUL) == ["bare", "other"]
    assert selects("order().count_distinct(product) = 2", data, SEOUL) == ["both"]


# ---------------------------------------------------------------- aggregates


def test_aggregates_over_no_rows() -> None:
    data = shop(["none", "one"], orders=(order("o1", "one", NOW - timedelta(days=1), paid="5.00"),))
    assert selects("order().count = 0", data, SEOUL) == ["none"]
    assert selects("order().sum(paid_amount) = 0", data, SEOUL) == ["none"]
    assert selects("order().count_distinct(status) = 0", data, SEOUL) == ["none"]
    # avg/min/max of nothing are null: every test on them is false, and its negation true.
    assert selects("order().avg(paid_amount) != 1", data, SEOUL) == ["one"]
    assert selects("order().max(ordered_at) not in [now]", data, SEOUL) == ["one"]
    assert selects("order().min(ordered_at) != today", data, SEOUL) == ["one"]
    assert selects("not order().avg(paid_amount) = 5", data, SEOUL) == ["none"]
    assert selects("not order().max(ordered_at) < 60d ago", data, SEOUL) == ["none", "one"]


def test_avg_is_an_exact_fraction() -> None:
    at = NOW - timedelta(days=1)
    data = shop(["m"], orders=tuple(order(f"o{i}", "m", at, paid=p) for i, p in enumerate(("0.01", "0.01", "0.02"))))
    # avg = 0.04 / 3 = 0.013333...
    assert selects("order().avg(paid_amount) > 0.013333", data, SEOUL) == ["m"]
    assert selects("order().avg(paid_amount) < 0.013334", data, SEOUL) == ["m"]
    assert selects("order().avg(paid_amount) in [0.013333, 0.013334]", data, SEOUL) == []


def test_min_and_max_pick_the_right_row() -> None:
    rows = [("o1", NOW - timedelta(days=1), "30.00"), ("o2", NOW - timedelta(days=10), "5.00"),
            ("o3", NOW - timedelta(days=4), "12.50")]
    data = shop(["m"], orders=tuple(order(oid, "m", at, paid=paid) for oid, at, paid in rows))
    assert selects("order().min(ordered_at) < 5d ago", data, SEOUL) == ["m"]
    assert selects("order().max(ordered_at) < 5d ago", data, SEOUL) == []
    assert selects("order().max(ordered_at) within last 2d", data, SEOUL) == ["m"]
    assert selects("order().min(paid_amount) = 5", data, SEOUL) == ["m"]
    assert selects("order().max(paid_amount) = 30", data, SEOUL) == ["m"]
    assert selects("order(ordered_at within last 5d).min(paid_amount) = 12.5", data, SEOUL) == ["m"]


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        # quantities 1, 2 and 2: avg = 5/3, compared as 5 * q op p * 3 for a literal p/q
        ("cart().avg(quantity) > 1.66", ["m"]), ("cart().avg(quantity) < 1.67", ["m"]),
        ("cart().avg(quantity) = 1.66", []), ("cart().avg(quantity) != 1.67", ["m"]),
        ("cart().avg(quantity) >= 2", []), ("cart().avg(quantity) <= 1", []),
        # prices 0.10, 0.15 and 0.15 per unit: avg = 0.40 / 3
        ("cart().avg(price) > 0.1333", ["m"]), ("cart().avg(price) < 0.1334", ["m"]),
        ("cart().avg(price) = 0.13", []), ("not cart().avg(price) = 0.13", ["m"]),
        ("cart(quantity = 2).avg(price) = 0.15", ["m"]), ("cart(quantity > 2).avg(price) != 0.15", []),
    ],
)
def test_avg_comparisons_are_exact_without_dividing(segment: str, expected: list[str]) -> None:
    added = naive(NOW - timedelta(hours=1))
    data = shop(["m"], cart_items=tuple(
        rec.CartItem(id=i, member_id="m", product_no=i, quantity=q, price=Decimal(p), option_price=Decimal(0),
                     added_at=added)
        for i, (q, p) in enumerate([(1, "0.10"), (2, "0.15"), (2, "0.15")], start=1)
    ))
    assert selects(segment, data, SEOUL) == expected


def test_money_is_exact_in_amounts_and_sums() -> None:
    data = shop(["m"], cart_items=tuple(
        rec.CartItem(id=i, member_id="m", product_no=i, quantity=3, price=Decimal("0.10"),
                     option_price=Decimal("0.20"), added_at=naive(NOW - timedelta(hours=1)))
        for i in range(1, 11)
    ))
    assert selects("cart(amount = 0.9)", data, SEOUL) == ["m"]
    assert selects("cart().sum(amount) = 9", data, SEOUL) == ["m"]
    assert selects("cart().avg(price) = 0.1", data, SEOUL) == ["m"]


# ---------------------------------------------------------------- strings


@pytest.mark.parametrize(
    ("needle", "expected"),
    [("%", ["pct"]), ("_", ["under"]), ("\\", ["slash"]), ("'", ["quote"]), ('"', ["dquote"]),
     ("", ["dquote", "pct", "plain", "quote", "slash", "under"]), ("A", [])],
)
def test_contains_is_a_literal_case_sensitive_substring_test(needle: str, expected: list[str]) -> None:
    names = {"pct": "50%off", "under": "a_b", "slash": "a\\b", "quote": "O'Reilly", "dquote": 'say "hi"',
             "plain": "abc"}
    data = shop(
        list(names),
        coupons=tuple(rec.Coupon(f"C-{k}", v, "signup") for k, v in names.items()),
        customer_coupons=tuple(
            rec.CustomerCoupon(id=i, member_id=k, coupon_no=f"C-{k}", issued_at=naive(NOW - timedelta(days=1)),
                               expires_at=naive(NOW + timedelta(days=1)))
            for i, k in enumerate(names)
        ),
    )
    assert selects(f"coupon(name contains {quote_string(needle)})", data, SEOUL) == expected


def test_string_and_enum_equality_is_exact() -> None:
    at = NOW - timedelta(days=1)
    data = shop(["exact", "upper", "padded"], orders=(
        order("o1", "exact", at, status="paid"), order("o2", "upper", at, status="Paid"),
        order("o3", "padded", at, status="paid "),
    ))
    assert selects("order(status = paid)", data, SEOUL) == ["exact"]
    assert selects("order(status in [paid, pending])", data, SEOUL) == ["exact"]
    assert selects("order(status != paid)", data, SEOUL) == ["padded", "upper"]


def test_results_are_sorted_by_code_point() -> None:
    members = ["😀", "é", "Z", "a", "ｍ", "e\u0301"]
    assert selects("no order()", shop(members), SEOUL) == sorted(members)
