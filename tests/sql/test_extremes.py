"""Exact answers at the ends of the documented range, on every engine.

Money holds up to 999,999,999,999.99 (``NUMERIC(14, 2)``), quantities are 32-bit,
thresholds have up to 15 integer digits and 6 decimal places. Customers here sit at
those ends: ten orders of the largest amount, averages a millionth of a cent from a
threshold, a cart whose amount is just below 2^63 hundredths, negative options. Every
test is compared with the oracle (exact fractions) on SQLite, DuckDB, PostgreSQL and
MariaDB. On SQLite (64-bit integers, no decimals) an average is compared without
products that could leave 64 bits, and an amount that would leave them is an error
rather than a floating-point guess.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from cafehub import check
from cafehub.execution.sql import run_sql
from cafehub.store import records as r
from cafehub.store.engines import StoreError

from .oracle import Oracle
from .prefixed import prefixed_mapping, write_prefixed
from .shop import CONTEXTS

MAX = Decimal("999999999999.99")
CENT = Decimal("0.01")
ORDERED = datetime(2025, 3, 1, 3, 0)
ADDED = datetime(2025, 3, 5, 3, 0)
CTX = CONTEXTS["seoul_march"]
PREFIX = "x_"
#: 2^63 - 1 hundredths: the largest amount SQLite holds as integer cents.
FITS_QUANTITY = 46_116  # (MAX + MAX) * 46,116 is just below 2^63 - 1 hundredths; 46,117 is above


def _orders(member: str, amounts: list[Decimal]) -> list[r.Order]:
    return [r.Order(order_id=f"{member}-{k}", member_id=member, ordered_at=ORDERED, status="paid",
                    paid_amount=a, order_amount=a, shipping_fee=Decimal(0)) for k, a in enumerate(amounts)]


def _cart(member: str, lines: list[tuple[int, Decimal, Decimal]], first: int) -> list[r.CartItem]:
    return [r.CartItem(id=first + k, member_id=member, product_no=1, quantity=q, price=p, option_price=o,
                       added_at=ADDED) for k, (q, p, o) in enumerate(lines)]


def extreme_shop() -> r.ShopData:
    orders = [
        *_orders("max10", [MAX] * 10),
        *_orders("max9", [MAX] * 9 + [MAX - CENT]),             # avg ...99.989
        *_orders("max3", [MAX, MAX, MAX - CENT]),               # avg ...99.98666...
        *_orders("mix", [MAX, CENT]),                           # avg 500000000000.00
        *_orders("one", [MAX]),
        *_orders("small", [CENT, CENT, Decimal(0)]),            # avg 0.00666...
    ]
    lines = {
        "big_cart": [(FITS_QUANTITY, MAX, MAX)],
        "qty": [(2_147_483_647, CENT, Decimal(0)), (2_147_483_646, Decimal(0), CENT)],
        "neg": [(3, CENT, -MAX), (1, MAX, Decimal(0))],
        "half": [(1, MAX, Decimal(0)), (1, MAX - CENT, Decimal(0))],   # avg amount ...99.985
    }
    cart: list[r.CartItem] = []
    for member, spec in lines.items():
        cart.extend(_cart(member, spec, len(cart) + 1))
    members = sorted({o.member_id for o in orders if o.member_id} | set(lines) | {"nobody"})
    return r.ShopData(customers=tuple(r.Customer(member_id=m) for m in members), cart_items=tuple(cart),
                      orders=tuple(orders))


@pytest.fixture(scope="module")
def extreme_engine(shop_engine: Engine) -> Engine:
    write_prefixed(shop_engine, extreme_shop(), PREFIX)
    return shop_engine


@pytest.fixture(scope="module")
def extreme_oracle() -> Oracle:
    return Oracle(extreme_shop())


def _nudged(value: Decimal) -> list[Decimal]:
    """The value and a cent, a thousandth, a millionth either side, within what a segment may write."""
    steps = [Decimal(10) ** -k for k in (2, 3, 6)]
    return [v for v in (value, *(value + s for s in steps), *(value - s for s in steps)) if abs(v) < 10**15]


AVERAGES = [MAX, MAX - Decimal("0.011"), MAX - Decimal("0.01333"), Decimal("500000000000"), Decimal("0.00667"),
            MAX - Decimal("0.005")]
OPS = ["<", "<=", ">", ">=", "=", "!="]


@pytest.mark.parametrize("template", [
    "order().avg(paid_amount) {op} {v}",
    "not order().avg(paid_amount) {op} {v}",
    "cart().avg(amount) {op} {v}",
    "cart().avg(price) {op} {v}",
])
def test_averages_near_the_largest_amounts(extreme_engine: Engine, extreme_oracle: Oracle, template: str) -> None:
    mapping = prefixed_mapping(PREFIX)
    for base in AVERAGES:
        for value in _nudged(base):
            for op in OPS:
                text = template.format(op=op, v=format(value, "f"))
                expected = extreme_oracle.ids(check(text).ir, CTX)
                assert run_sql(extreme_engine, text, CTX, mapping=mapping, verify=False) == expected, text


@pytest.mark.parametrize("template", [
    "order().sum(paid_amount) {op} {v}",
    "cart().sum(amount) {op} {v}",
    "cart(amount {op} {v})",
    "cart().avg(quantity) {op} {v}",
    "cart().sum(quantity) {op} {v}",
])
def test_sums_and_amounts_at_the_ends(extreme_engine: Engine, extreme_oracle: Oracle, template: str) -> None:
    mapping = prefixed_mapping(PREFIX)
    values = [Decimal("9999999999999.9"), Decimal("999999999999999.999999"), Decimal("2147483646.5"),
              Decimal("4294967293"), Decimal("-999999999999.96"), MAX * 2]
    for base in values:
        for value in _nudged(base):
            for op in OPS:
                text = template.format(op=op, v=format(value, "f"))
                expected = extreme_oracle.ids(check(text).ir, CTX)
                assert run_sql(extreme_engine, text, CTX, mapping=mapping, verify=False) == expected, text


@pytest.mark.parametrize("lines", [
    [(FITS_QUANTITY + 1, MAX, MAX)],                           # one amount beyond 2^63 hundredths
    [(FITS_QUANTITY, MAX, MAX), (FITS_QUANTITY, MAX, MAX)],    # two that fit, whose total does not
], ids=["amount", "total"])
def test_beyond_64_bits_is_an_error_on_sqlite_and_exact_elsewhere(
    shop_engine: Engine, lines: list[tuple[int, Decimal, Decimal]]
) -> None:
    over = r.ShopData(customers=(r.Customer(member_id="over"),), cart_items=tuple(_cart("over", lines, 1)))
    write_prefixed(shop_engine, over, "y_")
    mapping = prefixed_mapping("y_")
    oracle = Oracle(over)
    texts = ["cart().sum(amount) > 999999999999999", "cart().avg(amount) < 1"]
    if len(lines) == 1:
        texts.append("cart(amount > 5)")
    for text in texts:
        if shop_engine.dialect.name == "sqlite":
            with pytest.raises(StoreError, match=r"beyond the exact range on SQLite \(at most 92,233,720,368,547,758"):
                run_sql(shop_engine, text, CTX, mapping=mapping, verify=False)
        else:
            assert run_sql(shop_engine, text, CTX, mapping=mapping, verify=False) == oracle.ids(check(text).ir, CTX)
