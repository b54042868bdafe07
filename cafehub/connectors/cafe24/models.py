"""Typed views of what the Admin API returns (only the fields cafehub reads).

Shapes follow Cafe24's documented example responses (docs/CONNECTORS.md,
"Documented formats"), including their irregularities:

- times: order-level dates carry an offset (``2024-03-01T09:00:00+09:00``),
  order *item* dates do not (``2024-03-01 09:00:00``, the mall's local time);
  both parse to aware datetimes, an offset-less one in the mall's zone (the
  client passes it as validation context; Cafe24's own default, Asia/Seoul,
  otherwise);
- ``"null"`` written as a string, ``""`` and ``"0000-00-00 00:00:00"`` mean
  no value in optional date, number and reference fields;
- money is a decimal string (``"5000.00"``) and stays :class:`~decimal.Decimal`;
- numbers Cafe24 writes as strings (``"issue_no": "6073442924700000008"``,
  ``"period": "7"``) become integers;
- flags are ``"T"`` / ``"F"`` (``"M"`` for "partly" where documented); guest
  orders have ``member_id: ""``.

Unknown fields are ignored, so new API versions that add fields do not break
us; a field we need that is missing or of the wrong type is a
:class:`~cafehub.connectors.errors.MalformedResponse` naming it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
)

#: Cafe24's own time zone, for offset-less times when the mall's zone is not given.
DEFAULT_ZONE = "Asia/Seoul"
#: Texts Cafe24 writes for "no value" in optional typed fields.
_EMPTY_TEXTS = frozenset({"", "null", "NULL", "0000-00-00", "0000-00-00 00:00:00"})


def _decimal_text(value: object) -> object:
    # Money arrives as strings; refuse booleans and floats that would lose exactness.
    if isinstance(value, bool | float):
        raise ValueError("money must be a decimal string or an integer")
    return value


def _int_text(value: object) -> object:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def _none_if_empty(value: object) -> object:
    return None if isinstance(value, str) and value.strip() in _EMPTY_TEXTS else value


def _in_mall_zone(value: datetime, info: ValidationInfo) -> datetime:
    if value.tzinfo is not None:
        return value
    zone = (info.context or {}).get("zone") or DEFAULT_ZONE
    return value.replace(tzinfo=ZoneInfo(str(zone)))


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


Money = Annotated[Decimal, BeforeValidator(_decimal_text)]
#: Cafe24 sends some numbers as strings (``"issue_no": "6073442924700000008"``).
IntText = Annotated[StrictInt, BeforeValidator(_int_text)]
#: A time with an offset, or without one in the mall's local time; always aware once parsed.
MallTime = Annotated[datetime, AfterValidator(_in_mall_zone)]
Flag = Literal["T", "F"]
#: ``"T"``, ``"F"`` or ``"M"`` (partly: some items paid, canceled, shipped).
PartFlag = Literal["T", "F", "M"]

OptTime = Annotated[MallTime | None, BeforeValidator(_none_if_empty)]
OptInt = Annotated[IntText | None, BeforeValidator(_none_if_empty)]
OptMoney = Annotated[Money | None, BeforeValidator(_none_if_empty)]
OptText = Annotated[str | None, BeforeValidator(_none_if_empty)]


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrderItem(Model):
    """An order item (``GET /orders/{id}/items``, ``embed=items``); its dates have no offset."""

    order_item_code: str
    product_no: IntText
    quantity: IntText
    product_price: Money
    option_price: Money
    order_status: str
    item_no: OptInt = None
    variant_code: str | None = None
    product_code: str | None = None
    product_name: str | None = None
    option_value: str | None = None
    status_text: str | None = None
    shipping_code: OptText = None
    tracking_no: OptText = None
    shipping_company_name: str | None = None
    claim_code: OptText = None
    claim_quantity: OptInt = None
    ordered_date: OptTime = None
    shipped_date: OptTime = None
    delivered_date: OptTime = None
    purchaseconfirmation_date: OptTime = None
    cancel_date: OptTime = None
    cancel_request_date: OptTime = None
    return_request_date: OptTime = None
    return_confirmed_date: OptTime = None
    refund_date: OptTime = None
    exchange_request_date: OptTime = None
    exchange_date: OptTime = None


class Receiver(Model):
    name: str | None = None
    phone: str | None = None
    cellphone: str | None = None
    zipcode: str | None = None
    address1: str | None = None
    address2: str | None = None
    address_full: str | None = None
    shipping_code: OptText = None
    shipping_message: str | None = None
    country_code: str | None = None


class Buyer(Model):
    member_id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    cellphone: str | None = None


class OrderAmount(Model):
    order_price_amount: Money
    shipping_fee: Money
    payment_amount: Money
    coupon_discount_price: OptMoney = None
    points_spent_amount: OptMoney = None
    credits_spent_amount: OptMoney = None
    membership_discount_amount: OptMoney = None


class Order(Model):
    order_id: str
    #: ``""`` (as documented) or ``null`` for a guest (non-member) order.
    member_id: str | None
    order_date: MallTime
    payment_method: list[str]
    payment_amount: Money
    actual_order_amount: OrderAmount
    initial_order_amount: OrderAmount | None = None
    shop_no: IntText = 1
    currency: str | None = None
    paid: PartFlag | None = None
    canceled: PartFlag | None = None
    payment_date: OptTime = None
    cancel_date: OptTime = None
    #: The easy-payment provider (Naver Pay, Kakao Pay ...) that took the payment, if any.
    easypay_name: OptText = None
    multiple_addresses: Flag | None = None
    shipping_status: str | None = None
    items: list[OrderItem] | None = None
    receivers: list[Receiver] | None = None
    buyer: Buyer | None = None

    @property
    def is_guest(self) -> bool:
        return not self.member_id


class Customer(Model):
    """A member as ``/customersprivacy`` returns them."""

    member_id: str = Field(min_length=1)
    name: str | None = None
    cellphone: str | None = None
    email: str | None = None
    created_date: OptTime = None
    #: Agreed to receive marketing by SMS / by e-mail (Cafe24's receive-consent flags).
    sms: Flag | None = None
    news_mail: Flag | None = None


class Coupon(Model):
    coupon_no: str = Field(min_length=1)
    coupon_name: str
    issue_type: str | None = None
    issue_sub_type: str | None = None
    deleted: Flag | None = None
    created_date: OptTime = None


class CouponIssue(Model):
    """One issued coupon (``GET /coupons/{no}/issues``); unused ones have ``used_date: "null"``."""

    coupon_no: str
    issue_no: IntText
    member_id: str = Field(min_length=1)
    issued_date: MallTime
    expiration_date: MallTime
    used_coupon: Flag
    used_date: OptTime = None
    related_order_id: OptText = None


class CustomerCoupon(Model):
    coupon_no: str
    issue_no: IntText
    coupon_name: str | None = None
    issued_date: OptTime = None
    available_begin_datetime: OptTime = None
    available_end_datetime: OptTime = None


class OrderCoupon(Model):
    """A coupon applied to an order (``GET /orders/coupons``); ``coupon_code`` is the coupon number."""

    order_id: str
    coupon_code: str
    order_item_code: OptText = None
    coupon_name: str | None = None


class CartItem(Model):
    basket_product_no: IntText
    member_id: str = Field(min_length=1)
    created_date: MallTime
    product_no: IntText
    quantity: IntText
    product_price: Money
    option_price: Money
    variant_code: str | None = None


class CartSetting(Model):
    """``GET /carts/setting``: whether a storage period is set (``"T"``) and its days (``"7"``)."""

    storage_period: Flag
    #: Days a cart item is kept when ``storage_period`` is ``T`` (1-10, 14 or 30).
    period: OptInt = None

    @property
    def retention_days(self) -> int | None:
        """The storage period in days, or ``None`` when the mall sets none."""
        return self.period if self.storage_period == "T" else None


class Product(Model):
    product_no: IntText
    product_code: str
    product_name: str
    price: Money
    selling: Flag | None = None


class VariantOption(Model):
    name: str
    value: str


class Variant(Model):
    """A product variant; its option values are ``options: [{name, value}]``."""

    variant_code: str
    options: list[VariantOption] | None = None
    additional_amount: OptMoney = None
    selling: Flag | None = None
    display: Flag | None = None
    quantity: OptInt = None
    use_inventory: Flag | None = None
    display_soldout: Flag | None = None

    @property
    def option_text(self) -> str:
        """``"Color: Blue / Size: Small"`` (empty for a product without options)."""
        return " / ".join(f"{o.name}: {o.value}" for o in self.options or [])


class Inventory(Model):
    variant_code: str
    quantity: IntText
    use_inventory: Flag | None = None
    safety_inventory: OptInt = None


class ShipmentItem(Model):
    order_item_code: str
    #: ``standby``, ``shipping`` or ``shipped`` (surrounding spaces, seen in Cafe24's examples, removed).
    status: Annotated[str, BeforeValidator(_stripped)]


class Shipment(Model):
    """One shipment of an order: a shipping code, its tracking number and the items it carries."""

    shipping_code: str
    order_id: str | None = None
    tracking_no: OptText = None
    tracking_no_updated_date: OptTime = None
    shipping_company_code: OptText = None
    items: list[ShipmentItem] = []

    @property
    def order_item_codes(self) -> list[str]:
        return [i.order_item_code for i in self.items]


class ClaimItem(Model):
    order_item_code: str
    quantity: OptInt = None


class Cancellation(Model):
    """An accepted cancellation (``POST /cancellation``): Cafe24 answers with its claim code."""

    order_id: str
    claim_code: OptText = None
    status: str | None = None
    items: list[ClaimItem] = []


class ClaimRequest(Model):
    """An accepted cancellation, return or exchange request.

    Cafe24 answers these with the order and its items only; an exchange
    request also carries its ``exchange_request_no``. There is no claim code.
    """

    order_id: str
    items: list[ClaimItem] = []
    exchange_request_no: OptInt = None


class Refund(Model):
    refund_code: str
    order_id: str
    order_item_code: list[str]
    status: PartFlag | None = None
    refund_date: OptTime = None
    accepted_refund_date: OptTime = None
    actual_refund_amount: OptMoney = None
