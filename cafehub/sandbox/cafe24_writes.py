"""The sandbox's write endpoints: they change the shop as Cafe24 would, and persist.

- ``POST /cancellation`` (``requests``, at most 10): items before shipping
  (``N00``-``N22``) become ``C40`` when paid and ``C49`` when not (status
  ``canceled``), or ``C34`` (status ``canceling``); the order's current
  amounts drop by the canceled items, and a paid cancellation is refunded at
  once. With ``recover_coupon: "T"``, once the whole order is canceled the
  coupons used on it are unused again (their ``used_date`` gone). Items
  already canceled or shipped answer 422.
- ``POST /cancellationrequests``: items before shipping become ``C00``.
- ``POST /returnrequests`` and ``/exchangerequests``: delivered items
  (``N40``, ``N50``) become ``R00`` / ``E00``.
- A claim on part of an item's quantity splits that part off into a new
  order item (a new ``order_item_code``), as Cafe24 does.
- ``PUT /orders/{order_id}/receivers`` (``request``): Cafe24's field limits
  (422), refused once anything has shipped (422), 409 when nothing changes.

Every accepted claim gets a claim code and a row in ``sandbox_claims``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import render
from .cafe24_app import Call, Handler, naive_utc
from .control import Sandbox, SandboxError
from .mall_settings import chosen_items, complete_cancellation
from .state import Item, Order

BEFORE_SHIPPING = frozenset({"N00", "N02", "N10", "N20", "N21", "N22"})
DELIVERED = frozenset({"N40", "N50"})
RECEIVER_LIMITS = {"name": (1, 20), "phone": (0, 20), "cellphone": (0, 20), "zipcode": (2, 14),
                   "address1": (1, 255), "address2": (0, 255)}


def _requests(call: Call, limit: int) -> list[dict[str, Any]]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise SandboxError(400, 'the body must be {"shop_no": 1, "requests": [...]}')
    requests = body["requests"]
    if not 1 <= len(requests) <= limit:
        raise SandboxError(422, f"requests must hold 1 to {limit} entries")
    if not all(isinstance(x, dict) for x in requests):
        raise SandboxError(422, "every entry of requests must be an object")
    return list(requests)


def _order_and_items(
    sb: Sandbox, request: dict[str, Any], allowed: frozenset[str], what: str
) -> tuple[Order, list[Item]]:
    order = sb.shop.orders.get(str(request.get("order_id", "")))
    if order is None:
        raise SandboxError(404, f"order {request.get('order_id')!r} was not found")
    # Part of an item's quantity is split off into a new item, as Cafe24 does.
    return order, chosen_items(sb, order, request, allowed, what)


def _claim(sb: Sandbox, kind: str, order: Order, now: datetime, detail: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    sb.shop.claim_seq += 1
    prefix = {"cancellation": "C", "cancellationrequest": "C", "return": "R", "exchange": "E"}[kind]
    local = now.replace(tzinfo=None)
    code = f"{prefix}{local:%Y%m%d}-{sb.shop.claim_seq:07d}"
    row = {"claim_code": code, "kind": kind, "order_id": order.order_id, "created_at": now,
           "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)}
    return code, row


def cancellation(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    requests = _requests(call, 10)
    now = naive_utc(sb.config.clock())
    checked = []
    for request in requests:  # validate every request before changing anything
        status = request.get("status")
        if status not in ("canceled", "canceling"):
            raise SandboxError(422, "status is required: canceled or canceling")
        checked.append((request, *_order_and_items(sb, request, BEFORE_SHIPPING, "cancel")))
    answers = []
    for request, order, items in checked:
        complete = request["status"] == "canceled"
        code, claim = _claim(sb, "cancellation", order, now, request)
        paid = order.pay_date is not None
        for item in items:
            item.status = ("C40" if paid else "C49") if complete else "C34"
            item.claim_code, item.cancel_date = code, now
            if complete and paid:
                item.refund_date = now
        if complete:
            complete_cancellation(sb, order, items, now, refunded=paid,
                                  recover_coupon=request.get("recover_coupon") == "T")
        sb.shop.persist_order(order, claim)
        answers.append({"shop_no": 1, "order_id": order.order_id, "status": request["status"], "claim_code": code,
                        "items": [{"order_item_code": i.order_item_code, "quantity": i.quantity} for i in items]})
    return 201, {"cancellation": answers}


def _claim_request(kind: str, key: str, allowed: frozenset[str], new_status: str, stamp: str,
                   required: tuple[str, ...]) -> Handler:
    def handler(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
        requests = _requests(call, 100)
        now = naive_utc(sb.config.clock())
        checked = []
        for request in requests:
            for name in required:
                if request.get(name) in (None, ""):
                    raise SandboxError(422, f"{name} is required")
            checked.append((request, *_order_and_items(sb, request, allowed, f"file a {kind} request for")))
        answers = []
        for request, order, items in checked:
            code, claim = _claim(sb, kind, order, now, request)
            for item in items:
                item.status, item.claim_code = new_status, code
                setattr(item, stamp, now)
            sb.shop.persist_order(order, claim)
            answer: dict[str, Any] = {"shop_no": 1, "order_id": order.order_id}
            if kind == "exchange":  # Cafe24 numbers exchange requests; the others carry no number
                answer["exchange_request_no"] = sb.shop.claim_seq
            answer["items"] = [{"order_item_code": i.order_item_code, "quantity": i.quantity} for i in items]
            answers.append(answer)
        return 201, {key: answers}

    return handler


def update_receivers(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    order = sb.shop.orders.get(call.path["order_id"])
    if order is None:
        raise SandboxError(404, f"order {call.path['order_id']} was not found")
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("request"), dict):
        raise SandboxError(400, 'the body must be {"shop_no": 1, "request": {...}}')
    changes = {k: v for k, v in body["request"].items() if k in RECEIVER_LIMITS}
    for name, value in changes.items():
        low, high = RECEIVER_LIMITS[name]
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise SandboxError(422, f"{name} must be a string of {low} to {high} characters")
    if not changes:
        raise SandboxError(422, "nothing to change (name, phone, cellphone, zipcode, address1, address2)")
    if any(i.status not in BEFORE_SHIPPING or i.tracking_no for i in order.items):
        raise SandboxError(422, "the receiver cannot be changed: the order has shipped or has an invoice number")
    target = body["request"].get("shipping_code")
    receivers = [x for x in order.receivers if target in (None, x.shipping_code)]
    if not receivers:
        raise SandboxError(404, f"shipping_code {target!r} was not found")
    if all(getattr(x, k) == v for x in receivers for k, v in changes.items()):
        raise SandboxError(409, "the receiver already has these values")
    for receiver in receivers:
        for name, value in changes.items():
            setattr(receiver, name, value)
    sb.shop.persist_order(order)
    return 200, {"receivers": [render.receiver_json(x) for x in order.receivers]}


WRITES: list[tuple[str, str, Callable[[Sandbox, Call], tuple[int, dict[str, Any]]]]] = [
    ("/cancellation", "POST", cancellation),
    ("/cancellationrequests", "POST",
     _claim_request("cancellationrequest", "cancellationrequests", BEFORE_SHIPPING, "C00", "cancel_date",
                    ("reason_type",))),
    ("/returnrequests", "POST",
     _claim_request("return", "returnrequests", DELIVERED, "R00", "return_request_date",
                    ("reason_type", "reason", "request_pickup"))),
    ("/exchangerequests", "POST",
     _claim_request("exchange", "exchangerequests", DELIVERED, "E00", "exchange_request_date",
                    ("reason_type", "reason", "request_pickup"))),
    ("/orders/{order_id}/receivers", "PUT", update_receivers),
]
