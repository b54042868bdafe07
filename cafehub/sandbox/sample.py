"""A small, deterministic sample shop for tests, benchmarks and an empty sandbox.

Not the demo shop (``cafehub demo`` builds that): just enough variety to
exercise every mapping rule: guests, every order status and issue type,
several payment methods per order, a coupon whose definition was deleted,
members without a join date. Times are whole seconds, as Cafe24 keeps them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from cafehub.store import records as r

ISSUE_TYPES = ("targeted", "signup", "delivery_complete", "anniversary", "review", "order_complete",
               "purchase_quantity", "first_purchase", "all_members", "dormant", "recurring")
PAYMENTS = ("card", "card", "card", "cash", "tcash", "icash", "point", "credit", "coupon", "cell", "giftcard")
STATUSES = ("paid",) * 12 + ("pending",) * 2 + ("canceled",) * 2 + ("returned", "refunded")
#: Cafe24's issued-coupon numbers are 19 digits; the sample's count up from here.
ISSUE_NO_BASE = 6_073_442_924_700_001_000
NAMES = ("Kim Minji", "Lee Jun", "Park Seo-yeon", "Choi Yuna", "佐藤 花子", "鈴木 一郎", "Jeong Hoon", "O'Brien")


def sample_shop(
    *,
    seed: int = 7,
    customers: int = 40,
    orders: int = 150,
    now: datetime | None = None,
    zone: str = "Asia/Seoul",
    start: datetime = datetime(2024, 1, 2),
) -> r.ShopData:
    """A shop with ``customers`` members and ``orders`` orders placed between ``start`` and ``now``."""
    rng = random.Random(seed)
    now_utc = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    span = (now_utc - timedelta(hours=1) - start).total_seconds()
    tz = ZoneInfo(zone)

    def moment(earliest: datetime = start, latest: datetime | None = None) -> datetime:
        high = (latest or now_utc - timedelta(hours=1)) - earliest
        value = earliest + timedelta(seconds=rng.uniform(0, max(1.0, high.total_seconds())))
        return value.replace(microsecond=0)

    members = [
        r.Customer(
            member_id=f"m{n:04d}",
            name=rng.choice(NAMES) if rng.random() > 0.05 else None,
            cellphone=f"010-{rng.randrange(10000):04d}-{rng.randrange(10000):04d}" if rng.random() > 0.1 else None,
            email=f"m{n:04d}@example.com" if rng.random() > 0.1 else None,
            joined_at=None if n % 17 == 5 else moment(start - timedelta(days=400)),
        )
        for n in range(1, customers + 1)
    ]
    coupons = [r.Coupon(f"60700000000000{n:05d}", f"Coupon {kind}", kind) for n, kind in enumerate(ISSUE_TYPES, 1)]
    deleted_no = "6070000000000099999"
    issues: list[r.CustomerCoupon] = []
    carts: list[r.CartItem] = []
    for member in members:
        for _ in range(rng.randrange(4)):
            issued = moment(now_utc - timedelta(days=90))
            expires = issued + timedelta(days=rng.choice((3, 7, 30, 120)))
            used = issued + timedelta(hours=rng.randrange(1, 48)) if rng.random() < 0.3 else None
            coupon_no = rng.choice(coupons).coupon_no if rng.random() > 0.05 else deleted_no
            issues.append(r.CustomerCoupon(ISSUE_NO_BASE + len(issues), member.member_id, coupon_no, issued, expires,
                                           used if used and used < now_utc else None))
        for _ in range(rng.randrange(3)):
            carts.append(r.CartItem(5000 + len(carts), member.member_id, rng.randrange(1, 31), rng.randrange(1, 4),
                                    Decimal(rng.randrange(10, 500) * 100), Decimal(rng.choice((0, 0, 500, 1000))),
                                    moment(now_utc - timedelta(days=40))))
    order_rows: list[r.Order] = []
    item_rows: list[r.OrderItem] = []
    payment_rows: list[r.OrderPayment] = []
    stamps = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(orders))
    previous: r.Order | None = None
    for seq, stamp in enumerate(stamps, 1):
        stamp = stamp.replace(microsecond=0)
        member_id = None if rng.random() < 0.1 else rng.choice(members).member_id
        if previous is not None and previous.member_id and rng.random() < 0.2:
            # a second order of the same member soon after (the warehouse may pack them together)
            member_id, stamp = previous.member_id, previous.ordered_at + timedelta(minutes=10)
        local_day = stamp.replace(tzinfo=UTC).astimezone(tz).strftime("%Y%m%d")
        order_id = f"{local_day}-{seq:07d}"
        amount = Decimal(0)
        for index in range(1, rng.randrange(1, 5) + 1):
            item = r.OrderItem(f"{order_id}-{index:02d}", order_id, rng.randrange(1, 31), rng.randrange(1, 4),
                               Decimal(rng.randrange(10, 500) * 100), Decimal(rng.choice((0, 0, 500))))
            item_rows.append(item)
            amount += (item.price + item.option_price) * item.quantity
        shipping = Decimal(rng.choice((0, 3000)))
        discount = Decimal(rng.choice((0, 0, 1000, 2500)))
        status = rng.choice(STATUSES)
        previous = r.Order(order_id, member_id, stamp, status, max(Decimal(0), amount + shipping - discount),
                           amount, shipping)
        order_rows.append(previous)
        for method in sorted(set(rng.sample(PAYMENTS, rng.choice((1, 1, 1, 2))))):
            payment_rows.append(r.OrderPayment(order_id, method))
    return r.ShopData(
        customers=tuple(members),
        coupons=tuple(coupons),
        customer_coupons=tuple(issues),
        cart_items=tuple(carts),
        orders=tuple(order_rows),
        order_items=tuple(item_rows),
        order_payments=tuple(payment_rows),
        customer_consents=_consents(members),
    )


def _consents(members: list[r.Customer]) -> tuple[r.CustomerConsent, ...]:
    """Every kind of consent, by position (the random stream above stays as it was): yes and no for
    SMS and e-mail, one flag unknown, and some members with no consent row at all."""
    choices = (None, True, False)
    made = (r.CustomerConsent(m.member_id, choices[(i + 1) % 3] if i % 5 else None, choices[i % 3])
            for i, m in enumerate(members) if i % 7 != 6)
    return tuple(k for k in made if k.sms is not None or k.email is not None)
