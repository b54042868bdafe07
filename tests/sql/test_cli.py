"""``cafehub segment sql`` and ``cafehub segment run``: output, defaults, and one-line errors.

The command runs in-process (Typer's runner) against real stores: a SQLite
file in a temporary working directory (the embedded default), and the
session's PostgreSQL database for a server URL.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlglot
from sqlalchemy import Engine, create_engine
from typer.testing import CliRunner

from cafehub import check
from cafehub.cli import app
from cafehub.compiler.evaluation import EvalContext, load_zone
from cafehub.store import io
from cafehub.store import records as r

from .oracle import Oracle

runner = CliRunner()
SEGMENT = "order(status = paid).count >= 1 and no cart(product = 17)"


@pytest.fixture
def workdir(tmp_path: Path, shop: r.ShopData) -> Iterator[Path]:
    """A working directory holding the embedded store ``cafehub.db`` with the test shop."""
    engine = create_engine(f"sqlite:///{tmp_path / 'cafehub.db'}")
    io.create_schema(engine)
    io.write_shop(engine, shop)
    engine.dispose()
    old = Path.cwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_run_prints_sorted_ids_from_the_embedded_store(workdir: Path, oracle: Oracle) -> None:
    code, out, _ = invoke("segment", "run", SEGMENT, "--now", "2025-03-07T15:00:00+09:00")
    assert code == 0
    ctx = EvalContext(now=datetime(2025, 3, 7, 6, 0, tzinfo=UTC))
    expected = oracle.ids(check(SEGMENT).ir, ctx)
    assert expected  # the case selects someone
    assert out.splitlines() == expected


def test_count_and_now_forms(workdir: Path, oracle: Oracle) -> None:
    ctx = EvalContext(now=datetime(2025, 3, 7, 6, 0, tzinfo=UTC))
    expected = str(len(oracle.ids(check(SEGMENT).ir, ctx)))
    for now in ("2025-03-07T15:00:00+09:00", "2025-03-07T06:00:00Z", "2025-03-07T15:00"):
        code, out, _ = invoke("segment", "run", SEGMENT, "--now", now, "--count")
        assert (code, out.strip()) == (0, expected), now


def test_zone_retention_and_history_options(workdir: Path, oracle: Oracle) -> None:
    segment = "cart(added_at <= 1d ago) or order(ordered_at < 2024-07-01)"
    code, out, _ = invoke("segment", "run", segment, "--now", "2025-03-09T12:30", "--tz", "America/New_York",
                          "--retention-days", "3", "--history-start", "2024-06-01")
    assert code == 0
    zone = load_zone("America/New_York")
    from datetime import date

    ctx = EvalContext(now=datetime(2025, 3, 9, 12, 30, tzinfo=zone), zone=zone, cart_retention_days=3,
                      history_start=date(2024, 6, 1))
    assert out.splitlines() == oracle.ids(check(segment).ir, ctx)


def test_run_on_a_server_url(postgres_shop: Engine, oracle: Oracle) -> None:
    url = postgres_shop.url.render_as_string(hide_password=False)
    code, out, _ = invoke("segment", "run", SEGMENT, "--db", url, "--now", "2025-03-07T06:00:00Z")
    assert code == 0
    ctx = EvalContext(now=datetime(2025, 3, 7, 6, 0, tzinfo=UTC))
    assert out.splitlines() == oracle.ids(check(SEGMENT).ir, ctx)


@pytest.mark.parametrize(("args", "message"), [
    (["--db", "nonsense"], "is not a database URL"),
    (["--db", "postgresql+psycopg://postgres@127.0.0.1:1/x"], "cannot reach the PostgreSQL server at 127.0.0.1:1"),
    (["--db", "sqlite:///missing/nowhere.db"], "nowhere.db"),
    (["--now", "tomorrow"], "--now: 'tomorrow' is not an ISO 8601 date-time"),
    (["--tz", "Mars/Base"], "unknown time zone 'Mars/Base'"),
    (["--retention-days", "0"], "cart retention must be between 1 and 365 days"),
    (["--history-start", "2024-13-01"], "--history-start: '2024-13-01' is not a date"),
    (["--engine", "python", "--mapping", "m.json"], "--mapping applies to --engine sql"),
    (["--engine", "spark"], "--engine must be sql or python"),
])
def test_bad_options_give_one_line_and_exit_2(workdir: Path, args: list[str], message: str) -> None:
    code, out, err = invoke("segment", "run", "order()", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""
    assert len(err.strip().splitlines()) == 1


def test_missing_store_says_how_to_make_one(tmp_path: Path) -> None:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        code, _, err = invoke("segment", "run", "order()")
    finally:
        os.chdir(old)
    assert code == 2
    assert "there is no store at" in err
    assert "cafehub store init" in err
    assert not (tmp_path / "cafehub.db").exists()  # not created empty by accident


def test_mapping_naming_a_missing_column(workdir: Path) -> None:
    path = workdir / "mapping.json"
    path.write_text(json.dumps({"tables": {"orders": {"columns": {"ordered_at": "order_ts"}}}}), encoding="utf-8")
    code, out, err = invoke("segment", "run", "order()", "--mapping", str(path))
    assert code == 2
    assert "has no column 'order_ts', mapped from orders.ordered_at" in err
    assert out == ""


def test_bad_mapping_file(workdir: Path) -> None:
    path = workdir / "mapping.json"
    path.write_text(json.dumps({"tables": {"orderz": {}}}), encoding="utf-8")
    code, _, err = invoke("segment", "run", "order()", "--mapping", str(path))
    assert code == 2
    assert "unknown logical table 'orderz'" in err


def test_bad_segment_never_reaches_the_database(tmp_path: Path) -> None:
    # The URL is unreachable: had the segment reached the database we would see a connection error.
    code, out, err = invoke("segment", "run", "order(status = payed)", "--db", "postgresql+psycopg://x@127.0.0.1:1/x")
    assert code == 1
    assert "unknown status 'payed'; did you mean 'paid'?" in err
    assert "cannot reach" not in err
    assert out == ""


def test_sql_prints_sql_and_parameters_with_values() -> None:
    code, out, _ = invoke("segment", "sql", "cart(product = 17) and no order(ordered_at within last 3d)",
                          "--dialect", "postgres", "--now", "2026-11-26T10:30:00+09:00")
    assert code == 0
    sql, _, params = out.partition("\n\n-- parameters")
    sqlglot.parse_one(sql, read="postgres")
    assert ":p1" in sql
    assert ":t1" in sql
    lines = {line.split()[1]: line for line in params.splitlines()[1:]}
    assert "2026-11-26 01:30:00 UTC" in lines["now"]
    assert "2026-11-23 01:30:00 UTC" in lines["t1"]
    assert "now - 3d" in lines["t1"]
    assert "17" in lines["p1"]


def test_sql_without_now_explains_parameters() -> None:
    code, out, _ = invoke("segment", "sql", "order(ordered_at = yesterday)", "-d", "bigquery")
    assert code == 0
    assert "@t1" in out
    assert "start of yesterday in the shop's zone" in out
    assert "give --now" in out


def test_sql_with_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"tables": {"orders": {"table": "shop.orders_v2",
                                                      "columns": {"ordered_at": "order_ts"}}}}), encoding="utf-8")
    code, out, _ = invoke("segment", "sql", "order(ordered_at within last 3d)", "-d", "trino", "--mapping", str(path))
    assert code == 0
    assert '"shop"."orders_v2"' in out
    assert '"o"."order_ts"' in out


def test_sql_unknown_dialect() -> None:
    code, _, err = invoke("segment", "sql", "order()", "--dialect", "oracle")
    assert code == 2
    assert "unknown SQL dialect 'oracle'" in err
    assert "sqlite" in err
