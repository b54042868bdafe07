"""The evaluation context (when and where a segment is evaluated) and time resolution.

A compiled segment is independent of ``now`` and of the shop's zone: its time
bounds are symbolic (:mod:`cafehub.compiler.ir` time points). They become
instants here, at evaluation, so one compiled query serves every send. Both
backends call :func:`resolve` so they agree to the microsecond.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cafehub.compiler import ir

DEFAULT_ZONE = "Asia/Seoul"
DEFAULT_HISTORY_START = date(2024, 1, 1)
DEFAULT_CART_RETENTION_DAYS = 7
#: Cafe24 lets a shop keep carts for 1-10, 14 or 30 days.
CART_RETENTION_CHOICES = (*range(1, 11), 14, 30)
#: Dates a segment may name (the checker's E0307 range); history starts lie in it too.
MIN_DATE = date(1000, 1, 1)
MAX_DATE = date(9998, 12, 31)
#: ``now`` lies in the date range less the longest window (100 years) at each end, so that
#: ``now - 100y``, ``now + 100y``, today's and yesterday's starts in any zone, and the cart
#: cutoff all stay inside what Python, the store and every engine can represent.
MIN_NOW = datetime(1100, 1, 1, tzinfo=UTC)
MAX_NOW = datetime(9898, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


class ContextError(ValueError):
    """An invalid evaluation setting (unknown zone, naive ``now``, bad retention)."""


def load_zone(name: str) -> ZoneInfo:
    """A time zone by IANA name, with a clear error for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ContextError(f"unknown time zone '{name}' (use an IANA name such as Asia/Seoul)") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class EvalContext:
    """When and where a segment is evaluated.

    ``now`` must be aware. ``history_start`` is a calendar date in ``zone``
    before which orders are not considered; ``cart_retention_days`` is how
    long the shop keeps cart items.
    """

    now: datetime
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))
    cart_retention_days: int = DEFAULT_CART_RETENTION_DAYS
    history_start: date = DEFAULT_HISTORY_START

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ContextError("now must carry a UTC offset or time zone")
        if not 1 <= self.cart_retention_days <= 365:
            raise ContextError("cart retention must be between 1 and 365 days")
        try:
            instant = self.now.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+09:00 is before the first representable UTC instant
            instant = None
        if instant is None or not MIN_NOW <= instant <= MAX_NOW:
            raise ContextError(f"now must lie between {MIN_NOW.date()} and {MAX_NOW.date()} (UTC)")
        if not MIN_DATE <= self.history_start <= MAX_DATE:
            raise ContextError(f"the history start must lie between {MIN_DATE} and {MAX_DATE}")

    @property
    def now_utc(self) -> datetime:
        return self.now.astimezone(UTC)

    @property
    def cart_cutoff(self) -> datetime:
        """The oldest ``added_at`` a cart item may have and still be in the cart."""
        return self.now_utc - timedelta(days=self.cart_retention_days)

    @property
    def history_cutoff(self) -> datetime:
        """The first instant of ``history_start`` in the shop's zone."""
        return day_start(self.history_start, self.zone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC.

    Where midnight does not exist (a daylight-saving jump at 00:00), the
    earlier offset is used, which lands exactly on the jump: still the day's
    first instant.
    """
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def resolve(point: ir.TimePoint, ctx: EvalContext) -> datetime:
    """The UTC instant a symbolic time point stands for in ``ctx``."""
    if isinstance(point, ir.NowOffset):
        return ctx.now_utc + timedelta(seconds=point.seconds)
    if isinstance(point, ir.DayStart):
        day = point.day if point.day is not None else date.fromordinal(ctx.today.toordinal() + point.relative_days)
        return day_start(day, ctx.zone)
    if isinstance(point, ir.WallClock):
        return point.value.replace(tzinfo=ctx.zone).astimezone(UTC)
    return point.value.astimezone(UTC)


def to_naive_utc(value: datetime) -> datetime:
    """Stored timestamps are naive UTC; convert an aware instant to that form."""
    return value.astimezone(UTC).replace(tzinfo=None)


def timestamp_text(value: datetime) -> str:
    """``value`` as SQLite stores timestamps (SQLAlchemy's form, ``0999-12-31 00:00:00.000000``).

    Parameters use the same text so they sort as the stored values do. Not ``strftime("%Y...")``,
    which writes years before 1000 without their leading zero ("999-12-31"), sorting after "1099".
    """
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")
