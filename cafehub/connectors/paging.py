"""Paging within Cafe24's maxima: limit/offset pages, keyset pages, and order date windows.

Each list endpoint has a largest ``limit`` and a largest ``offset`` (orders:
1000 and 15,000), so a query can reach at most ``max_offset + limit`` rows.
Order queries must also name a start and an end date at most three months
apart. :func:`date_windows` cuts a long range into such windows, and
:func:`split_until_countable` halves a window until the count endpoint says
it fits under the offset cap; a single day that still does not fit is a
:class:`PagingLimitError`, never a silent truncation.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from cafehub.connectors.errors import PagingLimitError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results and where the next one starts (``None`` after the last)."""

    items: list[T]
    offset: int
    next_offset: int | None


def offset_pages(
    fetch: Callable[[int, int], list[T]],
    *,
    limit: int,
    max_offset: int,
    start: int = 0,
    endpoint: str = "",
) -> Iterator[Page[T]]:
    """Pages of ``fetch(limit, offset)`` until a short page; refuses to go past ``max_offset``."""
    offset = start
    while True:
        items = fetch(limit, offset)
        if len(items) > limit:
            items = items[:limit]
        more = len(items) == limit
        next_offset = offset + limit if more else None
        if next_offset is not None and next_offset > max_offset:
            raise PagingLimitError(
                f"more than {max_offset + limit} results; narrow the query (offset is capped at {max_offset})",
                endpoint=endpoint,
            )
        yield Page(items, offset, next_offset)
        if next_offset is None:
            return
        offset = next_offset


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def date_windows(start: date, end: date, months: int = 3) -> list[tuple[date, date]]:
    """Inclusive ``(first, last)`` windows covering ``start..end``, each shorter than ``months`` months.

    >>> [(str(a), str(b)) for a, b in date_windows(date(2024, 1, 1), date(2024, 7, 15))]
    [('2024-01-01', '2024-03-31'), ('2024-04-01', '2024-06-30'), ('2024-07-01', '2024-07-15')]
    """
    windows: list[tuple[date, date]] = []
    first = start
    while first <= end:
        last = min(end, add_months(first, months) - timedelta(days=1))
        windows.append((first, last))
        first = last + timedelta(days=1)
    return windows


def split_until_countable(
    first: date,
    last: date,
    count: Callable[[date, date], int],
    max_rows: int,
    *,
    endpoint: str = "",
) -> list[tuple[date, date, int]]:
    """``(first, last, rows)`` windows covering ``first..last``, each with at most ``max_rows`` rows."""
    rows = count(first, last)
    if rows <= max_rows:
        return [(first, last, rows)]
    if first == last:
        raise PagingLimitError(
            f"{rows} results on the single day {first}, more than the {max_rows} the offset cap lets us read",
            endpoint=endpoint,
        )
    middle = first + timedelta(days=(last - first).days // 2)
    return split_until_countable(first, middle, count, max_rows, endpoint=endpoint) + split_until_countable(
        middle + timedelta(days=1), last, count, max_rows, endpoint=endpoint
    )
