"""Opening stores: every way it can fail is one clear StoreError naming the thing that is wrong."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from cafehub.store.engines import (
    StoreError,
    check_store,
    default_url,
    display_url,
    open_engine,
    open_store,
    ping,
)
from cafehub.store.io import create_schema

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
MY = "mysql+pymysql://root@127.0.0.1:3306"


def error_of(url: str) -> str:
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert "Traceback" not in message
    assert "\n" not in message
    return message


def test_default_store_is_cafehub_db_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_url() == f"sqlite:///{tmp_path / 'cafehub.db'}"
    assert error_of(None) == f"there is no store at {tmp_path / 'cafehub.db'}; run `cafehub store init`"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "'not a url' is not a database URL (e.g. sqlite:///shop.db"),
        ("nosuchdb://x/y", "unknown database kind 'nosuchdb' in nosuchdb://x/y (supported: sqlite, postgresql"),
        ("mssql+pyodbc://u@h/db", "the driver for 'mssql+pyodbc' is not installed (no module pyodbc)"),
    ],
)
def test_bad_urls_and_missing_drivers(url: str, message: str) -> None:
    assert error_of(url).startswith(message)


def test_file_stores_must_exist_except_for_init(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    assert error_of(f"sqlite:///{missing}") == (
        f"there is no store at {missing}; run `cafehub store init --db sqlite:///{missing}`"
    )
    assert not missing.exists(), "opening must not create an empty file"
    assert error_of(f"sqlite:///{tmp_path}/no/dir/x.db").startswith(f"there is no store at {tmp_path}/no/dir/x.db")
    with pytest.raises(StoreError, match=re.escape(f"the directory {tmp_path}/no/dir does not exist")):
        open_engine(f"sqlite:///{tmp_path}/no/dir/x.db")


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("hello, this is not SQLite " * 100)
    assert error_of(f"sqlite:///{bogus}") == f"{bogus} is not a sqlite database file"


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_missing_tables_and_columns_are_named(tmp_path: Path, scheme: str) -> None:
    url = f"{scheme}:///{tmp_path / ('store.' + scheme)}"
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (member_id VARCHAR(64) PRIMARY KEY, name VARCHAR(255))"))
    engine.dispose()
    assert error_of(url) == (
        f"the store at {url} has no tables 'coupons', 'customer_coupons', 'cart_items', 'orders', "
        f"'order_items', 'order_payments'; run `cafehub store init --db {url}`"
    )
    engine = open_engine(url)
    create_schema(engine)  # adds the six missing tables; customers stays short of columns
    with pytest.raises(StoreError) as caught:
        check_store(engine)
    engine.dispose()
    assert str(caught.value).startswith(
        f"the store at {url} has no columns 'customers.cellphone', 'customers.email', 'customers.joined_at'"
    )


def test_duckdb_urls_work_end_to_end(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'shop.duckdb'}"
    engine = open_engine(url)
    create_schema(engine)
    engine.dispose()
    engine = open_store(url)
    engine.dispose()


def test_duckdb_draws_no_progress_bar_into_standard_output(tmp_path: Path) -> None:
    """DuckDB's progress bar goes to standard output (a pipe too) once a query passes two seconds: it would
    land inside `segment run` ids and audience CSV. Every connection of a store engine has it off (checked in
    a fresh process with its output piped, as a command's is: under pytest DuckDB starts with it off)."""
    code = (
        "import sys; from sqlalchemy import text; from cafehub.store.engines import open_engine\n"
        "engine = open_engine(sys.argv[1])\n"
        "for _ in range(2):\n"
        "    with engine.connect() as conn:\n"
        "        print(conn.execute(text(\"SELECT current_setting('enable_progress_bar')\")).scalar())\n"
        "    engine.dispose()\n"
    )
    done = subprocess.run([sys.executable, "-c", code, f"duckdb:///{tmp_path / 'shop.duckdb'}"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_passwords_never_appear_in_messages() -> None:
    url = "postgresql+psycopg://user:s3cret@127.0.0.1:1/db"
    assert display_url(url) == "postgresql+psycopg://user:***@127.0.0.1:1/db"
    message = error_of(url)
    assert "s3cret" not in message


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "pattern"),
    [
        (f"{PG.replace(':5432', ':1')}/x", r"^cannot reach the PostgreSQL server at 127\.0\.0\.1:1: .*refused"),
        ("postgresql+psycopg://postgres@no-such-host.invalid/x",
         r"^cannot reach the PostgreSQL server at no-such-host\.invalid:5432: failed to resolve host"),
        (f"{PG}/cafehub_no_such_db", r"^the PostgreSQL server at 127\.0\.0\.1:5432 has no database "
                                      r"'cafehub_no_such_db'; create it first$"),
        (PG.replace("postgres@", "cafehub_nobody@") + "/postgres",
         r"^the PostgreSQL server at 127\.0\.0\.1:5432 refused the login: .*cafehub_nobody"),
    ],
)
def test_postgres_connection_problems(url: str, pattern: str) -> None:
    assert re.search(pattern, error_of(url))


@pytest.mark.mysql
@pytest.mark.parametrize(
    ("url", "pattern"),
    [
        (f"{MY.replace(':3306', ':1')}/x", r"^cannot reach the MySQL/MariaDB server at 127\.0\.0\.1:1: .*refused"),
        (f"{MY}/cafehub_no_such_db", r"^the MySQL/MariaDB server at 127\.0\.0\.1:3306 has no database "
                                     r"'cafehub_no_such_db'; create it first$"),
        (MY.replace("root@", "root:wrong@") + "/test",
         r"^the MySQL/MariaDB server at 127\.0\.0\.1:3306 refused the login: Access denied"),
    ],
)
def test_mysql_connection_problems(url: str, pattern: str) -> None:
    assert re.search(pattern, error_of(url))


@pytest.mark.postgres
def test_an_empty_server_database_says_to_run_init(postgres_url: str) -> None:
    engine = open_engine(postgres_url)
    ping(engine)
    with engine.begin() as conn:
        for name in ("order_payments", "order_items", "orders", "cart_items", "customer_coupons", "coupons"):
            conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    engine.dispose()
    message = error_of(postgres_url)
    assert "has no table" in message
    assert "'orders'" in message
    assert message.endswith(f"run `cafehub store init --db {display_url(postgres_url)}`")


@pytest.mark.postgres
def test_postgres_sessions_plan_every_run_and_do_not_jit(postgres_url: str) -> None:
    """Custom plans on every run (a generic plan of a time window is estimated blind) and no JIT."""
    engine = open_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
            assert conn.execute(text("SHOW jit")).scalar() == "off"
    finally:
        engine.dispose()
    own = open_engine(f"{postgres_url}?options=-c%20jit%3Don")  # a URL's own options win
    try:
        with own.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar() == "on"
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
    finally:
        own.dispose()
