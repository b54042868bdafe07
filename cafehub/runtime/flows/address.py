"""``/address``: change the delivery address of a whole order, or say exactly why not.

Pick an order (those whose status shows the mall's address-change button)
→ the guide's refusals are checked with Cafe24's shipments and, with a
warehouse, its packing and invoices → the new address (Cafe24's field
limits, normalised phone numbers) → refused if it changes the shipping fee
→ summary → confirm → ``PUT /orders/{id}/receivers``.
"""

from __future__ import annotations

from cafehub.connectors.cafe24 import writes
from cafehub.runtime.executor import Check, WriteFailed, WriteRefused
from cafehub.runtime.flows.context import Context
from cafehub.runtime.result import StepResult
from cafehub.runtime.rules.address import (
    FIELD_LIMITS,
    AddressRefusal,
    NewAddress,
    address_refusal,
    check_address,
    new_address_refusal,
)
from cafehub.runtime.rules.eligibility import LIST_LIMIT
from cafehub.runtime.snapshots import OrderSnapshot, WmsFacts

FIELDS = tuple((name, FIELD_LIMITS[name][1], FIELD_LIMITS[name][0] > 0)
               for name in ("name", "zipcode", "address1", "address2", "cellphone"))


def _first_look(ctx: Context, order: OrderSnapshot) -> bool:
    """Worth offering: the status has the button and the order ships to one address (no calls needed)."""
    return address_refusal(order, ctx.mall, None) not in (AddressRefusal.NO_BUTTON, AddressRefusal.SEVERAL_ADDRESSES)


def _full_look(ctx: Context, order: OrderSnapshot) -> AddressRefusal | None:
    """Every refusal that does not depend on the new address, with Cafe24's shipments and the warehouse."""
    refusal = address_refusal(order, ctx.mall, None)
    if refusal is not None:
        return refusal
    shipments = tuple(ctx.reader.shipments(order.order_id))
    wms = ctx.reader.packing_and_invoices(order.order_id) if ctx.hub.wms != "none" else WmsFacts()
    return address_refusal(order.model_copy(update={"shipments": shipments}), ctx.mall, wms)


def run(ctx: Context) -> StepResult:
    answers = ctx.answers
    if answers.order is None:
        found = ctx.reader.orders(ctx.identity, ctx.today, want=lambda o: _first_look(ctx, o))
        candidates = [o for o in found if _first_look(ctx, o)][:LIST_LIMIT]
        if not candidates:
            return ctx.refused("address.none", "not_eligible")
        return ctx.choose_order("address.pick_order", candidates, "address.choose_order")
    order = ctx.reader.order(ctx.identity, answers.order)
    if order is None:
        return ctx.refused("common.order_not_found", "not_found")
    refusal = _full_look(ctx, order)
    if refusal is not None:
        return ctx.refused(f"address.refused.{refusal.value}", refusal.value)
    current = order.receivers[0] if order.receivers else None
    if answers.address is None:
        block = ctx.text("address.current", address=_one_line(current.zipcode, current.address1, current.address2)
                         ) if current else ctx.text("address.question_hint")
        return ctx.ask_fields("address.question", "address", FIELDS, {}, block)
    given = dict(answers.address)
    if current is not None and not given.get("name"):
        given["name"] = current.name
    new, problems = check_address(given, ctx.hub.country)
    if new is None:
        text = {name: ctx.t(f"field.problem.{problem.value}") for name, problem in problems.items()}
        return ctx.ask_fields("address.question", "address", FIELDS, text)
    if new_address_refusal(order, new.zipcode, ctx.hub.country, ctx.mall.surcharges, ctx.table) is not None:
        return ctx.refused("address.refused.fee_changes", AddressRefusal.FEE_CHANGES.value)
    if answers.confirm is None:
        return ctx.confirm("address.summary", ctx.text("address.new", address=_address_text(new)),
                           order_id=order.order_id)
    if answers.confirm is False:
        return ctx.done("common.stopped", reason="stopped")
    return _execute(ctx, order, new)


def _one_line(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _address_text(new: NewAddress) -> str:
    return _one_line(new.zipcode, new.address1, new.address2, new.name)


def _execute(ctx: Context, order: OrderSnapshot, new: NewAddress) -> StepResult:
    changes = {k: v for k, v in new.model_dump().items() if v or k in ("address2",)}

    def check() -> Check:
        fresh = ctx.reader.order(ctx.identity, order.order_id)
        if fresh is None or _full_look(ctx, fresh) is not None:
            if fresh is not None and fresh.receivers and all(
                    getattr(fresh.receivers[0], k) == v for k, v in changes.items()):
                return "already"
            return "refused"
        if new_address_refusal(fresh, new.zipcode, ctx.hub.country, ctx.mall.surcharges, ctx.table):
            return "refused"
        return "allowed"

    def send() -> str | None:
        writes.update_receivers(ctx.reader.cafe24, order.order_id, changes)
        return None

    try:
        outcome = ctx.executor.perform(action="address", order_id=order.order_id, payload=changes,
                                       check=check, write=send, read_at=ctx.now)
    except WriteRefused:
        return ctx.refused("address.no_longer", "not_eligible")
    except WriteFailed:
        return ctx.failed()
    if outcome.status == "in_progress":
        return ctx.done("common.in_progress", outcome=outcome, reason="in_progress")
    return ctx.done("address.done", outcome=outcome, order_id=order.order_id)
