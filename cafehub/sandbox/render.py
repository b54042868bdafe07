"""The sandbox's resources as Cafe24 JSON, in the formats Cafe24 documents.

Times are whole seconds in the mall's zone: ISO 8601 with an offset
(``2024-03-01T09:00:00+09:00``) for orders, customers, coupons and carts, and
without one (``2024-03-01 09:00:00``) for order items, as Cafe24's examples
show. Money is a two-decimal string, flags ``"T"``/``"F"``, guests have
``member_id: ""``, unused coupon issues ``used_date: "null"`` (a string, as
documented). tests/connectors/contract holds the documented shapes these are
checked against.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cafehub.connectors.cafe24 import codes
from cafehub.store import records as r
from cafehub.sync.mapping import ISSUE_CODES

from .state import Item, Order, Product, Receiver, Variant

#: The one option the sandbox's products vary by.
OPTION_NAME = "Color"


def when(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """A naive UTC instant as Cafe24 writes most times: local, whole seconds, with the offset."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(zone).isoformat(timespec="seconds")


def local_when(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """A naive UTC instant as Cafe24 writes order item times: local, whole seconds, no offset."""
    if moment is None:
        return None
    return f"{moment.replace(tzinfo=UTC).astimezone(zone):%Y-%m-%d %H:%M:%S}"


def money(value: Decimal | int | float) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def item_json(
    item: Item, order: Order, product: Product | None, variant: Variant | None, zone: ZoneInfo
) -> dict[str, Any]:
    return {
        "shop_no": 1,
        "item_no": item.item_no,
        "order_item_code": item.order_item_code,
        "variant_code": item.variant_code,
        "product_no": item.product_no,
        "product_code": product.product_code if product else None,
        "product_name": product.name if product else f"Product {item.product_no}",
        "option_value": f"{OPTION_NAME}={variant.option_value}" if variant else "",
        "product_price": money(item.price),
        "option_price": money(item.option_price),
        "additional_discount_price": "0.00",
        "coupon_discount_price": "0.00",
        "quantity": item.quantity,
        "order_status": item.status,
        "status_text": codes.ITEM_STATUSES.get(item.status, item.status),
        "shipping_code": item.shipping_code,
        "tracking_no": item.tracking_no,
        "shipping_company_name": "Sandbox Express" if item.tracking_no else None,
        "claim_code": item.claim_code,
        "claim_quantity": item.quantity if item.status[:1] in ("C", "R", "E") else 0,
        "ordered_date": local_when(order.ordered_at, zone),
        "shipped_date": local_when(item.shipped_date, zone),
        "delivered_date": local_when(item.delivered_date, zone),
        "purchaseconfirmation_date": None,
        "cancel_date": local_when(item.cancel_date, zone),
        "return_confirmed_date": None,
        "return_request_date": local_when(item.return_request_date, zone),
        "cancel_request_date": None,
        "refund_date": local_when(item.refund_date, zone),
        "exchange_request_date": local_when(item.exchange_request_date, zone),
        "exchange_date": None,
    }


def receiver_json(receiver: Receiver) -> dict[str, Any]:
    return {
        "shop_no": 1,
        "name": receiver.name,
        "phone": receiver.phone,
        "cellphone": receiver.cellphone,
        "zipcode": receiver.zipcode,
        "address1": receiver.address1,
        "address2": receiver.address2,
        "address_full": f"{receiver.address1} {receiver.address2}",
        "country_code": "KR",
        "shipping_code": receiver.shipping_code,
        "shipping_message": None,
    }


def _amounts(order_price: Decimal, shipping: Decimal, payment: Decimal) -> dict[str, str]:
    discount = max(Decimal(0), order_price + shipping - payment)
    return {
        "order_price_amount": money(order_price),
        "shipping_fee": money(shipping),
        "points_spent_amount": "0.00",
        "credits_spent_amount": "0.00",
        "coupon_discount_price": money(discount),
        "coupon_shipping_fee_amount": "0.00",
        "membership_discount_amount": "0.00",
        "shipping_fee_discount_amount": "0.00",
        "payment_amount": money(payment),
    }


def _flag(items: list[Item], test: Any) -> str:
    hits = sum(1 for i in items if test(i.status))
    return "F" if hits == 0 else ("T" if hits == len(items) else "M")


def order_json(order: Order, embed: set[str], shop: Any, zone: ZoneInfo) -> dict[str, Any]:
    canceled = _flag(order.items, lambda s: s in codes.CANCELED) if order.items else "F"
    shipped_states = {"N30": "M", "N40": "T", "N50": "T"}
    body: dict[str, Any] = {
        "shop_no": 1,
        "currency": "KRW",
        "order_id": order.order_id,
        "market_id": "self",
        "member_id": order.member_id or "",
        "member_email": order.buyer_email if order.member_id else None,
        "billing_name": order.buyer_name,
        "payment_method": list(order.payment_methods),
        "payment_method_name": [p.upper() for p in order.payment_methods],
        "paid": "T" if order.pay_date else "F",
        "canceled": canceled,
        "order_date": when(order.ordered_at, zone),
        "payment_date": when(order.pay_date, zone),
        "cancel_date": when(order.cancel_date, zone),
        "payment_amount": money(order.payment_amount),
        "initial_order_amount": _amounts(
            order.initial_order_price_amount, order.initial_shipping_fee, order.initial_payment_amount
        ),
        "actual_order_amount": _amounts(order.order_price_amount, order.shipping_fee, order.payment_amount),
        "shipping_status": next((shipped_states[i.status] for i in order.items if i.status in shipped_states), "F"),
        "multiple_addresses": "T" if len(order.receivers) > 1 else "F",
        "order_place_id": "cafe24",
    }
    if "items" in embed:
        body["items"] = [
            item_json(i, order, shop.products.get(i.product_no), shop.variants.get(i.variant_code), zone)
            for i in order.items
        ]
    if "receivers" in embed:
        body["receivers"] = [receiver_json(x) for x in order.receivers]
    if "buyer" in embed:
        body["buyer"] = {
            "shop_no": 1,
            "member_id": order.member_id or "",
            "name": order.buyer_name,
            "email": order.buyer_email,
            "phone": None,
            "cellphone": order.buyer_cellphone,
        }
    return body


def customer_json(c: r.Customer, zone: ZoneInfo, consent: r.CustomerConsent | None = None) -> dict[str, Any]:
    """A member as ``/customersprivacy`` shows them; consent flags only where the store knows them."""
    body: dict[str, Any] = {
        "shop_no": 1,
        "member_id": c.member_id,
        "name": c.name or "",
        "phone": "",
        "cellphone": c.cellphone or "",
        "email": c.email or "",
        "created_date": when(c.joined_at, zone),
        "member_authority": "C",
    }
    if consent is not None and consent.sms is not None:
        body["sms"] = "T" if consent.sms else "F"
    if consent is not None and consent.email is not None:
        body["news_mail"] = "T" if consent.email else "F"
    return body


def coupon_json(coupon_no: str, c: r.Coupon | None, created: datetime | None, zone: ZoneInfo) -> dict[str, Any]:
    issue_type, sub_type = ISSUE_CODES.get(c.issue_type, ("M", "M")) if c else ("M", "M")
    return {
        "shop_no": 1,
        "coupon_no": coupon_no,
        "coupon_type": "O",
        "coupon_name": c.name if c else "(deleted coupon)",
        "created_date": when(created, zone),
        "deleted": "F" if c else "T",
        "issue_type": issue_type,
        "issue_sub_type": sub_type,
        "benefit_type": "A",
        "available_period_type": "R",
    }


def issue_json(issue: r.CustomerCoupon, zone: ZoneInfo, related_order_id: str | None = None) -> dict[str, Any]:
    return {
        "shop_no": 1,
        "coupon_no": issue.coupon_no,
        "issue_no": str(issue.id),
        "member_id": issue.member_id,
        "group_no": None,
        "issued_date": when(issue.issued_at, zone),
        "expiration_date": when(issue.expires_at, zone),
        "used_coupon": "T" if issue.used_at is not None else "F",
        "used_date": when(issue.used_at, zone) or "null",
        "related_order_id": related_order_id or "null",
    }


def cart_json(c: r.CartItem, variant_code: str, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "shop_no": 1,
        "basket_product_no": c.id,
        "member_id": c.member_id,
        "created_date": when(c.added_at, zone),
        "product_no": c.product_no,
        "additional_option_values": [],
        "variant_code": variant_code,
        "quantity": c.quantity,
        "product_price": money(c.price),
        "option_price": money(c.option_price),
        "product_bundle": "F",
        "shipping_type": "A",
    }


def product_json(p: Product) -> dict[str, Any]:
    return {"shop_no": 1, "product_no": p.product_no, "product_code": p.product_code, "product_name": p.name,
            "price": money(p.price), "selling": "T", "display": "T"}


def variant_json(v: Variant) -> dict[str, Any]:
    return {"shop_no": 1, "variant_code": v.variant_code,
            "options": [{"name": OPTION_NAME, "value": v.option_value}], "custom_variant_code": "",
            "display": "T", "selling": "T", "additional_amount": money(v.additional_amount),
            "use_inventory": "T", "display_soldout": "T", "quantity": v.stock, "safety_inventory": 0}


def inventory_json(v: Variant) -> dict[str, Any]:
    return {"shop_no": 1, "variant_code": v.variant_code, "use_inventory": "T", "quantity": v.stock,
            "safety_inventory": 0}


def day(value: date) -> str:
    return value.isoformat()
