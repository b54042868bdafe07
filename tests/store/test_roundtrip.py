"""Round trips on every engine: files → store → files, and records → store → records, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from cafehub.store.formats import SPECS, Format
from cafehub.store.io import read_shop, write_shop
from cafehub.store.load import dump_directory, load_directory

from .sample import SAMPLE, sorted_shop, write_files


def test_records_written_read_back_unchanged(store: Engine) -> None:
    write_shop(store, SAMPLE)
    assert read_shop(store) == sorted_shop(SAMPLE)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_load_then_dump_reproduces_the_files_byte_for_byte(store: Engine, tmp_path: Path, fmt: Format) -> None:
    source, dumped = tmp_path / "in", tmp_path / "out"
    write_files(source, SAMPLE, fmt)
    summary = load_directory(store, source)
    assert summary.rows == {name: len(rows) for name, rows in SAMPLE.tables().items()}
    assert read_shop(store) == sorted_shop(SAMPLE)
    counts = dump_directory(store, dumped, fmt=fmt)
    assert counts == summary.rows
    for spec in SPECS:
        name = f"{spec.name}.{fmt}"
        assert (dumped / name).read_bytes() == (source / name).read_bytes(), name


def test_replace_swaps_the_whole_shop(store: Engine, tmp_path: Path) -> None:
    write_shop(store, SAMPLE)
    source = tmp_path / "in"
    smaller = type(SAMPLE)(customers=SAMPLE.customers[:2], coupons=SAMPLE.coupons[:1])
    write_files(source, smaller, "jsonl")
    load_directory(store, source, replace=True)
    assert read_shop(store) == sorted_shop(smaller)


def test_csv_and_jsonl_dumps_load_to_the_same_shop(sqlite_store: Engine, tmp_path: Path) -> None:
    write_shop(sqlite_store, SAMPLE)
    dump_directory(sqlite_store, tmp_path / "csv", fmt="csv")
    dump_directory(sqlite_store, tmp_path / "jsonl", fmt="jsonl")
    load_directory(sqlite_store, tmp_path / "csv", replace=True)
    from_csv = read_shop(sqlite_store)
    load_directory(sqlite_store, tmp_path / "jsonl", replace=True)
    assert read_shop(sqlite_store) == from_csv == sorted_shop(SAMPLE)


def test_sqlite_keeps_sqlalchemys_timestamp_text_form(tmp_path: Path) -> None:
    """The compiled SQL compares timestamps as text on SQLite, so the stored form must be exactly this."""
    import sqlite3

    from cafehub.store.engines import open_engine
    from cafehub.store.io import create_schema

    engine = open_engine(f"sqlite:///{tmp_path / 's.db'}")
    create_schema(engine)
    write_files(tmp_path / "in", SAMPLE, "jsonl")
    load_directory(engine, tmp_path / "in")
    engine.dispose()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        stored = dict(conn.execute("SELECT member_id, joined_at FROM customers").fetchall())
    assert stored["3000000007@k"] == "2024-03-01 00:00:00.000001"
    assert stored["weird"] == "2024-01-01 00:00:00.000000"
    assert stored["kim01 "] is None
