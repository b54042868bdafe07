"""``/eta``: shipping dates of up to 5 orders preparing to ship (with a warehouse only)."""

from __future__ import annotations

from collections.abc import Sequence

from cafehub.runtime.flows.context import Context
from cafehub.runtime.result import StepResult
from cafehub.runtime.rules.eligibility import LIST_LIMIT, order_day
from cafehub.runtime.rules.eta import EtaPlan, plan_eta
from cafehub.runtime.snapshots import ItemSnapshot, OrderSnapshot, WmsFacts
from cafehub.runtime.statuses import PREPARING_CODES


def waiting_items(order: OrderSnapshot) -> list[ItemSnapshot]:
    """The items still in the warehouse (preparing to ship)."""
    return [i for i in order.items if i.status in PREPARING_CODES]


def plans(ctx: Context, orders: Sequence[OrderSnapshot]) -> dict[str, EtaPlan]:
    """ETA plans for ``orders``: one batched stock read and one batched dispatch-date read."""
    waiting = {o.order_id: waiting_items(o) for o in orders}
    waiting = {k: v for k, v in waiting.items() if v}
    if not waiting:
        return {}
    stock = ctx.reader.stock(i.variant_code or "" for items in waiting.values() for i in items)
    dispatch = ctx.reader.dispatch_dates(list(waiting))
    out = {}
    for order in orders:
        if order.order_id not in waiting:
            continue
        facts = WmsFacts(dispatch_date=dispatch.get(order.order_id), stock=stock)
        out[order.order_id] = plan_eta(order, waiting[order.order_id], facts, ctx.hub.split_shipping,
                                       order_day(order, ctx.zone), ctx.today)
    return out


def eta_lines(ctx: Context, order: OrderSnapshot, plan: EtaPlan) -> tuple[dict[str, str], list[str]]:
    """Per-item readiness notes and one line per planned shipment."""
    names = {i.order_item_code: i.product_name for i in order.items}
    notes: dict[str, str] = {}
    for item in plan.items:
        if item.in_stock:
            continue
        notes[item.order_item_code] = (ctx.t("eta.restock", date=ctx.fmt.short_day(item.ready)) if item.ready
                                       else ctx.t("eta.restock_unknown"))
    lines = []
    for shipment in plan.shipments:
        items = ", ".join(names[c] for c in shipment.item_codes)
        if shipment.ships_on is None:
            lines.append(ctx.t("eta.ships_unknown", items=items))
        else:
            lines.append(ctx.t("eta.ships_on", date=ctx.fmt.short_day(shipment.ships_on), items=items))
    if len(plan.shipments) > 1 and plan.window_end is not None:
        lines.append(ctx.t("eta.split_note", date=ctx.fmt.short_day(plan.window_end)))
    return notes, lines


def run(ctx: Context) -> StepResult:
    if ctx.answers.order is not None:
        order = ctx.reader.order(ctx.identity, ctx.answers.order)
        if order is None:
            return ctx.refused("common.order_not_found", "not_found")
        orders = [order] if waiting_items(order) else []
    else:
        found = ctx.reader.orders(ctx.identity, ctx.today, want=lambda o: bool(waiting_items(o)))
        orders = [o for o in found if waiting_items(o)][:LIST_LIMIT]
    if not orders:
        return ctx.done("eta.none", reason="no_orders")
    planned = plans(ctx, orders)
    blocks = []
    for order in orders:
        notes, lines = eta_lines(ctx, order, planned[order.order_id])
        blocks.append(ctx.order_block(order, items=waiting_items(order), notes=notes, lines=lines, total=False))
    return ctx.done("eta.title", *blocks)
