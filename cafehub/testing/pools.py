"""The shared pools behind the strategies: zones, DST changes, contexts, and time values.

Segments and shops are drawn to *meet*: a segment's durations, dates and
date-times and the data's timestamps come from one small pool derived from
the evaluation context (:func:`time_pool`), so windows and rows line up on
their edges. Strings come from a shared pool of fragments (quotes,
backslashes, ``%`` and ``_``, Unicode in NFC and NFD, trailing spaces).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from cafehub.compiler import ir
from cafehub.compiler.evaluation import CART_RETENTION_CHOICES, DEFAULT_HISTORY_START, EvalContext, resolve
from cafehub.grammar import syntax as s

T = TypeVar("T")

#: Zones with and without daylight saving, including ones whose DST change
#: happens at midnight (so a day starts at 01:00) and half-hour ones.
ZONES: tuple[str, ...] = (
    "Asia/Seoul",
    "UTC",
    "America/New_York",
    "Europe/London",
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
)

#: ``now`` is drawn from these years (the data lies around it).
YEARS = (2024, 2026)

#: The durations segments use (and the data sits around): hours, days, weeks.
DURATIONS: tuple[tuple[int, str], ...] = (
    (1, "d"), (0, "d"), (1, "h"), (12, "h"), (23, "h"), (25, "h"), (2, "d"), (3, "d"), (7, "d"),
    (1, "w"), (2, "w"), (30, "d"), (60, "d"), (90, "d"),
)

#: Day offsets from today (in the shop's zone) that dates are drawn from.
DAY_OFFSETS = (0, -1, 1, -2, -3, -7, -8, -30, -31, -60, -61, -90, -366, -400, 2, 3, 7, 30)

#: Wall-clock times of day, including ones that do not exist or happen twice on DST days.
CLOCK_TIMES = (
    time(0), time(12), time(23, 59, 59, 999_999), time(0, 30), time(1, 30), time(2, 0), time(2, 30), time(3, 0),
)

#: UTC offsets (minutes) for date-time literals with an explicit offset.
OFFSETS = (0, 540, -300, 345, 840, -720, 60)

#: Text fragments: quotes, backslashes, LIKE wildcards, Unicode (NFC and NFD), trailing spaces.
FRAGMENTS: tuple[str, ...] = (
    "a", "A", "", " ", "a ", "%", "_", "\\", "'", '"', "50%", "a_b", "O'Reilly", '"VIP"', "쿠폰", "クーポン",
    "é", "e\u0301", "ß", "İ", "🎉", "\t", "%_\\", "10%off", "Welcome", "welcome",
)

COUPON_NOS: tuple[str, ...] = ("6070000000000000001", "C1", "c1", "C1 ", "쿠폰-1", "x'y", "50%")
ORDER_IDS: tuple[str, ...] = ("o1", "O1", "o1 ", "20250101-0000001", "주문-1", "o'2", "o_3", "o%4", "o\\5")
MEMBER_IDS: tuple[str, ...] = ("m1", "M1", "m1 ", "a", "B", "z", "회원", "é", "e\u0301", "😀", "ｍ", "o'neil", "x_%")
PRODUCTS: tuple[int, ...] = (17, 42, 43, 1, 2, 100_000)
MONEY: tuple[Decimal, ...] = tuple(Decimal(v) for v in (
    "0", "0.01", "0.99", "1", "1.50", "10", "99.99", "100", "1000.50", "50000", "99999.99", "100000",
))


def _local(ctx: EvalContext) -> datetime:
    return ctx.now.astimezone(ctx.zone)


@functools.lru_cache(maxsize=64)
def transitions(zone_name: str, first_year: int, last_year: int) -> tuple[datetime, ...]:
    """The UTC instants at which ``zone_name`` changes its offset, to the second."""
    zone = ZoneInfo(zone_name)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    found: list[datetime] = []
    step = timedelta(days=1)
    t = start
    while t < end:
        nxt = t + step
        if t.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        t = nxt
    return tuple(found)


# ---------------------------------------------------------------- evaluation contexts


@st.composite
def eval_contexts(
    draw: st.DrawFn,
    zones: Sequence[str] = ZONES,
    *,
    first_year: int = YEARS[0],
    last_year: int = YEARS[1],
) -> EvalContext:
    """Random evaluation contexts: ``now`` (often at or next to a DST change or a local midnight),
    the shop's zone, cart retention, and the history boundary (usually the default)."""
    zone_name = draw(st.sampled_from(list(zones)))
    zone = ZoneInfo(zone_name)
    changes = transitions(zone_name, first_year, last_year)
    base = draw(st.one_of(
        st.sampled_from(changes) if changes else st.nothing(),
        st.datetimes(min_value=datetime(first_year, 1, 2), max_value=datetime(last_year, 12, 30))
        .map(lambda d: d.replace(tzinfo=UTC)),
    ))
    shift = draw(st.sampled_from((
        timedelta(0), timedelta(microseconds=-1), timedelta(microseconds=1), timedelta(hours=1),
        timedelta(hours=-1), timedelta(days=1), timedelta(days=-1), timedelta(days=3), timedelta(days=-7),
    )))
    now = base + shift
    if draw(st.booleans()):
        # Snap to a local midnight (± 1 µs) so today/yesterday edges sit on now.
        local = now.astimezone(zone)
        midnight = datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)
        now = midnight + draw(st.sampled_from((timedelta(0), timedelta(microseconds=1),
                                               timedelta(microseconds=-1))))
    retention = draw(st.sampled_from(CART_RETENTION_CHOICES))
    local_day = now.astimezone(zone).date()
    history = draw(st.one_of(
        st.just(DEFAULT_HISTORY_START),
        st.sampled_from((0, -1, -2, -7, -30, -365, 1)).map(lambda k: local_day + timedelta(days=k)),
    ))
    as_zone = draw(st.booleans())
    return EvalContext(
        now=now.astimezone(zone) if as_zone else now,
        zone=zone,
        cart_retention_days=retention,
        history_start=history,
    )


# ---------------------------------------------------------------- the shared time pool


@dataclass(frozen=True, slots=True)
class TimePool:
    """Time values segments and data share for one context, so that edges are hit."""

    durations: tuple[s.Duration, ...]
    dates: tuple[date, ...]
    wall_clocks: tuple[datetime, ...]
    instants: tuple[tuple[datetime, int], ...]
    data_times: tuple[datetime, ...]


@functools.lru_cache(maxsize=256)
def time_pool(ctx: EvalContext) -> TimePool:
    """Durations, dates and date-times for segments, and naive-UTC data times on all their edges."""
    local = _local(ctx)
    today = local.date()
    retention = ctx.cart_retention_days
    durations = tuple(dict.fromkeys(
        s.Duration(amount=a, unit=u)  # type: ignore[arg-type]
        for a, u in (*DURATIONS, (retention, "d"), (retention + 1, "d"), (retention * 24, "h"))
    ))
    changes = [t for t in transitions(ctx.zone.key, today.year - 1, today.year + 1)
               if abs((t - ctx.now_utc).days) <= 62]
    dates = tuple(dict.fromkeys((
        *(today + timedelta(days=k) for k in DAY_OFFSETS),
        ctx.history_start, ctx.history_start - timedelta(days=1),
        *(t.astimezone(ctx.zone).date() for t in changes),
        date(2024, 1, 1), date(2025, 1, 31),
    )))
    wall_days = (today, today - timedelta(days=1), today - timedelta(days=7),
                 *(t.astimezone(ctx.zone).date() for t in changes))
    wall_clocks = tuple(dict.fromkeys((
        local.replace(tzinfo=None),
        (local - timedelta(hours=1)).replace(tzinfo=None),
        *(datetime.combine(d, clock) for d in wall_days for clock in CLOCK_TIMES),
    )))
    instants: list[tuple[datetime, int]] = []
    offset_now = int((local.utcoffset() or timedelta(0)).total_seconds() // 60)
    for point in (ctx.now_utc, ctx.now_utc - timedelta(days=1), ctx.now_utc + timedelta(days=1),
                  ctx.now_utc - timedelta(days=7), *changes):
        for minutes in (*OFFSETS, offset_now):
            shifted = point.astimezone(timezone(timedelta(minutes=minutes)))
            instants.append((shifted.replace(tzinfo=None), minutes))
    points: set[datetime] = {ctx.now_utc, ctx.cart_cutoff, ctx.history_cutoff}
    for d in durations:
        points.add(ctx.now_utc - timedelta(seconds=d.seconds))
        points.add(ctx.now_utc + timedelta(seconds=d.seconds))
    for day in dates:
        points.add(resolve(ir.DayStart(day=day), ctx))
        points.add(resolve(ir.DayStart(day=day + timedelta(days=1)), ctx))
    points.update(resolve(ir.WallClock(w), ctx) for w in wall_clocks)
    points.update(changes)
    tick = timedelta(microseconds=1)
    data_times = sorted({(p + k).astimezone(UTC).replace(tzinfo=None) for p in points for k in (-tick, 0 * tick, tick)})
    return TimePool(durations, dates, wall_clocks, tuple(dict.fromkeys(instants)), tuple(data_times))


# ---------------------------------------------------------------- strings and numbers


def texts() -> st.SearchStrategy[str]:
    """Strings built from the shared fragments (so equality and ``contains`` hit), or any text."""
    joined = st.lists(st.sampled_from(FRAGMENTS), max_size=3).map("".join)
    anything = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8)
    return st.one_of(joined, joined, joined, anything)


def pool_or(pool: Sequence[T], other: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Two times in three a value from ``pool`` (so values repeat and meet), else ``other``."""
    return st.one_of(st.sampled_from(list(pool)), st.sampled_from(list(pool)), other)


def money() -> st.SearchStrategy[Decimal]:
    """Money: two places, from a pool of round and boundary amounts or anywhere up to a billion."""
    return pool_or(MONEY, st.decimals(min_value=0, max_value=10**9, places=2))


__all__ = [
    "CLOCK_TIMES",
    "COUPON_NOS",
    "DAY_OFFSETS",
    "DURATIONS",
    "FRAGMENTS",
    "MEMBER_IDS",
    "MONEY",
    "OFFSETS",
    "ORDER_IDS",
    "PRODUCTS",
    "YEARS",
    "ZONES",
    "TimePool",
    "eval_contexts",
    "money",
    "pool_or",
    "texts",
    "time_pool",
    "transitions",
]
