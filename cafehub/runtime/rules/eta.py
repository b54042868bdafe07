"""The shipping ETA planner (with a warehouse only).

Each item waiting to ship has a ready date: in stock (units on hand cover
its quantity) → the warehouse's dispatch date; out of stock → its restock
date, or unknown when none is registered. A date already past counts as
today (the warehouse has not caught up).

Split shipping applies when the hub enables it and the order paid at least
``min_amount``. Its window ends ``base_days`` after the order day (the
order day itself is not counted). If every item is ready within the
window, everything ships together on the latest ready date; otherwise the
items ready within the window ship together first, and each later item
ships on its own ready date (items sharing a date share a shipment; items
with no known date come last, undated). Without split shipping everything
ships together on the latest ready date (unknown if any date is unknown).

The guide's example: base 3 days, a Monday order, A in stock and B
restocking Thursday → A and B ship Thursday; B restocking Friday → A ships
first and B on Friday.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from cafehub.runtime.settings import SplitShipping
from cafehub.runtime.snapshots import ItemSnapshot, OrderSnapshot, Snapshot, WmsFacts


class ItemReadiness(Snapshot):
    order_item_code: str
    in_stock: bool
    #: ``None``: unknown (out of stock with no restock date, or no dispatch date from the warehouse).
    ready: date | None


class PlannedShipment(Snapshot):
    #: ``None``: the date is not known yet.
    ships_on: date | None
    item_codes: tuple[str, ...]


class EtaPlan(Snapshot):
    order_id: str
    split: bool
    window_end: date | None
    items: tuple[ItemReadiness, ...]
    shipments: tuple[PlannedShipment, ...]


def item_readiness(item: ItemSnapshot, wms: WmsFacts, today: date) -> ItemReadiness:
    """When one item is ready to leave the warehouse."""
    fact = wms.stock.get(item.variant_code or "")
    in_stock = fact is not None and fact.on_hand >= item.quantity
    if in_stock:
        ready = wms.dispatch_date
    else:
        ready = fact.restock_date if fact is not None else None
    return ItemReadiness(order_item_code=item.order_item_code, in_stock=in_stock,
                         ready=None if ready is None else max(ready, today))


def split_applies(split: SplitShipping, paid_amount: object) -> bool:
    """Split shipping is on and the order paid at least the minimum."""
    return split.enabled and paid_amount >= split.min_amount  # type: ignore[operator]


def plan_shipments(
    items: Sequence[ItemReadiness], order_day: date, *, split: bool, base_days: int
) -> tuple[tuple[PlannedShipment, ...], date | None]:
    """The shipments of ``items`` and the end of the split window (``None`` without split shipping)."""
    if not items:
        return (), None
    if not split:
        return (_together(items),), None
    window_end = order_day + timedelta(days=base_days)
    inside = [i for i in items if i.ready is not None and i.ready <= window_end]
    if len(inside) == len(items):
        return (_together(items),), window_end
    shipments = [_together(inside)] if inside else []
    later_dates = sorted({i.ready for i in items if i.ready is not None and i.ready > window_end})
    for day in later_dates:
        shipments.append(PlannedShipment(ships_on=day, item_codes=tuple(
            i.order_item_code for i in items if i.ready == day)))
    undated = tuple(i.order_item_code for i in items if i.ready is None)
    if undated:
        shipments.append(PlannedShipment(ships_on=None, item_codes=undated))
    return tuple(shipments), window_end


def _together(items: Sequence[ItemReadiness]) -> PlannedShipment:
    dates = [i.ready for i in items]
    ships_on = None if any(d is None for d in dates) else max(d for d in dates if d is not None)
    return PlannedShipment(ships_on=ships_on, item_codes=tuple(i.order_item_code for i in items))


def plan_eta(
    order: OrderSnapshot, waiting: Sequence[ItemSnapshot], wms: WmsFacts, split: SplitShipping,
    order_day: date, today: date,
) -> EtaPlan:
    """The ETA plan of the ``waiting`` items of ``order``."""
    readiness = tuple(item_readiness(i, wms, today) for i in waiting)
    applies = split_applies(split, order.payment_amount)
    shipments, window_end = plan_shipments(readiness, order_day, split=applies, base_days=split.base_days)
    return EtaPlan(order_id=order.order_id, split=applies, window_end=window_end, items=readiness,
                   shipments=shipments)
