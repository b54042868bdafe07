"""What the sandbox adds for the chat commands: the mall's settings, one-order cancellation, dispatch dates.

- ``GET /orders/setting``, ``GET /coupons/setting``, ``GET /regionalsurcharges``
  answer from :class:`MallSettingsState` (``Sandbox.mall``), shaped as
  Cafe24 documents them; tests change the settings in place.
- ``POST /orders/{order_id}/cancellation`` (``{"shop_no": 1, "request": {...}}``):
  cancels items before shipping (``N00``-``N22``), a part of an item's
  quantity by splitting the item as Cafe24 does (the cancelled part gets a
  new order item code). ``canceled`` with ``payment_gateway_cancel: "T"``
  refunds at once (``C40``); without it the order is cancelled with the
  refund left to staff (``C41``); unpaid orders become ``C49``;
  ``canceling`` → ``C34``. The gateway cannot refund bank deposits, virtual
  accounts, convenience-store or cash-on-delivery payments (422), and a cash
  refund (``refund_method_code`` ``T``) needs the bank account (422).
- Sellmate ``GET /api/v1/dispatches?order_ids=…``: the day the warehouse
  hands an order's in-stock items to the carrier: for orders waiting to
  ship, today or one of the next two days (by a hash of the order id), and
  ``null`` for the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cafehub.connectors.cafe24 import codes

from .derive import h
from .state import Item, Order

if TYPE_CHECKING:
    from .cafe24_app import Call
    from .control import Sandbox

BEFORE_SHIPPING = frozenset({"N00", "N02", "N10", "N20", "N21", "N22"})
WAITING = frozenset({"N10", "N20", "N21", "N22"})
#: Payment methods a payment gateway cannot refund.
NOT_GATEWAY = frozenset({"cash", "icash", "cvs", "cod"})


def _default_orders() -> dict[str, Any]:
    return {
        "shop_no": 1,
        "claim_request": "T",
        "claim_request_type": "S",
        "claim_request_button_exposure": ["cancel_N00", "cancel_N10", "cancel_N20", "exchange_N40", "return_N40"],
        "claim_request_button_date_type": "shipend_date",
        "claim_request_button_period": 30,
        "stock_recover": "T",
        "stock_recover_base": "T",
        "stock_recover_individual": {"cancel_before": None, "cancel_after": None, "cancel_return": None},
        "refund_processing_setting": "D",
        "claim_request_auto_accept": "F",
        "refund_benefit_setting": "U",
        "use_product_prepare_status": "T",
        "customer_pays_return_shipping": "F",
        "refund_bank_account_required": "F",
        "receiver_address_modify_button_exposure": ["N00", "N10", "N20", "N22"],
    }


def _default_coupons() -> dict[str, Any]:
    return {
        "shop_no": 1,
        "use_coupon": "T",
        "recover_coupon_setting": {"restore_viewpoint": "A", "cancel_before_pay": "T", "cancel_after_pay": "T",
                                   "return": "F", "exchange": "F", "part": "F"},
    }


def _default_regional() -> dict[str, Any]:
    return {"shop_no": 1, "use_regional_surcharge": "T", "region_setting_type": "A", "regional_surcharge_list": [],
            "jeju_surcharge_amount": "3000.00", "remote_area_surcharge_amount": "5000.00"}


@dataclass(slots=True)
class MallSettingsState:
    """The mall's settings as Cafe24's three setting endpoints answer them (editable by tests)."""

    orders: dict[str, Any] = field(default_factory=_default_orders)
    coupons: dict[str, Any] = field(default_factory=_default_coupons)
    regional: dict[str, Any] = field(default_factory=_default_regional)


def order_setting(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"order": dict(sb.mall.orders)}


def coupon_setting(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"coupon": dict(sb.mall.coupons)}


def regional_surcharges(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    return 200, {"regionalsurcharge": dict(sb.mall.regional)}


def split_item(order: Order, item: Item, quantity: int) -> Item:
    """Split ``quantity`` units off ``item`` into a new item of the order (as Cafe24 does for a partial claim)."""
    if quantity >= item.quantity:
        return item
    number = max(i.item_no for i in order.items) + 1
    part = replace(item, order_item_code=f"{order.order_id}-{number:02d}", item_no=number, quantity=quantity)
    item.quantity -= quantity
    order.items.append(part)
    return part


def chosen_items(sb: Sandbox, order: Order, request: Any, allowed: frozenset[str], what: str) -> list[Item]:
    """The request's items, validated (all of them first), then split where only part of a quantity is claimed."""
    from .control import SandboxError

    wanted = request.get("items") if isinstance(request, dict) else None
    if not isinstance(wanted, list) or not wanted:
        raise SandboxError(422, "items is required")
    by_code = {i.order_item_code: i for i in order.items}
    plan: list[tuple[Item, int]] = []
    for entry in wanted:
        code = entry.get("order_item_code") if isinstance(entry, dict) else None
        item = by_code.get(str(code))
        if item is None:
            raise SandboxError(422, f"order_item_code {code!r} is not an item of order {order.order_id}")
        quantity = entry.get("quantity")
        if not isinstance(quantity, int) or not 1 <= quantity <= item.quantity:
            raise SandboxError(422, f"quantity of {code} must be 1 to {item.quantity}")
        if item.status not in allowed:
            raise SandboxError(422, f"cannot {what} {code} in status {item.status} "
                                    f"({codes.ITEM_STATUSES.get(item.status, '?')})")
        plan.append((item, quantity))
    if len({i.order_item_code for i, _ in plan}) != len(plan):
        raise SandboxError(422, "an order item is listed twice")
    return [split_item(order, item, quantity) for item, quantity in plan]


def cancel_one_order(sb: Sandbox, call: Call) -> tuple[int, dict[str, Any]]:
    from .cafe24_app import naive_utc
    from .cafe24_writes import _claim
    from .control import SandboxError

    order = sb.shop.orders.get(call.path["order_id"])
    if order is None:
        raise SandboxError(404, f"order {call.path['order_id']} was not found")
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("request"), dict):
        raise SandboxError(400, 'the body must be {"shop_no": 1, "request": {...}}')
    request = body["request"]
    status = request.get("status")
    if status not in ("canceled", "canceling"):
        raise SandboxError(422, "status is required: canceled or canceling")
    gateway = request.get("payment_gateway_cancel", "F") == "T"
    if gateway and (status != "canceled" or set(order.payment_methods) & NOT_GATEWAY):
        raise SandboxError(422, "payment_gateway_cancel is only possible for a completed cancellation paid "
                                "through a payment gateway")
    methods = request.get("refund_method_code") or []
    if "T" in methods and not (request.get("refund_bank_code") and request.get("refund_bank_account_no")):
        raise SandboxError(422, "refund_bank_code and refund_bank_account_no are required for a cash refund")
    with sb.shop.lock:
        items = chosen_items(sb, order, request, BEFORE_SHIPPING, "cancel")
        now = naive_utc(sb.config.clock())
        code, claim = _claim(sb, "cancellation", order, now, request)
        paid = order.pay_date is not None
        for item in items:
            if status == "canceling":
                item.status = "C34"
            elif not paid:
                item.status = "C49"
            else:
                item.status = "C40" if gateway else "C41"
            item.claim_code, item.cancel_date = code, now
            if item.status == "C40":
                item.refund_date = now
        if status == "canceled":
            complete_cancellation(sb, order, items, now, refunded=paid and gateway,
                                  recover_coupon=request.get("recover_coupon") == "T")
        sb.shop.persist_order(order, claim)
    answer = {"shop_no": 1, "order_id": order.order_id, "status": status, "claim_code": code,
              "items": [{"order_item_code": i.order_item_code, "quantity": i.quantity} for i in items]}
    return 201, {"cancellation": answer}


def complete_cancellation(sb: Sandbox, order: Order, items: list[Item], now: datetime, *, refunded: bool,
                          recover_coupon: bool) -> None:
    """A completed cancellation lowers the order's current amounts (all of them when nothing is left) and,
    with ``recover_coupon`` once the whole order is cancelled, makes its coupons unused again."""
    removed = sum((i.amount for i in items), start=Decimal(0))
    order.order_price_amount = max(Decimal(0), order.order_price_amount - removed)
    if all(i.status in codes.CANCELED for i in order.items):
        order.shipping_fee = Decimal(0)
        order.payment_amount = Decimal(0)
    else:
        order.payment_amount = max(Decimal(0), order.payment_amount - removed)
    order.cancel_date = now
    if refunded:
        order.refund_date = now
    if recover_coupon and all(i.status in codes.CANCELED for i in order.items):
        sb.shop.restore_coupons(order.order_id, now)


#: (path, method, handler); registered before the generic ``/orders/{order_id}`` routes.
ROUTES = [
    ("/orders/setting", "GET", order_setting),
    ("/coupons/setting", "GET", coupon_setting),
    ("/regionalsurcharges", "GET", regional_surcharges),
    ("/orders/{order_id}/cancellation", "POST", cancel_one_order),
]


def dispatch_date(order: Order, today: date) -> date | None:
    """When the warehouse hands ``order``'s in-stock items to the carrier (``None`` unless it waits to ship)."""
    if not order.items or not any(i.status in WAITING for i in order.items):
        return None
    return today + timedelta(days=h("dispatch", order.order_id) % 3)


def dispatches_json(sb: Sandbox, order_ids: list[str]) -> list[dict[str, Any]]:
    today = sb.config.clock().astimezone(sb.zone).date()
    out = []
    with sb.shop.lock:
        for order_id in order_ids:
            order = sb.shop.orders.get(order_id)
            if order is None:
                continue
            when = dispatch_date(order, today)
            out.append({"order_id": order_id, "dispatch_date": when.isoformat() if when else None})
    return out


def claim_detail(row: dict[str, Any]) -> dict[str, Any]:
    """A recorded claim's request (tests read what was sent)."""
    detail: dict[str, Any] = json.loads(row["detail"])
    return detail
