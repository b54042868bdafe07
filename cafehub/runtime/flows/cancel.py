"""``/cancel``: pick an order → whole or chosen items → refund account when staff pay into a bank →
reason → summary → confirm → the Cafe24 write → "cancelled as requested" or the failure hand-off.

Every step re-reads the order, so a status that changed meanwhile is seen;
the write itself re-reads once more under the order lock
(:class:`~cafehub.runtime.executor.Executor`).
"""

from __future__ import annotations

from collections.abc import Sequence

from cafehub.connectors.cafe24 import writes
from cafehub.connectors.cafe24.order_cancellation import create_order_cancellation
from cafehub.runtime.executor import Check, WriteFailed, WriteRefused
from cafehub.runtime.flows.common import (
    ask_account,
    ask_items,
    chosen_items,
    earlier_write,
    outcome_message,
    refund_account,
)
from cafehub.runtime.flows.context import Context
from cafehub.runtime.messages.model import OrderBlock
from cafehub.runtime.result import StepResult
from cafehub.runtime.rules.cancel import (
    CancelDecision,
    CancelMode,
    CancelReason,
    ItemQuantity,
    RefundRoute,
    decide_cancel,
)
from cafehub.runtime.rules.eligibility import claim_eligibility, claimable_orders
from cafehub.runtime.settings import ClaimKind
from cafehub.runtime.snapshots import OrderSnapshot

REASONS = [(r.value, f"cancel.reason.{r.value}") for r in CancelReason]


def _cancellable(ctx: Context, order: OrderSnapshot) -> bool:
    return claim_eligibility(order, ClaimKind.CANCEL, ctx.mall, ctx.today, ctx.zone).eligible


def run(ctx: Context) -> StepResult:
    answers = ctx.answers
    if answers.order is None:
        orders = ctx.reader.orders(ctx.identity, ctx.today, want=lambda o: _cancellable(ctx, o))
        candidates = claimable_orders(orders, [ClaimKind.CANCEL], ctx.mall, ctx.today, ctx.zone)
        if not candidates:
            return ctx.refused("cancel.none", "not_eligible")
        return ctx.choose_order("cancel.pick_order", candidates, "cancel.choose_order")
    order = ctx.reader.order(ctx.identity, answers.order)
    if order is None:
        return ctx.refused("common.order_not_found", "not_found")
    eligibility = claim_eligibility(order, ClaimKind.CANCEL, ctx.mall, ctx.today, ctx.zone)
    if not eligibility.eligible and answers.confirm:  # a confirmation repeated after the cancellation
        requested = all(i.status.startswith("C") and i.status < "C40" for i in order.items if i.status[0] == "C")
        earlier = earlier_write(ctx, order.order_id, ("cancel", "cancel_request"),
                                "requested" if requested else "completed")
        if earlier is not None:
            return outcome_message(ctx, earlier, "cancel.done", "cancel.requested")
    if not eligibility.eligible:
        why = eligibility.refusal.value if eligibility.refusal else "not_eligible"
        return ctx.refused("cancel.none", why, ctx.text(f"refusal.{why}"))
    eligible = eligibility.item_codes
    active = [i.order_item_code for i in order.items if not i.status.startswith("C")]
    chosen = _chosen(ctx, order, eligible, active)
    if isinstance(chosen, StepResult):
        return chosen
    reason = _reason(answers.reason)
    preview = decide_cancel(order, chosen, ctx.hub, ctx.mall, reason=reason or CancelReason.OTHER)
    account, problems = refund_account(ctx)
    if preview.needs_account and account is None:
        return ask_account(ctx, problems)
    if reason is None:
        return ctx.choose("cancel.reason_question", "reason", REASONS)
    decision = decide_cancel(order, chosen, ctx.hub, ctx.mall, reason=reason, account=account)
    if answers.confirm is None:
        return ctx.confirm("cancel.summary", _summary(ctx, order, decision, reason), order_id=order.order_id)
    if answers.confirm is False:
        return ctx.done("common.stopped", reason="stopped")
    return _execute(ctx, order, decision)


def _reason(value: str | None) -> CancelReason | None:
    try:
        return CancelReason(value) if value else None
    except ValueError:
        return None


def _chosen(ctx: Context, order: OrderSnapshot, eligible: Sequence[str], active: Sequence[str]
            ) -> list[ItemQuantity] | StepResult:
    """The items to cancel, or the question that asks for them."""
    whole_possible = set(eligible) == set(active)
    if len(eligible) == 1 and ctx.answers.items is None:
        item = order.item(eligible[0])
        assert item is not None
        return [ItemQuantity(order_item_code=item.order_item_code, quantity=item.quantity)]
    scope = ctx.answers.scope
    if scope == "whole" and whole_possible:
        return [ItemQuantity(order_item_code=i.order_item_code, quantity=i.quantity)
                for i in order.items if i.order_item_code in eligible]
    if scope is None and ctx.answers.items is None and whole_possible:
        return ctx.choose("cancel.scope_question", "scope",
                          [("whole", "cancel.scope.whole"), ("items", "cancel.scope.items")],
                          ctx.order_block(order))
    if ctx.answers.items is None:
        return ask_items(ctx, "cancel.pick_items", order, eligible, retry=False)
    chosen = chosen_items(ctx, order, eligible, partial_quantities=True)
    if chosen is None:
        return ask_items(ctx, "cancel.pick_items", order, eligible, retry=True)
    return chosen


def _summary(ctx: Context, order: OrderSnapshot, decision: CancelDecision, reason: CancelReason) -> OrderBlock:
    picked = {c.order_item_code: c.quantity for c in decision.write.items}
    items = [i for i in order.items if i.order_item_code in picked]
    lines = [ctx.t(f"refund.{decision.route.value}")]
    account = decision.write.refund_account
    if account is not None:
        lines.append(ctx.t("account.summary", tail=account.account_no.replace("-", "")[-4:]))
    lines.append(ctx.t("common.reason_line", reason=ctx.t(f"cancel.reason.{reason.value}")))
    return ctx.order_block(order, items=items, quantities=picked, lines=lines, total=False)


def _execute(ctx: Context, order: OrderSnapshot, decision: CancelDecision) -> StepResult:
    write = decision.write
    codes = {c.order_item_code for c in write.items}
    complete = decision.mode.mode is CancelMode.COMPLETE

    def check() -> Check:
        fresh = ctx.reader.order(ctx.identity, order.order_id)
        if fresh is None:
            return "refused"
        statuses = {i.order_item_code: i.status for i in fresh.items if i.order_item_code in codes}
        if len(statuses) == len(codes) and all(s.startswith("C") and s not in ("C11",) for s in statuses.values()):
            return "already"
        allowed = set(claim_eligibility(fresh, ClaimKind.CANCEL, ctx.mall, ctx.today, ctx.zone).item_codes)
        return "allowed" if codes <= allowed else "refused"

    def send() -> str | None:
        items = [writes.ItemQuantity(c.order_item_code, c.quantity) for c in write.items]
        account = (writes.RefundAccount(write.refund_account.bank_code, write.refund_account.account_no,
                                        write.refund_account.holder) if write.refund_account else None)
        if complete:
            done = create_order_cancellation(
                ctx.reader.cafe24, order.order_id, items, status="canceled",
                payment_gateway_cancel=write.payment_gateway_cancel, recover_inventory=write.recover_inventory,
                recover_coupon=write.recover_coupon, refund_method_codes=write.refund_method_codes,
                reason=write.reason, reason_type=write.reason_type, refund_account=account)
            return done.claim_code
        writes.request_cancellation(ctx.reader.cafe24, order.order_id, items=items, reason=write.reason,
                                    reason_type=write.reason_type,  # type: ignore[arg-type]
                                    refund_account=account)
        return None  # Cafe24 gives a cancellation request no number

    try:
        outcome = ctx.executor.perform(
            action="cancel" if complete else "cancel_request", order_id=order.order_id,
            payload=write.model_dump(mode="json"), check=check, write=send,
            status="completed" if complete else "requested", read_at=ctx.now)
    except WriteRefused:
        return ctx.refused("cancel.no_longer", "not_eligible")
    except WriteFailed:
        return ctx.failed()
    done_key = "cancel.done_no_refund" if decision.route is RefundRoute.NONE else "cancel.done"
    return outcome_message(ctx, outcome, done_key, "cancel.requested")
