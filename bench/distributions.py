"""Shops that differ from the demo on the axes that move SQL plans.

The demo shop (``cafehub.demo``) is one realistic shop; plan shapes chosen by
measuring on it fit its data. These generators make shops that differ on what
decides whether a plan is fast (issue 13):

- orders per customer who orders (0.5 to 50), and the share of customers
  without any order;
- how much of the activity is recent (inside a segment's window or not), and
  how many customers lapsed (no order for months);
- how much of the cart table the retention window covers;
- coupons per customer, and how many expire soon;
- how skewed product popularity is (Zipf), and where the benchmark's products
  (17, 42, 43) rank;
- the share of guest orders.

Each shop is generated from a seed in chunks of customers (bounded memory at
any size), with every member reference valid (as the store's loader
enforces) and *planted boundary rows*: orders exactly at the history start,
at ``now`` and at each window edge of the benchmark segments, coupons
expiring exactly at ``now`` and one day later, cart items exactly at the
retention cut-off, and rows just after ``now``, so that a hand-written query
with an off-by-one bound returns other ids than the compiled one.

Only what segments read is generated: no order payments, no names or
contacts. Money is whole won plus, for one row in fifty, cents.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from cafehub.compiler.evaluation import DEFAULT_CART_RETENTION_DAYS, DEFAULT_HISTORY_START
from cafehub.store import records as r

_DAY = timedelta(days=1)
_ZERO = Decimal(0)
_SHIPPING = Decimal(3000)
_STATUSES = (("paid", 0.80), ("canceled", 0.07), ("refunded", 0.05), ("returned", 0.04), ("pending", 0.04))
_COUPON_DEFS = tuple((f"60700000000000{n:05d}", f"coupon {n}", t)
                     for n, t in enumerate(("signup", "birthday", "campaign", "delivery", "review", "dormant"
                                            ) * 5, 1))
_VALIDITY_DAYS = (7, 14, 30, 30, 90, 365)


@dataclass(frozen=True, slots=True)
class Distribution:
    """What a generated shop looks like (means are per customer unless said otherwise)."""

    name: str
    summary: str
    buyer_share: float
    """Share of customers with at least one order."""
    orders_per_buyer: float
    """Mean orders of a customer who orders (geometric, at least one)."""
    items_per_order: float
    lapsed_share: float
    """Share of buyers whose last order is 60 to 400 days old."""
    recent_share: float
    """Share of an active buyer's orders in the last 60 days (the rest since 2023-10-01)."""
    guest_share: float
    """Guest orders per member order."""
    products: int
    skew: float
    """Zipf exponent of product popularity (0: every product alike)."""
    ranks: tuple[tuple[int, int], ...]
    """(product number, popularity rank from 1) for the products the benchmark segments name."""
    cart_per_customer: float
    cart_in_retention: float
    """Share of cart rows inside the retention window (the rest are up to ``cart_days`` old)."""
    cart_days: int
    coupons_per_customer: float
    expiring_share: float
    """Share of issued coupons that expire within two days of now."""
    used_share: float = 0.3


DISTRIBUTIONS: dict[str, Distribution] = {d.name: d for d in (
    Distribution(
        name="sparse", summary="0.5 orders per customer (70% never ordered), many guests, flat products, "
        "old activity, cart mostly inside the retention, few coupons",
        buyer_share=0.3, orders_per_buyer=1.7, items_per_order=1.3, lapsed_share=0.6, recent_share=0.08,
        guest_share=0.6, products=4000, skew=0.0, ranks=((17, 900), (42, 40), (43, 2000)),
        cart_per_customer=0.3, cart_in_retention=0.9, cart_days=10, coupons_per_customer=0.5,
        expiring_share=0.01),
    Distribution(
        name="dense", summary="5 orders and 12 order lines per customer, 3 coupons and 2 cart items, "
        "skewed products (17 and 42 popular), 5% guests",
        buyer_share=0.85, orders_per_buyer=5.9, items_per_order=2.4, lapsed_share=0.3, recent_share=0.15,
        guest_share=0.05, products=3000, skew=1.1, ranks=((17, 3), (42, 2), (43, 25)),
        cart_per_customer=2.0, cart_in_retention=0.5, cart_days=30, coupons_per_customer=3.0,
        expiring_share=0.04),
    Distribution(
        name="recent", summary="most activity inside the segments' windows (70% of orders in 60 days), "
        "a cart table of 120 days that the retention barely covers, 8 coupons with many expiring, "
        "very skewed products",
        buyer_share=0.9, orders_per_buyer=3.0, items_per_order=1.6, lapsed_share=0.05, recent_share=0.7,
        guest_share=0.1, products=1500, skew=1.5, ranks=((17, 1), (42, 4), (43, 2)),
        cart_per_customer=4.0, cart_in_retention=0.06, cart_days=120, coupons_per_customer=8.0,
        expiring_share=0.25),
    Distribution(
        name="heavy", summary="20% of customers order, 50 orders each on average (10 per customer), "
        "long histories, moderate skew, product 42 rare",
        buyer_share=0.2, orders_per_buyer=50.0, items_per_order=1.5, lapsed_share=0.2, recent_share=0.1,
        guest_share=0.02, products=5000, skew=0.8, ranks=((17, 50), (42, 600), (43, 30)),
        cart_per_customer=1.0, cart_in_retention=0.3, cart_days=30, coupons_per_customer=1.5,
        expiring_share=0.02),
)}

#: The benchmark's products get these numbers; the others are 1000 + their rank.
_NAMED_BASE = 1000


class _Shop:
    def __init__(self, d: Distribution, customers: int, seed: int, now: datetime, chunk: int) -> None:
        self.d, self.customers, self.chunk = d, customers, chunk
        self.rng = random.Random(f"{d.name}/{seed}")
        self.now = now.astimezone(UTC).replace(tzinfo=None)
        self.history = datetime.combine(DEFAULT_HISTORY_START, datetime.min.time())  # UTC midnight, naive
        self.earliest = self.history - timedelta(days=92)  # some orders before the history boundary
        weights = [1.0 / (rank ** d.skew) for rank in range(1, d.products + 1)]
        self.product_cum = [0.0, *accumulate(weights)]
        by_rank = {rank: no for no, rank in d.ranks}
        self.product_no = [by_rank.get(rank, _NAMED_BASE + rank) for rank in range(1, d.products + 1)]
        self.prices = [Decimal(self.rng.randrange(5, 90) * 1000) for _ in range(d.products)]
        self.status_cum = [0.0, *accumulate(w for _, w in _STATUSES)]
        self.order_seq = self.cart_seq = self.coupon_seq = 0

    # ------------------------------------------------------------ draws

    def count(self, mean: float) -> int:
        """A count with the given mean: geometric over 0, 1, 2, ..."""
        if mean <= 0:
            return 0
        p = 1.0 / (1.0 + mean)
        n = 0
        rng = self.rng
        while rng.random() >= p:
            n += 1
        return n

    def product(self) -> int:
        cum = self.product_cum
        return bisect_right(cum, self.rng.random() * cum[-1]) - 1

    def instant(self, start: datetime, end: datetime) -> datetime:
        span = (end - start).total_seconds()
        return start + timedelta(seconds=int(span * self.rng.random()))

    def money(self, base: Decimal) -> Decimal:
        if self.rng.random() < 0.02:
            return base + Decimal(self.rng.randrange(1, 100)) / 100
        return base

    # ------------------------------------------------------------ rows

    def chunks(self) -> Iterator[r.ShopData]:
        first = True
        for start in range(0, self.customers, self.chunk):
            rows: dict[str, list[object]] = {n: [] for n in r.ShopData._tables}
            if first:
                rows["coupons"] = [r.Coupon(no, name, kind) for no, name, kind in _COUPON_DEFS]
                first = False
            for index in range(start, min(start + self.chunk, self.customers)):
                self.customer(index, rows)
            yield r.ShopData(**{name: tuple(v) for name, v in rows.items()})  # type: ignore[arg-type]

    def customer(self, index: int, rows: dict[str, list[object]]) -> None:
        d, rng, now = self.d, self.rng, self.now
        member = f"m{index:07d}"
        rows["customers"].append(r.Customer(member))
        planted = index % 997 == 0
        times: list[datetime] = []
        if rng.random() < d.buyer_share:
            n = 1 + self.count(d.orders_per_buyer - 1)
            if rng.random() < d.lapsed_share:
                last = now - timedelta(days=rng.uniform(60.001, 400))
                times = [self.instant(self.earliest, last) for _ in range(n)]
            else:
                times = [self.instant(now - 60 * _DAY, now) if rng.random() < d.recent_share
                         else self.instant(self.earliest, now - 60 * _DAY) for _ in range(n)]
        if planted:
            times += self.planted_times(index)
        for at in times:
            self.order(rows, member, at)
        guests = d.guest_share * max(1, len(times))
        for _ in range(int(guests) + (rng.random() < guests % 1)):
            self.order(rows, None, self.instant(self.earliest, now))
        self.cart(rows, member, planted)
        self.coupons(rows, member, planted)

    def planted_times(self, index: int) -> list[datetime]:
        """Orders exactly on the benchmark segments' bounds (and a microsecond after ``now``)."""
        now = self.now
        edges = [self.history, now, now - 3 * _DAY, now - 30 * _DAY, now - 60 * _DAY, now - 90 * _DAY,
                 now + timedelta(microseconds=1), self.history - timedelta(microseconds=1)]
        return [edges[(index // 997 + k) % len(edges)] for k in range(3)]

    def order(self, rows: dict[str, list[object]], member: str | None, at: datetime) -> None:
        d, rng = self.d, self.rng
        self.order_seq += 1
        order_id = f"o{self.order_seq:09d}"
        status = _STATUSES[bisect_right(self.status_cum, rng.random() * self.status_cum[-1]) - 1][0]
        seen: set[int] = set()
        amount = Decimal(0)
        items = rows["order_items"]
        for line in range(1, 2 + self.count(d.items_per_order - 1)):
            rank = self.product()
            if rank in seen:
                continue
            seen.add(rank)
            price = self.money(self.prices[rank])
            quantity = 1 if rng.random() < 0.85 else rng.randint(2, 4)
            amount += price if quantity == 1 else price * quantity
            items.append(r.OrderItem(f"{order_id}-{line:02d}", order_id, self.product_no[rank], quantity, price, _ZERO))
        shipping = _ZERO if amount >= 50_000 else _SHIPPING
        rows["orders"].append(r.Order(order_id, member, at, status, amount + shipping, amount, shipping))

    def cart(self, rows: dict[str, list[object]], member: str, planted: bool) -> None:
        d, rng, now = self.d, self.rng, self.now
        cutoff = now - DEFAULT_CART_RETENTION_DAYS * _DAY
        added = []
        for _ in range(self.count(d.cart_per_customer)):
            added.append(self.instant(cutoff, now) if rng.random() < d.cart_in_retention
                         else self.instant(now - d.cart_days * _DAY, cutoff))
        if planted:
            added += [cutoff, now, now + timedelta(microseconds=1)]
        seen: set[int] = set()
        for at in added:
            rank = self.product()
            if rank in seen:
                continue
            seen.add(rank)
            self.cart_seq += 1
            option = Decimal(rng.choice((0, 0, 0, 2000, 5000)))
            rows["cart_items"].append(r.CartItem(self.cart_seq, member, self.product_no[rank],
                                                 1 if rng.random() < 0.75 else rng.randint(2, 5),
                                                 self.money(self.prices[rank]), option, at))

    def coupons(self, rows: dict[str, list[object]], member: str, planted: bool) -> None:
        d, rng, now = self.d, self.rng, self.now
        held: list[tuple[datetime, datetime]] = []
        for _ in range(self.count(d.coupons_per_customer)):
            if rng.random() < d.expiring_share:
                expires = now + timedelta(seconds=int(rng.uniform(0, 2 * 86400)))
                issued = expires - rng.choice(_VALIDITY_DAYS) * _DAY
            else:
                issued = self.instant(now - 400 * _DAY, now + _DAY)
                expires = issued + rng.choice(_VALIDITY_DAYS) * _DAY
            held.append((issued, expires))
        if planted:
            held += [(now - 5 * _DAY, now), (now - 5 * _DAY, now + _DAY), (now - 5 * _DAY, now + _DAY + timedelta(
                microseconds=1)), (now + timedelta(microseconds=1), now + 3 * _DAY)]
        for issued, expires in held:
            used = None
            if rng.random() < d.used_share and issued < now:
                used = self.instant(issued, min(now, expires))
            self.coupon_seq += 1
            coupon_no = _COUPON_DEFS[rng.randrange(len(_COUPON_DEFS))][0]
            rows["customer_coupons"].append(r.CustomerCoupon(self.coupon_seq, member, coupon_no, issued, expires, used))


def generate(name: str, customers: int, seed: int, now: datetime, chunk: int = 5000) -> Iterator[r.ShopData]:
    """The shop of distribution ``name`` with ``customers`` customers, ``chunk`` customers at a time."""
    return _Shop(DISTRIBUTIONS[name], customers, seed, now, chunk).chunks()
