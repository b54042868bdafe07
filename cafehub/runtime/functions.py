"""Functions a workflow can call, each with a published JSON Schema for its input and output.

``getOrders``, ``sendMobileOTP``, ``verifyMobileOTP`` and ``cancelOrder``, the
product guide's function steps. Inputs and outputs are pydantic models, so
``schema(name)`` is the contract and a bad input is refused naming the field.
They run over the same :class:`~cafehub.runtime.conversations.ShopActions`
as the chat, so a function and a conversation can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .conversations.actions import ShopActions
from .conversations.model import Effect
from .identity.phones import Contact, normalize_phone, region_for_zone


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderSummary(Model):
    order_id: str
    status: str
    items: list[str]
    ordered_at: str


class GetOrdersInput(Model):
    member_id: str | None = Field(None, description="A member's id; or give guest_order_ids")
    guest_order_ids: list[str] = Field(default_factory=list, max_length=100)
    cancellable_only: bool = False


class GetOrdersOutput(Model):
    orders: list[OrderSummary]


class SendMobileOTPInput(Model):
    phone: str = Field(..., min_length=6, max_length=32, description="Mobile number in any usual spelling")
    lang: Literal["ja", "ko", "en"] = "ko"


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
    bank: str = Field(..., min_length=1, max_length=20)
    account_no: str = Field(..., pattern=r"^[\d-]{6,20}$")
    holder: str = Field(..., min_length=1, max_length=15)


class CancelOrderInput(Model):
    order_id: str
    member_id: str | None = None
    guest_order_ids: list[str] = Field(default_factory=list)
    items: list[str] | None = Field(None, description="Order item codes; none = the whole order")
    reason: str = Field("changed_mind", max_length=200)
    refund_account: RefundAccountInput | None = None
    idempotency_key: str = Field(..., min_length=8, max_length=100)


class CancelOrderOutput(Model):
    ok: bool
    already_cancelled: bool = False
    error: str | None = None


def _who(member_id: str | None, guest_order_ids: list[str]) -> dict[str, Any]:
    if member_id:
        return {"kind": "member", "member_id": member_id, "order_ids": []}
    if not guest_order_ids:
        raise ValueError("member_id or guest_order_ids is required")
    return {"kind": "guest", "member_id": None, "order_ids": guest_order_ids}


def get_orders(actions: ShopActions, data: GetOrdersInput) -> GetOrdersOutput:
    kind = "load_cancellable" if data.cancellable_only else "load_orders"
    result = actions.run("function", Effect(key="function", kind=kind,
                                            args={"who": _who(data.member_id, data.guest_order_ids)}),
                         first_time=True)
    return GetOrdersOutput.model_validate({"orders": result.get("orders", [])})


def send_mobile_otp(actions: ShopActions, data: SendMobileOTPInput) -> SendMobileOTPOutput:
    contact = Contact("sms", normalize_phone(data.phone, region_for_zone(actions.zone)))
    sent = actions.otp.send(actions.shop, contact, lang=data.lang)
    return SendMobileOTPOutput(status=sent.status, retry_after_seconds=sent.retry_after_seconds,
                               masked_phone=contact.masked)


def verify_mobile_otp(actions: ShopActions, data: VerifyMobileOTPInput) -> VerifyMobileOTPOutput:
    contact = Contact("sms", normalize_phone(data.phone, region_for_zone(actions.zone)))
    checked = actions.otp.verify(actions.shop, contact, data.code)
    if not checked.ok:
        return VerifyMobileOTPOutput(status=checked.status, tries_left=checked.tries_left)
    found = actions.run("function", Effect(key="function", kind="find_identities",
                                           args={"channel": "sms", "address": contact.address}), first_time=True)
    return VerifyMobileOTPOutput(status="verified", identities=found.get("identities", []))


def cancel_order(actions: ShopActions, data: CancelOrderInput) -> CancelOrderOutput:
    account = data.refund_account.model_dump() if data.refund_account else None
    result = actions.run(data.idempotency_key, Effect(key=data.idempotency_key, kind="cancel", args={
        "who": _who(data.member_id, data.guest_order_ids), "order_id": data.order_id, "items": data.items,
        "reason": data.reason, "refund_account": account}), first_time=True)
    return CancelOrderOutput(ok=bool(result.get("ok")), already_cancelled=bool(result.get("already")),
                             error=result.get("error"))


FUNCTIONS: dict[str, tuple[type[Model], type[Model], Callable[[ShopActions, Any], Model]]] = {
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


def call(actions: ShopActions, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate ``payload``, run the function, return its output as JSON-ready data."""
    if name not in FUNCTIONS:
        raise KeyError(f"unknown function {name!r}; one of {', '.join(FUNCTIONS)}")
    given, _, run = FUNCTIONS[name]
    return run(actions, given.model_validate(payload)).model_dump(mode="json")
