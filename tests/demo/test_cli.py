"""`cafehub demo`, end to end in a temporary directory, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import cafehub
from cafehub.compiler.evaluation import EvalContext
from cafehub.demo.segments import examples
from cafehub.store import records as r
from cafehub.store.engines import open_engine, open_store
from cafehub.store.io import count_rows, create_schema, write_shop

NOW = "2025-12-01T12:00"
NOW_SEOUL = datetime(2025, 12, 1, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400", "TERM": "dumb"}
    result = subprocess.run(
        [sys.executable, "-m", "cafehub", "demo", *args],
        capture_output=True, text=True, timeout=300, cwd=cwd, env=env,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_demo_builds_the_shop_and_prints_every_example_with_its_audience(tmp_path: Path) -> None:
    pytest.importorskip("cafehub.execution.sql", reason="the SQL backend (cafehub.execution.sql) is not there yet")
    from cafehub.execution.sql import run_sql

    result = run_demo(tmp_path, "--customers", "300", "--now", NOW)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Building a demo shop of 300 customers (seed 2024, now 2025-12-01T12:00:00+09:00 Asia/Seoul)" in out
    assert "Wrote " in out
    assert "segments in" in out

    engine = open_store(f"sqlite:///{tmp_path / 'cafehub.db'}")
    try:
        with engine.connect() as conn:
            assert count_rows(conn)["customers"] == 300
        ctx = EvalContext(now=NOW_SEOUL)
        rows = [line for line in out.splitlines() if line.startswith("│")]
        for example in examples(NOW_SEOUL):
            first_line = example.text.splitlines()[0]
            row = next(line for line in rows if first_line in line)
            cells = [cell.strip() for cell in row.split("│")]
            expected = run_sql(engine, cafehub.check(example.text), ctx)
            assert cells[3] == f"{len(expected):,}", example.text
            shown = [s for s in cells[4].split(" … ")[0].split(", ") if s and s != "-"]
            assert set(shown) <= set(expected), example.text
    finally:
        engine.dispose()


def test_demo_refuses_to_overwrite_a_store_that_is_not_a_demo_shop(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'cafehub.db'}")
    create_schema(engine)
    write_shop(engine, r.ShopData(customers=(r.Customer("real-customer"),)))
    engine.dispose()
    result = run_demo(tmp_path, "--customers", "10", "--now", NOW)
    assert result.returncode == 1
    assert "holds data that is not a demo shop; use --db to choose another store, or --force" in result.stderr
    engine = open_store(f"sqlite:///{tmp_path / 'cafehub.db'}")
    with engine.connect() as conn:
        assert count_rows(conn)["customers"] == 1
    engine.dispose()


def test_demo_help_and_bad_options(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--help")
    assert result.returncode == 0
    for option in ("--customers", "--seed", "--db", "--now", "--force"):
        assert option in result.stdout
    result = run_demo(tmp_path, "--now", "someday")
    assert result.returncode == 2
    assert "not an ISO 8601 date or time" in result.stderr
    assert not (tmp_path / "cafehub.db").exists()


@pytest.mark.parametrize("now", ["0001-01-01T00:00", "9999-12-31T00:00", "9999-12-31T23:59:59Z"])
def test_a_now_near_year_1_or_9999_is_one_line_and_exit_2(tmp_path: Path, now: str) -> None:
    result = run_demo(tmp_path, "--customers", "1", "--now", now)
    assert (result.returncode, result.stderr.strip()) == (2, "error: now must lie between 1100-01-01 and 9898-12-31 "
                                                              "(UTC)")
    assert not (tmp_path / "cafehub.db").exists()
