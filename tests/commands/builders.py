"""Small builders for snapshots in rule tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from cafehub.runtime.snapshots import ItemSnapshot, OrderSnapshot, ReceiverSnapshot

SEOUL = ZoneInfo("Asia/Seoul")


def item(code: str = "O-01", status: str = "N10", *, quantity: int = 1, price: int = 10000,
         variant: str | None = None, **more: Any) -> ItemSnapshot:
    return ItemSnapshot(order_item_code=code, product_no=more.pop("product_no", 7), product_name="Tee",
                        variant_code=variant or f"P00000{code[-1]}000A", quantity=quantity,
                        unit_price=Decimal(price), status=status, **more)


def order(*items: ItemSnapshot, methods: tuple[str, ...] = ("card",), paid: bool = True,
          at: datetime = datetime(2025, 3, 3, 10, 0, tzinfo=SEOUL), order_id: str = "20250303-0000001",
          amount: int | None = None, **more: Any) -> OrderSnapshot:
    rows = items or (item(f"{order_id}-01"),)
    total = Decimal(amount) if amount is not None else sum((i.amount for i in rows), start=Decimal(0))
    receivers = more.pop("receivers", (ReceiverSnapshot(name="Receiver", zipcode="04524", address1="Seoul"),))
    return OrderSnapshot(order_id=order_id, member_id=more.pop("member_id", "m1"), ordered_at=at, paid=paid,
                         payment_methods=methods, payment_amount=total, items=rows, receivers=receivers, **more)
