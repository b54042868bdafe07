"""A conversation's state, the events that move it and the effects it asks for (all pydantic, all JSON).

The state is what the store keeps between turns; an effect carries the
idempotency key the reducer gave it *before* it runs, so a process that dies
mid-effect finds, on restart, the same key and either its recorded result or
the need to settle it (see :mod:`.engine`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["ja", "ko", "en"]
TaskKind = Literal["orders", "cancel", "eta", "return", "address"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Who(Frozen):
    """Whom the bot acts for: a member, or guest orders unlocked by a verified contact."""

    kind: Literal["member", "guest"]
    member_id: str | None = None
    order_ids: tuple[str, ...] = ()


class Option(Frozen):
    """One numbered choice offered to the customer (the value goes back into the task)."""

    label: str
    value: str


class Task(Frozen):
    kind: TaskKind
    step: str
    options: tuple[Option, ...] = ()
    contact_channel: Literal["sms", "email"] | None = None
    contact: str | None = None
    order_id: str | None = None
    items: tuple[str, ...] | None = None  # order item codes; None = the whole order
    reason: str | None = None
    refund_account: dict[str, str] | None = None
    needs_account: bool = False
    summary: tuple[str, ...] = ()


class State(Frozen):
    conversation_id: str
    shop: str
    lang: Lang = "en"
    status: Literal["bot", "handed_over"] = "bot"
    who: Who | None = None
    task: Task | None = None
    #: Effects issued so far: the next effect's key is ``{conversation_id}:{seq + 1}``.
    seq: int = 0
    handoff_reason: str | None = None


class Reply(Frozen):
    """What the bot says: a message key with parameters, rendered per language by :mod:`.texts`."""

    key: str
    params: dict[str, Any] = Field(default_factory=dict)
    options: tuple[Option, ...] = ()


class Effect(Frozen):
    """Work outside the reducer. ``key`` is unique per conversation and fixed before the work runs."""

    key: str
    kind: Literal["send_code", "check_code", "find_identities", "load_orders", "load_cancellable", "plan_cancel",
                  "cancel", "hand_over", "run_command"]
    args: dict[str, Any] = Field(default_factory=dict)


class Event(Frozen):
    """A customer's text, or the result of an effect (``key`` names it)."""

    kind: Literal["text", "result"]
    text: str = ""
    key: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)
