"""``/return``: pick an order → return or exchange → items and quantities → reason → the new variant of
each exchanged item → photos for a defective or wrong item → refund account when staff pay into a bank
→ summary (with the return address) → confirm → filed in Cafe24, or held for staff (``pending``).
"""

from __future__ import annotations

from cafehub.connectors.cafe24 import writes
from cafehub.connectors.cafe24.client import Cafe24Client
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
from cafehub.runtime.messages.model import ChoiceOption, Expect, OrderBlock, TextBlock
from cafehub.runtime.result import StepResult
from cafehub.runtime.rules.cancel import ItemQuantity
from cafehub.runtime.rules.eligibility import ClaimEligibility, claim_eligibility, claimable_orders
from cafehub.runtime.rules.returns import (
    ClaimDecision,
    ClaimWrite,
    ExchangeItem,
    ReturnReason,
    decide_claim,
    exchange_choices,
    photo_problem,
    return_account_needed,
)
from cafehub.runtime.settings import ClaimKind
from cafehub.runtime.snapshots import OrderSnapshot

KINDS = (ClaimKind.RETURN, ClaimKind.EXCHANGE)
REASONS = [(r.value, f"return.reason.{r.value}") for r in ReturnReason]


def _eligibility(ctx: Context, order: OrderSnapshot) -> dict[ClaimKind, ClaimEligibility]:
    return {kind: claim_eligibility(order, kind, ctx.mall, ctx.today, ctx.zone) for kind in KINDS}


def run(ctx: Context) -> StepResult:
    answers = ctx.answers
    if answers.order is None:
        orders = ctx.reader.orders(
            ctx.identity, ctx.today, want=lambda o: any(e.eligible for e in _eligibility(ctx, o).values()))
        candidates = claimable_orders(orders, KINDS, ctx.mall, ctx.today, ctx.zone)
        if not candidates:
            return ctx.refused("return.none", "not_eligible")
        return ctx.choose_order("return.pick_order", candidates, "return.choose_order")
    order = ctx.reader.order(ctx.identity, answers.order)
    if order is None:
        return ctx.refused("common.order_not_found", "not_found")
    found = _eligibility(ctx, order)
    open_kinds = [k for k in KINDS if found[k].eligible]
    if not open_kinds and answers.confirm and answers.kind in ("return", "exchange"):  # a repeated confirmation
        earlier = earlier_write(ctx, order.order_id, (str(answers.kind),), "requested")
        if earlier is not None:
            if earlier.status == "pending":
                return ctx.done("return.pending", outcome=earlier)
            return outcome_message(ctx, earlier, f"return.done_{answers.kind}", f"return.done_{answers.kind}")
    if not open_kinds:
        refusal = found[ClaimKind.RETURN].refusal
        reason = refusal.value if refusal else "not_eligible"
        return ctx.refused("return.none", reason, ctx.text(f"refusal.{reason}"))
    kind = ClaimKind(answers.kind) if answers.kind in [k.value for k in open_kinds] else None
    if kind is None:
        if len(open_kinds) > 1:
            return ctx.choose("return.kind_question", "kind",
                              [(k.value, f"return.kind.{k.value}") for k in open_kinds], ctx.order_block(order))
        kind = open_kinds[0]
    eligible = found[kind].item_codes
    if len(eligible) == 1 and answers.items is None:
        only = order.item(eligible[0])
        assert only is not None
        chosen = [ItemQuantity(order_item_code=only.order_item_code, quantity=only.quantity)]
    elif answers.items is None:
        return ask_items(ctx, "return.pick_items", order, eligible, retry=False)
    else:
        picked = chosen_items(ctx, order, eligible, partial_quantities=True)
        if picked is None:
            return ask_items(ctx, "return.pick_items", order, eligible, retry=True)
        chosen = picked
    if answers.reason not in {r.value for r in ReturnReason}:
        return ctx.choose("return.reason_question", "reason", REASONS)
    reason = ReturnReason(str(answers.reason))
    exchange: list[ExchangeItem] = []
    labels: dict[str, str] = {}
    if kind is ClaimKind.EXCHANGE:
        asked = _ask_variants(ctx, order, chosen, exchange, labels)
        if asked is not None:
            return asked
    decision = decide_claim(kind, order.order_id, chosen, reason, ctx.hub, exchange_items=exchange)  # type: ignore[arg-type]
    if decision.needs_photos:
        asked = _check_photos(ctx)
        if asked is not None:
            return asked
    account = None
    if return_account_needed(order, kind):
        account, problems = refund_account(ctx)
        if account is None:
            return ask_account(ctx, problems)
        decision = decide_claim(kind, order.order_id, chosen, reason, ctx.hub, exchange_items=exchange,  # type: ignore[arg-type]
                                account=account)
    if answers.confirm is None:
        return ctx.confirm("return.summary", *_summary(ctx, order, decision, reason, labels), order_id=order.order_id,
                           kind=ctx.t(f"return.kind.{kind.value}"))
    if answers.confirm is False:
        return ctx.done("common.stopped", reason="stopped")
    return _execute(ctx, order, decision)


def _ask_variants(ctx: Context, order: OrderSnapshot, chosen: list[ItemQuantity], out: list[ExchangeItem],
                  labels: dict[str, str]) -> StepResult | None:
    """Fill ``out`` with the new variant of each chosen item, or ask for the first one missing."""
    given = dict(ctx.answers.variants or {})
    for choice in chosen:
        item = order.item(choice.order_item_code)
        assert item is not None
        options = exchange_choices(item, ctx.reader.variants(item.product_no))
        available = {o.variant_code for o in options if o.available}
        if not available:
            return ctx.refused("return.no_variants", "no_variants", name=item.product_name)
        picked = given.get(item.order_item_code)
        if picked not in available:
            buttons = [ctx.button("return.variant_option",
                                  {"variants": {**given, item.order_item_code: o.variant_code}},
                                  option=o.option_text) for o in options if o.available]
            choices = [ChoiceOption(value=o.variant_code, label=o.option_text +
                                    ("" if o.in_stock else ctx.t("return.out_of_stock")), available=o.available)
                       for o in options]
            return ctx.ask("return.variant_question",
                           Expect(answer=f"variants.{item.order_item_code}", kind="choice", options=choices),
                           buttons=buttons, name=item.product_name, option=item.option_text or "-")
        assert picked is not None
        out.append(ExchangeItem(product_no=item.product_no, variant_code=picked, quantity=choice.quantity))
        labels[picked] = next(o.option_text for o in options if o.variant_code == picked)
    return None


def _check_photos(ctx: Context) -> StepResult | None:
    rules = ctx.hub.photos
    ids = tuple(ctx.answers.photos or ())
    found = ctx.ledger.photo_info(ids)
    expect = Expect(answer="photos", kind="photos", max_count=rules.max_count)
    top, megabytes = rules.max_count, rules.max_bytes // (1024 * 1024) or 1
    if not ids:
        return ctx.ask("return.photos_question", expect, max=top, mb=megabytes)
    if len(found) != len(set(ids)):
        return ctx.ask("return.photos_question", expect, ctx.text("photo.not_an_image"), max=top, mb=megabytes)
    problem = photo_problem([found[i] for i in dict.fromkeys(ids)], rules)
    if problem is not None:
        return ctx.ask("return.photos_question", expect, ctx.text(f"photo.{problem.value}", max=top, mb=megabytes),
                       max=top, mb=megabytes)
    return None


def _summary(ctx: Context, order: OrderSnapshot, decision: ClaimDecision, reason: ReturnReason,
             labels: dict[str, str]) -> list[TextBlock | OrderBlock]:
    picked = {c.order_item_code: c.quantity for c in decision.write.items}
    items = [i for i in order.items if i.order_item_code in picked]
    lines = [ctx.t("common.reason_line", reason=ctx.t(f"return.reason.{reason.value}"))]
    for new in decision.write.exchange_items:
        lines.append(ctx.t("return.new_variant", variant=labels.get(new.variant_code, new.variant_code)))
    if decision.shop_pays_shipping:
        lines.append(ctx.t("return.shop_pays"))
    if decision.filing == "pending":
        lines.append(ctx.t("return.pending_note"))
    blocks: list[TextBlock | OrderBlock] = [ctx.order_block(order, items=items, quantities=picked, lines=lines,
                                                            total=False)]
    address = decision.return_address
    if address is not None:
        text = " ".join(p for p in (address.zipcode, address.address1, address.address2, address.name) if p)
        blocks.append(ctx.text("return.address", address=text))
    return blocks


def _execute(ctx: Context, order: OrderSnapshot, decision: ClaimDecision) -> StepResult:
    write = decision.write
    codes = {c.order_item_code for c in write.items}
    kind = write.kind
    prefix = "R" if kind is ClaimKind.RETURN else "E"

    def check() -> Check:
        fresh = ctx.reader.order(ctx.identity, order.order_id)
        if fresh is None:
            return "refused"
        statuses = [i.status for i in fresh.items if i.order_item_code in codes]
        if len(statuses) == len(codes) and all(s.startswith(prefix) and s[1:] < "40" and s[1:] != "11"
                                               for s in statuses):
            return "already"
        allowed = set(claim_eligibility(fresh, kind, ctx.mall, ctx.today, ctx.zone).item_codes)
        return "allowed" if codes <= allowed else "refused"

    def send() -> str | None:
        if decision.filing == "pending":
            return ctx.ledger.add_pending(order.order_id, kind.value, write.model_dump(mode="json"),
                                          tuple(ctx.answers.photos or ()), ctx.language)
        return file_claim(ctx.reader.cafe24, write)

    try:
        outcome = ctx.executor.perform(
            action=kind.value, order_id=order.order_id,  # type: ignore[arg-type]
            payload={**write.model_dump(mode="json"), "photos": sorted(ctx.answers.photos or ())},
            check=check, write=send, status="pending" if decision.filing == "pending" else "requested",
            read_at=ctx.now)
    except WriteRefused:
        return ctx.refused("return.no_longer", "not_eligible")
    except WriteFailed:
        return ctx.failed()
    if outcome.status == "pending":
        return ctx.done("return.pending", outcome=outcome, order_id=order.order_id)
    return outcome_message(ctx, outcome, f"return.done_{kind.value}", f"return.done_{kind.value}")


def file_claim(client: Cafe24Client, claim: ClaimWrite) -> str | None:
    """File a return or exchange request in Cafe24; the request's reference when Cafe24 gives one."""
    items = [writes.ItemQuantity(i.order_item_code, i.quantity) for i in claim.items]
    reason_type = claim.reason_type
    if claim.kind is ClaimKind.RETURN:
        account = (writes.RefundAccount(claim.refund_account.bank_code, claim.refund_account.account_no,
                                        claim.refund_account.holder) if claim.refund_account else None)
        done = writes.request_return(client, claim.order_id, items, reason=claim.reason,
                                     reason_type=reason_type, refund_account=account)  # type: ignore[arg-type]
    else:
        exchange = [writes.ExchangeItem(e.product_no, e.variant_code, e.quantity) for e in claim.exchange_items]
        done = writes.request_exchange(client, claim.order_id, items, reason=claim.reason,
                                       reason_type=reason_type, exchange_items=exchange)  # type: ignore[arg-type]
    return None if done.exchange_request_no is None else str(done.exchange_request_no)
