"""Steps that cancel and return/exchange share: picking items, the refund account, outcomes."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from cafehub.runtime.flows.context import Context
from cafehub.runtime.messages.model import Expect
from cafehub.runtime.result import Outcome, StepResult
from cafehub.runtime.rules.cancel import ItemQuantity, RefundAccount
from cafehub.runtime.snapshots import OrderSnapshot


def chosen_items(ctx: Context, order: OrderSnapshot, eligible: Sequence[str], *, partial_quantities: bool
                 ) -> list[ItemQuantity] | None:
    """The items answered, checked against ``eligible`` (``None`` when any answer is not allowed)."""
    answered = ctx.answers.items or ()
    out = []
    for answer in answered:
        item = order.item(answer.order_item_code)
        if item is None or item.order_item_code not in eligible:
            return None
        quantity = answer.quantity or item.quantity
        if quantity > item.quantity or (quantity != item.quantity and not partial_quantities):
            return None
        out.append(ItemQuantity(order_item_code=item.order_item_code, quantity=quantity))
    codes = [c.order_item_code for c in out]
    return out if out and len(codes) == len(set(codes)) else None


def ask_items(ctx: Context, key: str, order: OrderSnapshot, eligible: Sequence[str], *, retry: bool) -> StepResult:
    """Ask which of ``eligible`` items (several may be chosen)."""
    items = [i for i in order.items if i.order_item_code in eligible]
    block = ctx.order_block(order, items=items, selectable=eligible, total=False)
    blocks = [ctx.text("common.choose_again"), block] if retry else [block]
    return ctx.ask(key, Expect(answer="items", kind="items", multiple=True), *blocks)


ACCOUNT_FIELDS: tuple[tuple[str, int | None, bool], ...] = (("bank_code", 8, True), ("account_no", 30, True),
                                                            ("holder", 15, True))


def refund_account(ctx: Context) -> tuple[RefundAccount | None, dict[str, str]]:
    """The refund account answered, or the problem of each bad field (field names only, never values)."""
    given = ctx.answers.account
    if given is None:
        return None, {}
    try:
        return RefundAccount(bank_code=given.bank_code.strip(), account_no=given.account_no.strip(),
                             holder=given.holder.strip()), {}
    except ValidationError as error:
        problems = {}
        for problem in error.errors(include_input=False, include_url=False):
            name = str(problem["loc"][0]) if problem["loc"] else "account_no"
            problems[name] = ctx.t(f"account.problem.{name}")
        return None, problems


def ask_account(ctx: Context, problems: dict[str, str]) -> StepResult:
    return ctx.ask_fields("account.question", "account", ACCOUNT_FIELDS, problems)


def earlier_write(ctx: Context, order_id: str, actions: tuple[str, ...], status: str) -> Outcome | None:
    """The write a repeated confirmation refers to, now that the order shows it was made.

    Asked again after ``adopt_unfinished``: the write may finish between the two reads (``started`` when
    ``last_done`` looked, ``done`` when ``adopt_unfinished`` did), and once done it stays done. A write still
    being recorded by a live writer is waited for; only if it does not finish in time is the answer
    ``in_progress``.
    """
    found = (ctx.ledger.last_done(order_id, actions) or ctx.ledger.adopt_unfinished(order_id, actions, status)
             or ctx.ledger.last_done(order_id, actions))
    if found is not None and found.status == "in_progress" and found.key:
        # The order already shows the write, and its writer is still recording it (a confirmation sent twice at
        # once): wait for that record, as the executor does for a running key, so both answers name one write.
        finished = ctx.ledger.wait_done(found.key, ctx.executor.wait_for_running)
        if finished is not None:
            return finished.model_copy(update={"repeated": True})
    return found


def outcome_message(ctx: Context, outcome: Outcome, done_key: str, requested_key: str) -> StepResult:
    """The customer's message for a write's outcome (a repeated request gets the same answer again)."""
    if outcome.status == "in_progress":
        return ctx.done("common.in_progress", outcome=outcome, reason="in_progress")
    key = requested_key if outcome.status == "requested" else done_key
    return ctx.done(key, outcome=outcome, order_id=outcome.order_id)
