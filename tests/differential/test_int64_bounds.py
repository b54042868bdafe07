"""Integers at both ends of 64 bits: accepted by the checker and exact on every backend.

The language's integers are 64-bit (``-9223372036854775808`` to ``9223372036854775807``);
product numbers are stored as 64-bit integers too, so a threshold or an id at either end
must compare exactly, never be clamped or rounded on the way to the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import cafehub
from cafehub.compiler.evaluation import EvalContext
from cafehub.store import records as rec
from cafehub.testing.differential import Differential

LOW, HIGH = -(2**63), 2**63 - 1
NEAR = 2**62 + 5  # beyond 2^62: once clamped to 2^62 + 1 in SQL, like any larger id
CTX = EvalContext(now=datetime(2025, 3, 20, tzinfo=UTC), zone=ZoneInfo("Asia/Seoul"), cart_retention_days=7,
                  history_start=date(2024, 1, 1))
ADDED = datetime(2025, 3, 18, 3)


def _shop() -> rec.ShopData:
    lines = [("high", HIGH, 2**31 - 1), ("low", LOW, -(2**31)), ("near", NEAR, 1), ("near2", NEAR + 2, 0),
             ("small", 17, 3)]
    cart = tuple(rec.CartItem(id=k + 1, member_id=member, product_no=product, quantity=quantity,
                              price=Decimal("1.00"), option_price=Decimal(0), added_at=ADDED)
                 for k, (member, product, quantity) in enumerate(lines))
    orders = tuple(rec.Order(order_id=f"o-{member}", member_id=member, ordered_at=ADDED, status="paid",
                             paid_amount=Decimal("1.00"), order_amount=Decimal("1.00"), shipping_fee=Decimal(0))
                   for member, _product, _quantity in lines)
    items = tuple(rec.OrderItem(order_item_code=f"i-{member}", order_id=f"o-{member}", product_no=product,
                                quantity=1, price=Decimal("1.00"), option_price=Decimal(0))
                  for member, product, _quantity in lines)
    members = sorted({member for member, _p, _q in lines} | {"nobody"})
    return rec.ShopData(customers=tuple(rec.Customer(member_id=m) for m in members), cart_items=cart,
                        orders=orders, order_items=items)


SEGMENTS = [
    f"cart(quantity > {LOW})",
    f"cart(quantity >= {LOW})",
    f"cart(quantity < {HIGH})",
    f"cart(quantity <= {HIGH})",
    f"cart(quantity = {LOW}) or cart(quantity = {HIGH})",
    f"cart(quantity != {LOW})",
    f"cart(product = {HIGH})",
    f"cart(product = {LOW})",
    f"cart(product = {NEAR})",
    f"cart(product != {HIGH})",
    f"cart(product in [{LOW}, {HIGH}])",
    f"cart(product not in [{LOW}, {NEAR}])",
    f"order(product = {HIGH})",
    f"order(product in [{LOW}, {NEAR}])",
    f"cart().sum(quantity) > {LOW}",
    f"cart().sum(quantity) < {HIGH}",
    f"cart().count >= {LOW}",
    f"order().count <= {HIGH}",
    f"cart().min(quantity) > {LOW}",
    f"cart().max(quantity) < {HIGH}",
    f"cart().avg(quantity) > {LOW}",
    f"cart().avg(quantity) < {HIGH}",
    f"cart().count_distinct(product) between {LOW} and {HIGH}",
    f"cart(quantity between {LOW} and {HIGH})",
]


@pytest.mark.parametrize("segment", SEGMENTS)
def test_64_bit_ends_are_exact_on_every_backend(differential: Differential, segment: str) -> None:
    differential.check(segment, _shop(), CTX)


def test_the_ends_are_valid_and_one_past_them_is_not() -> None:
    for value in (LOW, HIGH):
        cafehub.check(f"cart(quantity > {value})")
        cafehub.check(f"cart(product = {value})")
    for value in (LOW - 1, HIGH + 1):
        with pytest.raises(cafehub.SegmentError) as info:
            cafehub.check(f"cart(quantity > {value})")
        assert info.value.codes == ["E0304"]
