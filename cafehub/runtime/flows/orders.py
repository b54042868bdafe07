"""``/orders``: the latest 5 orders; with ``order`` answered, that order's details.

Details show each item and its state, the shipping ETA (only with a
warehouse, for items still preparing to ship), and the cancel and
return/exchange actions where the mall's request rules allow them.
"""

from __future__ import annotations

from cafehub.runtime.flows import eta
from cafehub.runtime.flows.context import Context
from cafehub.runtime.messages.model import Button
from cafehub.runtime.result import StepResult
from cafehub.runtime.rules.eligibility import LIST_LIMIT, claim_eligibility
from cafehub.runtime.settings import ClaimKind, CommandName
from cafehub.runtime.snapshots import OrderSnapshot


def actions(ctx: Context, order: OrderSnapshot) -> list[Button]:
    """Buttons for what the customer may do with ``order`` now."""
    out = []
    if ctx.hub.enabled(CommandName.CANCEL) and claim_eligibility(
            order, ClaimKind.CANCEL, ctx.mall, ctx.today, ctx.zone).eligible:
        out.append(ctx.button("orders.action.cancel", {"order": order.order_id}, command=CommandName.CANCEL,
                              style="danger"))
    if ctx.hub.enabled(CommandName.RETURN) and any(
            claim_eligibility(order, kind, ctx.mall, ctx.today, ctx.zone).eligible
            for kind in (ClaimKind.RETURN, ClaimKind.EXCHANGE)):
        out.append(ctx.button("orders.action.return", {"order": order.order_id}, command=CommandName.RETURN))
    return out


def run(ctx: Context) -> StepResult:
    if ctx.answers.order is None:
        orders = ctx.reader.orders(ctx.identity, ctx.today)[:LIST_LIMIT]
        if not orders:
            return ctx.done("orders.none", reason="no_orders")
        blocks = [ctx.order_block(o, buttons=[ctx.button("orders.details", {"order": o.order_id})])
                  for o in orders]
        return ctx.done("orders.title", *blocks)
    order = ctx.reader.order(ctx.identity, ctx.answers.order)
    if order is None:
        return ctx.refused("common.order_not_found", "not_found")
    notes: dict[str, str] = {}
    lines: list[str] = []
    if ctx.hub.wms != "none" and eta.waiting_items(order):
        plan = eta.plans(ctx, [order])[order.order_id]
        notes, lines = eta.eta_lines(ctx, order, plan)
    block = ctx.order_block(order, notes=notes, lines=lines, buttons=actions(ctx, order))
    return ctx.done("orders.detail", block, order_id=order.order_id)
