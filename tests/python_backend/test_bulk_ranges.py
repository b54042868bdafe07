"""The bulk reader on DuckDB reads ranges of member ids, one at a time, under a lowered memory limit.

Reading per range is what keeps its memory flat (a range's rows, a
range's sort in DuckDB), so these tests hold the ranges to one read's ids
(and SQL's), check that a range materialises only its own customers'
rows, and that DuckDB's memory limit is lowered while the ranges are read
and put back after, also when a range runs out of memory and is read
again under a higher one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

import cafehub
from cafehub.execution import bulk
from cafehub.execution.sql import run_sql
from cafehub.store import duckdb_memory
from cafehub.testing.engines import canonical_engine, embedded_urls, load

from .test_columnar import CTX, SEGMENTS, _tricky

#: _tricky's customers.
CUSTOMERS = 9


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Engine]:
    engine = canonical_engine(embedded_urls(tmp_path)["duckdb"])
    load(engine, _tricky())
    yield engine
    engine.dispose()


def _limit(engine: Engine) -> Any:
    with engine.connect() as conn:  # another connection: the limit is the database's
        return conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()


def test_ranges_give_the_ids_of_one_read(duck: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    cut: list[list[str]] = []
    sample_bounds = duckdb_memory.sample_bounds

    def spy(*args: Any) -> list[str]:
        cut.append(sample_bounds(*args))
        return cut[-1]

    monkeypatch.setattr(duckdb_memory, "sample_bounds", spy)
    checked = [cafehub.check(s) for s in SEGMENTS]
    one = bulk.run_predicates(duck, checked, CTX, batch_size=1000)
    ranged = bulk.run_predicates(duck, checked, CTX, batch_size=2)
    assert cut[0] == []  # one range
    assert len(cut[1]) == 4  # nine customers in ranges of two: five ranges
    assert ranged == one == [run_sql(duck, c, CTX) for c in checked]
    assert all(one)


def test_a_range_materialises_only_its_own_customers_rows(duck: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read of member rows while a range is assembled holds only that range's customers, and a range
    holds at most the range size: what is in memory is bounded by the range size, not the shop."""
    ranges: list[set[str]] = []
    strays: list[tuple[str, set[str]]] = []
    read = bulk._Reader.read

    def spy(self: bulk._Reader, name: str, *args: Any, ordered: bool) -> Any:
        rows = read(self, name, *args, ordered=ordered)
        members = {r[0] for r in rows}
        if name == "customers":
            ranges.append(members)
        elif ordered and not members <= ranges[-1]:  # rows of a collection come as (member_id, ...)
            strays.append((name, members - ranges[-1]))
        return rows

    monkeypatch.setattr(bulk._Reader, "read", spy)
    checked = [cafehub.check(s) for s in SEGMENTS]
    assert bulk.run_predicates(duck, checked, CTX, batch_size=2) == [run_sql(duck, c, CTX) for c in checked]
    assert len(ranges) == 5
    assert all(len(r) <= 2 for r in ranges)
    assert sum(map(len, ranges)) == len(set().union(*ranges)) == CUSTOMERS
    assert not strays


def test_the_memory_limit_is_lowered_while_ranges_are_read_and_put_back(
    duck: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _limit(duck)
    seen: list[Any] = []
    assemble = bulk._Reader.assemble

    def spy(self: bulk._Reader, ids: list[str]) -> Any:
        seen.append(_limit(duck))
        return assemble(self, ids)

    monkeypatch.setattr(bulk._Reader, "assemble", spy)
    checked = [cafehub.check(s) for s in SEGMENTS]
    assert bulk.run_predicates(duck, checked, CTX, batch_size=4)
    assert len(seen) == 3
    assert before not in seen
    assert _limit(duck) == before


def test_a_range_out_of_memory_is_read_again_under_a_higher_limit(
    duck: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _limit(duck)
    checked = [cafehub.check(s) for s in SEGMENTS]
    expected = bulk.run_predicates(duck, checked, CTX, batch_size=4)
    limits: list[Any] = []
    assemble = bulk._Reader.assemble

    def failing(self: bulk._Reader, ids: list[str]) -> Any:
        limits.append(_limit(duck))
        if len(limits) == 2:  # the second range, once
            raise DBAPIError("SELECT ...", [], duckdb.OutOfMemoryException("could not allocate"))
        return assemble(self, ids)

    monkeypatch.setattr(bulk._Reader, "assemble", failing)
    assert bulk.run_predicates(duck, checked, CTX, batch_size=4) == expected
    assert len(limits) == 4  # three ranges, the second twice
    assert limits[0] == limits[1] != limits[2] == limits[3]  # raised for it and the ranges after it
    assert _limit(duck) == before


def test_the_memory_limit_is_put_back_when_a_predicate_fails(duck: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error while a range's customers are evaluated (outside the reader) leaves the ranges unread: the
    limit goes back before the connection does, not whenever the suspended reader is collected."""
    before = _limit(duck)

    def failing(*_: Any) -> Any:
        raise RuntimeError("predicate failed")

    monkeypatch.setattr(bulk, "compress", failing)
    with pytest.raises(RuntimeError) as caught:
        bulk.run_predicates(duck, [cafehub.check(SEGMENTS[0])], CTX, batch_size=4)
    assert _limit(duck) == before
    del caught
