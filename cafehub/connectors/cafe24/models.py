"""Typed views of what the Admin API returns (only the fields cafehub reads).

Unknown fields are ignored, so new API versions that add fields do not break
us; a field we need that is missing or of the wrong type is a
:class:`~cafehub.connectors.errors.MalformedResponse` naming it. Money comes as
decimal strings (``"5000.00"``) and stays :class:`~decimal.Decimal`; times
carry an offset (``+09:00``) and are kept aware. Cafe24 flags are ``"T"`` /
``"F"`` strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt


def _decimal_text(value: object) -> object:
    # Money arrives as strings; refuse booleans and floats that would lose exactness.
    if isinstance(value, bool | float):
        raise ValueError("money must be a decimal string or an integer")
    return value


def _int_text(value: object) -> object:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


Money = Annotated[Decimal, BeforeValidator(_decimal_text)]
#: Cafe24 sends some numbers as strings (``"issue_no": "6073442924700000008"``).
IntText = Annotated[StrictInt, BeforeValidator(_int_text)]
Flag = Literal["T", "F"]


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrderItem(Model):
    order_item_code: str
    product_no: IntText
    quantity: IntText
    product_price: Money
    option_price: Money
    order_status: str
    item_no: IntText | None = None
    variant_code: str | None = None
    product_code: str | None = None
    product_name: str | None = None
    option_value: str | None = None
    status_text: str | None = None
    shipping_code: str | None = None
    tracking_no: str | None = None
    shipping_company_name: str | None = None
    claim_code: str | None = None
    ordered_date: AwareDatetime | None = None
    shipped_date: AwareDatetime | None = None
    delivered_date: AwareDatetime | None = None
    cancel_date: AwareDatetime | None = None
    cancel_request_date: AwareDatetime | None = None
    return_request_date: AwareDatetime | None = None
    refund_date: AwareDatetime | None = None
    exchange_request_date: AwareDatetime | None = None


class Receiver(Model):
    name: str | None = None
    phone: str | None = None
    cellphone: str | None = None
    zipcode: str | None = None
    address1: str | None = None
    address2: str | None = None
    address_full: str | None = None
    shipping_code: str | None = None
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
    coupon_discount_price: Money | None = None
    points_spent_amount: Money | None = None
    credits_spent_amount: Money | None = None
    membership_discount_amount: Money | None = None


class Order(Model):
    order_id: str
    #: ``""`` or ``null`` for a guest (non-member) order.
    member_id: str | None
    order_date: AwareDatetime
    payment_method: list[str]
    payment_amount: Money
    actual_order_amount: OrderAmount
    initial_order_amount: OrderAmount | None = None
    shop_no: IntText = 1
    currency: str | None = None
    paid: Literal["T", "F", "M"] | None = None
    canceled: Literal["T", "F", "M"] | None = None
    payment_date: AwareDatetime | None = None
    cancel_date: AwareDatetime | None = None
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
    created_date: AwareDatetime | None = None


class Coupon(Model):
    coupon_no: str = Field(min_length=1)
    coupon_name: str
    issue_type: str | None = None
    issue_sub_type: str | None = None
    deleted: Flag | None = None
    created_date: AwareDatetime | None = None


class CouponIssue(Model):
    coupon_no: str
    issue_no: IntText
    member_id: str = Field(min_length=1)
    issued_date: AwareDatetime
    expiration_date: AwareDatetime
    used_coupon: Flag
    used_date: AwareDatetime | None = None
    related_order_id: str | None = None


class CustomerCoupon(Model):
    coupon_no: str
    issue_no: IntText
    coupon_name: str | None = None
    issued_date: AwareDatetime | None = None
    available_begin_datetime: AwareDatetime | None = None
    available_end_datetime: AwareDatetime | None = None


class CartItem(Model):
    basket_product_no: IntText
    member_id: str = Field(min_length=1)
    created_date: AwareDatetime
    product_no: IntText
    quantity: IntText
    product_price: Money
    option_price: Money
    variant_code: str | None = None


class CartSetting(Model):
    #: Days a cart item is kept (Cafe24 offers 1-10, 14 and 30).
    storage_period: IntText


class Product(Model):
    product_no: IntText
    product_code: str
    product_name: str
    price: Money
    selling: Flag | None = None


class Variant(Model):
    variant_code: str
    option_value: str | None = None
    additional_amount: Money | None = None
    selling: Flag | None = None


class Inventory(Model):
    variant_code: str
    quantity: IntText
    use_inventory: Flag | None = None
    safety_inventory: IntText | None = None


class Shipment(Model):
    shipping_code: str
    order_item_code: list[str]
    tracking_no: str | None = None
    shipping_company_code: str | None = None
    status: str | None = None


class ClaimItem(Model):
    order_item_code: str
    quantity: IntText | None = None


class Cancellation(Model):
    order_id: str
    claim_code: str | None = None
    status: str | None = None
    items: list[ClaimItem] = []


class ClaimRequest(Model):
    """An accepted cancellation, return or exchange request."""

    order_id: str
    items: list[ClaimItem] = []
    claim_code: str | None = None


class Refund(Model):
    refund_code: str
    order_id: str
    order_item_code: list[str]
    status: Literal["T", "F", "M"] | None = None
    refund_date: AwareDatetime | None = None
    accepted_refund_date: AwareDatetime | None = None
    actual_refund_amount: Money | None = None
