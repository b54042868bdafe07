"""A table check that fails for another reason than a missing table says that reason.

The SQL engine probes the tables a query reads before running it; so does
opening a store. A role without grants, a file that is not a database and a
store locked by a running load used to be reported as "has no table ...".
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from cafehub.execution.sql import run_sql
from cafehub.store.engines import StoreError, open_store, store_errors
from cafehub.store.io import create_schema
from cafehub.testing.engines import canonical_engine

from .shop import CONTEXTS

SEGMENT = "cart(product = 1) and order(status = paid).count >= 1"


def run_error(url: str) -> str:
    engine = create_engine(url)
    try:
        with pytest.raises(StoreError) as caught:
            run_sql(engine, SEGMENT, CONTEXTS["seoul_march"])
    finally:
        engine.dispose()
    return str(caught.value)


def open_error(url: str) -> str:
    with pytest.raises(StoreError) as caught:
        open_store(url)
    return str(caught.value)


def test_a_file_that_is_not_a_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    url = f"sqlite:///{path}"
    for message in (run_error(url), open_error(url)):
        assert message == f"{path} is not a sqlite database file"


def test_an_empty_sqlite_file_still_has_no_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    create_engine(url).dispose()
    (tmp_path / "empty.db").touch()
    assert "has no table cart_items" in run_error(url)


def test_a_store_locked_by_a_running_load_says_so_and_how_long_it_waited(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    canonical_engine(f"sqlite:///{path}").dispose()
    url = f"sqlite:///{path}?timeout=0.2"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # what a load holds while it writes its pages
        for message in (run_error(url), open_error(url)):
            assert "has no table" not in message
            assert re.fullmatch(
                rf"the store file {re.escape(str(path))} is locked by another process \(a running `cafehub store "
                r"load` or sync\?\): still locked after waiting 0\.[2-9] s; try again when it has finished",
                message,
            ), message
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def postgres_role(postgres_url: str) -> Iterator[str]:
    """A URL of ``postgres_url`` (whose store exists) as a new login role with no grant on its tables."""
    canonical_engine(postgres_url).dispose()
    role = f"cafehub_nogrant_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        yield make_url(postgres_url).set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.mark.postgres
def test_a_postgres_role_without_grants(postgres_role: str) -> None:
    role = make_url(postgres_role).username
    for message, table in ((run_error(postgres_role), "cart_items"), (open_error(postgres_role), "customers")):
        assert "has no" not in message
        assert f"refused access: permission denied for table {table}; the database user '{role}' needs SELECT" \
            in message


@pytest.fixture
def mysql_user(mysql_url: str) -> Iterator[str]:
    """A URL of ``mysql_url`` (whose store exists) as a new user who may read only ``customers``."""
    canonical_engine(mysql_url).dispose()
    user = f"cafehub_ng_{uuid.uuid4().hex[:8]}"
    database = make_url(mysql_url).database
    admin = create_engine(mysql_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE USER '{user}'@'%'"))
        conn.execute(text(f"GRANT SELECT ON `{database}`.`customers` TO '{user}'@'%'"))
    try:
        yield make_url(mysql_url).set(username=user, password=None).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP USER '{user}'@'%'"))
        admin.dispose()


@pytest.mark.mysql
def test_a_mariadb_user_without_grants_on_the_tables_read(mysql_user: str) -> None:
    user = make_url(mysql_user).username
    run, opened = run_error(mysql_user), open_error(mysql_user)
    for message, table in ((run, "cart_items"), (opened, "coupons")):
        assert "has no" not in message
        assert "refused access: SELECT command denied to user" in message
        assert f"for table `{make_url(mysql_user).database}`.`{table}`; the database user '{user}' needs SELECT" \
            in message


def _predicate_error(url: str) -> str:
    from cafehub import check
    from cafehub.execution.python import run_predicate
    from cafehub.store.engines import store_errors

    engine = create_engine(url)
    try:
        with pytest.raises(StoreError) as caught, store_errors(engine):
            run_predicate(engine, check("order(status = paid)"), CONTEXTS["seoul_march"])
    finally:
        engine.dispose()
    return str(caught.value)


def _without_status(url: str) -> None:
    engine = canonical_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE orders DROP COLUMN status"))
        conn.execute(text("INSERT INTO customers (member_id, joined_at) VALUES ('m1', '2025-01-01 00:00:00')"))
    engine.dispose()


MENDS = ("`cafehub store init` keeps existing tables as they are, so it cannot add a column: add it to the table, "
         "or load the data into a new store")


def test_a_missing_column_says_what_would_mend_it_not_store_init(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _without_status(url)
    message = _predicate_error(url)
    assert message.startswith(f"the store at {url} lacks a column cafehub reads (no such column: ")
    assert MENDS in message
    assert "--mapping" in message
    assert message == _predicate_error(url)
    opened = open_error(url)
    assert opened.startswith(f"the store at {url} has no column 'orders.status'; {MENDS}")


def test_a_missing_table_is_mended_by_store_init(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = canonical_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (member_id, joined_at) VALUES ('m1', '2025-01-01 00:00:00')"))
        conn.execute(text("DROP TABLE order_payments"))
        conn.execute(text("DROP TABLE order_items"))
        conn.execute(text("DROP TABLE orders"))
    engine.dispose()
    message = _predicate_error(url)
    assert message.startswith(f"the store at {url} lacks a table cafehub reads (no such table: ")
    assert message.endswith(f"run `cafehub store init --db {url}` to create the missing tables (it keeps the others)")


@pytest.mark.postgres
def test_a_missing_column_on_postgres(postgres_url: str) -> None:
    from cafehub.testing.engines import private_namespace

    with private_namespace(postgres_url, f"nocol_{uuid.uuid4().hex[:6]}") as url:
        _without_status(url)
        message = _predicate_error(url)
        assert "lacks a column cafehub reads (column " in message
        assert MENDS in message


def _too_deep_error(url: str, segment: str, depth: int | None) -> str:
    engine = create_engine(url)
    if depth is not None:
        # A real DuckDB refusal, only sooner: the connection's own limit, lowered.
        event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute(f"SET max_expression_depth TO {depth}"))
    create_schema(engine)
    try:
        with pytest.raises(StoreError) as caught:
            run_sql(engine, segment, CONTEXTS["seoul_march"])
    finally:
        engine.dispose()
    return str(caught.value)


AGGREGATE_OR = " or ".join(f"order().count >= {k}" for k in range(1, 41))


def test_a_query_too_deep_for_duckdb_says_so_not_a_missing_column(tmp_path: Path) -> None:
    # DuckDB binds each subquery a level deeper: past its expression depth it raises a BinderException,
    # which used to read as "lacks a column cafehub reads ... store init".
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    message = _too_deep_error(url, AGGREGATE_OR, 30)
    assert message == (
        f"the segment's SQL is too deep for DuckDB: it exceeds DuckDB's maximum expression depth of 30 "
        f"(the store at {url} is fine); ask fewer tests in one segment"
    )
    assert "lacks" not in message
    assert "store init" not in message



def test_duckdb_out_of_memory_says_so_not_that_another_process_holds_the_file(tmp_path: Path) -> None:
    # DuckDB's out-of-memory message ("failed to pin block of size ...") contains "lock" inside "block":
    # it used to be reported as "the store file ... is in use by another process".
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET memory_limit = '8MB'"))
            conn.execute(text("SET threads = 1"))
            with pytest.raises(StoreError) as caught, store_errors(engine):
                conn.execute(text("SELECT r, md5(r::VARCHAR) AS m FROM range(3000000) t(r) ORDER BY m")).fetchall()
    finally:
        engine.dispose()
    message = str(caught.value)
    assert message.startswith(f"DuckDB ran out of memory on the store at {url}: Out of Memory Error: ")
    assert "the store is fine" in message
    assert "another process" not in message
