"""`cafehub store init | load | dump | info`, run the way a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cafehub.cli import app
from cafehub.store.engines import open_store
from cafehub.store.io import read_shop

from .sample import SAMPLE, sorted_shop, write_files

runner = CliRunner()


def cafehub(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_init_load_info_dump_on_the_default_store(in_tmp: Path) -> None:
    code, out, _ = cafehub("store", "init")
    assert code == 0
    assert f"the store at sqlite:///{in_tmp / 'cafehub.db'} is ready" in out
    write_files(in_tmp / "shop", SAMPLE, "csv")
    code, out, _ = cafehub("store", "load", "shop")
    assert code == 0, out
    assert f"{SAMPLE.count()} rows in" in out
    code, out, _ = cafehub("store", "info")
    assert code == 0
    assert [line.split("│")[2].strip() for line in out.splitlines() if "│ orders " in line] == [
        str(len(SAMPLE.orders))
    ]
    code, out, _ = cafehub("store", "dump", "out", "--format", "csv")
    assert code == 0
    assert f"wrote {SAMPLE.count()} rows in 8 files" in out
    assert (in_tmp / "out" / "customers.csv").read_bytes() == (in_tmp / "shop" / "customers.csv").read_bytes()
    engine = open_store(None)
    try:
        assert read_shop(engine) == sorted_shop(SAMPLE)
    finally:
        engine.dispose()


def test_init_twice_keeps_the_data_and_load_replace_swaps_it(in_tmp: Path) -> None:
    url = f"duckdb:///{in_tmp / 'shop.duckdb'}"
    assert cafehub("store", "init", "--db", url)[0] == 0
    write_files(in_tmp / "shop", SAMPLE, "jsonl")
    assert cafehub("store", "load", "--db", url, "shop")[0] == 0
    assert cafehub("store", "init", "--db", url)[0] == 0
    code, _, err = cafehub("store", "load", "--db", url, "shop")
    assert code == 1
    assert "is already in the store (use --replace?)" in err
    assert cafehub("store", "load", "--db", url, "shop", "--replace")[0] == 0


def test_a_bad_file_is_reported_and_nothing_loads(in_tmp: Path) -> None:
    cafehub("store", "init")
    (in_tmp / "shop").mkdir()
    (in_tmp / "shop" / "customers.csv").write_text("member_id,name\nok,fine\n,missing id\n", encoding="utf-8")
    code, _out, err = cafehub("store", "load", "shop")
    assert code == 1
    assert "error: cannot load: 1 problem(s); nothing was loaded" in err
    assert "customers.csv:3: column 'member_id': empty (an id must not be empty)" in err
    assert "customers" in cafehub("store", "info")[1]
    assert [line.split("│")[2].strip() for line in cafehub("store", "info")[1].splitlines()
            if "│ customers " in line] == ["0"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["store", "info"], "error: there is no store at"),
        (["store", "info", "--db", "oops"], "error: 'oops' is not a database URL"),
        (["store", "load", "nowhere"], "error: there is no store at"),
        (["store", "dump", "out", "--format", "xml"], "error: unknown format 'xml' (use jsonl or csv)"),
        (["store", "init", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/x"],
         "error: cannot reach the PostgreSQL server at 127.0.0.1:1"),
    ],
)
def test_store_problems_are_one_line_without_traceback(in_tmp: Path, args: list[str], message: str) -> None:
    code, _, err = cafehub(*args)
    assert code == 1
    assert message in err
    assert "Traceback" not in err


def test_a_real_process_prints_no_traceback_for_a_missing_table(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    import sqlite3

    sqlite3.connect(db).execute("CREATE TABLE customers (member_id TEXT)").connection.close()
    result = subprocess.run(
        [sys.executable, "-m", "cafehub", "store", "info", "--db", f"sqlite:///{db}"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"has no tables 'coupons', 'customer_coupons', 'cart_items', 'orders', 'order_items', 'order_payments'; " \
           f"run `cafehub store init --db sqlite:///{db}`" in result.stderr.replace("\n", "")


@pytest.mark.parametrize(
    "fixture",
    [pytest.param("postgres_url", marks=pytest.mark.postgres), pytest.param("mysql_url", marks=pytest.mark.mysql)],
)
def test_init_and_load_on_servers(request: pytest.FixtureRequest, in_tmp: Path, fixture: str) -> None:
    url = request.getfixturevalue(fixture)
    code, out, err = cafehub("store", "init", "--db", url)
    assert code == 0, err
    assert "is ready (7 tables)" in out
    write_files(in_tmp / "shop", SAMPLE, "csv")
    code, _, err = cafehub("store", "load", "--db", url, "shop", "--replace")
    assert code == 0, err
    engine = open_store(url)
    try:
        assert read_shop(engine) == sorted_shop(SAMPLE)
    finally:
        engine.dispose()


def test_a_timestamp_without_an_offset_is_refused_or_read_in_the_shops_zone_as_now_is(in_tmp: Path) -> None:
    """--now without an offset is the shop's wall-clock time; a file's timestamp was read as UTC (nine
    hours apart in Seoul). Now it is refused, located, or read in the zone given with --tz."""
    assert cafehub("store", "init")[0] == 0
    shop = in_tmp / "shop"
    shop.mkdir()
    (shop / "customers.jsonl").write_text('{"member_id": "kim01", "joined_at": "2024-03-01T09:00:00Z"}\n')
    (shop / "orders.csv").write_text("order_id,member_id,ordered_at,status,paid_amount,order_amount,shipping_fee\n"
                                     "o1,kim01,2025-01-01T10:00:00,paid,100,100,0\n")
    code, _, error = cafehub("store", "load", "shop")
    assert code == 1
    assert " ".join(error.split()).startswith(
        "error: cannot load: 1 problem(s); nothing was loaded orders.csv:2: column 'ordered_at': a timestamp "
        "without an offset: write the offset (2025-01-31T09:30:00+09:00, or Z for UTC), or load with --tz ZONE")
    code, out, _ = cafehub("store", "load", "shop", "--tz", "Asia/Seoul")
    assert code == 0, out
    same = ["--now", "2025-01-01T10:00:00", "--tz", "Asia/Seoul"]
    assert cafehub("segment", "run", "order(ordered_at <= now)", *same)[1] == "kim01\n"
    assert cafehub("segment", "run", "order(ordered_at < now)", *same)[1] == ""
    code, _, error = cafehub("store", "load", "shop", "--tz", "Mars/Base", "--replace")
    assert (code, error.strip()) == (1, "error: --tz: unknown time zone 'Mars/Base' (use an IANA name such as "
                                      "Asia/Seoul)")
