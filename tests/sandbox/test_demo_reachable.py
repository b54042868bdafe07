"""The demo shop, served by the sandbox, has data for every display status and every rule of the chat.

A rule whose case never occurs in the demo shop cannot be tried in the chat or
from ``cafehub command run``; this test derives the sandbox shop from a demo
shop (as ``cafehub sandbox serve`` does) and looks for each case.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine

from cafehub.demo.generator import DemoSettings, generate_shop
from cafehub.runtime.rules.cancel import CancelMode, RefundRoute, refund_route_for
from cafehub.runtime.rules.surcharges import load_table
from cafehub.runtime.statuses import DisplayStatus, display_status
from cafehub.sandbox.mall_settings import WAITING
from cafehub.sandbox.state import SandboxShop, open_shop
from cafehub.store import io as store_io

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
def demo() -> tuple[SandboxShop, datetime]:
    now = datetime.now(UTC)
    data = generate_shop(DemoSettings(customers=500, now=now))
    engine = create_engine("sqlite://")
    store_io.create_schema(engine)
    store_io.write_shop(engine, data)
    return open_shop(engine, derive_now=now.replace(tzinfo=None), zone="Asia/Seoul"), now.replace(tzinfo=None)


def test_every_display_status_and_mixed_orders(demo: tuple[SandboxShop, datetime]) -> None:
    shop, _ = demo
    shown = {display_status(i.status) for o in shop.orders.values() for i in o.items}
    # The guide's eight, canceling and canceled, and the refused return and exchange (the guide's 返品拒否).
    assert set(DisplayStatus) - {DisplayStatus.UNKNOWN, DisplayStatus.CANCEL_REFUSED} <= shown
    assert any(len({display_status(i.status) for i in o.items}) > 1 for o in shop.orders.values())
    assert any(o.member_id is None for o in shop.orders.values())  # guests


def test_every_refund_route_and_a_partial_cancel(demo: tuple[SandboxShop, datetime]) -> None:
    shop, _ = demo
    cancellable = [o for o in shop.orders.values() if o.member_id and any(i.status in WAITING | {"N00"}
                                                                          for i in o.items)]
    routes = {refund_route_for(o.payment_methods, paid=o.pay_date is not None, easy_payment=False, whole=True,
                               mode=CancelMode.COMPLETE) for o in cancellable}
    assert {RefundRoute.GATEWAY, RefundRoute.STAFF_BANK, RefundRoute.NONE} <= routes
    assert any(len(o.items) > 1 and all(i.status in WAITING for i in o.items) for o in cancellable)


def test_cancellable_orders_within_a_seven_day_period(demo: tuple[SandboxShop, datetime]) -> None:
    shop, now = demo
    recent = [o for o in shop.orders.values() if o.member_id and now - o.ordered_at <= timedelta(days=7)]
    assert any(i.status in ("N10", "N20") for o in recent for i in o.items)
    assert any(i.status == "N40" for o in recent for i in o.items)


def test_every_kind_of_readiness_for_the_eta(demo: tuple[SandboxShop, datetime]) -> None:
    shop, _ = demo
    variants = shop.variants.values()
    assert any(v.stock > 0 for v in variants)
    assert any(v.stock == 0 and v.restock_date is not None for v in variants)  # out of stock, restock date
    assert any(v.stock == 0 and v.restock_date is None for v in variants)  # out of stock, date unknown
    waiting = [shop.variants[i.variant_code] for o in shop.orders.values() for i in o.items if i.status in WAITING]
    assert any(v.stock == 0 and v.restock_date is None for v in waiting)
    assert any(v.stock == 0 and v.restock_date is not None for v in waiting)


def test_exchanges_have_other_variants(demo: tuple[SandboxShop, datetime]) -> None:
    shop, _ = demo
    per_product: dict[int, int] = defaultdict(int)
    for v in shop.variants.values():
        per_product[v.product_no] += 1
    delivered = {i.product_no for o in shop.orders.values() for i in o.items if i.status == "N40"}
    assert any(per_product[p] >= 2 for p in delivered)


def test_every_address_refusal_and_an_allowed_change(demo: tuple[SandboxShop, datetime]) -> None:
    shop, _ = demo
    orders = [o for o in shop.orders.values() if o.member_id]
    button = {"N00", "N10", "N20", "N22"}  # the sandbox mall's address-change statuses
    assert any(any(i.status in ("N21", "N30") for i in o.items) for o in orders)  # no button
    assert any(all(i.status in button for i in o.items) and any(i.tracking_no for i in o.items)
               for o in orders)  # an invoice number while the button shows (a held N22)
    assert any(o.order_id in shop.packing for o in orders)
    assert any(len(o.receivers) > 1 and all(i.status in button for i in o.items) for o in orders)
    table = load_table()
    areas = {table.classify(r.zipcode, "KR") for o in orders for r in o.receivers}
    assert {None, "jeju", "remote"} <= areas  # a move between them changes the fee
    assert any(all(i.status in button and not i.tracking_no for i in o.items) and len(o.receivers) == 1
               and o.order_id not in shop.packing for o in orders)
