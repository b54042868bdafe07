"""What effects do, over the Cafe24 client, the code service and the identity directory.

Interim order rules, until the command runtime's step API (issue 9) takes
them over: display status from item codes; cancellable = items before
shipping (``N00``-``N22``), newest 5; a bank account is asked when the order
was paid by bank deposit, real-time transfer or virtual account; a cancel
is ``complete`` (refund through the gateway) only for a whole order without
those methods, otherwise ``canceling`` for staff. The cancel write is safe to
run twice: the order's items are read first and a cancellation already in
place is reported as done, never sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cafehub.connectors.cafe24 import writes
from cafehub.connectors.cafe24.client import Cafe24Client
from cafehub.connectors.cafe24.models import Order
from cafehub.connectors.errors import ConnectorError
from cafehub.runtime.identity import Contact, OtpService, find_identities
from cafehub.runtime.identity.phones import region_for_zone

from .model import Effect

log = logging.getLogger("cafehub.conversations")
BEFORE_SHIPPING = {"N00", "N10", "N20", "N21", "N22"}
BANK_METHODS = {"cash", "tcash", "icash"}
LOOKBACK_DAYS = 89


def display_status(codes: set[str]) -> str:
    def one(code: str) -> str:
        if code in ("N00", "N02", "N03"):
            return "before payment"
        if code.startswith("N") and code < "N30":
            return "preparing"
        if code == "N30":
            return "shipping"
        if code.startswith("N"):
            return "delivered"
        prefix, number = code[0], int(code[1:] or 0)
        done = number >= 40
        return {"C": "canceled" if done else "canceling", "R": "returned" if done else "returning",
                "E": "exchanged" if done else "exchanging"}.get(prefix, "in progress")

    return " / ".join(sorted({one(c) for c in codes}))


def order_view(order: Order) -> dict[str, Any]:
    items = order.items or []
    return {"order_id": order.order_id, "status": display_status({i.order_status for i in items}),
            "items": [f"{i.product_name or i.product_no} x{i.quantity}" for i in items],
            "ordered_at": order.order_date.isoformat()}


class ShopActions:
    """Runs effects for one shop. ``on_hand_over`` lets a channel (Channel Talk) act on a hand-off."""

    def __init__(self, client: Cafe24Client, otp: OtpService, *, shop: str, zone: str = "Asia/Seoul",
                 on_hand_over: Callable[[str, str], None] | None = None,
                 today: Callable[[], datetime] | None = None) -> None:
        self.client = client
        self.otp = otp
        self.shop = shop
        self.zone = zone
        self.on_hand_over = on_hand_over
        self._today = today or (lambda: datetime.now(ZoneInfo(zone)))

    def run(self, conversation_id: str, effect: Effect, *, first_time: bool) -> dict[str, Any]:
        handler = getattr(self, f"_{effect.kind}")
        try:
            result: dict[str, Any] = handler(conversation_id, first_time=first_time, **effect.args)
        except ConnectorError as error:
            log.warning("effect %s failed: %s", effect.kind, type(error).__name__)
            result = {"ok": False, "error": type(error).__name__}
        except PermissionError:
            log.warning("effect %s refused: the order is not the verified customer's", effect.kind)
            result = {"ok": False, "error": "not the customer's order"}
        return {"effect": effect.kind, **result}

    # -- identity -------------------------------------------------------------

    def _send_code(self, conversation_id: str, *, first_time: bool, channel: str, address: str,
                   lang: str) -> dict[str, Any]:
        contact = Contact(channel, address)  # type: ignore[arg-type]
        sent = self.otp.send(self.shop, contact, lang=lang)
        return {"status": sent.status, "retry_after": sent.retry_after_seconds, "masked": contact.masked}

    def _check_code(self, conversation_id: str, *, first_time: bool, channel: str, address: str,
                    code: str) -> dict[str, Any]:
        checked = self.otp.verify(self.shop, Contact(channel, address), code)  # type: ignore[arg-type]
        return {"status": checked.status, "tries_left": checked.tries_left}

    def _find_identities(self, conversation_id: str, *, first_time: bool, channel: str,
                         address: str) -> dict[str, Any]:
        found = find_identities(self.client, Contact(channel, address),  # type: ignore[arg-type]
                                region=region_for_zone(self.zone), today=self._today().date())
        return {"identities": [{"kind": i.kind, "member_id": i.member_id, "order_ids": list(i.order_ids)}
                               for i in found], "labels": [i.label for i in found]}

    # -- orders ---------------------------------------------------------------

    def _orders_of(self, who: dict[str, Any]) -> list[Order]:
        if who["kind"] == "member":
            today = self._today().date()
            found = self.client.list_orders(today - timedelta(days=LOOKBACK_DAYS), today, member_id=who["member_id"])
        else:
            found = self.client.orders_by_id(who["order_ids"])
        return sorted(found, key=lambda o: o.order_date, reverse=True)

    def _load_orders(self, conversation_id: str, *, first_time: bool, who: dict[str, Any]) -> dict[str, Any]:
        return {"orders": [order_view(o) for o in self._orders_of(who)[:5]]}

    def _load_cancellable(self, conversation_id: str, *, first_time: bool, who: dict[str, Any]) -> dict[str, Any]:
        rows = [o for o in self._orders_of(who) if any(i.order_status in BEFORE_SHIPPING for i in o.items or [])]
        return {"orders": [order_view(o) for o in rows[:5]]}

    def _owned(self, who: dict[str, Any], order_id: str) -> Order:
        order = self.client.order(order_id)
        mine = (order.member_id == who.get("member_id")) if who["kind"] == "member" else (
            order_id in who.get("order_ids", []))
        if not mine:
            raise PermissionError("the order does not belong to the verified customer")
        return order

    def _plan_cancel(self, conversation_id: str, *, first_time: bool, who: dict[str, Any], order_id: str,
                     items: list[str] | None, list_items: bool = False) -> dict[str, Any]:
        order = self._owned(who, order_id)
        open_items = [i for i in order.items or [] if i.order_status in BEFORE_SHIPPING]
        if list_items:
            return {"items_list": [{"code": i.order_item_code,
                                    "label": f"{i.product_name or i.product_no} x{i.quantity}"} for i in open_items]}
        return {"needs_account": bool(BANK_METHODS & set(order.payment_method)), "items_list": None}

    def _cancel(self, conversation_id: str, *, first_time: bool, who: dict[str, Any], order_id: str,
                items: list[str] | None, reason: str, refund_account: dict[str, str] | None) -> dict[str, Any]:
        order = self._owned(who, order_id)
        wanted = [i for i in order.items or [] if items is None or i.order_item_code in items]
        if wanted and all(i.order_status.startswith("C") for i in wanted):
            return {"ok": True, "already": True}  # done before (a repeated or resumed confirmation)
        chosen = [i for i in wanted if i.order_status in BEFORE_SHIPPING]
        if not chosen:
            return {"ok": False, "error": "not cancellable"}
        bank = bool(BANK_METHODS & set(order.payment_method))
        account = None
        if refund_account:
            account = writes.RefundAccount(refund_account["bank"], refund_account["account_no"],
                                           refund_account["holder"])
        writes.cancel_order(
            self.client, order_id,
            items=None if items is None else [writes.ItemQuantity(i.order_item_code, i.quantity) for i in chosen],
            reason=reason, complete=items is None and not bank, refund_account=account)
        return {"ok": True}

    def _run_command(self, conversation_id: str, *, first_time: bool, who: dict[str, Any], command: str,
                     lang: str) -> dict[str, Any]:
        # The command runtime (issue 9) answers ETA, return/exchange and address change; until its step API
        # is available the conversation hands these over instead of guessing.
        return {"error": "command runtime not available"}

    def _hand_over(self, conversation_id: str, *, first_time: bool, reason: str) -> dict[str, Any]:
        if self.on_hand_over is not None and first_time:
            self.on_hand_over(conversation_id, reason)
        return {"reason": reason}
