"""The read side of the executor: snapshots from Cafe24 and Sellmate, with as few calls as possible.

- A member's orders: ``GET /orders?member_id=…&embed=items,receivers`` over
  the latest 3-month window, then the one before, until 5 orders are found
  or ``history_months`` are covered (2 calls at most by default; Cafe24
  refuses longer windows and has no sort parameter, so each window is read
  whole and the newest kept).
- A guest's orders: one ``GET /orders?order_id=a,b,…`` for the order ids the
  verified phone or e-mail unlocked.
- One order: ``GET /orders/{id}?embed=items,receivers``; it must belong to
  the identity (member id, or one of the guest's order ids) or it is
  reported as not found.
- Warehouse facts only when a rule needs them, each batched: stock and
  restock dates for all item codes at once, dispatch dates for several
  orders at once.
- Mall settings: four calls, kept for ``settings_ttl`` seconds per reader.

Every snapshot is built here from connector models; the rules never see
connector types.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cafehub.connectors.cafe24 import models as m
from cafehub.connectors.cafe24 import settings as cafe24_settings
from cafehub.connectors.cafe24.client import Cafe24Client
from cafehub.connectors.errors import NotFoundError
from cafehub.connectors.paging import add_months
from cafehub.connectors.sellmate import SellmateClient
from cafehub.runtime.answers import Identity
from cafehub.runtime.mall import mall_settings_from_cafe24
from cafehub.runtime.rules.eligibility import LIST_LIMIT, newest_first
from cafehub.runtime.settings import MallSettings, merge_mall
from cafehub.runtime.snapshots import (
    ItemSnapshot,
    OrderSnapshot,
    ReceiverSnapshot,
    ShipmentSnapshot,
    StockFact,
    VariantOption,
    WmsFacts,
)

EMBED = ("items", "receivers")


@dataclass(slots=True)
class ShopConnectors:
    """The connectors of one shop: its Cafe24 client and, with a WMS, its Sellmate client."""

    cafe24: Cafe24Client
    sellmate: SellmateClient | None = None

    def close(self) -> None:
        self.cafe24.close()
        if self.sellmate is not None:
            self.sellmate.close()


def item_snapshot(item: m.OrderItem) -> ItemSnapshot:
    return ItemSnapshot(
        order_item_code=item.order_item_code,
        product_no=item.product_no,
        product_name=item.product_name or f"#{item.product_no}",
        option_text=item.option_value or "",
        variant_code=item.variant_code,
        quantity=item.quantity,
        unit_price=item.product_price + item.option_price,
        status=item.order_status,
        shipping_code=item.shipping_code or None,
        tracking_no=item.tracking_no or None,
        delivered_at=item.delivered_date,
    )


def order_snapshot(order: m.Order, items: Sequence[m.OrderItem] | None = None) -> OrderSnapshot:
    """An order snapshot; shipments are derived from the items' shipping codes and tracking numbers."""
    rows = [item_snapshot(i) for i in (items if items is not None else order.items or [])]
    groups: dict[str, list[ItemSnapshot]] = {}
    for row in rows:
        if row.shipping_code:
            groups.setdefault(row.shipping_code, []).append(row)
    shipments = tuple(
        ShipmentSnapshot(shipping_code=code, tracking_no=next((i.tracking_no for i in g if i.tracking_no), None),
                         item_codes=tuple(i.order_item_code for i in g))
        for code, g in sorted(groups.items())
    )
    receivers = tuple(
        ReceiverSnapshot(name=r.name or "", phone=r.phone, cellphone=r.cellphone, zipcode=r.zipcode or "",
                         address1=r.address1 or "", address2=r.address2 or "", country_code=r.country_code or "KR",
                         shipping_code=r.shipping_code)
        for r in order.receivers or []
    )
    currency = order.currency if order.currency in ("KRW", "JPY") else "KRW"
    return OrderSnapshot(
        order_id=order.order_id,
        member_id=order.member_id or None,
        ordered_at=order.order_date,
        paid=order.paid in ("T", "M"),
        payment_methods=tuple(order.payment_method),
        easy_payment=bool(order.easypay_name),
        payment_amount=order.payment_amount,
        currency=currency,
        items=tuple(rows),
        receivers=receivers,
        shipments=shipments,
        multiple_addresses=order.multiple_addresses == "T",
    )


class ShopReader:
    """Reads snapshots for one shop; the settings cache is shared by the threads using it."""

    def __init__(
        self,
        connectors: ShopConnectors,
        *,
        zone: str = "Asia/Seoul",
        history_months: int = 6,
        settings_ttl: float = 600.0,
        mall_overrides: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connectors = connectors
        self.zone = ZoneInfo(zone)
        self.history_months = history_months
        self.settings_ttl = settings_ttl
        self.mall_overrides = mall_overrides or {}
        self.clock = clock
        self._mall: tuple[float, MallSettings] | None = None
        self._lock = threading.Lock()

    @property
    def cafe24(self) -> Cafe24Client:
        return self.connectors.cafe24

    # -- settings -----------------------------------------------------------

    def mall_settings(self) -> MallSettings:
        """The mall's settings from Cafe24 (cached), with the settings file's ``[mall]`` values on top."""
        with self._lock:
            cached = self._mall
            if cached is not None and self.clock() - cached[0] < self.settings_ttl:
                return cached[1]
        client = self.cafe24
        order = cafe24_settings.order_setting(client)
        coupon = cafe24_settings.coupon_setting(client)
        regional = cafe24_settings.regional_surcharges(client)
        retention = client.cart_setting().retention_days
        mall = mall_settings_from_cafe24(order, coupon, regional, retention)
        if self.mall_overrides:
            mall = merge_mall(mall, self.mall_overrides)
        with self._lock:
            self._mall = (self.clock(), mall)
        return mall

    # -- orders -------------------------------------------------------------

    def orders(self, identity: Identity, today: date, *, enough: int = LIST_LIMIT,
               want: Callable[[OrderSnapshot], bool] | None = None) -> list[OrderSnapshot]:
        """The identity's orders, newest first: at least ``enough`` that pass ``want`` when there are that many."""
        keep = want or (lambda _: True)
        if identity.guest_order_ids:
            found = self.cafe24.orders_by_id(sorted(identity.guest_order_ids), embed=EMBED)
            snaps = [order_snapshot(o) for o in found if identity.owns(o.order_id, o.member_id or None)]
            return newest_first(snaps)
        out: list[OrderSnapshot] = []
        end = today
        covered = 0
        while covered < self.history_months:
            start = add_months(end, -3) + timedelta(days=1)
            page = self.cafe24.list_orders(start, end, member_id=identity.member_id, embed=EMBED,
                                           limit=1000)
            out += [order_snapshot(o) for o in page if o.member_id == identity.member_id]
            if sum(1 for o in out if keep(o)) >= enough:
                break
            covered += 3
            end = start - timedelta(days=1)
        return newest_first(out)

    def order(self, identity: Identity, order_id: str) -> OrderSnapshot | None:
        """One order of the identity's (``None`` when it does not exist or is someone else's)."""
        if identity.guest_order_ids and order_id not in identity.guest_order_ids:
            return None
        try:
            found = self.cafe24.order(order_id, embed=EMBED)
        except NotFoundError:
            return None
        if not identity.owns(found.order_id, found.member_id or None):
            return None
        return order_snapshot(found)

    def shipments(self, order_id: str) -> list[ShipmentSnapshot]:
        return [ShipmentSnapshot(shipping_code=s.shipping_code, tracking_no=s.tracking_no or None,
                                 item_codes=tuple(s.order_item_codes))
                for s in self.cafe24.shipments(order_id)]

    def variants(self, product_no: int) -> list[VariantOption]:
        return [variant_option(v) for v in self.cafe24.variants(product_no)]

    # -- warehouse ----------------------------------------------------------

    def stock(self, variant_codes: Iterable[str]) -> dict[str, StockFact]:
        """Stock and restock dates for every code at once (2 Sellmate calls per 100 codes)."""
        sellmate = self.connectors.sellmate
        codes = sorted({c for c in variant_codes if c})
        if sellmate is None or not codes:
            return {}
        on_hand = sellmate.stock(codes)
        missing = [c for c in codes if on_hand.get(c, 0) <= 0]
        restock = sellmate.restock_dates(missing) if missing else {}
        return {c: StockFact(on_hand=on_hand.get(c, 0), restock_date=restock.get(c)) for c in codes}

    def dispatch_dates(self, order_ids: Sequence[str]) -> dict[str, date | None]:
        sellmate = self.connectors.sellmate
        if sellmate is None or not order_ids:
            return {}
        return sellmate.dispatch_dates(order_ids)

    def packing_and_invoices(self, order_id: str) -> WmsFacts:
        sellmate = self.connectors.sellmate
        if sellmate is None:
            return WmsFacts()
        return WmsFacts(packed_with=tuple(sellmate.packed_with(order_id)),
                        invoices=tuple(i.invoice_no for i in sellmate.invoices(order_id)))


def variant_option(v: m.Variant) -> VariantOption:
    """A Cafe24 variant as an exchange option (not displayed or not selling: not available)."""
    return VariantOption(
        variant_code=v.variant_code,
        option_text=v.option_text or v.variant_code,
        selling=(v.selling or "T") == "T" and (v.display or "T") == "T",
        quantity=v.quantity if v.use_inventory != "F" else None,
        sold_out_when_empty=v.display_soldout != "F",
        additional_amount=v.additional_amount or Decimal(0),
    )
