"""A seeded, reproducible demo shop, generated in chunks of customers.

:func:`generate` yields :class:`~cafehub.store.records.ShopData` chunks, each
holding a run of customers with all their rows (coupons, cart, orders with
items and payments) plus some guest orders; the first chunk also holds the
coupon definitions. Memory is bounded by one chunk, so a million customers
stream straight into a store.

The same ``(customers, seed, now, zone)`` always gives the same shop: one
``random.Random(seed)`` is drawn from in a fixed order, customer after
customer, and nothing iterates a ``set`` of strings (whose order changes
between processes). The chunk size does not change the rows, only how they
are cut.

How a customer behaves is drawn once (a persona: browser, one-time buyer,
repeat buyer or VIP; lapsed or active; favourite products), then their life
is simulated in time order: orders fall on days weighted by season (Nov/Dec
and the July sale peak, a February lull), weekday and hour; each order picks
items, may use a held coupon and points, pays with one or more methods and
gets a status that fits its age and method (a bank deposit stays pending for
a few days, returns come after delivery). Coupons are issued the way Cafe24
issues them: at sign-up, on birthdays, after delivery or a review, to all
members in campaigns, to lapsed members, monthly to regulars. Money
identities hold exactly: ``order_amount = Σ (price + option_price) ×
quantity`` and ``paid_amount = order_amount + shipping_fee − discounts``.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from cafehub.compiler.evaluation import (
    DEFAULT_CART_RETENTION_DAYS,
    DEFAULT_HISTORY_START,
    DEFAULT_ZONE,
    EvalContext,
)
from cafehub.demo import catalog as c
from cafehub.store import records as r

DEFAULT_CUSTOMERS = 10_000
DEFAULT_SEED = 2024
DEFAULT_CHUNK = 2_000

_DAY = timedelta(days=1)
_ZERO = Decimal("0.00")
_PERSONAS = (("browser", 0.33), ("once", 0.27), ("repeat", 0.32), ("vip", 0.08))


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSettings:
    """What shop to generate. ``now`` must be aware; everything happens at or before it."""

    customers: int = DEFAULT_CUSTOMERS
    seed: int = DEFAULT_SEED
    now: datetime
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))
    cart_retention_days: int = DEFAULT_CART_RETENTION_DAYS
    history_start: date = DEFAULT_HISTORY_START
    chunk: int = DEFAULT_CHUNK

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("now must carry a UTC offset or time zone")
        if self.customers < 0:
            raise ValueError("the number of customers cannot be negative")
        if self.chunk < 1:
            raise ValueError("chunk must be at least 1")
        # The segments run at now: the same range of now (a ContextError, a ValueError); the shop's
        # coupons expire at most a year or so after it, well inside the room that range leaves.
        EvalContext(now=self.now, zone=self.zone, cart_retention_days=self.cart_retention_days,
                    history_start=self.history_start)
        if self.now.astimezone(self.zone).date() < self.history_start:
            raise ValueError(f"now must not be before the order history starts ({self.history_start})")


def generate(settings: DemoSettings) -> Iterator[r.ShopData]:
    """The demo shop, ``settings.chunk`` customers at a time (coupon definitions in the first chunk)."""
    shop = _Shop(settings)
    yield from shop.chunks()


def generate_shop(settings: DemoSettings) -> r.ShopData:
    """The whole demo shop in memory (tests and small shops)."""
    parts: dict[str, list[Any]] = {name: [] for name in r.ShopData._tables}
    for chunk in generate(settings):
        for name, rows in chunk.tables().items():
            parts[name].extend(rows)
    frozen: dict[str, Any] = {name: tuple(rows) for name, rows in parts.items()}
    return r.ShopData(**frozen)


def _cumulative(weights: list[float] | tuple[float, ...]) -> list[float]:
    return [0.0, *accumulate(weights)]


@dataclass(slots=True)
class _Held:
    """A coupon issued to the customer being simulated."""

    coupon: c.CouponDef
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(slots=True)
class _Rows:
    """The rows of one chunk as they are produced."""

    customers: list[r.Customer] = field(default_factory=list)
    coupons: list[r.Coupon] = field(default_factory=list)
    customer_coupons: list[r.CustomerCoupon] = field(default_factory=list)
    cart_items: list[r.CartItem] = field(default_factory=list)
    orders: list[r.Order] = field(default_factory=list)
    order_items: list[r.OrderItem] = field(default_factory=list)
    order_payments: list[r.OrderPayment] = field(default_factory=list)

    def freeze(self) -> r.ShopData:
        return r.ShopData(
            customers=tuple(self.customers),
            coupons=tuple(self.coupons),
            customer_coupons=tuple(self.customer_coupons),
            cart_items=tuple(self.cart_items),
            orders=tuple(self.orders),
            order_items=tuple(self.order_items),
            order_payments=tuple(self.order_payments),
        )


class _Shop:
    """The generator's state: calendar tables, id counters and the random stream."""

    def __init__(self, settings: DemoSettings) -> None:
        self.s = settings
        self.rng = random.Random(settings.seed)
        self.zone = settings.zone
        self.now = settings.now.astimezone(UTC).replace(tzinfo=None)
        self.today = settings.now.astimezone(self.zone).date()
        self._day_starts: dict[date, datetime] = {}
        self.history = self.day_start(settings.history_start)
        opened = date(*c.SHOP_OPENED)
        self.opened = self.day_start(min(opened, settings.history_start))
        self._calendar()
        self.product_cum = _cumulative([p.weight for p in c.PRODUCTS])
        self.hour_cum = _cumulative(c.HOUR_WEIGHTS)
        self.primary = (
            [m for m, _ in c.PRIMARY_METHODS],
            _cumulative([w for _, w in c.PRIMARY_METHODS]),
        )
        self.primary_ja = (
            [m for m, _ in c.PRIMARY_METHODS_JA],
            _cumulative([w for _, w in c.PRIMARY_METHODS_JA]),
        )
        self.persona_cum = _cumulative([w for _, w in _PERSONAS])
        self.order_seq = 0
        self.coupon_seq = 0
        self.cart_seq = 0

    # ------------------------------------------------------------ calendar

    def day_start(self, day: date) -> datetime:
        """Naive UTC instant of the first moment of ``day`` in the shop's zone."""
        found = self._day_starts.get(day)
        if found is None:
            found = datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)
            self._day_starts[day] = found
        return found

    def _calendar(self) -> None:
        first = self.s.history_start
        count = (self.today - first).days + 1
        self.days = [date.fromordinal(first.toordinal() + i) for i in range(count)]
        self.day_starts = [self.day_start(d) for d in self.days]
        self.discount = [0] * count
        weights = []
        for i, day in enumerate(self.days):
            weight = c.MONTH_FACTOR[day.month - 1] * c.WEEKDAY_FACTOR[day.weekday()]
            weight *= 1.0 + 0.6 * i / max(1, count)  # the shop grows
            for month, first_day, last_day, boost, percent in c.EVENTS:
                if day.month == month and first_day <= day.day <= last_day:
                    weight *= boost
                    self.discount[i] = percent
            weights.append(weight)
        self.day_cum = _cumulative(weights)
        #: Guest orders scale with how long the shop has been taking orders (full after 60 days).
        self.history_weight = min(1.0, (self.now - self.day_starts[0]).total_seconds() / (60 * 86400))

    def day_index(self, instant: datetime) -> int:
        """The index of the shop-time day holding ``instant`` (clamped to the history)."""
        return max(0, min(len(self.day_starts) - 1, bisect_right(self.day_starts, instant) - 1))

    def instant_between(self, start: datetime, end: datetime) -> datetime:
        """A shopping instant in ``[start, end]``, weighted by season, weekday and hour."""
        rng = self.rng
        lo, hi = self.day_index(start), self.day_index(end)
        cum = self.day_cum
        u = cum[lo] + rng.random() * (cum[hi + 1] - cum[lo])
        day = min(hi, max(lo, bisect_right(cum, u) - 1))
        hour = bisect_right(self.hour_cum, rng.random() * self.hour_cum[-1]) - 1
        moment = self.day_starts[day] + timedelta(seconds=hour * 3600 + rng.randrange(3600))
        if moment < start or moment > end:
            moment = start + timedelta(seconds=int((end - start).total_seconds() * rng.random()))
        return moment

    def end_of_day(self, instant: datetime, days_after: int) -> datetime:
        """The last second of the shop-time day ``days_after`` days after ``instant``'s day."""
        local = self.local_date(instant)
        return self.day_start(date.fromordinal(local.toordinal() + days_after + 1)) - timedelta(seconds=1)

    def local_date(self, instant: datetime) -> date:
        """The shop-time calendar day of a naive UTC instant (a table lookup inside the history)."""
        if self.day_starts[0] <= instant:
            return self.days[bisect_right(self.day_starts, instant) - 1]
        return instant.replace(tzinfo=UTC).astimezone(self.zone).date()

    # ------------------------------------------------------------ chunks

    def chunks(self) -> Iterator[r.ShopData]:
        size = self.s.chunk
        first = True
        for start in range(0, self.s.customers, size):
            rows = _Rows()
            if first:
                rows.coupons = [r.Coupon(d.coupon_no, d.name, d.issue_type) for d in c.COUPONS]
                first = False
            for index in range(start, min(start + size, self.s.customers)):
                self.customer(index, rows)
            yield rows.freeze()
        if first:
            yield r.ShopData(coupons=tuple(r.Coupon(d.coupon_no, d.name, d.issue_type) for d in c.COUPONS))

    # ------------------------------------------------------------ one customer

    def customer(self, index: int, rows: _Rows) -> None:
        rng = self.rng
        culture_draw = rng.random()
        culture = "ko" if culture_draw < 0.72 else "ja" if culture_draw < 0.86 else "en"
        member_id, name, phone, email = self.identity(index, culture)
        joined = self.opened + timedelta(seconds=int((self.now - self.opened).total_seconds() * rng.random() ** 0.6))
        known_join = rng.random() >= 0.005
        rows.customers.append(r.Customer(member_id, name, phone, email, joined if known_join else None))

        persona = _PERSONAS[bisect_right(self.persona_cum, rng.random() * self.persona_cum[-1]) - 1][0]
        start = max(joined, self.history)
        end = self.now
        lapsed = False
        if persona != "browser" and rng.random() < (0.15 if persona == "vip" else 0.45):
            latest = self.now - timedelta(days=60)
            if start < latest:
                end = start + (latest - start) * rng.uniform(0.1, 1.0)
                lapsed = True
        span_days = max(0.0, (end - start).total_seconds() / 86400)
        count = self.order_count(persona, span_days)
        times = sorted(self.instant_between(start, end) for _ in range(count)) if start < end else []
        favourites = [self.product() for _ in range(rng.randint(1, 3))]

        held = self.scheduled_coupons(joined, times, persona, lapsed, culture)
        ordered_items = 0
        for number, ordered_at in enumerate(times):
            ordered_items += self.order(rows, member_id, ordered_at, culture, favourites, held, first=number == 0)
            if ordered_items >= 10 and not any(h.coupon is c.QUANTITY for h in held):
                self.issue(held, c.QUANTITY, ordered_at + timedelta(minutes=5))
        cart_products = self.cart(rows, member_id, favourites, lapsed, persona)
        if cart_products and rng.random() < 0.3:
            self.issue(held, c.CART_REMINDER, self.now - timedelta(hours=rng.uniform(1, 48)))
        for coupon in held:
            self.coupon_seq += 1
            rows.customer_coupons.append(
                r.CustomerCoupon(
                    c.ISSUE_NO_BASE + self.coupon_seq, member_id, coupon.coupon.coupon_no, coupon.issued_at,
                    coupon.expires_at, coupon.used_at,
                )
            )  # fmt: skip
        if rng.random() < 0.12 * self.history_weight:
            self.guest_order(rows)

    def identity(self, index: int, culture: str) -> tuple[str, str | None, str | None, str | None]:
        rng = self.rng
        if culture == "ko":
            family, family_latin = rng.choice(c.KO_FAMILY)
            given, given_latin = rng.choice(c.KO_GIVEN)
            name = family + given
            handle = (family_latin + given_latin) if rng.random() < 0.5 else given_latin
            phone = f"010-****-{rng.randrange(10_000):04d}"
        elif culture == "ja":
            family, family_latin = rng.choice(c.JA_FAMILY)
            given, given_latin = rng.choice(c.JA_GIVEN)
            name = f"{family} {given}"
            handle = given_latin + "_" + family_latin[:3] if rng.random() < 0.5 else family_latin
            phone = f"0{rng.choice('789')}0-****-{rng.randrange(10_000):04d}"
        else:
            given_en, family_en = rng.choice(c.EN_GIVEN), rng.choice(c.EN_FAMILY)
            name = f"{given_en} {family_en}"
            handle = given_en.lower() + family_en[0].lower()
            phone = f"+1-555-***-{rng.randrange(10_000):04d}"
        if rng.random() < 0.15:
            member_id = f"{3_000_000_000 + index * 7}@{'k' if rng.random() < 0.7 else 'n'}"  # Kakao / Naver login
        else:
            member_id = f"{handle[:9]}{index + 1}"  # letters then digits: unique by index
        email = f"{handle[:3]}***@{rng.choice(c.EMAIL_DOMAINS)}"
        return (
            member_id,
            name if rng.random() >= 0.02 else None,
            phone if rng.random() >= 0.06 else None,
            email if rng.random() >= 0.04 else None,
        )

    def order_count(self, persona: str, span_days: float) -> int:
        rng = self.rng
        if persona == "browser" or span_days <= 0:
            return 0
        if span_days < 60 and rng.random() * 60 > span_days:
            return 0  # a short life in the shop (a new member, a young history): often no order yet
        if persona == "once":
            count = 1
        elif persona == "repeat":
            count = 2
            while count < 10 and rng.random() < 0.55:
                count += 1
        else:
            count = 8
            while count < 40 and rng.random() < 0.88:
                count += 1
        return max(1, min(count, int(span_days // 4) or 1))

    def product(self) -> c.Product:
        cum = self.product_cum
        return c.PRODUCTS[bisect_right(cum, self.rng.random() * cum[-1]) - 1]

    # ------------------------------------------------------------ coupons

    def issue(self, held: list[_Held], coupon: c.CouponDef, issued_at: datetime) -> None:
        if issued_at > self.now:
            return
        if issued_at.microsecond:
            issued_at = issued_at.replace(microsecond=0)
        if coupon.valid_days:
            expires = self.end_of_day(issued_at, coupon.valid_days)
        else:  # until the end of the month
            local = self.local_date(issued_at)
            next_month = date(local.year + local.month // 12, local.month % 12 + 1, 1)
            expires = self.day_start(next_month) - timedelta(seconds=1)
        held.append(_Held(coupon, issued_at, expires))

    def scheduled_coupons(
        self, joined: datetime, times: list[datetime], persona: str, lapsed: bool, culture: str
    ) -> list[_Held]:
        """Coupons issued on a schedule (not in reaction to an order), oldest first."""
        rng = self.rng
        held: list[_Held] = []
        if rng.random() < 0.9:
            self.issue(held, c.SIGNUP if rng.random() < 0.7 else c.SIGNUP_SMALL, joined + timedelta(minutes=1))
        joined_day = self.local_date(joined)
        if rng.random() < 0.55:  # a registered birthday
            birthday = date(2000, rng.randint(1, 12), rng.randint(1, 28))
            definition = c.BIRTHDAY_JA if culture == "ja" else c.BIRTHDAY
            for year in range(max(joined_day.year, self.s.history_start.year), self.today.year + 1):
                day = birthday.replace(year=year)
                if joined_day <= day:
                    self.issue(held, definition, self.day_start(day) + timedelta(minutes=5))
        for years in range(1, self.today.year - joined_day.year + 1):
            anniversary = date(joined_day.year + years, joined_day.month, min(joined_day.day, 28))
            if anniversary >= self.s.history_start and rng.random() < 0.5:
                self.issue(held, c.JOIN_ANNIVERSARY, self.day_start(anniversary) + timedelta(hours=10))
        horizon = self.now - timedelta(days=300)
        for year in range(self.s.history_start.year, self.today.year + 1):
            for campaign, month, day_of_month in (
                (c.SUMMER, 7, 1), (c.SEASON_OFF, 8, 20), (c.BLACK_FRIDAY, 11, 22), (c.YEAR_END, 12, 18),
            ):  # fmt: skip
                start = self.day_start(date(year, month, day_of_month)) + timedelta(hours=10)
                if horizon <= start and joined < start and rng.random() < 0.6:
                    self.issue(held, campaign, start)
        if persona in ("repeat", "vip") and not lapsed:
            for months_back in range(2, -1, -1):
                month_index = self.today.year * 12 + self.today.month - 1 - months_back
                month_start = date(month_index // 12, month_index % 12 + 1, 1)
                issued = self.day_start(month_start) + timedelta(hours=9)
                if issued > joined:
                    self.issue(held, c.MONTHLY, issued)
        if persona == "vip":
            for _ in range(rng.randint(1, 3)):
                self.issue(held, c.VIP, self.instant_between(max(joined, self.history), self.now))
        # Win-back: 90 days without a purchase (after the last order, or after joining).
        marks = times or [max(joined, self.history)]
        for i, mark in enumerate(marks):
            following = marks[i + 1] if i + 1 < len(marks) else self.now
            if following - mark > timedelta(days=90) and rng.random() < 0.7:
                self.issue(held, c.DORMANT, mark + timedelta(days=90, hours=1))
        held.sort(key=lambda h: h.issued_at)
        return held

    # ------------------------------------------------------------ orders

    def order_id(self, ordered_at: datetime) -> str:
        self.order_seq += 1
        return f"{self.local_date(ordered_at):%Y%m%d}-{self.order_seq:07d}"

    def items(
        self, rows: _Rows, order_id: str, ordered_at: datetime, favourites: list[c.Product], count: int
    ) -> tuple[int, int]:
        """Add an order's items; return (order amount, units)."""
        rng = self.rng
        chosen: dict[int, c.Product] = {}
        for _ in range(count * 3):
            if len(chosen) >= count:
                break
            product = rng.choice(favourites) if favourites and rng.random() < 0.4 else self.product()
            chosen.setdefault(product.no, product)
        discount = self.discount[self.day_index(ordered_at)]
        amount = units = 0
        for line, product in enumerate(chosen.values(), 1):
            price = product.price
            if discount and product.category != "beauty" and rng.random() < 0.7:
                price = price * (100 - discount) // 10_000 * 100  # sale price, whole hundreds of won
            _, surcharge = product.options[0] if rng.random() < 0.6 else rng.choice(product.options)
            quantity = 1 if rng.random() < 0.8 else rng.randint(2, 3)
            amount += (price + surcharge) * quantity
            units += quantity
            code = f"{order_id}-{line:02d}"
            rows.order_items.append(
                r.OrderItem(code, order_id, product.no, quantity, Decimal(price), Decimal(surcharge))
            )
        return amount, units

    def order(
        self,
        rows: _Rows,
        member_id: str,
        ordered_at: datetime,
        culture: str,
        favourites: list[c.Product],
        held: list[_Held],
        *,
        first: bool,
    ) -> int:
        """Simulate one member order: items, coupon, points, payment, status, follow-up coupons."""
        rng = self.rng
        order_id = self.order_id(ordered_at)
        item_count = 1 if rng.random() < 0.55 else 2 if rng.random() < 0.55 else rng.randint(3, 6)
        amount, units = self.items(rows, order_id, ordered_at, favourites, item_count)
        shipping = 0 if amount >= c.FREE_SHIPPING_FROM else c.SHIPPING_FEE
        if rng.random() < 0.03:
            shipping += c.REMOTE_SURCHARGE
        total = amount + shipping
        methods: list[str] = []

        coupon_discount = 0
        usable = [
            h for h in held
            if h.used_at is None and h.issued_at <= ordered_at <= h.expires_at and amount >= h.coupon.min_order
        ]  # fmt: skip
        if usable and rng.random() < 0.55:
            best = max(usable, key=lambda h: _coupon_value(h.coupon, amount))
            coupon_discount = min(_coupon_value(best.coupon, amount), total)
            best.used_at = ordered_at
            if rng.random() < 0.5:
                methods.append("coupon")
        market = 0
        if rng.random() < 0.03:
            market = min(amount * 5 // 100 // 10 * 10, total - coupon_discount)
            methods.append("market_discount")
        points = 0
        if rng.random() < 0.18:
            points = min(rng.choice((1_000, 2_000, 3_000, 5_000, 10_000)), total - coupon_discount - market)
            if points > 0:
                methods.append("point" if rng.random() < 0.8 else "pointfy")
        paid = total - coupon_discount - market - points

        primary = None
        if paid > 0:
            names, cum = self.primary_ja if culture == "ja" else self.primary
            primary = names[bisect_right(cum, rng.random() * cum[-1]) - 1]
            methods.insert(0, primary)
            if primary != "credit" and rng.random() < 0.02:
                methods.append("credit")  # part paid from the store deposit
        elif not methods:
            methods.append("coupon")
        status = self.status(ordered_at, primary)
        rows.orders.append(
            r.Order(order_id, member_id, ordered_at, status, Decimal(paid), Decimal(amount), Decimal(shipping))
        )
        for method in dict.fromkeys(methods):
            rows.order_payments.append(r.OrderPayment(order_id, method))

        if first and rng.random() < 0.8:
            self.issue(held, c.FIRST_PURCHASE, ordered_at + timedelta(minutes=2))
        elif rng.random() < 0.2:
            self.issue(held, c.NEXT_ORDER, ordered_at + timedelta(minutes=2))
        if status in ("paid", "returned", "refunded"):
            if rng.random() < 0.3:
                self.issue(held, c.DELIVERY, ordered_at + timedelta(days=rng.uniform(2, 5)))
            if status == "paid" and rng.random() < 0.15:
                self.issue(held, c.REVIEW, ordered_at + timedelta(days=rng.uniform(6, 14)))
        return units

    def status(self, ordered_at: datetime, primary: str | None) -> str:
        rng = self.rng
        age_days = (self.now - ordered_at).total_seconds() / 86400
        draw = rng.random()
        if primary in c.DEPOSIT_METHODS:
            if age_days < 3:
                return "pending" if draw < 0.65 else "paid"
            if draw < 0.07:
                return "canceled"  # the deposit never came
            draw = rng.random()
        if age_days < 0.25 and draw < 0.05:
            return "pending"
        if draw < 0.045:
            return "canceled"
        if age_days > 7:
            if draw < 0.075:
                return "returned"
            if draw < 0.1:
                return "refunded"
        return "paid"

    def guest_order(self, rows: _Rows) -> None:
        """An order placed without an account: it belongs to no customer."""
        rng = self.rng
        ordered_at = self.instant_between(self.history, self.now)
        order_id = self.order_id(ordered_at)
        amount, _ = self.items(rows, order_id, ordered_at, [], rng.randint(1, 2))
        shipping = 0 if amount >= c.FREE_SHIPPING_FROM else c.SHIPPING_FEE
        method = rng.choice(("card", "card", "card", "cash", "tcash", "cell"))
        status = self.status(ordered_at, method)
        total = Decimal(amount + shipping)
        rows.orders.append(r.Order(order_id, None, ordered_at, status, total, Decimal(amount), Decimal(shipping)))
        rows.order_payments.append(r.OrderPayment(order_id, method))

    # ------------------------------------------------------------ cart

    def cart(self, rows: _Rows, member_id: str, favourites: list[c.Product], lapsed: bool, persona: str) -> int:
        """Items in the member's cart: mostly recent (within retention), some abandoned long ago."""
        rng = self.rng
        chance = 0.04 if lapsed else 0.22 if persona == "browser" else 0.32
        if rng.random() >= chance:
            return 0
        retention = self.s.cart_retention_days
        seen: dict[int, None] = {}
        for _ in range(1 if rng.random() < 0.7 else 2):
            age = rng.uniform(0, retention) if rng.random() < 0.7 else rng.uniform(retention, 30)
            moment = self.now - timedelta(seconds=int(age * 86400))
            discount = self.discount[self.day_index(moment)]
            for step in range(1 if rng.random() < 0.5 else rng.randint(2, 6)):
                product = rng.choice(favourites) if rng.random() < 0.35 else self.product()
                if product.no in seen:
                    continue
                seen[product.no] = None
                added_at = min(self.now, moment + timedelta(seconds=step * rng.randint(30, 600)))
                price = product.price
                if discount and product.category != "beauty":
                    price = price * (100 - discount) // 10_000 * 100
                _, surcharge = product.options[0] if rng.random() < 0.6 else rng.choice(product.options)
                self.cart_seq += 1
                rows.cart_items.append(
                    r.CartItem(
                        self.cart_seq, member_id, product.no, 1 if rng.random() < 0.75 else rng.randint(2, 4),
                        Decimal(price), Decimal(surcharge), added_at,
                    )
                )  # fmt: skip
        return len(seen)


def _coupon_value(coupon: c.CouponDef, amount: int) -> int:
    """The discount a coupon gives on an order of ``amount`` (whole tens of won)."""
    if coupon.amount:
        return min(coupon.amount, amount)
    value = amount * coupon.percent // 100 // 10 * 10
    return min(value, coupon.max_discount) if coupon.max_discount else value
