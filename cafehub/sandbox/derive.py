"""Derive what Cafe24 and Sellmate would know about a shop from its canonical rows.

Every choice is a pure function of the rows' ids (a SHA-256 of the id picks
among options), so two sandboxes over the same store derive the same shop.
The order status of the store becomes per-item Cafe24 statuses that the sync
maps back to the same status (docs/CONNECTORS.md, "Mapping"):

========== =====================================================
store      item status
========== =====================================================
pending    N00 (before deposit)
paid       N10, N20, N21, N22, N30, N40 or N50 (by hash)
canceled   C40 (canceled)
returned   R41 (returned, refund not yet made)
refunded   R40 (returned and refunded)
========== =====================================================

Amounts: Cafe24's initial and actual amounts both equal the store's
(``order_price_amount`` = ``order_amount``, ``payment_amount`` =
``paid_amount``). Dates of payment, shipping, cancellation and refund are
offsets from ``ordered_at``, never later than the derivation time.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from cafehub.store import records as r

from .scenarios import add_claims
from .state import Item, Order, Product, Receiver, SandboxShop, Variant

PAID_STATUSES = (("N10", 20), ("N20", 40), ("N21", 48), ("N22", 55), ("N30", 70), ("N40", 90), ("N50", 100))
STORE_TO_ITEM = {"pending": "N00", "canceled": "C40", "returned": "R41", "refunded": "R40"}
OPTION_NAMES = ("Red", "Blue", "Green")
#: (zipcode, address1): two mainland addresses, a Jeju one and an island one (remote-area surcharges).
ADDRESSES = (
    ("04524", "Sejong-daero 110, Jung-gu, Seoul"),
    ("48058", "Haeundae-ro 264, Haeundae-gu, Busan"),
    ("63122", "Nohyeong-ro 1, Jeju-si, Jeju"),
    ("23004", "Yeonpyeong-ro 1, Ongjin-gun, Incheon"),
)


def h(*parts: object) -> int:
    """A stable 48-bit hash of the parts (deterministic across processes, unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:12], 16)


def product_code(product_no: int) -> str:
    """Cafe24-style 8-character product code: ``P`` and seven base-36 digits."""
    digits, n = "", product_no
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for _ in range(7):
        digits = alphabet[n % 36] + digits
        n //= 36
    return "P" + digits


def item_status(order: r.Order) -> str:
    if order.status == "paid":
        pick = h("status", order.order_id) % 100
        return next(code for code, bound in PAID_STATUSES if pick < bound)
    return STORE_TO_ITEM.get(order.status, "N00")


def _clamp(moment: datetime, base: datetime, limit: datetime) -> datetime:
    return max(base, min(moment, limit))


def derive_products(data: r.ShopData, now: datetime) -> tuple[dict[int, Product], dict[str, Variant]]:
    prices: dict[int, Decimal] = {}
    rows: list[r.OrderItem | r.CartItem] = [*data.order_items, *data.cart_items]
    for row in rows:
        price = Decimal(row.price)
        prices[row.product_no] = min(prices.get(row.product_no, price), price)
    products: dict[int, Product] = {}
    variants: dict[str, Variant] = {}
    for no in sorted(prices):
        code = product_code(no)
        products[no] = Product(no, code, f"Product {no}", prices[no])
        for index in range(1 + h("variants", no) % 3):
            variant_code = f"{code}000{chr(65 + index)}"
            pick = h("stock", variant_code)
            stock = 0 if pick % 4 == 0 else pick % 20
            # Two in three sold-out variants have a restock date in the warehouse; the rest none ("unknown").
            restock = (now + timedelta(days=1 + pick % 9)).date() if stock == 0 and pick // 4 % 3 else None
            variants[variant_code] = Variant(variant_code, no, OPTION_NAMES[index], Decimal("0.00"), stock, restock)
    return products, variants


def _buyer(order: r.Order, customers: dict[str, r.Customer]) -> tuple[str | None, str | None, str | None]:
    if order.member_id is not None:
        c = customers.get(order.member_id)
        return (c.name, c.email, c.cellphone) if c else (None, None, None)
    n = h("guest", order.order_id)
    return f"Guest {n % 1000:03d}", f"guest{n % 100000}@example.com", f"010-{n % 10000:04d}-{n // 10000 % 10000:04d}"


def derive_order(
    order: r.Order,
    items: list[r.OrderItem],
    payments: list[str],
    customers: dict[str, r.Customer],
    variants_of: dict[int, list[str]],
    now: datetime,
) -> Order:
    status = item_status(order)
    base = order.ordered_at
    name, email, cellphone = _buyer(order, customers)
    out = Order(
        order_id=order.order_id,
        member_id=order.member_id,
        ordered_at=base,
        payment_methods=sorted(payments),
        payment_amount=Decimal(order.paid_amount),
        order_price_amount=Decimal(order.order_amount),
        shipping_fee=Decimal(order.shipping_fee),
        initial_payment_amount=Decimal(order.paid_amount),
        initial_order_price_amount=Decimal(order.order_amount),
        initial_shipping_fee=Decimal(order.shipping_fee),
        buyer_name=name,
        buyer_email=email,
        buyer_cellphone=cellphone,
    )
    if status != "N00":
        out.pay_date = _clamp(base + timedelta(minutes=5), base, now)
    if status == "C40":
        out.cancel_date = _clamp(base + timedelta(minutes=30), base, now)
    if status in ("R40", "R41"):
        out.return_complete_date = _clamp(base + timedelta(days=4), base, now)
    if status == "R40":
        out.refund_date = _clamp(base + timedelta(days=5), base, now)
    multi = len(items) >= 2 and h("multi", order.order_id) % 25 == 0
    held = status == "N22" and h("hold", order.order_id) % 2 == 1
    shipped = status in ("N21", "N30", "N40", "N50", "R40", "R41") or held
    for index, row in enumerate(sorted(items, key=lambda i: i.order_item_code), start=1):
        choices = variants_of.get(row.product_no) or [product_code(row.product_no) + "000A"]
        shipping_code = f"D-{order.order_id}-{'01' if multi and index % 2 == 0 else '00'}"
        item = Item(
            order_item_code=row.order_item_code,
            order_id=order.order_id,
            item_no=index,
            product_no=row.product_no,
            variant_code=choices[h("variant", row.order_item_code) % len(choices)],
            quantity=row.quantity,
            price=Decimal(row.price),
            option_price=Decimal(row.option_price),
            status=status,
        )
        if status not in ("N00", "C40"):
            item.shipping_code = shipping_code
        if shipped:
            item.tracking_no = f"{h('tracking', shipping_code) % 10**12:012d}"
            item.shipped_date = _clamp(base + timedelta(days=1), base, now)
        if status in ("N40", "N50", "R40", "R41"):
            item.delivered_date = _clamp(base + timedelta(days=2), base, now)
        if status in ("R40", "R41"):
            item.return_request_date = _clamp(base + timedelta(days=3), base, now)
            item.claim_code = f"R-{order.order_id}"
        if status == "R40":
            item.refund_date = out.refund_date
        if status == "C40":
            item.cancel_date = out.cancel_date
            item.claim_code = f"C-{order.order_id}"
        out.items.append(item)
    codes = sorted({f"D-{order.order_id}-00"} | ({f"D-{order.order_id}-01"} if multi else set()))
    for code in codes:
        pick = h("address", code)
        zipcode, address1 = ADDRESSES[pick % len(ADDRESSES)]
        out.receivers.append(
            Receiver(code, order.order_id, (name or "Receiver")[:20], None, cellphone, zipcode, address1,
                     f"{pick % 900 + 100}-{pick // 1000 % 90 + 10}")
        )
    return out


def derive_packing(orders: dict[str, Order], zone: ZoneInfo) -> dict[str, str]:
    """Orders of one member on one day that all wait to ship are packed together by the warehouse."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    waiting = {"N10", "N20", "N21", "N22"}
    for order in orders.values():
        if order.member_id and order.items and all(i.status in waiting for i in order.items):
            day = order.ordered_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date().isoformat()
            groups[(order.member_id, day)].append(order.order_id)
    return {oid: f"PK-{min(ids)}" for ids in groups.values() if len(ids) > 1 for oid in ids}


def derive_issue_orders(data: r.ShopData) -> dict[int, str]:
    """The order each used coupon was used on: the member's order closest to the use, within 30 days."""
    orders_of: dict[str, list[r.Order]] = defaultdict(list)
    for order in data.orders:
        if order.member_id is not None:
            orders_of[order.member_id].append(order)
    related: dict[int, str] = {}
    for issue in data.customer_coupons:
        if issue.used_at is None:
            continue
        used_at = issue.used_at
        near = [o for o in orders_of.get(issue.member_id, []) if abs(o.ordered_at - used_at) <= timedelta(days=30)]
        if near:
            related[issue.id] = min(near, key=lambda o: (abs(o.ordered_at - used_at), o.order_id)).order_id
    return related


def derive_shop(shop: SandboxShop, data: r.ShopData, now: datetime, zone: str) -> None:
    """Fill ``shop``'s orders, products, variants and packing from canonical rows (``now`` naive UTC)."""
    products, variants = derive_products(data, now)
    variants_of: dict[int, list[str]] = defaultdict(list)
    for code, variant in sorted(variants.items()):
        variants_of[variant.product_no].append(code)
    items_of: dict[str, list[r.OrderItem]] = defaultdict(list)
    for item in data.order_items:
        items_of[item.order_id].append(item)
    payments_of: dict[str, list[str]] = defaultdict(list)
    for payment in data.order_payments:
        payments_of[payment.order_id].append(payment.payment_method)
    customers = {c.member_id: c for c in data.customers}
    orders = {
        o.order_id: derive_order(o, items_of[o.order_id], payments_of[o.order_id], customers, variants_of, now)
        for o in sorted(data.orders, key=lambda o: (o.ordered_at, o.order_id))
    }
    add_claims(orders, now)
    with shop.lock:
        shop.orders, shop.products, shop.variants = orders, products, variants
        shop.packing = derive_packing(orders, ZoneInfo(zone))
        shop.issue_orders = derive_issue_orders(data)
        shop.derived_at = now
