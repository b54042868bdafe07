"""``now`` at both ends of its range, with the longest windows, on every backend.

``now`` lies between 1100-01-01 and 9898-12-31 (UTC): the dates a segment may name
less the longest window (100 years) at each end. At either end every bound a segment
can ask for (100 years back or ahead, today and yesterday in a zone far from UTC, the
cart cutoff a year back) is representable, and every engine agrees with the reference;
one microsecond outside, the context is refused with a one-line reason, never an
``OverflowError``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from cafehub.compiler.evaluation import MAX_NOW, MIN_NOW, ContextError, EvalContext
from cafehub.store import records as rec
from cafehub.testing.differential import Differential

CENTURY = timedelta(days=36_525)
TICK = timedelta(microseconds=1)
SEGMENTS = [
    "order(ordered_at within last 36525d)",
    "order(ordered_at within last 876600h) and not order(ordered_at within last 5217w)",
    "order(ordered_at >= 36525d ago)",
    "coupon(expires_at within next 36525d)",
    "coupon(expires_at <= 876600h from now) and coupon(issued_at > 36525d ago)",
    "order(ordered_at = today) or order(ordered_at = yesterday) or cart(added_at >= yesterday)",
    "cart() or order(ordered_at < 1000-01-02) or coupon(expires_at > 9998-12-30)",
]


def _shop(now: datetime) -> rec.ShopData:
    """Rows at the ends of the windows above (clipped to what the store holds: 1000-01-01 to 9998-12-31)."""
    low, high = datetime(1000, 1, 1), datetime(9998, 12, 31, 23, 59, 59)
    naive = now.astimezone(UTC).replace(tzinfo=None)
    times = sorted({min(high, max(low, t)) for t in (
        naive - CENTURY - TICK, naive - CENTURY, naive - CENTURY + TICK, naive - timedelta(days=1), naive - TICK,
        naive, naive + TICK, naive + CENTURY - TICK, naive + CENTURY, naive + CENTURY + TICK, low, high)})
    past = [t for t in times if t <= naive]
    future = [t for t in times if t >= naive]
    members = [f"m{k:02d}" for k in range(len(times))]
    orders = tuple(rec.Order(order_id=f"o{k}", member_id=members[k], ordered_at=t, status="paid",
                             paid_amount=Decimal(1), order_amount=Decimal(1), shipping_fee=Decimal(0))
                   for k, t in enumerate(past))
    cart = tuple(rec.CartItem(id=k + 1, member_id=members[k], product_no=1, quantity=1, price=Decimal(1),
                              option_price=Decimal(0), added_at=t) for k, t in enumerate(past))
    coupons = (rec.Coupon(coupon_no="c", name="c", issue_type="targeted"),)
    held = tuple(rec.CustomerCoupon(id=k + 1, member_id=members[-1 - k], coupon_no="c", issued_at=past[k % len(past)],
                                    expires_at=t) for k, t in enumerate(future))
    return rec.ShopData(customers=tuple(rec.Customer(member_id=m) for m in members), orders=orders, cart_items=cart,
                        coupons=coupons, customer_coupons=held)


CONTEXTS = {
    "first_now_kiritimati": EvalContext(now=MIN_NOW, zone=ZoneInfo("Pacific/Kiritimati"), cart_retention_days=365,
                                        history_start=date(1000, 1, 1)),
    "last_now_pago_pago": EvalContext(now=MAX_NOW, zone=ZoneInfo("Pacific/Pago_Pago"), cart_retention_days=365,
                                      history_start=date(1000, 1, 1)),
}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
@pytest.mark.parametrize("segment", SEGMENTS)
def test_the_ends_of_now_are_exact_on_every_backend(differential: Differential, segment: str, name: str) -> None:
    ctx = CONTEXTS[name]
    differential.check(segment, _shop(ctx.now), ctx)


@pytest.mark.parametrize("now", [
    MIN_NOW - TICK, MAX_NOW + TICK,
    datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=9))),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=ZoneInfo("Asia/Seoul")),
])
def test_a_now_outside_the_range_is_refused_with_the_range(now: datetime) -> None:
    with pytest.raises(ContextError, match=r"^now must lie between 1100-01-01 and 9898-12-31 \(UTC\)$"):
        EvalContext(now=now)


@pytest.mark.parametrize("start", [date(1, 1, 1), date(999, 12, 31), date(9999, 12, 31)])
def test_a_history_start_outside_the_dates_is_refused(start: date) -> None:
    with pytest.raises(ContextError, match="history start must lie between 1000-01-01 and 9998-12-31"):
        EvalContext(now=datetime(2025, 1, 1, tzinfo=UTC), history_start=start)
