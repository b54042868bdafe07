"""The shipping ETA planner: the guide's Monday/Thursday/Friday example and its properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cafehub.runtime.rules.eta import ItemReadiness, item_readiness, plan_eta, plan_shipments, split_applies
from cafehub.runtime.settings import SplitShipping
from cafehub.runtime.snapshots import StockFact, WmsFacts

from .builders import item, order

MONDAY = date(2025, 3, 3)
TUESDAY, THURSDAY, FRIDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=3), MONDAY + timedelta(days=4)
SPLIT = SplitShipping(enabled=True, base_days=3, min_amount=Decimal(0))


def ready(code: str, day: date | None, in_stock: bool = False) -> ItemReadiness:
    return ItemReadiness(order_item_code=code, in_stock=in_stock, ready=day)


def test_the_guides_example_b_restocks_thursday_so_both_ship_thursday() -> None:
    shipments, window_end = plan_shipments([ready("A", TUESDAY, True), ready("B", THURSDAY)], MONDAY, split=True,
                                           base_days=3)
    assert window_end == THURSDAY
    assert [(s.ships_on, s.item_codes) for s in shipments] == [(THURSDAY, ("A", "B"))]


def test_the_guides_example_b_restocks_friday_so_a_ships_first() -> None:
    shipments, _ = plan_shipments([ready("A", TUESDAY, True), ready("B", FRIDAY)], MONDAY, split=True, base_days=3)
    assert [(s.ships_on, s.item_codes) for s in shipments] == [(TUESDAY, ("A",)), (FRIDAY, ("B",))]


def test_without_split_shipping_everything_waits_for_the_last_item() -> None:
    shipments, window_end = plan_shipments([ready("A", TUESDAY, True), ready("B", FRIDAY)], MONDAY, split=False,
                                           base_days=3)
    assert window_end is None
    assert [(s.ships_on, s.item_codes) for s in shipments] == [(FRIDAY, ("A", "B"))]


def test_an_unknown_restock_date_makes_the_shipment_undated() -> None:
    shipments, _ = plan_shipments([ready("A", TUESDAY, True), ready("B", None)], MONDAY, split=False, base_days=3)
    assert [(s.ships_on, s.item_codes) for s in shipments] == [(None, ("A", "B"))]
    shipments, _ = plan_shipments([ready("A", TUESDAY, True), ready("B", None)], MONDAY, split=True, base_days=3)
    assert [(s.ships_on, s.item_codes) for s in shipments] == [(TUESDAY, ("A",)), (None, ("B",))]


def test_readiness_from_the_warehouse() -> None:
    wms = WmsFacts(dispatch_date=TUESDAY, stock={
        "VA": StockFact(on_hand=5), "VB": StockFact(on_hand=0, restock_date=FRIDAY),
        "VC": StockFact(on_hand=1, restock_date=None), "VD": StockFact(on_hand=0, restock_date=MONDAY)})
    got = {code: item_readiness(item(code, variant=code, quantity=2), wms, TUESDAY)
           for code in ("VA", "VB", "VC", "VD", "VX")}
    assert (got["VA"].in_stock, got["VA"].ready) == (True, TUESDAY)
    assert (got["VB"].in_stock, got["VB"].ready) == (False, FRIDAY)
    assert (got["VC"].in_stock, got["VC"].ready) == (False, None)  # one unit on hand, two ordered
    assert got["VD"].ready == TUESDAY  # a restock date already past counts as today
    assert (got["VX"].in_stock, got["VX"].ready) == (False, None)  # unknown to the warehouse


def test_split_shipping_needs_the_minimum_amount() -> None:
    rule = SplitShipping(enabled=True, base_days=3, min_amount=Decimal(30000))
    assert split_applies(rule, Decimal(30000))
    assert not split_applies(rule, Decimal(29999))
    assert not split_applies(SplitShipping(enabled=False), Decimal(10**9))
    wms = WmsFacts(dispatch_date=TUESDAY, stock={"VA": StockFact(on_hand=9),
                                                 "VB": StockFact(on_hand=0, restock_date=FRIDAY)})
    small = order(item("A", variant="VA", price=10000), item("B", variant="VB", price=10000))
    plan = plan_eta(small, small.items, wms, rule, MONDAY, MONDAY)
    assert not plan.split
    assert [s.ships_on for s in plan.shipments] == [FRIDAY]
    big = order(item("A", variant="VA", price=20000), item("B", variant="VB", price=20000))
    plan = plan_eta(big, big.items, wms, rule, MONDAY, MONDAY)
    assert plan.split
    assert [s.ships_on for s in plan.shipments] == [TUESDAY, FRIDAY]


days = st.one_of(st.none(), st.integers(min_value=0, max_value=20).map(lambda n: MONDAY + timedelta(days=n)))
readiness_lists = st.lists(days, min_size=1, max_size=8).map(
    lambda ds: [ready(f"I{n}", d) for n, d in enumerate(ds)])


@given(readiness_lists, st.booleans(), st.integers(min_value=0, max_value=10))
def test_no_item_ships_before_it_is_ready_and_every_item_ships_once(items: list[ItemReadiness], split: bool,
                                                                    base_days: int) -> None:
    shipments, _ = plan_shipments(items, MONDAY, split=split, base_days=base_days)
    placed = [code for s in shipments for code in s.item_codes]
    assert sorted(placed) == sorted(i.order_item_code for i in items)
    by_code = {i.order_item_code: i.ready for i in items}
    for s in shipments:
        for code in s.item_codes:
            ready_on = by_code[code]
            assert s.ships_on is None or (ready_on is not None and s.ships_on >= ready_on)
    assert len({s.ships_on for s in shipments}) == len(shipments)  # one shipment per day


@given(readiness_lists, st.integers(min_value=0, max_value=10))
def test_with_split_shipping_items_ready_in_the_window_ship_together(items: list[ItemReadiness],
                                                                     base_days: int) -> None:
    shipments, window_end = plan_shipments(items, MONDAY, split=True, base_days=base_days)
    assert window_end == MONDAY + timedelta(days=base_days)
    inside = {i.order_item_code for i in items if i.ready is not None and i.ready <= window_end}
    if inside:
        first = shipments[0]
        assert inside <= set(first.item_codes)
        if len(inside) < len(items):
            assert set(first.item_codes) == inside
            assert first.ships_on == max(i.ready for i in items if i.order_item_code in inside)  # type: ignore[type-var]
    later = [s for s in shipments if not inside or not set(s.item_codes) & inside]
    for s in later:  # each later item ships on its own ready date
        assert all(i.ready == s.ships_on for i in items if i.order_item_code in s.item_codes)


@given(readiness_lists, st.integers(min_value=0, max_value=10))
def test_without_split_shipping_one_shipment_on_the_latest_date(items: list[ItemReadiness], base_days: int) -> None:
    shipments, _ = plan_shipments(items, MONDAY, split=False, base_days=base_days)
    assert len(shipments) == 1
    dates = [i.ready for i in items]
    expected = None if None in dates else max(d for d in dates if d is not None)
    assert shipments[0].ships_on == expected
