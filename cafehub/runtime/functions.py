"""Functions a workflow can call, each with a published JSON Schema for its input and output.

``getOrders``, ``sendMobileOTP``, ``verifyMobileOTP`` and ``cancelOrder``, the
product guide's function steps. Inputs and outputs are pydantic models, so
``schema(name)`` is the contract and a bad input is refused naming the field.
Orders and cancellations are steps of the command engine
(:class:`~cafehub.runtime.engine.CommandEngine`), the same ones the chat runs,
so a function and a conversation can never disagree: ``getOrders`` lists what
``/orders`` (or, with ``cancellable_only``, ``/cancel``) lists, and
``cancelOrder`` is ``/cancel`` answered in one go and confirmed. Calling
``cancelOrder`` again with the same input reports the first result
(``repeated``), never a second cancellation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .answers import Identity
from .conversations.actions import ChatActions
from .identity.phones import Contact, normalize_phone
from .messages.model import OrderBlock
from .result import StepResult
from .rules.cancel import CancelReason


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


Language = Literal["ja", "ko", "en"]


class Customer(Model):
    """Whose orders: a member id, or the guest order ids ``verifyMobileOTP`` unlocked."""

    member_id: str | None = Field(None, max_length=64, description="A member's id; or give guest_order_ids")
    guest_order_ids: list[str] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _one(self) -> Customer:
        if bool(self.member_id) == bool(self.guest_order_ids):
            raise ValueError("give member_id or guest_order_ids (one of them)")
        return self

    def identity(self) -> Identity:
        return Identity.member(self.member_id) if self.member_id else Identity.guest(self.guest_order_ids)


class ItemSummary(Model):
    order_item_code: str
    name: str
    option: str = ""
    quantity: int
    status: str = Field(description="Display status: before_payment, preparing, shipping, delivered, canceled ...")
    status_label: str


class OrderSummary(Model):
    order_id: str
    ordered_on: str
    status_label: str | None = Field(description="The order's status, or null when its items differ")
    items: list[ItemSummary]
    total: str = ""


class GetOrdersInput(Customer):
    cancellable_only: bool = Field(False, description="Only orders the customer may cancel now (as /cancel lists)")
    lang: Language = "ko"


class GetOrdersOutput(Model):
    orders: list[OrderSummary]
    #: Why the list is empty (``no_orders``, ``not_eligible``), or the command runtime's failure.
    reason: str | None = None


class SendMobileOTPInput(Model):
    phone: str = Field(..., min_length=6, max_length=32, description="Mobile number in any usual spelling")
    lang: Language = "ko"


class SendMobileOTPOutput(Model):
    status: Literal["sent", "cooldown", "capped", "failed"]
    retry_after_seconds: int = 0
    masked_phone: str


class VerifyMobileOTPInput(Model):
    phone: str = Field(..., min_length=6, max_length=32)
    code: str = Field(..., pattern=r"^\d{6}$")


class Unlocked(Model):
    kind: Literal["member", "guest"]
    member_id: str | None = None
    order_ids: list[str] = Field(default_factory=list)


class VerifyMobileOTPOutput(Model):
    status: Literal["verified", "wrong", "expired", "locked", "none"]
    tries_left: int = 0
    identities: list[Unlocked] = Field(default_factory=list)


class RefundAccountInput(Model):
    bank_code: str = Field(..., pattern=r"^bank_\d{2,3}$", description="Cafe24 bank code, e.g. bank_04")
    account_no: str = Field(..., pattern=r"^[0-9-]{6,30}$")
    holder: str = Field(..., min_length=1, max_length=15)


class CancelItem(Model):
    order_item_code: str = Field(..., max_length=64)
    quantity: int | None = Field(None, ge=1, description="None: the whole item")


class CancelOrderInput(Customer):
    order_id: str = Field(..., max_length=32)
    items: list[CancelItem] | None = Field(None, max_length=100, description="None: the whole order")
    reason: CancelReason = CancelReason.CHANGE_OF_MIND
    refund_account: RefundAccountInput | None = Field(
        None, description="Needed when staff refund into a bank account (bank deposit, transfer, virtual account)")
    lang: Language = "ko"


class CancelOrderOutput(Model):
    #: ``cancelled`` (in Cafe24), ``requested`` (a cancellation request for staff), ``refused`` (a rule of the
    #: guide refuses it: ``reason``), ``needs_input`` (``missing`` names the answer), ``failed`` (Cafe24
    #: failed: hand the customer to an operator).
    status: Literal["cancelled", "requested", "refused", "needs_input", "failed"]
    ok: bool
    #: The same cancellation had been made before: nothing was sent again.
    repeated: bool = False
    reason: str | None = None
    missing: str | None = None
    #: Cafe24's claim code when it gave one.
    reference: str | None = None
    #: The message the chat would show, in ``lang``.
    message: str


def _blocks(step: StepResult) -> list[OrderSummary]:
    out = []
    for block in step.message.blocks:
        if isinstance(block, OrderBlock):
            out.append(OrderSummary(order_id=block.order_id, ordered_on=block.ordered_on,
                                    status_label=block.status_label, total=block.total,
                                    items=[ItemSummary(order_item_code=i.order_item_code, name=i.name,
                                                       option=i.option, quantity=i.quantity, status=i.status,
                                                       status_label=i.status_label) for i in block.items]))
    return out


def get_orders(actions: ChatActions, data: GetOrdersInput) -> GetOrdersOutput:
    command = "/cancel" if data.cancellable_only else "/orders"
    step = actions.commands.step(data.identity(), command, {}, language=data.lang)
    if step.state == "asking" or step.state == "done":
        return GetOrdersOutput(orders=_blocks(step), reason=step.reason)
    return GetOrdersOutput(orders=[], reason=step.reason)


def send_mobile_otp(actions: ChatActions, data: SendMobileOTPInput) -> SendMobileOTPOutput:
    contact = Contact("sms", normalize_phone(data.phone, actions.region))
    sent = actions.otp.send(actions.shop, contact, lang=data.lang)
    return SendMobileOTPOutput(status=sent.status, retry_after_seconds=sent.retry_after_seconds,
                               masked_phone=contact.masked)


def verify_mobile_otp(actions: ChatActions, data: VerifyMobileOTPInput) -> VerifyMobileOTPOutput:
    contact = Contact("sms", normalize_phone(data.phone, actions.region))
    checked = actions.otp.verify(actions.shop, contact, data.code)
    if not checked.ok:
        return VerifyMobileOTPOutput(status=checked.status, tries_left=checked.tries_left)
    found, _ = actions.identities(contact)
    return VerifyMobileOTPOutput(status="verified", identities=[
        Unlocked(kind="member", member_id=i.member_id) if i.member_id else
        Unlocked(kind="guest", order_ids=sorted(i.guest_order_ids)) for i in found])


def cancel_order(actions: ChatActions, data: CancelOrderInput) -> CancelOrderOutput:
    answers: dict[str, Any] = {"order": data.order_id, "reason": data.reason.value, "confirm": True}
    if data.items is None:
        answers["scope"] = "whole"
    else:
        answers["items"] = [i.model_dump(exclude_none=True) for i in data.items]
    if data.refund_account is not None:
        answers["account"] = data.refund_account.model_dump()
    step = actions.commands.step(data.identity(), "/cancel", answers, language=data.lang)
    text = step.message.plain_text()
    if step.state == "asking":
        missing = step.message.expect.answer if step.message.expect else None
        return CancelOrderOutput(status="needs_input", ok=False, missing=missing, message=text)
    outcome = step.outcome
    if step.state == "done" and outcome is not None and outcome.status in ("completed", "requested"):
        return CancelOrderOutput(status="cancelled" if outcome.status == "completed" else "requested", ok=True,
                                 repeated=outcome.repeated, reference=outcome.reference, message=text)
    if step.state == "failed":
        return CancelOrderOutput(status="failed", ok=False, reason=step.reason, message=text)
    return CancelOrderOutput(status="refused", ok=False, reason=step.reason or step.state, message=text)


FUNCTIONS: dict[str, tuple[type[Model], type[Model], Callable[[ChatActions, Any], Model]]] = {
    "getOrders": (GetOrdersInput, GetOrdersOutput, get_orders),
    "sendMobileOTP": (SendMobileOTPInput, SendMobileOTPOutput, send_mobile_otp),
    "verifyMobileOTP": (VerifyMobileOTPInput, VerifyMobileOTPOutput, verify_mobile_otp),
    "cancelOrder": (CancelOrderInput, CancelOrderOutput, cancel_order),
}


def schema(name: str) -> dict[str, Any]:
    """``{"name", "input", "output"}``: the function's JSON Schemas."""
    if name not in FUNCTIONS:
        raise KeyError(f"unknown function {name!r}; one of {', '.join(FUNCTIONS)}")
    given, returned, _ = FUNCTIONS[name]
    return {"name": name, "input": given.model_json_schema(), "output": returned.model_json_schema()}


def call(actions: ChatActions, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate ``payload``, run the function, return its output as JSON-ready data."""
    if name not in FUNCTIONS:
        raise KeyError(f"unknown function {name!r}; one of {', '.join(FUNCTIONS)}")
    given, _, run = FUNCTIONS[name]
    return run(actions, given.model_validate(payload)).model_dump(mode="json")
