"""Writes to a mall: cancellations, claim requests, receiver changes; never applied twice.

A write that times out or meets a 5xx may or may not have happened. Each
write here is given one idempotency decision up front:

- *settle by reading back* (cancellation, cancellation / return / exchange
  requests): on an ambiguous failure, re-read the order's items; if the
  requested items already carry the claim's statuses the write happened and
  its result is rebuilt from the read; only if it did not happen is it sent
  again. A write is never re-sent blindly.
- *naturally idempotent* (receiver update, a PUT of absolute values): it may
  be sent again; Cafe24's ``409`` for "same content" then means it had
  already been applied.

Bodies use Cafe24's write envelope ``{"shop_no": N, "requests": [...]}`` for
the bulk endpoints and ``{"shop_no": N, "request": {...}}`` for single ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from cafehub.connectors.errors import (
    AmbiguousWriteError,
    BadRequestError,
    ConflictError,
    ConnectorError,
    ServerError,
    TransportError,
)
from cafehub.connectors.http import member, validate

from . import codes
from . import models as m
from .client import Cafe24Client

T = TypeVar("T")

#: Cafe24's claim reason codes (``claim_reason_type`` / ``reason_type``).
ReasonType = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"]
#: Attempts to settle an ambiguous write (each is a read, then at most one re-send).
SETTLE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ItemQuantity:
    """An order item and how many of it a claim covers."""

    order_item_code: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ExchangeItem:
    """The variant (and how many of it) an exchanged item is replaced with."""

    product_no: int
    variant_code: str
    quantity: int


@dataclass(frozen=True, slots=True)
class RefundAccount:
    """Where staff send a refund that cannot go back through the payment gateway."""

    bank_code: str
    account_no: str
    holder: str


def envelope(client: Cafe24Client, requests: Sequence[Mapping[str, Any]] | None = None,
             request: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Cafe24's write body: ``{"shop_no": N, "requests": [...]}`` or ``{"shop_no": N, "request": {...}}``."""
    body: dict[str, Any] = {"shop_no": client.config.shop_no}
    if requests is not None:
        body["requests"] = [dict(r) for r in requests]
    if request is not None:
        body["request"] = dict(request)
    return body


def _settled(
    send: Callable[[], T],
    already_applied: Callable[[], T | None],
    *,
    endpoint: str,
) -> T:
    """Send a non-idempotent write once; if its outcome is unknown, read back before any re-send."""
    try:
        return send()
    except (TransportError, ServerError) as first:
        last: ConnectorError = first
        for _ in range(SETTLE_ATTEMPTS):
            try:
                done = already_applied()
            except ConnectorError as error:
                last = error
                continue
            if done is not None:
                return done
            try:
                return send()
            except (TransportError, ServerError) as error:
                last = error
        raise AmbiguousWriteError(
            f"the outcome is unknown after {SETTLE_ATTEMPTS} read-backs ({last})", endpoint=endpoint
        ) from last


def _item_codes(client: Cafe24Client, order_id: str, items: Sequence[ItemQuantity] | None) -> list[ItemQuantity]:
    if items:
        return list(items)
    return [ItemQuantity(i.order_item_code, i.quantity) for i in client.order_items(order_id)]


def _claimed(
    client: Cafe24Client, order_id: str, items: Sequence[ItemQuantity], statuses: Callable[[str], bool]
) -> list[m.OrderItem] | None:
    wanted = {i.order_item_code for i in items}
    current = [i for i in client.order_items(order_id) if i.order_item_code in wanted]
    if current and len(current) == len(wanted) and all(statuses(i.order_status) for i in current):
        return current
    return None


def cancel_order(
    client: Cafe24Client,
    order_id: str,
    *,
    items: Sequence[ItemQuantity] | None = None,
    reason: str = "",
    reason_type: ReasonType = "A",
    complete: bool = True,
    recover_inventory: bool = True,
    recover_coupon: bool = False,
    refund_account: RefundAccount | None = None,
) -> m.Cancellation:
    """Cancel a whole order (``items=None``) or some of its items (``POST /cancellation``).

    ``complete`` cancels outright (``status: canceled``, refund through the
    payment gateway where Cafe24 can); otherwise the cancellation is left
    ``canceling`` for staff to refund by hand.
    """
    endpoint = "POST /api/v2/admin/cancellation"
    chosen = _item_codes(client, order_id, items)
    request: dict[str, Any] = {
        "order_id": order_id,
        "status": "canceled" if complete else "canceling",
        "reason": reason[:2000],
        "claim_reason_type": reason_type,
        "recover_inventory": "T" if recover_inventory else "F",
        "recover_coupon": "T" if recover_coupon else "F",
        "add_memo_too": "F",
        "items": [{"order_item_code": i.order_item_code, "quantity": i.quantity} for i in chosen],
    }
    if refund_account is not None:
        request |= {
            "refund_method_code": ["T"],
            "refund_bank_code": refund_account.bank_code,
            "refund_bank_account_no": refund_account.account_no,
            "refund_bank_account_holder": refund_account.holder[:15],
        }

    def send() -> m.Cancellation:
        body = client.caller.call("POST", "/cancellation", json=envelope(client, requests=[request]), write=True)
        raw = member(body, "cancellation", endpoint)
        results: list[m.Cancellation] = validate(
            list[m.Cancellation], raw, endpoint=endpoint, root="cancellation", zone=client.config.zone
        )
        if not results:
            raise BadRequestError(200, "empty", "no cancellation was returned", endpoint=endpoint)
        return results[0]

    return _settled(send, lambda: cancellation_applied(client, order_id, chosen), endpoint=endpoint)


def cancellation_applied(client: Cafe24Client, order_id: str, items: Sequence[ItemQuantity]
                         ) -> m.Cancellation | None:
    """The cancellation of ``items`` as the order's items show it, or ``None`` when it did not happen."""
    done = _claimed(client, order_id, items, lambda s: s in codes.CANCELED or s in codes.CANCELING)
    if done is None:
        return None
    status = "canceled" if all(i.order_status in codes.CANCELED for i in done) else "canceling"
    return m.Cancellation(
        order_id=order_id,
        claim_code=done[0].claim_code,
        status=status,
        items=[m.ClaimItem(order_item_code=i.order_item_code, quantity=i.quantity) for i in done],
    )


def _claim_request(
    client: Cafe24Client,
    path: str,
    key: str,
    request: dict[str, Any],
    order_id: str,
    chosen: Sequence[ItemQuantity],
    prefix: str,
) -> m.ClaimRequest:
    endpoint = f"POST /api/v2/admin{path}"

    def send() -> m.ClaimRequest:
        body = client.caller.call("POST", path, json=envelope(client, requests=[request]), write=True)
        raw = member(body, key, endpoint)
        results: list[m.ClaimRequest] = validate(
            list[m.ClaimRequest], raw, endpoint=endpoint, root=key, zone=client.config.zone
        )
        if not results:
            raise BadRequestError(200, "empty", "no request was returned", endpoint=endpoint)
        return results[0]

    def applied() -> m.ClaimRequest | None:
        done = _claimed(client, order_id, chosen, lambda s: s.startswith(prefix))
        if done is None:
            return None
        return m.ClaimRequest(
            order_id=order_id,
            items=[m.ClaimItem(order_item_code=i.order_item_code, quantity=i.quantity) for i in done],
        )

    return _settled(send, applied, endpoint=endpoint)


def request_cancellation(
    client: Cafe24Client,
    order_id: str,
    *,
    items: Sequence[ItemQuantity] | None = None,
    reason: str = "",
    reason_type: ReasonType = "A",
    refund_account: RefundAccount | None = None,
) -> m.ClaimRequest:
    """File a buyer's cancellation request (``POST /cancellationrequests``) for staff to process."""
    chosen = _item_codes(client, order_id, items)
    request: dict[str, Any] = {
        "order_id": order_id,
        "reason_type": reason_type,
        "reason": reason[:2000],
        "items": [{"order_item_code": i.order_item_code, "quantity": i.quantity} for i in chosen],
    }
    if refund_account is not None:
        request |= {
            "refund_bank_code": refund_account.bank_code,
            "refund_bank_account_no": refund_account.account_no,
            "refund_bank_account_holder": refund_account.holder[:15],
        }
    return _claim_request(client, "/cancellationrequests", "cancellationrequests", request, order_id, chosen, "C")


def request_return(
    client: Cafe24Client,
    order_id: str,
    items: Sequence[ItemQuantity],
    *,
    reason: str,
    reason_type: Literal["A", "E", "K", "J", "I"] = "A",
    request_pickup: bool = False,
    pickup: Mapping[str, str] | None = None,
    refund_account: RefundAccount | None = None,
) -> m.ClaimRequest:
    """File a return request (``POST /returnrequests``)."""
    request: dict[str, Any] = {
        "order_id": order_id,
        "reason_type": reason_type,
        "reason": reason[:2000],
        "request_pickup": "T" if request_pickup else "F",
        "pickup": dict(pickup) if pickup else None,
        "items": [{"order_item_code": i.order_item_code, "quantity": i.quantity} for i in items],
    }
    if refund_account is not None:
        request |= {
            "refund_bank_code": refund_account.bank_code,
            "refund_bank_account_no": refund_account.account_no,
            "refund_bank_account_holder": refund_account.holder[:15],
        }
    return _claim_request(client, "/returnrequests", "returnrequests", request, order_id, items, "R")


def request_exchange(
    client: Cafe24Client,
    order_id: str,
    items: Sequence[ItemQuantity],
    *,
    reason: str,
    reason_type: Literal["A", "E", "K", "J", "I"] = "A",
    exchange_items: Sequence[ExchangeItem] = (),
    request_pickup: bool = False,
) -> m.ClaimRequest:
    """File an exchange request (``POST /exchangerequests``), for other variants when ``exchange_items`` name them.

    Without ``exchange_items`` the same variants are sent again (a like-for-like exchange).
    """
    request: dict[str, Any] = {
        "order_id": order_id,
        "reason_type": reason_type,
        "reason": reason[:2000],
        "request_pickup": "T" if request_pickup else "F",
        "items": [{"order_item_code": i.order_item_code, "quantity": i.quantity} for i in items],
        "exchange_items": [{"product_no": e.product_no, "variant_code": e.variant_code, "quantity": e.quantity}
                           for e in exchange_items] or None,
    }
    return _claim_request(client, "/exchangerequests", "exchangerequests", request, order_id, items, "E")


#: Cafe24's field limits for receivers (characters).
RECEIVER_LIMITS = {"name": (1, 20), "phone": (0, 20), "cellphone": (0, 20), "zipcode": (2, 14),
                   "address1": (1, 255), "address2": (0, 255)}


def update_receivers(client: Cafe24Client, order_id: str, changes: Mapping[str, str]) -> list[m.Receiver]:
    """Change an order's delivery address (``PUT /orders/{order_id}/receivers``).

    Field lengths are checked here first (Cafe24 would answer 422), so the
    caller gets a message naming the field.
    """
    endpoint = "PUT /api/v2/admin/orders/{order_id}/receivers"
    for name, value in changes.items():
        low, high = RECEIVER_LIMITS.get(name, (0, 255))
        if not low <= len(value) <= high:
            raise BadRequestError(422, "invalid", f"{name} must be {low} to {high} characters", endpoint=endpoint)
    body = envelope(client, request=dict(changes))
    path = f"/orders/{order_id}/receivers"
    try:
        answer = client.caller.call("PUT", path, template="/orders/{order_id}/receivers", json=body, write=False)
    except ConflictError:
        return client.receivers(order_id)  # 409: the same values were already stored
    return validate(list[m.Receiver], member(answer, "receivers", endpoint), endpoint=endpoint, root="receivers",
                    zone=client.config.zone)
