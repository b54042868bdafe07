"""The demo's example segments: one or more for every filter the product guide lists.

The product guide's filters (coupon: any or a specific coupon, issue type,
issue date, expiry; cart: products, number of products, total, time in
cart; orders: has ordered, period over all time / relative / a calendar
range, count, any or specific products, status, payment method, paid amount,
order amount) each appear in at least one example, written the way a
marketer would use them. Product and coupon numbers come from
:mod:`cafehub.demo.catalog`, so every audience is non-trivial in a generated
shop. The calendar example picks a range that lies in the order history
whatever ``now`` is, so every example passes the checker without warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cafehub.compiler.evaluation import DEFAULT_HISTORY_START, DEFAULT_ZONE
from cafehub.demo import catalog as c


@dataclass(frozen=True, slots=True)
class Example:
    """An example segment: its text, what it selects, and which guide filters it shows."""

    text: str
    description: str
    filters: tuple[str, ...]


#: Every filter of the product guide, as named in ``Example.filters``.
GUIDE_FILTERS = (
    "coupon: any coupon",
    "coupon: specific coupon",
    "coupon: issue type",
    "coupon: issue date",
    "coupon: expiry",
    "cart: products in cart",
    "cart: number of products",
    "cart: cart total",
    "cart: time in cart",
    "order: has ordered",
    "order: period, all time",
    "order: period, relative",
    "order: period, calendar",
    "order: count",
    "order: any product",
    "order: specific products",
    "order: status",
    "order: payment method",
    "order: paid amount",
    "order: order amount",
)


def _calendar_month(today: date, history_start: date) -> tuple[date, date, str]:
    """The most recent complete November in the history (the peak season), else last month, else this one."""
    year = today.year - 1 if today.month <= 11 else today.year
    november = date(year, 11, 1)
    if november >= history_start:
        return november, date(year, 11, 30), f"November {year}, the peak season"
    first_this = today.replace(day=1)
    last_month_end = first_this - timedelta(days=1)
    start = last_month_end.replace(day=1)
    if start >= history_start:
        return start, last_month_end, f"{start:%B %Y}"
    next_month = (first_this + timedelta(days=32)).replace(day=1)
    return first_this, next_month - timedelta(days=1), f"{first_this:%B %Y}"


def examples(
    now: datetime, zone: ZoneInfo | None = None, *, history_start: date = DEFAULT_HISTORY_START
) -> tuple[Example, ...]:
    """The example segments for a shop evaluated at ``now`` (aware; its date in ``zone`` picks the calendar range)."""
    today = now.astimezone(zone or ZoneInfo(DEFAULT_ZONE)).date()
    start, end, month_name = _calendar_month(today, history_start)
    signup = c.SIGNUP.coupon_no
    hand_cream, toner, refill = (c.PRODUCT_BY_NO[n] for n in (17, 42, 43))
    return (
        Example(
            "coupon(expires_at within next 1d)",
            "Holds a coupon (any) that expires within a day: a last-call reminder.",
            ("coupon: any coupon", "coupon: expiry"),
        ),
        Example(
            f'coupon(coupon_no = "{signup}" and expires_at within next 7d)',
            f"Holds the sign-up coupon '{c.SIGNUP.name}' and it expires within 7 days.",
            ("coupon: specific coupon", "coupon: expiry"),
        ),
        Example(
            "coupon(issue_type = anniversary and issued_at within last 7d)",
            "Received a birthday or anniversary coupon in the last week.",
            ("coupon: issue type", "coupon: issue date"),
        ),
        Example(
            "coupon(issue_type in [dormant, targeted] and issued_at >= 30d ago)",
            "Holds a win-back or targeted coupon issued in the last 30 days.",
            ("coupon: issue type", "coupon: issue date"),
        ),
        Example(
            f"cart(product = {hand_cream.no}) and no order(ordered_at within last 3d)",
            f"'{hand_cream.name}' is in the cart and nothing was ordered in the last 3 days.",
            ("cart: products in cart", "order: period, relative"),
        ),
        Example(
            "cart().count_distinct(product) >= 3",
            "Three or more different products in the cart.",
            ("cart: number of products",),
        ),
        Example(
            "cart().sum(amount) >= 100_000",
            "Cart worth 100,000 won or more (price plus options, times quantity).",
            ("cart: cart total",),
        ),
        Example(
            "cart(added_at <= 1d ago)",
            "Something has sat in the cart for a day or more: an abandoned-cart nudge.",
            ("cart: time in cart",),
        ),
        Example(
            "no order() and coupon(issue_type = signup)",
            "Never ordered but still holds a sign-up coupon.",
            ("order: has ordered", "coupon: issue type"),
        ),
        Example(
            "order(ordered_at within last 30d)",
            "Ordered anything in the last 30 days.",
            ("order: period, relative", "order: any product", "order: has ordered"),
        ),
        Example(
            f"order(ordered_at between {start.isoformat()} and {end.isoformat()})",
            f"Ordered in {month_name} (a calendar range, whole days in shop time).",
            ("order: period, calendar",),
        ),
        Example(
            "order(status = paid).count >= 3 and no order(ordered_at within last 60d)",
            "Three or more paid orders ever, but none in the last 60 days: lapsed regulars.",
            ("order: count", "order: period, all time", "order: status"),
        ),
        Example(
            f"order(product = {toner.no} and ordered_at < 90d ago)\n"
            f"  and no order(product in [{toner.no}, {refill.no}] and ordered_at within last 90d)",
            f"Bought '{toner.name}' over 90 days ago and neither it nor the refill since: time to restock.",
            ("order: specific products", "order: period, relative"),
        ),
        Example(
            "order(status = pending and payment_method in [cash, icash, cvs])",
            "An order still waiting for a bank deposit, virtual-account or convenience-store payment.",
            ("order: status", "order: payment method"),
        ),
        Example(
            "order(payment_method = point and payment_method = card and ordered_at within last 90d)",
            "Paid one order with both points and a card in the last 90 days.",
            ("order: payment method", "order: period, relative"),
        ),
        Example(
            "order(status in [returned, refunded] and ordered_at within last 90d)",
            "Returned or was refunded an order in the last 90 days: worth a service follow-up.",
            ("order: status",),
        ),
        Example(
            "order(status = paid and ordered_at within last 365d).sum(paid_amount) >= 300_000",
            "Paid 300,000 won or more over the last year: VIP candidates.",
            ("order: paid amount", "order: count"),
        ),
        Example(
            "order(order_amount >= 150_000 and status = paid)",
            "Placed a paid order with 150,000 won or more of goods.",
            ("order: order amount", "order: status"),
        ),
        Example(
            "order().max(ordered_at) < 180d ago",
            "Last order more than 180 days ago (members who never ordered do not match).",
            ("order: period, all time",),
        ),
    )
