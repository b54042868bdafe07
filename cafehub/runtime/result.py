"""What a command step returns: the next message, where the command stands, and the outcome of a write."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from cafehub.runtime.messages.model import Message
from cafehub.runtime.settings import CommandName

#: ``asking``: the message asks for the next answer (``message.expect``);
#: ``done``: finished (information shown, or the write made or queued for staff);
#: ``refused``: a rule of the guide refuses it (the message says which);
#: ``failed``: Cafe24 or the warehouse failed (the guide's failure message; hand over).
StepState = Literal["asking", "done", "refused", "failed"]


class Outcome(BaseModel):
    """What a write did (no personal data: ids, statuses and codes only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Literal["cancel", "cancel_request", "return", "exchange", "address"]
    order_id: str
    #: ``completed``: made in Cafe24; ``requested``: a request filed for staff in Cafe24;
    #: ``pending``: held in cafehub for staff to approve; ``in_progress``: the same request is being
    #: made right now by another caller.
    status: Literal["completed", "requested", "pending", "in_progress"]
    #: The same request had been made before: nothing was sent again, this is its result.
    repeated: bool = False
    #: Cafe24's claim code or request number when it gave one; the pending claim's id when pending.
    reference: str | None = None
    #: The idempotency key of the write (the ledger's record of it).
    key: str


class StepResult(BaseModel):
    """The answer to one command step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command: CommandName
    state: StepState
    message: Message
    #: Hand the conversation to a human operator (after a failure).
    handoff: bool = False
    #: Why the command ended without doing anything (``no_orders``, ``not_eligible``, a refusal code ...).
    reason: str | None = None
    outcome: Outcome | None = None
