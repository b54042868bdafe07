"""What the rules look at: immutable snapshots of an order, its items, payments, receivers and WMS facts.

The executor builds these from connector answers (:mod:`cafehub.runtime.reads`);
the rules (:mod:`cafehub.runtime.rules`) only ever see these values, so every
rule is a pure function that tests feed by hand. Money is
:class:`~decimal.Decimal` in the order's currency; times are aware.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Currency = Literal["KRW", "JPY"]


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ItemSnapshot(Snapshot):
    """One order item (Cafe24 ``order_item_code``) as it is now."""

    order_item_code: str
    product_no: int
    product_name: str = ""
    #: The chosen options as shown to the buyer ("Color=Red, Size=M").
    option_text: str = ""
    variant_code: str | None = None
    quantity: int = Field(ge=1)
    #: Price of one unit including option surcharges.
    unit_price: Decimal = Decimal(0)
    status: str
    shipping_code: str | None = None
    tracking_no: str | None = None
    delivered_at: AwareDatetime | None = None

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


class ReceiverSnapshot(Snapshot):
    """A delivery address of the order (Cafe24 receiver; one per shipping code)."""

    name: str = ""
    phone: str | None = None
    cellphone: str | None = None
    zipcode: str = ""
    address1: str = ""
    address2: str = ""
    country_code: str = "KR"
    shipping_code: str | None = None


class ShipmentSnapshot(Snapshot):
    """A shipment Cafe24 knows of: the items in it and their tracking (invoice) number, if any."""

    shipping_code: str
    tracking_no: str | None = None
    item_codes: tuple[str, ...] = ()


class OrderSnapshot(Snapshot):
    """One order with everything the rules read."""

    order_id: str
    member_id: str | None = None
    ordered_at: AwareDatetime
    paid: bool
    #: Cafe24 payment method codes (``card``, ``cash``, ``tcash``, ``icash``, ``point`` ...).
    payment_methods: tuple[str, ...] = ()
    #: Paid through an easy-payment provider (Naver Pay, Kakao Pay ...), which refunds through its gateway.
    easy_payment: bool = False
    payment_amount: Decimal = Decimal(0)
    currency: Currency = "KRW"
    items: tuple[ItemSnapshot, ...]
    receivers: tuple[ReceiverSnapshot, ...] = ()
    shipments: tuple[ShipmentSnapshot, ...] = ()
    #: Cafe24's ``multiple_addresses`` flag (the order ships to several addresses).
    multiple_addresses: bool = False

    @model_validator(mode="after")
    def _unique_items(self) -> OrderSnapshot:
        codes = [i.order_item_code for i in self.items]
        if len(codes) != len(set(codes)):
            raise ValueError("order items must have distinct order_item_code values")
        return self

    def item(self, code: str) -> ItemSnapshot | None:
        return next((i for i in self.items if i.order_item_code == code), None)

    @property
    def is_guest(self) -> bool:
        return not self.member_id


class StockFact(Snapshot):
    """What the warehouse says about one variant (Sellmate item code = Cafe24 variant code)."""

    on_hand: int
    restock_date: date | None = None


class WmsFacts(Snapshot):
    """What the warehouse (Sellmate) says about one order."""

    #: The day the warehouse will hand in-stock items to the carrier.
    dispatch_date: date | None = None
    stock: dict[str, StockFact] = Field(default_factory=dict)
    #: Other Cafe24 orders the warehouse packs together with this one.
    packed_with: tuple[str, ...] = ()
    #: Invoice (tracking) numbers the warehouse has issued for this order.
    invoices: tuple[str, ...] = ()


class VariantOption(Snapshot):
    """A variant a customer may exchange an item for."""

    variant_code: str
    #: ``"Color=Blue, Size=M"`` from Cafe24's ``options: [{name, value}]``.
    option_text: str
    selling: bool = True
    #: Stock in Cafe24 (``None`` when the variant's inventory is not tracked).
    quantity: int | None = None
    #: Cafe24 shows the variant as sold out when its stock runs out (``use_soldout``).
    sold_out_when_empty: bool = True
    additional_amount: Decimal = Decimal(0)
