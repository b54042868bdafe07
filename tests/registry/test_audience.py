"""Audiences on every engine: the stream equals `segment run`, carries the store's contacts, and snapshots keep it."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, event, update

from cafehub import EvalContext
from cafehub.execution.sql import count_sql, run_sql
from cafehub.registry import SegmentNotFound, SegmentRegistry
from cafehub.registry.audience import (
    SnapshotExists,
    SnapshotNotFound,
    Snapshots,
    audience_bytes,
    audience_text,
    stream_audience,
)
from cafehub.registry.output import CSV_HEADER, FORMATS, chunks
from cafehub.store import duckdb_memory, schema
from cafehub.store import records as rec
from cafehub.store.io import write_shop
from cafehub.testing import Scenario, scenarios
from cafehub.testing.budget import budget
from cafehub.testing.engines import canonical_engine

BUDGET = {"sqlite": 60, "duckdb": 40, "postgresql": 25, "mysql": 25}
_campaigns = itertools.count(1)


def with_consents(data: rec.ShopData, draw: st.DrawFn) -> rec.ShopData:
    flags = st.one_of(st.none(), st.booleans())
    consents = tuple(rec.CustomerConsent(c.member_id, draw(flags), draw(flags))
                     for c in data.customers if draw(st.booleans()))
    customers = tuple(replace(c, cellphone=draw(st.one_of(st.none(), st.just("010-1234-5678"))),
                              email=draw(st.one_of(st.none(), st.just("a@example.com")))) for c in data.customers)
    return replace(data, customers=customers, customer_consents=consents)


def expected_rows(data: rec.ShopData, ids: list[str]) -> list[tuple[object, ...]]:
    customers = {c.member_id: c for c in data.customers}
    consents = {k.member_id: k for k in data.customer_consents}
    rows = []
    for member in ids:
        c, k = customers[member], consents.get(member)
        rows.append((member, c.name, c.cellphone, c.email, k.sms if k else None, k.email if k else None))
    return rows


def test_the_audience_stream_is_segment_run_with_contacts_and_consents(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)

    @budget(BUDGET[store.dialect.name])
    @given(scenarios(), st.data())
    def agree(case: Scenario, data: st.DataObject) -> None:
        shop_rows = with_consents(case.data, data.draw)
        write_shop(store, shop_rows, replace=True)
        registry.save("target", case.segment, saved_by="test")
        checked = registry.checked("target")
        ids = run_sql(store, checked, case.ctx)
        batch = data.draw(st.integers(1, 4))
        ranged = data.draw(st.integers(1, 5))  # DuckDB: members sorted at a time (about)
        batches = list(stream_audience(store, checked, case.ctx, batch=batch, range_rows=ranged))
        assert all(0 < len(b) <= batch for b in batches)
        rows = [row for b in batches for row in b]
        assert [r[0] for r in rows] == ids
        assert rows == expected_rows(shop_rows, ids)
        assert count_sql(store, checked, case.ctx) == len(ids)
        for fmt in FORMATS:
            written = audience_text(store, checked, case.ctx, fmt, batch=batch, range_rows=ranged)
            assert "".join(written) == "".join(chunks([rows], fmt))

    agree()


def test_every_text_is_written_the_same_by_the_database_and_by_python(store: Engine, shop: str) -> None:
    """On DuckDB the database writes the CSV lines; elsewhere Python does: the bytes must not differ."""
    registry = SegmentRegistry(store, shop)
    registry.save("everyone", "not order(status = paid)", saved_by="t")
    checked = registry.checked("everyone")
    text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8)
    # \x1b and \x0b: DuckDB's json_object writes their escapes with upper-case hex digits, Python lower-case;
    # a backslash before "u001B" is the text an upper-case escape looks like.
    edges = st.sampled_from(["", " a", "a ", "\ta", "a,b", 'say "hi"', "two\nlines", "cr\r", "가 나", "\u3000x",
                             "esc\x1b", "\x0b\x1f", "\\u001B", "\\\x1b\"", "\u2028\x7f", "\x01\x08\x0c"])

    @budget(60)
    @given(st.lists(st.tuples(st.one_of(st.none(), edges, text), st.one_of(st.none(), st.booleans())),
                    min_size=1, max_size=6))
    def same(values: list[tuple[str | None, bool | None]]) -> None:
        data = rec.ShopData(
            customers=tuple(rec.Customer(f"m{i}", name=v, cellphone=v, email=v) for i, (v, _) in enumerate(values)),
            customer_consents=tuple(rec.CustomerConsent(f"m{i}", b, b) for i, (_, b) in enumerate(values)),
        )
        write_shop(store, data, replace=True)
        rows = [r for b in stream_audience(store, checked, CTX) for r in b]
        assert len(rows) == len(values)
        for fmt in FORMATS:
            assert "".join(audience_text(store, checked, CTX, fmt, batch=2)) == "".join(chunks([rows], fmt))
            assert "".join(audience_text(store, checked, CTX, fmt, batch=2, range_rows=2)) == "".join(
                chunks([rows], fmt))

    same()


def test_duckdb_writes_the_json_lines_itself(tmp_path: Path) -> None:
    """On DuckDB the JSON Lines records come from the database (one string per row, nothing formatted in Python),
    for a segment's audience and for a recorded one, with Python's bytes."""
    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    shop = small_shop()
    customers = (*shop.customers[:-2], replace(shop.customers[-2], name="esc\x1b\\u001B\x0b"),
                 replace(shop.customers[-1], email=None, name='"q"\n'))
    write_shop(engine, replace(shop, customers=customers, customer_consents=shop.customer_consents[::2]))
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")
    rows = [r for b in stream_audience(engine, checked, CTX, batch=3) for r in b]
    executed: list[str] = []
    event.listen(engine, "after_cursor_execute", lambda *args: executed.append(args[2]))
    assert "".join(audience_text(engine, checked, CTX, "jsonl", range_rows=3)) == "".join(chunks([rows], "jsonl"))
    assert sum("json_object" in s for s in executed) == 4  # one statement per range
    Snapshots(registry).take("c1", "buyers", CTX, taken_by="t")
    executed.clear()
    assert "".join(Snapshots(registry).members_text("c1", "jsonl")) == "".join(chunks([rows], "jsonl"))
    assert sum("json_object" in s for s in executed) == 1
    engine.dispose()


def test_duckdb_replays_a_snapshot_by_ranges(tmp_path: Path) -> None:
    """A recorded audience is read back on DuckDB one range of member ids at a time (one sorted statement per
    range), and every range size gives the rows and bytes it was recorded with."""
    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    shop = small_shop()
    write_shop(engine, replace(shop, customer_consents=shop.customer_consents[::2]))
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")
    rows = [r for b in stream_audience(engine, checked, CTX) for r in b]
    snapshots = Snapshots(registry)
    snapshots.take("c1", "buyers", CTX, taken_by="t")
    snapshots.take("c2", "buyers", CTX, taken_by="t")  # another campaign's rows in the same table
    for ranged in (1, 2, 3, 10, 100):
        assert [r for b in snapshots.members("c1", batch=2, range_rows=ranged) for r in b] == rows
        for fmt in FORMATS:
            assert "".join(snapshots.members_text("c1", fmt, batch=3, range_rows=ranged)) == "".join(
                chunks([rows], fmt))
    executed: list[str] = []
    event.listen(engine, "after_cursor_execute", lambda *args: executed.append(args[2]))
    assert "".join(snapshots.members_text("c1", "csv", range_rows=3)) == "".join(chunks([rows], "csv"))
    assert len([s for s in executed if "FROM audience_members" in s and "ORDER BY" in s]) == 4
    engine.dispose()


def test_duckdb_ranges_cover_the_audience_in_order_and_leave_no_table(tmp_path: Path) -> None:
    """DuckDB sorts one range of member ids at a time: every range size gives segment run's order, and a
    reader that stops early leaves no temporary table on the pooled connection."""
    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    shop = small_shop()
    write_shop(engine, replace(shop, customer_consents=shop.customer_consents[::2]))  # some without consents
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")
    ids = run_sql(engine, checked, CTX)
    assert len(ids) == 10
    for ranged in (1, 2, 3, 10, 100):
        rows = [r for b in stream_audience(engine, checked, CTX, batch=3, range_rows=ranged) for r in b]
        assert [r[0] for r in rows] == ids
        assert sum(r[4] is None for r in rows) == 5
        assert "".join(audience_text(engine, checked, CTX, "csv", range_rows=ranged)) == "".join(
            chunks([rows], "csv"))
    executed: list[str] = []
    event.listen(engine, "after_cursor_execute", lambda *args: executed.append(args[2]))
    stopped = audience_text(engine, checked, CTX, "csv", batch=1, range_rows=2)
    assert next(stopped) == CSV_HEADER
    next(stopped)
    assert not [s for s in executed if s.startswith("DROP TABLE")]
    stopped.close()
    # The table of the segment's ids is dropped; the range's table of ids and consents too, or (DuckDB's
    # write into the closed pipe failed, aborting the transaction) taken away by the rollback.
    assert len([s for s in executed if s.startswith("DROP TABLE IF EXISTS cafehub_audience_ids_")]) == 1
    with engine.connect() as conn:
        assert not conn.exec_driver_sql(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'cafehub_audience_%'").all()
    # The consents are read by the range, with its ids: one range read, one read of the consents.
    assert [s.split()[0] for s in executed if "customer_consents" in s] == ["INSERT"]
    engine.dispose()


def test_a_failing_duckdb_range_reports_its_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A range whose statement fails (DuckDB then aborts the transaction) raises that statement's error, not the
    temporary table's DROP failing on the aborted transaction; the table is gone with the rollback."""
    from cafehub.registry import audience

    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    write_shop(engine, small_shop())
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")
    ranges = audience._duckdb_range
    calls = itertools.count()

    def failing(conn: Any, *args: Any) -> Any:
        if next(calls) == 1:
            conn.exec_driver_sql("SELECT error('the second range failed')")
        return ranges(conn, *args)

    monkeypatch.setattr(audience, "_duckdb_range", failing)
    with pytest.raises(Exception, match="the second range failed"):
        "".join(audience_text(engine, checked, CTX, "csv", range_rows=3))
    with engine.connect() as conn:
        assert not conn.exec_driver_sql(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'cafehub_audience_%'").all()
    engine.dispose()


def small_shop() -> rec.ShopData:
    ids = ["m1", "M1", "m1 ", "a", "B", "회원", "é", "e\u0301", "😀", "o'neil"]
    return rec.ShopData(
        customers=tuple(rec.Customer(m, name=f"name of {m}", cellphone="010-0000-0000") for m in ids),
        orders=tuple(rec.Order(f"o{i}", m, datetime(2025, 1, 1), "paid", 0, 0, 0) for i, m in enumerate(ids)),
        customer_consents=tuple(rec.CustomerConsent(m, True, i % 2 == 0) for i, m in enumerate(ids)),
    )


CTX = EvalContext(now=datetime(2025, 6, 1, tzinfo=UTC))


def test_a_snapshot_keeps_the_audience_as_it_was(store: Engine, shop: str) -> None:
    data = small_shop()
    write_shop(store, data, replace=True)
    registry = SegmentRegistry(store, shop)
    registry.save("buyers", "order(status = paid)", saved_by="a")
    registry.save("campaign-target", 'segment("buyers") and not cart()', saved_by="a")
    snapshots = Snapshots(registry)
    campaign = f"spring-{next(_campaigns)}"
    before = [r for b in stream_audience(store, registry.checked("campaign-target"), CTX) for r in b]
    taken = snapshots.take(campaign, "campaign-target", CTX, taken_by="mina")
    assert taken.members == len(before) == len(data.customers)
    assert taken.versions == (("buyers", 1), ("campaign-target", 1))
    assert taken.send_time == CTX.now
    assert taken.context().now == CTX.now
    assert [r for b in snapshots.members(campaign, batch=3) for r in b] == before
    written = {fmt: "".join(audience_text(store, registry.checked("campaign-target"), CTX, fmt)) for fmt in FORMATS}

    # Everything changes afterwards: the customers, their consents, the segment.
    with store.begin() as conn:
        conn.execute(update(schema.customers).values(cellphone="010-9999-9999"))
        conn.execute(update(schema.customer_consents).values(sms=False))
        conn.execute(schema.orders.delete().where(schema.orders.c.member_id == "a"))
    registry.save("buyers", "order(status = refunded)", saved_by="b")
    assert [r for b in stream_audience(store, registry.checked("campaign-target"), CTX) for r in b] == []
    assert [r for b in snapshots.members(campaign) for r in b] == before
    assert {fmt: "".join(snapshots.members_text(campaign, fmt, batch=4)) for fmt in FORMATS} == written
    assert snapshots.get(campaign) == taken

    with pytest.raises(SnapshotExists, match="already has a recorded audience"):
        snapshots.take(campaign, "campaign-target", CTX, taken_by="mina")
    assert snapshots.get(campaign).members == taken.members
    with pytest.raises(SnapshotNotFound):
        Snapshots(SegmentRegistry(store, f"{shop}-other")).get(campaign)
    assert Snapshots(SegmentRegistry(store, f"{shop}-other")).campaigns() == []
    assert [s.campaign for s in snapshots.campaigns()] == [campaign]


def test_a_failed_snapshot_leaves_nothing(store: Engine, shop: str) -> None:
    registry = SegmentRegistry(store, shop)
    snapshots = Snapshots(registry)
    with pytest.raises(SegmentNotFound):
        snapshots.take("never", "missing", CTX, taken_by="a")
    with pytest.raises(SnapshotNotFound):
        snapshots.get("never")


def test_duckdb_audience_puts_back_the_memory_limit_and_session(tmp_path: Path) -> None:
    """The audience lowers DuckDB's memory limit (a setting of the whole database) and sets its session
    settings while it streams, and puts both back after: when it ends, when the reader stops early, and when
    a range runs out of memory under the lowered limit (then read again under the limit there was, with the
    same rows)."""
    from cafehub.registry import audience

    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    shop = small_shop()
    write_shop(engine, replace(shop, customer_consents=shop.customer_consents[::2]))
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")
    rows = [r for b in stream_audience(engine, checked, CTX, batch=3) for r in b]
    assert len(rows) == 10

    def settings() -> list[Any]:
        with engine.connect() as conn:
            return [conn.exec_driver_sql(f"SELECT current_setting('{name}')").scalar()
                    for name in ("memory_limit", *duckdb_memory.SESSION)]

    before = settings()
    seen: list[Any] = []
    for chunk in audience_text(engine, checked, CTX, "csv", range_rows=3):
        if chunk != CSV_HEADER and not seen:
            with engine.connect() as conn:  # another connection: the limit is the database's
                seen.append(conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar())
    assert seen
    assert seen[0] != before[0]
    assert settings() == before
    stopped = audience_text(engine, checked, CTX, "jsonl", batch=1, range_rows=2)
    next(stopped)
    stopped.close()
    assert settings() == before
    # Far too little memory for a range: DuckDB runs out, the limit goes back and the range is read again.
    text = b"".join(audience._duckdb_audience(engine, audience.compile_for_store(engine, checked), CTX, "csv",
                                              batch=4, range_rows=4, memory_mb=12))
    assert text == "".join(chunks([rows], "csv")).encode()
    assert settings() == before
    engine.dispose()


def test_duckdb_audiences_at_once_share_the_lowered_limit(tmp_path: Path) -> None:
    """Two audiences streaming at once from one database (interleaved, as two API requests would): the limit
    stays lowered until the last one ends, then is what it was before the first."""
    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    write_shop(engine, small_shop())
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")

    def limit() -> Any:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()

    before = limit()
    first = audience_text(engine, checked, CTX, "csv", batch=1, range_rows=2)
    second = audience_text(engine, checked, CTX, "jsonl", batch=1, range_rows=2)
    assert next(first) == CSV_HEADER
    next(first)
    lowered = limit()
    assert lowered != before
    next(second)
    rest = "".join(first)
    assert limit() == lowered  # the second audience still streams
    assert "".join(second)
    assert limit() == before
    assert rest
    engine.dispose()


def long_names_shop(engine: Engine) -> None:
    """3,000 paid buyers with names of about 100 characters: a range of 1,000 is several pipe chunks."""
    ids = [f"m{i:05d}" for i in range(3000)]
    write_shop(engine, rec.ShopData(
        customers=tuple(rec.Customer(m, name=f"{m} " + "n" * 100, cellphone="010-0000-0000") for m in ids),
        orders=tuple(rec.Order(f"o{i}", m, datetime(2025, 1, 1), "paid", 0, 0, 0) for i, m in enumerate(ids)),
        customer_consents=tuple(rec.CustomerConsent(m, True, False) for m in ids)))


def test_duckdb_writes_the_lines_into_a_pipe_and_a_reader_may_stop_while_it_writes(tmp_path: Path) -> None:
    """On DuckDB the audience's lines come from ``COPY ... TO`` a pipe, range by range; a reader that stops
    while DuckDB still has lines to write (more than a pipe holds) ends it: the settings go back, no table
    stays, and the next audience on the pooled connection is whole."""
    from cafehub.registry import audience

    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    long_names_shop(engine)
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")
    rows = [r for b in stream_audience(engine, checked, CTX, batch=500) for r in b]
    assert len(rows) == 3000
    expected = "".join(chunks([rows], "csv"))
    assert len(expected) > 4 * audience.PIPE_BYTES
    executed: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: executed.append(args[2]))
    assert "".join(audience_text(engine, checked, CTX, "csv", range_rows=1000)) == expected
    assert len([s for s in executed if s.startswith("COPY (")]) == (3 if audience._COPY_TO_PIPE else 0)
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()
    stopped = audience_text(engine, checked, CTX, "jsonl", range_rows=1000)
    assert next(stopped)
    stopped.close()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar() == before
        assert not conn.exec_driver_sql(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'cafehub_audience_%'").all()
    assert "".join(audience_text(engine, checked, CTX, "csv", range_rows=1000)) == expected
    engine.dispose()


def test_the_audience_as_bytes_is_its_text_in_utf8(store: Engine, shop: str) -> None:
    """``audience_bytes`` (the CLI's output; on DuckDB the bytes DuckDB wrote, never decoded) is the text
    encoded, whichever way a multi-byte character falls between chunks."""
    write_shop(store, small_shop(), replace=True)
    registry = SegmentRegistry(store, shop)
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")
    for fmt in FORMATS:
        text = "".join(audience_text(store, checked, CTX, fmt, range_rows=3))
        assert "회원" in text
        assert b"".join(audience_bytes(store, checked, CTX, fmt, range_rows=3)) == text.encode()


def test_utf8_chunks_split_inside_a_character_decode_whole() -> None:
    from cafehub.registry.audience import _decoded

    data = "회원,é😀\n".encode() * 3
    for cut in range(1, len(data)):
        assert "".join(_decoded(iter([data[:cut], data[cut:]]))) == data.decode()


def test_duckdb_without_external_access_fetches_the_lines(tmp_path: Path) -> None:
    """A DuckDB database that may not write files refuses ``COPY ... TO`` a pipe: the lines are fetched instead,
    the same bytes."""
    from sqlalchemy import create_engine

    path = tmp_path / "store.duckdb"
    engine = canonical_engine(f"duckdb:///{path}")
    write_shop(engine, small_shop())
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    expected = {fmt: "".join(audience_text(engine, registry.checked("buyers"), CTX, fmt, range_rows=3))
                for fmt in FORMATS}
    engine.dispose()
    closed = create_engine(f"duckdb:///{path}", connect_args={"config": {"enable_external_access": False}})
    executed: list[str] = []
    event.listen(closed, "before_cursor_execute", lambda *args: executed.append(args[2]))
    checked = SegmentRegistry(closed, "default").checked("buyers")
    for fmt in FORMATS:
        assert "".join(audience_text(closed, checked, CTX, fmt, range_rows=3)) == expected[fmt]
    assert not [s for s in executed if s.startswith("COPY")]
    closed.dispose()


def _out_of_memory_once(monkeypatch: pytest.MonkeyPatch, *, on_call: int, after_chunks: int,
                        before_retry: Any = None) -> list[int]:
    """Make the ``on_call``-th range DuckDB reads fail as DuckDB fails when it runs out of memory, after it gave
    ``after_chunks`` chunks (the driver's own exception, wrapped as SQLAlchemy wraps it); ``before_retry`` runs
    just before it fails (the range is read again in a later transaction). The list counts the calls."""
    import duckdb
    from sqlalchemy.exc import OperationalError

    from cafehub.registry import audience

    real = audience._duckdb_range
    calls = [0]

    def failing(*args: Any) -> Any:
        calls[0] += 1
        chunks_ = real(*args)
        if calls[0] != on_call:
            yield from chunks_
            return
        for _ in range(after_chunks):
            yield next(chunks_)
        chunks_.close()
        if before_retry is not None:
            before_retry()
        raise OperationalError("COPY", {}, duckdb.OutOfMemoryException("Out of Memory Error: injected"))

    monkeypatch.setattr(audience, "_duckdb_range", failing)
    return calls


@pytest.mark.parametrize("fmt", ["csv", "jsonl", None])
def test_a_duckdb_range_that_runs_out_of_memory_midway_goes_on_from_where_it_stopped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str | None) -> None:
    """At 3M customers a JSON Lines range ran out of DuckDB's memory after lines had been sent. The range is
    read again under a raised limit and the audience goes on from where it stopped: every line once, whole,
    in order (as text: the bytes sent are skipped; as rows: after the last member sent); the limit is put
    back after. Also for a recorded campaign read back."""
    from cafehub.registry import audience

    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    long_names_shop(engine)
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")
    rows = [r for b in stream_audience(engine, checked, CTX, batch=500) for r in b]
    snapshots = Snapshots(registry)
    snapshots.take("spring", "buyers", CTX, taken_by="t")
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()
    for source in ("segment", "snapshot"):
        calls = _out_of_memory_once(monkeypatch, on_call=2, after_chunks=1)
        if fmt is None:
            got = (stream_audience(engine, checked, CTX, batch=100, range_rows=1000) if source == "segment"
                   else snapshots.members("spring", batch=100, range_rows=1000))
            assert [r for b in got for r in b] == rows
        else:
            text = (audience_text(engine, checked, CTX, fmt, range_rows=1000) if source == "segment"
                    else snapshots.members_text("spring", fmt, range_rows=1000))
            expected = "".join(chunks([rows], fmt))
            assert len(expected) > 4 * audience.PIPE_BYTES  # a range is several chunks: one was sent
            assert "".join(text) == expected
        assert calls[0] >= 4  # three ranges, the second read twice
        monkeypatch.undo()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar() == before
    engine.dispose()


@pytest.mark.parametrize("renamed", ["'renamed'", "replace(name, 'n', 'x')"], ids=["shorter", "same-length"])
def test_a_range_read_again_over_a_changed_store_stops_instead_of_sending_a_broken_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renamed: str) -> None:
    """The bytes already sent are skipped only when the range read again begins with the same bytes: names
    changed in the part already sent stop the audience with a clear error (no line twice, none broken),
    whether the range read again is shorter than what was sent or as long with other bytes."""
    from cafehub.registry import audience
    from cafehub.registry.audience import AudienceChanged

    engine = canonical_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    long_names_shop(engine)
    registry = SegmentRegistry(engine, "default")
    registry.save("buyers", "order(status = paid)", saved_by="t")
    checked = registry.checked("buyers")

    def rename() -> None:  # every customer, so the part of the range already sent is among them
        with engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE customers SET name = {renamed}")

    _out_of_memory_once(monkeypatch, on_call=2, after_chunks=1, before_retry=rename)
    sent: list[str] = []
    with pytest.raises(AudienceChanged, match="store changed"):
        sent.extend(audience_text(engine, checked, CTX, "csv", range_rows=1000))
    assert len("".join(sent)) > 2 * audience.PIPE_BYTES  # the first range and part of the second were sent
    assert "renamed" not in "".join(sent)
    assert "x" * 100 not in "".join(sent)
    engine.dispose()
