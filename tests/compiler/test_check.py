"""What the checker produces: names resolved, sugar removed, time bounds symbolic."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import cafehub
from cafehub import api
from cafehub.compiler import ir
from cafehub.compiler.catalog import FIELDS, AggregateFunc, Collection
from cafehub.diagnostics import SegmentError
from cafehub.grammar.syntax import CmpOp

ORDER = FIELDS[Collection.ORDER]
CART = FIELDS[Collection.CART]
COUPON = FIELDS[Collection.COUPON]


def where(text: str) -> ir.Node:
    node = api.check(text).ir
    if isinstance(node, ir.Not):
        node = node.operand
    assert isinstance(node, ir.Exists)
    assert node.where is not None
    return node.where


def day(d: date) -> ir.DayStart:
    return ir.DayStart(day=d)


def test_calendar_day_comparisons_use_whole_days() -> None:
    at = ORDER["ordered_at"]
    jan1, jan2 = day(date(2025, 1, 1)), day(date(2025, 1, 2))
    cases = {
        "=": ir.TimeRange(operand=at, lower=ir.TimeBound(jan1, True), upper=ir.TimeBound(jan2, False)),
        "!=": ir.TimeRange(operand=at, lower=ir.TimeBound(jan1, True), upper=ir.TimeBound(jan2, False), negated=True),
        "<": ir.TimeRange(operand=at, lower=None, upper=ir.TimeBound(jan1, False)),
        "<=": ir.TimeRange(operand=at, lower=None, upper=ir.TimeBound(jan2, False)),
        ">": ir.TimeRange(operand=at, lower=ir.TimeBound(jan2, True), upper=None),
        ">=": ir.TimeRange(operand=at, lower=ir.TimeBound(jan1, True), upper=None),
    }
    for op, expected in cases.items():
        assert where(f"order(ordered_at {op} 2025-01-01)") == expected, op


def test_between_dates_covers_the_whole_last_day() -> None:
    assert where("order(ordered_at between 2025-01-01 and 2025-01-31)") == ir.TimeRange(
        operand=ORDER["ordered_at"],
        lower=ir.TimeBound(day(date(2025, 1, 1)), True),
        upper=ir.TimeBound(day(date(2025, 2, 1)), False),
    )


def test_within_is_inclusive_relative_to_now() -> None:
    assert where("order(ordered_at within last 3d)") == ir.TimeRange(
        operand=ORDER["ordered_at"],
        lower=ir.TimeBound(ir.NowOffset(-3 * 86400), True),
        upper=ir.TimeBound(ir.NowOffset(0), True),
    )
    assert where("coupon(expires_at within next 12h)") == ir.TimeRange(
        operand=COUPON["expires_at"],
        lower=ir.TimeBound(ir.NowOffset(0), True),
        upper=ir.TimeBound(ir.NowOffset(12 * 3600), True),
    )


def test_today_and_yesterday_are_relative_days() -> None:
    assert where("order(ordered_at = yesterday)") == ir.TimeRange(
        operand=ORDER["ordered_at"],
        lower=ir.TimeBound(ir.DayStart(relative_days=-1), True),
        upper=ir.TimeBound(ir.DayStart(relative_days=0), False),
    )


def test_datetimes_with_and_without_offset() -> None:
    assert where("order(ordered_at >= 2025-01-01T09:00)") == ir.TimeRange(
        operand=ORDER["ordered_at"], lower=ir.TimeBound(ir.WallClock(datetime(2025, 1, 1, 9)), True), upper=None
    )
    tz = timezone(timedelta(hours=9))
    assert where("order(ordered_at >= 2025-01-01T09:00+09:00)") == ir.TimeRange(
        operand=ORDER["ordered_at"],
        lower=ir.TimeBound(ir.Instant(datetime(2025, 1, 1, 9, tzinfo=tz)), True),
        upper=None,
    )


def test_set_fields_become_any_of() -> None:
    assert where("order(product = 42)") == ir.AnyOf(field=ORDER["product"], values=(42,), negated=False)
    assert where("order(product != 42)") == ir.AnyOf(field=ORDER["product"], values=(42,), negated=True)
    assert where("order(payment_method not in [card, tcash, card])") == ir.AnyOf(
        field=ORDER["payment_method"], values=("card", "tcash"), negated=True
    )


def test_numeric_between_and_money_values() -> None:
    assert where("cart(price between 10 and 12.50)") == ir.And(items=(
        ir.Compare(operand=CART["price"], op=CmpOp.GE, value=10),
        ir.Compare(operand=CART["price"], op=CmpOp.LE, value=Decimal("12.50")),
    ))


def test_no_becomes_not_exists_and_enums_are_canonical() -> None:
    node = api.check("NO ORDER(status = Paid)").ir
    assert node == ir.Not(operand=ir.Exists(
        collection=Collection.ORDER,
        where=ir.Compare(operand=ORDER["status"], op=CmpOp.EQ, value="paid"),
    ))


def test_measures_carry_their_result_type() -> None:
    node = api.check("cart(quantity > 1).avg(price) >= 1000.5").ir
    assert isinstance(node, ir.Compare)
    agg = node.operand
    assert isinstance(agg, ir.Aggregate)
    assert agg.func is AggregateFunc.AVG
    assert agg.type.kind.value == "money"
    assert node.value == Decimal("1000.5")


def test_timestamp_in_list_is_a_union_of_days() -> None:
    node = where("order(ordered_at in [2025-01-01, 2025-03-01])")
    assert isinstance(node, ir.Or)
    assert len(node.items) == 2
    negated = where("order(ordered_at not in [2025-01-01, 2025-03-01])")
    assert isinstance(negated, ir.And)
    assert all(isinstance(i, ir.TimeRange) and i.negated for i in negated.items)


def test_all_errors_are_reported_at_once() -> None:
    with pytest.raises(SegmentError) as info:
        api.check("order(status = payed) and cart(qty > 1) and coupon(name = 3) and order().sum(status) > 1")
    assert info.value.codes == ["E0203", "E0202", "E0301", "E0303"]


def test_windows_straddling_now_are_fine() -> None:
    api.check("order(ordered_at >= 90d ago) and coupon(expires_at <= 3d from now)")
    api.check("order(ordered_at between 3d ago and now) and coupon(expires_at between now and 2d from now)")
    api.check("order(ordered_at >= today) and coupon(expires_at <= today)")


def test_warnings_depend_on_the_options() -> None:
    text = "cart(added_at < 10d ago)"
    assert [w.code for w in api.check(text).warnings] == ["W0602"]
    assert api.check(text, options=cafehub.CheckOptions(cart_retention_days=30)).warnings == ()
    old = "order(ordered_at < 2024-06-01)"
    assert api.check(old).warnings == ()
    assert [w.code for w in api.check(old, options=cafehub.CheckOptions(history_start=date(2024, 7, 1))).warnings] == [
        "W0601"
    ]


def test_checking_a_tree_built_in_code_points_into_its_canonical_text() -> None:
    tree = api.from_json({"version": 1, "segment": {"type": "exists", "collection": "cart", "condition": {
        "type": "compare", "subject": {"type": "field", "name": "prodcut"}, "op": "=",
        "value": {"type": "int", "value": 1}}}})
    with pytest.raises(SegmentError) as info:
        api.check(tree)
    assert info.value.source == "cart(prodcut = 1)"
    assert "did you mean 'product'" in str(info.value)
