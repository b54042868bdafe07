"""The inputs of a command step: who is asking, which command, and the answers given so far.

These are the public, stable values of the command API (:mod:`cafehub.runtime.engine`):
a conversation stores them, a button's payload is a partial :class:`Answers`,
and the CLI builds them from ``--order``, ``--items``, ``--choice`` ...
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cafehub.runtime.intent.base import normalize
from cafehub.runtime.intent.slash import SLASH_COMMANDS
from cafehub.runtime.settings import CommandName


class Identity(BaseModel):
    """The verified customer: a signed-in member, or the guest orders a verified phone or e-mail unlocks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: str | None = None
    guest_order_ids: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _one_kind(self) -> Identity:
        if bool(self.member_id) == bool(self.guest_order_ids):
            raise ValueError("an identity is a member_id or a set of guest_order_ids, not both or neither")
        return self

    @classmethod
    def member(cls, member_id: str) -> Identity:
        return cls(member_id=member_id)

    @classmethod
    def guest(cls, order_ids: Any) -> Identity:
        return cls(guest_order_ids=frozenset(order_ids))

    def owns(self, order_id: str, member_id: str | None) -> bool:
        """Whether an order (with its Cafe24 ``member_id``) belongs to this customer."""
        if self.member_id:
            return member_id == self.member_id
        return order_id in self.guest_order_ids


class ItemAnswer(BaseModel):
    """An item chosen by the customer; no quantity means all of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_item_code: str
    quantity: int | None = Field(default=None, ge=1)


class AccountAnswer(BaseModel):
    """A refund account as typed by the customer (checked by the cancel and return steps)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bank_code: str = ""
    account_no: str = ""
    holder: str = ""


class Answers(BaseModel):
    """Everything the customer has answered in this command so far (all optional)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order: str | None = None
    #: Cancel: ``whole`` or ``items``.
    scope: str | None = None
    items: tuple[ItemAnswer, ...] | None = None
    #: Return/exchange: ``return`` or ``exchange``.
    kind: str | None = None
    reason: str | None = None
    #: Exchange: the new variant per order item code.
    variants: dict[str, str] | None = None
    account: AccountAnswer | None = None
    #: Photo ids from :meth:`cafehub.runtime.engine.CommandEngine.upload_photo`.
    photos: tuple[str, ...] | None = None
    #: New delivery address: ``name``, ``zipcode``, ``address1``, ``address2``, ``cellphone``, ``phone``.
    address: dict[str, str] | None = None
    #: ``True`` confirms the summary, ``False`` abandons the command.
    confirm: bool | None = None

    @field_validator("items", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        """Accept plain order item codes for whole items."""
        if isinstance(value, list | tuple):
            return tuple({"order_item_code": v} if isinstance(v, str) else v for v in value)
        return value

    def merged(self, more: Answers | dict[str, Any]) -> Answers:
        """These answers with ``more`` on top (how a button's payload is applied)."""
        extra = more if isinstance(more, dict) else more.model_dump(exclude_none=True)
        return Answers.model_validate({**self.model_dump(exclude_none=True), **extra})


#: Command names (without the slash) → command: the intent layer's table of slash commands in English,
#: Japanese and Korean (:data:`cafehub.runtime.intent.slash.SLASH_COMMANDS`), less ``/operator``.
COMMAND_NAMES: dict[str, CommandName] = {
    normalize(name).replace(" ", ""): CommandName(intent)
    for name, (intent, _) in SLASH_COMMANDS.items() if intent in CommandName._value2member_map_
}


def parse_command(text: str | CommandName) -> CommandName | None:
    """``"/キャンセル"``, ``"cancel"``, ``"/반품 교환"`` → the command, or ``None`` when it is not one."""
    if isinstance(text, CommandName):
        return text
    return COMMAND_NAMES.get(normalize(text.strip().lstrip("/／")).replace(" ", ""))


#: Names of the return command that say which of the two is meant (``/exchange``, ``/交換``, ``/반품``); the
#: others (``/return``, ``/返品交換``, ``/반품교환``) leave it to the question.
KIND_NAMES: dict[str, str] = {normalize(name): kind for name, kind in (
    ("exchange", "exchange"), ("交換", "exchange"), ("교환", "exchange"), ("返品", "return"), ("반품", "return"))}


def named_kind(text: str | CommandName) -> str | None:
    """``"/交換"`` → ``"exchange"``: the claim kind a command's name already says, if any."""
    if isinstance(text, CommandName):
        return None
    return KIND_NAMES.get(normalize(text.strip().lstrip("/／")).replace(" ", ""))
