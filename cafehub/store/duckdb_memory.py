"""DuckDB in bounded memory: ranges of member ids, a lowered memory limit, the session settings for both.

DuckDB sorts a query's whole result, and builds a join's whole hash
table, inside the process before the first row comes out, and it keeps
every table block it has read in its buffer pool until its memory limit
(80% of the machine's memory by default) makes it evict some. A reader
that must not grow with the shop (the audience of a saved segment,
:mod:`cafehub.registry.audience`; the bulk predicate reader,
:mod:`cafehub.execution.bulk`) therefore works on ranges of member ids
(:func:`sample_bounds`), one range's sort and join at a time, with the
memory limit lowered while it reads (:func:`memory_limit`) and the session
settings of :data:`SESSION` (:func:`session`).

The limit is a setting of the whole database, so the readers of one
process share it: the first to start lowers it, the last to finish puts
back what was there, whichever reader each is.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select

#: Sampled member ids per range, to place the boundaries: range sizes then vary by about a tenth.
SAMPLE_PER_RANGE = 100

#: Session settings of a ranged reader's connection (put back after it): no ART index scans, whose index,
#: once loaded for a range's filter, stays in memory (44 MB for ``customers.member_id`` at 1M customers)
#: and does not count as evictable; no insertion order kept for a range's ``INSERT``, which DuckDB
#: otherwise buffers to keep (its own advice when a query runs out of memory).
SESSION = {"index_scan_max_count": "0", "index_scan_percentage": "0", "preserve_insertion_order": "false"}

_limits = threading.Lock()
#: Per DuckDB database (its file, or the engine for ``:memory:``): readers running, and the limit before them.
_lowered: dict[str, tuple[int, str]] = {}


def memory_mb(variable: str, default: int) -> int:
    """A memory limit in MB from the environment variable ``variable`` (digits), else ``default``."""
    value = os.environ.get(variable, "").strip()
    return int(value) if value.isdigit() else default


def sample_bounds(conn: Connection, ids: Select[Any], total: int, range_rows: int) -> list[str]:
    """Boundaries cutting the ``total`` member ids ``ids`` selects into ranges of about ``range_rows``:
    member ids of a seeded sample of them, sorted, none twice (no boundary when one range holds them all).

    A range is then (previous boundary, boundary], the first open below and the last open above, so the
    ranges cover every id whatever the sample missed. DuckDB compares strings by bytes: for UTF-8, code
    point order, the order of :func:`sorted`.
    """
    ranges = max(1, -(-total // range_rows))
    if ranges == 1:
        return []
    size = min(total, ranges * SAMPLE_PER_RANGE)  # an int of ours, never a user value
    sampled = ids.subquery("sampled")
    query = select(sampled.c.member_id).select_from(sampled).suffix_with(
        f"USING SAMPLE reservoir({size} ROWS) REPEATABLE (7)")
    sample = sorted({row[0] for row in conn.execute(query)})
    return sorted({sample[len(sample) * i // ranges] for i in range(1, ranges)})


@contextmanager
def session(conn: Connection) -> Iterator[None]:
    """The session settings of :data:`SESSION` on ``conn`` while the block runs, reset after: the connection
    goes back to the pool as it came."""
    for name, value in SESSION.items():
        conn.exec_driver_sql(f"SET SESSION {name} = {value}")
    try:
        yield
    finally:
        with suppress(DBAPIError):
            conn.rollback()  # a failed statement aborted the transaction: the resets would fail in it
            for name in SESSION:
                conn.exec_driver_sql(f"RESET SESSION {name}")


@contextmanager
def memory_limit(conn: Connection, limit_mb: int) -> Iterator[Callable[[], bool]]:
    """DuckDB's ``memory_limit`` lowered to ``limit_mb`` while the block runs (0: left alone), then put back;
    the block gets a function that doubles it (at most back to what it was), True if it could.

    What a range sorts and joins is bounded by the range size, but DuckDB keeps every table block it has
    read in its buffer pool until its memory limit makes it evict them: one scan of
    ``customers.member_id`` at 1M customers left 55 MB cached. Under a limit of about a range's work,
    blocks read by one range are evicted for the next, and the peak no longer grows with the shop.

    ``memory_limit`` is a setting of the whole database (DuckDB refuses it per connection), so every
    connection of this process to the same database shares the lower limit while a reader runs: the
    first reader lowers it, the last one to finish puts back what was there before. A limit that is
    already lower is left alone (a reader that needs more raises it, :func:`raise_limit`), and one
    DuckDB refuses to lower (memory held by other queries it cannot evict) leaves the reader to run
    under the limit there was.
    """
    path = conn.exec_driver_sql(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").scalar()
    key = str(path) if path else f":memory: {id(conn.engine)}"

    def raise_limit() -> bool:
        with _limits:
            running, before = _lowered.get(key, (0, ""))
            if not before:
                return False
            now = _bytes(str(conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()))
            goal = _bytes(before)
            if now is None or goal is None or 2 * now >= goal:
                _put_back(conn, before)
                _lowered[key] = (running, "")
            else:
                conn.exec_driver_sql(f"SET memory_limit = '{int(2 * now) // 1000}KB'")
            return True

    if limit_mb <= 0:
        yield raise_limit
        return
    with _limits:
        running, before = _lowered.get(key, (0, ""))
        if not running:
            before = str(conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar())
            current = _bytes(before)
            if current is not None and current <= limit_mb * 10**6:
                before = ""
            else:
                try:
                    conn.exec_driver_sql(f"SET memory_limit = '{int(limit_mb)}MB'")
                except DBAPIError:  # the transaction is aborted: nothing of the reader's ran in it yet
                    conn.rollback()
                    before = ""
        _lowered[key] = (running + 1, before)
    try:
        yield raise_limit
    finally:
        with _limits:
            running, before = _lowered.pop(key)
            if running > 1:
                _lowered[key] = (running - 1, before)
            elif before:
                with suppress(DBAPIError):
                    conn.rollback()
                    _put_back(conn, before)


def out_of_memory(exc: BaseException) -> bool:
    """Whether DuckDB refused a statement for want of memory (``exc`` raised by SQLAlchemy or by the driver):
    under a lowered limit, raise it and retry; otherwise report it as such (:mod:`cafehub.store.engines`)."""
    return type(getattr(exc, "orig", None) or exc).__name__ == "OutOfMemoryException"


def _put_back(conn: Connection, before: str) -> None:
    """DuckDB's memory limit as it was (``before``, as ``current_setting`` showed it): its default when that
    is what it was (the shown value is rounded: setting it would not give back the exact default)."""
    conn.exec_driver_sql("RESET memory_limit")
    if conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar() != before:
        conn.exec_driver_sql(f"SET memory_limit = '{before}'")


_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _bytes(setting: str) -> float | None:
    """A DuckDB memory setting as DuckDB shows it (``18.8 GiB``, ``64.0 MB``) in bytes; None if not a size."""
    found = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", setting)
    if not found or found.group(2).lower() not in _UNITS:
        return None
    try:
        return float(found.group(1)) * _UNITS[found.group(2).lower()]
    except ValueError:
        return None


__all__ = ["SAMPLE_PER_RANGE", "SESSION", "memory_limit", "memory_mb", "out_of_memory", "sample_bounds", "session"]
