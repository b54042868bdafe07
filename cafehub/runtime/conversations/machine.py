"""The reducer: ``step(state, event) -> (state, replies, effects)``, pure and deterministic.

Order inquiry: intent → verify (signed-in members skip it) → look up → show,
or hand over when verification fails or nothing is found. Order cancel:
intent → verify → cancellable orders → pick one → whole or items → refund
account when staff must pay to a bank → reason → summary → "yes" → cancel →
the guide's success line, or its failure line and hand-over. ETA,
return/exchange and address change run through the command runtime once the
customer is known. At most one effect is outstanding at a time; its key
(``{conversation}:{seq}``) is fixed here, before anything runs.
"""

from __future__ import annotations

import re
from typing import Any

from cafehub.runtime.identity.phones import InvalidContact, parse_contact, region_for_zone
from cafehub.runtime.intent import IntentClassifier, detect_language, parse_slash

from .model import Effect, Event, Option, Reply, State, Task, TaskKind, Who

Step = tuple[State, list[Reply], list[Effect]]
YES = {"yes", "y", "ok", "okay", "sure", "はい", "ok です", "네", "예", "응", "go ahead", "confirm"}
NO = {"no", "n", "stop", "いいえ", "やめる", "아니요", "아니오", "아니"}
RESEND = {"resend", "再送", "재전송", "again"}
REASONS = ("changed_mind", "wrong_order", "delivery", "other")
TASKS: tuple[TaskKind, ...] = ("orders", "cancel", "eta", "return", "address")
_CODE = re.compile(r"^\s*(\d{6})\s*$")


def _effect(state: State, kind: str, **args: Any) -> tuple[State, Effect]:
    seq = state.seq + 1
    return state.model_copy(update={"seq": seq}), Effect(key=f"{state.conversation_id}:{seq}", kind=kind, args=args)


def _task(state: State, **changes: Any) -> State:
    assert state.task is not None
    return state.model_copy(update={"task": state.task.model_copy(update=changes)})


def _pick(text: str, options: tuple[Option, ...]) -> Option | None:
    stripped = text.strip().rstrip(".")
    if stripped.isdigit() and 1 <= int(stripped) <= len(options):
        return options[int(stripped) - 1]
    return next((o for o in options if o.value == stripped), None)


def hand_over(state: State, reason: str, reply: str | None) -> Step:
    state, effect = _effect(state, "hand_over", reason=reason)
    replies = [Reply(key=reply)] if reply else []
    return state.model_copy(update={"task": None}), replies, [effect]


def step(state: State, event: Event, *, classifier: IntentClassifier, zone: str = "Asia/Seoul") -> Step:
    if state.status == "handed_over":
        return state, [], []  # an operator has the chat: the bot stays silent until given it back
    if event.kind == "result":
        return _on_result(state, event)
    text = event.text
    if state.task is None or state.task.step in ("menu",):
        return _on_intent(state, text, classifier)
    return _on_answer(state, text, zone)


def _language(state: State, text: str) -> State:
    if any(ch.isalpha() for ch in text) and not text.strip().startswith("/"):
        return state.model_copy(update={"lang": detect_language(text, state.lang)})
    return state


def _on_intent(state: State, text: str, classifier: IntentClassifier) -> Step:
    if state.task is not None and state.task.step == "menu":
        chosen = _pick(text, state.task.options)
        if chosen is not None:
            return start(state.model_copy(update={"task": None}), chosen.value)
    slash = parse_slash(text)
    if slash is not None:
        intent, lang, _ = slash
        state = state.model_copy(update={"lang": lang})
    else:
        state = _language(state, text)
        intent = classifier.classify(text, lang=state.lang).intent
    if intent == "operator":
        return hand_over(state, "the customer asked for an operator", "handed_over")
    if intent == "none":
        options = tuple(Option(label=f"@intent_{k}", value=k) for k in (*TASKS, "operator"))
        menu = Task(kind="orders", step="menu", options=options)
        return state.model_copy(update={"task": menu}), [Reply(key="menu", options=options)], []
    return start(state, intent)


def start(state: State, intent: str) -> Step:
    if intent == "operator":
        return hand_over(state, "the customer asked for an operator", "handed_over")
    task = Task(kind=intent, step="start")
    state = state.model_copy(update={"task": task})
    if state.who is None:
        state = _task(state, step="ask_contact")
        return state, [Reply(key="ask_contact")], []
    return proceed(state)


def proceed(state: State) -> Step:
    """The customer is known: the task's first look-up."""
    assert state.task is not None
    assert state.who is not None
    who = state.who.model_dump()
    kind = state.task.kind
    if kind == "orders":
        state, effect = _effect(_task(state, step="loading"), "load_orders", who=who)
    elif kind == "cancel":
        state, effect = _effect(_task(state, step="loading"), "load_cancellable", who=who)
    else:
        state, effect = _effect(_task(state, step="command"), "run_command", who=who, command=kind, lang=state.lang)
    return state, [], [effect]


def _on_answer(state: State, text: str, zone: str) -> Step:
    task = state.task
    assert task is not None
    answer = text.strip()
    if task.step == "ask_contact":
        try:
            contact = parse_contact(answer, region_for_zone(zone))
        except InvalidContact:
            return state, [Reply(key="bad_contact")], []
        state = _task(state, contact_channel=contact.channel, contact=contact.address, step="sending")
        state, effect = _effect(state, "send_code", channel=contact.channel, address=contact.address,
                                lang=state.lang)
        return state, [], [effect]
    if task.step == "ask_code":
        if answer.lower() in RESEND:
            state, effect = _effect(_task(state, step="sending"), "send_code", channel=task.contact_channel,
                                    address=task.contact, lang=state.lang)
            return state, [], [effect]
        match = _CODE.match(answer)
        if match is None:
            return state, [Reply(key="code_format")], []
        state, effect = _effect(_task(state, step="checking"), "check_code", channel=task.contact_channel,
                                address=task.contact, code=match.group(1))
        return state, [], [effect]
    if task.step in ("pick_identity", "pick_order", "pick_scope", "pick_reason"):
        chosen = _pick(answer, task.options)
        if chosen is None:
            return state, [Reply(key="pick_number", options=task.options)], []
        return _on_choice(state, task, chosen)
    if task.step == "pick_items":
        numbers = [p.strip() for p in re.split(r"[,\s、，]+", answer) if p.strip()]
        picked = [_pick(n, task.options) for n in numbers]
        if not picked or any(p is None for p in picked):
            return state, [Reply(key="pick_items", options=task.options)], []
        items = tuple(dict.fromkeys(p.value for p in picked if p is not None))
        state, effect = _effect(_task(state, items=items, step="planning"), "plan_cancel", who=_who(state),
                                order_id=task.order_id, items=list(items))
        return state, [], [effect]
    if task.step == "ask_account":
        parts = [p.strip() for p in re.split(r"[,，、/]", answer) if p.strip()]
        if len(parts) != 3 or not re.fullmatch(r"[\d-]{6,20}", parts[1]):
            return state, [Reply(key="bad_account")], []
        account = {"bank": parts[0][:20], "account_no": parts[1], "holder": parts[2][:15]}
        return _ask_reason(_task(state, refund_account=account))
    if task.step == "confirm":
        if answer.lower() in YES:
            state, effect = _effect(_task(state, step="executing"), "cancel", who=_who(state),
                                    order_id=task.order_id, items=list(task.items) if task.items else None,
                                    reason=task.reason, refund_account=task.refund_account)
            return state, [], [effect]
        if answer.lower() in NO:
            return state.model_copy(update={"task": None}), [Reply(key="stopped")], []
        return state, [Reply(key="confirm_yes_no")], []
    # waiting on an effect (sending, checking, loading, executing): nothing to do with this text
    return state, [], []


def _who(state: State) -> dict[str, Any]:
    assert state.who is not None
    return state.who.model_dump()


def _on_choice(state: State, task: Task, chosen: Option) -> Step:
    if task.step == "pick_identity":
        kind, _, rest = chosen.value.partition(":")
        who = Who(kind="member", member_id=rest) if kind == "member" else Who(kind="guest",
                                                                               order_ids=tuple(rest.split(",")))
        return proceed(state.model_copy(update={"who": who}))
    if task.step == "pick_order":
        state = _task(state, order_id=chosen.value)
        scope = (Option(label="@scope_whole", value="whole"), Option(label="@scope_items", value="items"))
        return _task(state, step="pick_scope", options=scope), [Reply(key="pick_scope", options=scope)], []
    if task.step == "pick_scope":
        if chosen.value == "whole":
            state, effect = _effect(_task(state, items=None, step="planning"), "plan_cancel", who=_who(state),
                                    order_id=task.order_id, items=None)
            return state, [], [effect]
        state, effect = _effect(_task(state, step="loading_items"), "plan_cancel", who=_who(state),
                                order_id=task.order_id, items=None, list_items=True)
        return state, [], [effect]
    # pick_reason
    state = _task(state, reason=chosen.value)
    return _confirm(state)


def _ask_reason(state: State) -> Step:
    options = tuple(Option(label=f"@reason_{r}", value=r) for r in REASONS)
    return _task(state, step="pick_reason", options=options), [Reply(key="pick_reason", options=options)], []


def _confirm(state: State) -> Step:
    task = state.task
    assert task is not None
    what = "@what_whole" if not task.items else f"@what_items|count={len(task.items)}"
    params = {"what": what, "order_id": task.order_id, "reason": f"@reason_{task.reason}",
              "refund": "@refund_bank" if task.refund_account else ""}
    return _task(state, step="confirm"), [Reply(key="confirm", params=params)], []


def _on_result(state: State, event: Event) -> Step:
    task = state.task
    result = event.result
    if event.key != f"{state.conversation_id}:{state.seq}":
        return state, [], []  # a stale result (already applied): ignore
    kind = result.get("effect")
    if kind == "hand_over":
        return state.model_copy(update={"status": "handed_over", "task": None,
                                        "handoff_reason": result.get("reason")}), [], []
    if task is None:
        return state, [], []
    if kind == "send_code":
        status = result["status"]
        if status == "sent":
            return _task(state, step="ask_code"), [Reply(key="code_sent", params={"contact": result["masked"]})], []
        if status == "cooldown":
            return _task(state, step="ask_code"), [Reply(key="code_wait",
                                                         params={"seconds": result["retry_after"]})], []
        return hand_over(state, f"a code could not be sent ({status})", "verify_failed")
    if kind == "check_code":
        status = result["status"]
        if status == "verified":
            state, effect = _effect(_task(state, step="identifying"), "find_identities",
                                    channel=task.contact_channel, address=task.contact)
            return state, [], [effect]
        if status == "wrong":
            return _task(state, step="ask_code"), [Reply(key="code_wrong",
                                                         params={"tries_left": result["tries_left"]})], []
        if status in ("expired", "none"):
            return _task(state, step="ask_code"), [Reply(key="code_expired")], []
        return hand_over(state, "verification failed (tries used up)", "verify_failed")
    if kind == "find_identities":
        found = [Who.model_validate(w) for w in result["identities"]]
        state = _task(state, contact=None, contact_channel=None)  # the contact is not kept once verified
        if not found:
            return hand_over(state, "no account or order is linked to the verified contact", "no_orders")
        if len(found) == 1:
            return proceed(state.model_copy(update={"who": found[0]}))
        options = tuple(
            Option(label=f"@identity_member|label={result['labels'][n]}", value=f"member:{w.member_id}")
            if w.kind == "member" else
            Option(label=f"@identity_guest|label={len(w.order_ids)}", value="guest:" + ",".join(w.order_ids))
            for n, w in enumerate(found))
        return _task(state, step="pick_identity", options=options), [Reply(key="pick_identity", options=options)], []
    if kind == "load_orders":
        orders = result["orders"]
        if not orders:
            return hand_over(state, "no orders were found", "no_orders")
        lines = tuple(Option(label=_order_line(o), value=o["order_id"]) for o in orders)
        return state.model_copy(update={"task": None}), [Reply(key="orders", options=lines)], []
    if kind == "load_cancellable":
        orders = result["orders"]
        if not orders:
            return state.model_copy(update={"task": None}), [Reply(key="no_cancellable")], []
        options = tuple(Option(label=_order_line(o), value=o["order_id"]) for o in orders)
        return _task(state, step="pick_order", options=options), [Reply(key="pick_order", options=options)], []
    if kind == "plan_cancel":
        if result.get("error"):
            return hand_over(state, "the cancellation could not be prepared", "temporary_error")
        if result.get("items_list") is not None:
            options = tuple(Option(label=i["label"], value=i["code"]) for i in result["items_list"])
            return _task(state, step="pick_items", options=options), [Reply(key="pick_items", options=options)], []
        state = _task(state, needs_account=bool(result["needs_account"]))
        if result["needs_account"]:
            return _task(state, step="ask_account"), [Reply(key="ask_account")], []
        return _ask_reason(state)
    if kind == "cancel":
        if result.get("ok"):
            return state.model_copy(update={"task": None}), [Reply(key="cancel_done")], []
        return hand_over(state, f"the cancellation failed: {result.get('error', 'unknown')}", "temporary_error")
    if kind == "run_command":
        if result.get("error"):
            return hand_over(state, "the command failed", "temporary_error")
        replies = [Reply(key="command_output", params={"text": t}) for t in result["texts"]]
        return state.model_copy(update={"task": None}), replies, []
    return state, [], []


def _order_line(order: dict[str, Any]) -> str:
    items = ", ".join(order.get("items", []))[:80]
    return f"{order['order_id']} · {order.get('status', '')} · {items}"
