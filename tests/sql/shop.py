"""A deterministic, adversarial shop for the SQL backend's tests, and the contexts it is read at.

Every timestamp is either a *boundary* of one of the evaluation contexts
(``now``, ``now - 3d``, the cart cutoff, the history start, the start of
today/yesterday in the shop's zone, fixed dates used by the cases...) or one
microsecond either side of it, or a random instant. So every inclusive or
exclusive bound of every case is hit exactly, and just missed, in every
context. The contexts include daylight-saving days (a 23-hour day in New York,
a 25-hour day in Berlin) so day boundaries move with the zone.

Values are adversarial too: money on both sides of thresholds by one cent,
strings with quotes, ``%``, ``_``, backslashes, trailing spaces, case
variants and non-ASCII, guest orders, orders without items or payments,
coupons whose definition is missing, and rows outside every window.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from cafehub.compiler.catalog import ENUMS
from cafehub.compiler.evaluation import EvalContext, day_start, to_naive_utc
from cafehub.store import records as r

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")

#: The evaluation contexts every case is run at.
CONTEXTS: dict[str, EvalContext] = {
    # Midnight in Seoul: day boundaries coincide with now.
    "seoul_midnight": EvalContext(now=datetime(2025, 2, 1, 0, 0, tzinfo=SEOUL)),
    # 9 March 2025 is a 23-hour day in New York (clocks jump from 02:00 to 03:00).
    "new_york_dst_day": EvalContext(now=datetime(2025, 3, 9, 12, 30, tzinfo=NEW_YORK), zone=NEW_YORK,
                                    cart_retention_days=3),
    # The day after 26 October 2025, a 25-hour day in Berlin; history starts later.
    "berlin_after_fallback": EvalContext(now=datetime(2025, 10, 27, 0, 0, 0, 1, tzinfo=BERLIN), zone=BERLIN,
                                         cart_retention_days=14, history_start=date(2024, 6, 1)),
    # An ordinary afternoon in Seoul, a week into March.
    "seoul_march": EvalContext(now=datetime(2025, 3, 7, 15, 45, 30, 250000, tzinfo=SEOUL), cart_retention_days=30),
}

_DURATIONS = (0, 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400)
_FIXED_DAYS = (date(2024, 1, 1), date(2024, 1, 2), date(2024, 6, 1), date(2025, 1, 1), date(2025, 1, 31),
               date(2025, 2, 1))
_ONE_MICRO = timedelta(microseconds=1)


def boundaries() -> list[datetime]:
    """Every instant a case or a context window can start or end at, as naive UTC, sorted."""
    points: set[datetime] = set()
    for ctx in CONTEXTS.values():
        now = ctx.now_utc
        for seconds in _DURATIONS:
            points.add(now - timedelta(seconds=seconds))
            points.add(now + timedelta(seconds=seconds))
        points.add(ctx.cart_cutoff)
        points.add(ctx.history_cutoff)
        today = ctx.today
        for delta in (-1, 0, 1, 2):
            points.add(day_start(today + timedelta(days=delta), ctx.zone))
        for day in _FIXED_DAYS:
            points.add(day_start(day, ctx.zone))
            points.add(day_start(day + timedelta(days=1), ctx.zone))
        points.add(datetime(2025, 1, 1, 9, 0, tzinfo=ctx.zone).astimezone(UTC))
    points.add(datetime(2025, 1, 31, 23, 59, 59, tzinfo=UTC))
    edges = {to_naive_utc(p) + d for p in points for d in (-_ONE_MICRO, timedelta(0), _ONE_MICRO)}
    return sorted(edges)


MONEY = [Decimal(v) for v in (
    "0.00", "0.01", "0.99", "1.00", "12.34", "12.35", "99.99", "100.00", "100.01", "333.33", "1000.00",
    "33333.33", "33333.34", "49999.99", "50000.00", "50000.01", "99999.99", "100000.00", "100000.01",
    "250000.00", "999999999999.99",
)]

STRINGS = [
    "Welcome", "welcome", "Welcome ", " Welcome", "WELCOME", "Spring 50% off", "50_off", "5_0", "a\\b", "a\\\\b",
    "it's", "it''s", '"quoted"', "--", "; DROP TABLE customers; --", "x%y_z", "%", "_", "", " ", "naïve",
    "naı̈ve", "クーポン", "쿠폰 10%", "😀 emoji", "tab\there", "new\nline", "back\\", "'", "\\'",
]

MEMBER_IDS_TRICKY = ["Alice", "alice", "alice ", "ALICE", "b'ob", "c%d", "e_f", "g\\h", "ü", "한국", "z--", "m;1"]


def _random_instant(rng: random.Random) -> datetime:
    start = datetime(2023, 11, 1)
    span = int((datetime(2025, 12, 1) - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000))


def build_shop(seed: int = 20250301, customers: int = 260) -> r.ShopData:
    """The test shop (about 6,000 rows); the same for a given seed."""
    rng = random.Random(seed)
    edges = boundaries()

    def instant() -> datetime:
        return rng.choice(edges) if rng.random() < 0.7 else _random_instant(rng)

    def money() -> Decimal:
        return rng.choice(MONEY) if rng.random() < 0.7 else Decimal(rng.randrange(0, 30_000_000)) / 100

    member_ids = [f"m{i:04d}" for i in range(customers)] + MEMBER_IDS_TRICKY
    people = [r.Customer(member_id=m, name=rng.choice(STRINGS)) for m in member_ids]

    named = [f"s{k:02d}" for k in range(len(STRINGS))]
    coupon_nos = ["6070000000000000001", "6070000000000000002", "607000000000000000A", "abc", "ABC", "abc ",
                  "it's", "x%y", *named, "nodef1", "nodef2"]
    defined = [c for c in coupon_nos if not c.startswith("nodef")]
    issue_types = ENUMS["issue_type"]
    # s00, s01... are named STRINGS[0], STRINGS[1]...; the others take names from the start of the list.
    coupons = [r.Coupon(coupon_no=c, name=STRINGS[int(c[1:]) if c in named else i % len(STRINGS)],
                        issue_type=issue_types[i % len(issue_types)])
               for i, c in enumerate(defined)]

    held: list[r.CustomerCoupon] = []
    cart: list[r.CartItem] = []
    orders: list[r.Order] = []
    items: list[r.OrderItem] = []
    payments: list[r.OrderPayment] = []
    methods = ENUMS["payment_method"]
    statuses = ENUMS["status"]
    products = [1, 2, 17, 42, 43, 44, 1000, 2_000_000_000]

    def add_order(member: str | None) -> None:
        oid = f"o{len(orders):05d}" if rng.random() < 0.9 else f"o'{len(orders)}%_"
        orders.append(r.Order(order_id=oid, member_id=member, ordered_at=instant(), status=rng.choice(statuses),
                              paid_amount=money(), order_amount=money(), shipping_fee=rng.choice(MONEY[:4])))
        shape = rng.random()
        n_items = 0 if shape < 0.12 else rng.randrange(1, 4)
        for k in range(n_items):
            items.append(r.OrderItem(order_item_code=f"{oid}-{k}", order_id=oid, product_no=rng.choice(products),
                                     quantity=rng.randrange(1, 4), price=money(), option_price=rng.choice(MONEY[:3])))
        n_pay = 0 if rng.random() < 0.12 else rng.choice((1, 1, 1, 2, 3))
        for method in rng.sample(methods, n_pay):
            payments.append(r.OrderPayment(order_id=oid, payment_method=method))

    for person in people:
        m = person.member_id
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            issued = instant()
            expires = max(issued, instant()) if rng.random() < 0.8 else instant()
            used = instant() if rng.random() < 0.2 else None
            held.append(r.CustomerCoupon(id=len(held) + 1, member_id=m, coupon_no=rng.choice(coupon_nos),
                                         issued_at=issued, expires_at=expires, used_at=used))
        for _ in range(rng.choice((0, 0, 1, 2, 4))):
            cart.append(r.CartItem(id=len(cart) + 1, member_id=m, product_no=rng.choice(products),
                                   quantity=rng.randrange(1, 5), price=money(), option_price=rng.choice(MONEY[:6]),
                                   added_at=instant()))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 5))):
            add_order(m)
    for _ in range(40):
        add_order(None)  # guest orders belong to nobody
    for i, ctx in enumerate(CONTEXTS.values()):
        _personas(i, to_naive_utc(ctx.now_utc), people, held, cart, orders, items, payments)
    # Rows whose member is not a customer are never selected.
    add_order("ghost")
    cart.append(r.CartItem(id=len(cart) + 1, member_id="ghost", product_no=17, quantity=1, price=MONEY[5],
                           option_price=MONEY[0], added_at=edges[len(edges) // 2]))
    return r.ShopData(
        customers=tuple(people),
        coupons=tuple(coupons),
        customer_coupons=tuple(held),
        cart_items=tuple(cart),
        orders=tuple(orders),
        order_items=tuple(items),
        order_payments=tuple(payments),
    )


def _personas(
    i: int,
    now: datetime,
    people: list[r.Customer],
    held: list[r.CustomerCoupon],
    cart: list[r.CartItem],
    orders: list[r.Order],
    items: list[r.OrderItem],
    payments: list[r.OrderPayment],
) -> None:
    """Customers built for one context's thresholds: one just inside each, one just outside."""
    day, hour, micro = timedelta(days=1), timedelta(hours=1), _ONE_MICRO
    for variant, inside in (("in", True), ("out", False)):
        m = f"h{i}_{variant}"
        people.append(r.Customer(member_id=m))
        edge = timedelta(0) if inside else micro
        held.append(r.CustomerCoupon(id=len(held) + 1, member_id=m, coupon_no="6070000000000000001",
                                     issued_at=now - 10 * day, expires_at=now + day + edge))
        held.append(r.CustomerCoupon(id=len(held) + 1, member_id=m, coupon_no="s23" if inside else "s00",
                                     issued_at=now - 10 * day, expires_at=now + 2 * day))
        price = Decimal("33333.34") if inside else Decimal("33333.33")
        for product in (17, 42, 43):
            cart.append(r.CartItem(id=len(cart) + 1, member_id=m, product_no=product, quantity=1, price=price,
                                   option_price=Decimal("0.00"), added_at=now - hour))
        paid = 3 if inside else 2
        for k in range(3):
            oid = f"h{i}{variant}{k}"
            orders.append(r.Order(order_id=oid, member_id=m, ordered_at=now - 100 * day,
                                  status="paid" if k < paid else "canceled", paid_amount=Decimal("20000.00"),
                                  order_amount=Decimal("20000.00"), shipping_fee=Decimal("0.00")))
            items.append(r.OrderItem(order_item_code=f"{oid}-0", order_id=oid, product_no=42, quantity=1,
                                     price=Decimal("20000.00"), option_price=Decimal("0.00")))
            payments.append(r.OrderPayment(order_id=oid, payment_method="card"))
