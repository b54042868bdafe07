"""``POST /orders/{order_id}/cancellation``: cancel one order, refunding at the payment gateway if asked.

Cafe24's bulk ``POST /cancellation`` cannot cancel at the payment gateway;
this single-order endpoint can (``payment_gateway_cancel: "T"``), so the chat
uses it for every completed cancellation: with the gateway refund for a
whole order paid by card, easy payments, credit, points and coupons, and
without it (the refund left to staff, with ``refund_method_code`` and the
customer's bank account when staff pay into one) otherwise. Like every
claim write it is settled by reading back (:mod:`.writes`): a timed-out
call is never re-sent before the order's items are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from cafehub.connectors.errors import BadRequestError
from cafehub.connectors.http import member, validate

from . import models as m
from .client import Cafe24Client
from .writes import ItemQuantity, RefundAccount, _settled, cancellation_applied, envelope


def create_order_cancellation(
    client: Cafe24Client,
    order_id: str,
    items: Sequence[ItemQuantity],
    *,
    status: Literal["canceled", "canceling"] = "canceled",
    payment_gateway_cancel: bool = False,
    recover_inventory: bool = False,
    recover_coupon: bool = False,
    refund_method_codes: Sequence[str] = (),
    reason: str = "",
    reason_type: str = "A",
    refund_account: RefundAccount | None = None,
) -> m.Cancellation:
    """Cancel ``items`` of one order (``POST /orders/{order_id}/cancellation``), settled by reading back."""
    template = "/orders/{order_id}/cancellation"
    endpoint = f"POST /api/v2/admin{template}"
    request: dict[str, Any] = {
        "order_id": order_id,
        "status": status,
        "payment_gateway_cancel": "T" if payment_gateway_cancel else "F",
        "recover_inventory": "T" if recover_inventory else "F",
        "recover_coupon": "T" if recover_coupon else "F",
        "add_memo_too": "F",
        "reason": reason[:2000],
        "claim_reason_type": reason_type,
        "items": [{"order_item_code": i.order_item_code, "quantity": i.quantity} for i in items],
    }
    if refund_method_codes:
        request["refund_method_code"] = list(refund_method_codes)
    if refund_account is not None:
        request |= {
            "refund_bank_code": refund_account.bank_code,
            "refund_bank_account_no": refund_account.account_no,
            "refund_bank_account_holder": refund_account.holder[:15],
        }

    def send() -> m.Cancellation:
        body = client.caller.call("POST", f"/orders/{order_id}/cancellation", template=template,
                                  json=envelope(client, request=request), write=True)
        answer: m.Cancellation = validate(m.Cancellation, member(body, "cancellation", endpoint),
                                          endpoint=endpoint, root="cancellation")
        if not answer.items:
            raise BadRequestError(200, "empty", "no cancelled item was returned", endpoint=endpoint)
        return answer

    return _settled(send, lambda: cancellation_applied(client, order_id, items), endpoint=endpoint)
