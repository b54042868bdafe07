"""Order date windows and offset paging within the API's maxima."""

from __future__ import annotations

import functools
import itertools
import operator
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cafehub.connectors.errors import PagingLimitError
from cafehub.connectors.paging import add_months, date_windows, offset_pages, split_until_countable


@given(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 2000))
def test_windows_cover_the_range_exactly_and_stay_under_three_months(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    windows = date_windows(start, end)
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for (_, b), (c, _) in itertools.pairwise(windows):
        assert c == b + timedelta(days=1)
    for a, b in windows:
        assert a <= b < add_months(a, 3)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_windows_are_halved_until_each_fits_under_the_cap() -> None:
    per_day = {date(2024, 1, 1) + timedelta(days=n): (50 if n == 10 else 3) for n in range(31)}

    def count(a: date, b: date) -> int:
        return sum(v for d, v in per_day.items() if a <= d <= b)

    windows = split_until_countable(date(2024, 1, 1), date(2024, 1, 31), count, 60)
    assert all(rows <= 60 for _, _, rows in windows)
    assert sum(rows for _, _, rows in windows) == count(date(2024, 1, 1), date(2024, 1, 31))
    assert len(windows) > 1
    with pytest.raises(PagingLimitError, match="single day 2024-01-11"):
        split_until_countable(date(2024, 1, 1), date(2024, 1, 31), count, 40)


def test_offset_pages_read_everything_and_refuse_to_pass_the_offset_cap() -> None:
    data = list(range(23))
    pages = list(offset_pages(lambda limit, offset: data[offset : offset + limit], limit=10, max_offset=20))
    assert [p.offset for p in pages] == [0, 10, 20]
    assert functools.reduce(operator.iadd, (p.items for p in pages), []) == data
    assert pages[-1].next_offset is None
    big = list(range(40))
    with pytest.raises(PagingLimitError, match="offset is capped at 20"):
        list(offset_pages(lambda limit, offset: big[offset : offset + limit], limit=10, max_offset=20))
