"""Benchmark data: the demo shop, or a shop of another distribution, at a given size, built once per engine.

Stores live in ``bench/data/`` (SQLite and DuckDB files) and in PostgreSQL
databases named ``cafehub_bench_<n>`` (the demo) or
``cafehub_bench_<distribution>_<n>`` (``bench/distributions.py``). Each
carries a fingerprint of how it was generated (customers, seed, now,
generator source); a store whose fingerprint differs is rebuilt, so results
always describe the data they claim to.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from bench import distributions
from cafehub.demo import generator
from cafehub.demo.generator import DemoSettings
from cafehub.demo.shop import build
from cafehub.store import schema
from cafehub.store.engines import session_connect_args
from cafehub.store.io import analyze, clear_tables, write_records

#: Where the shops are cached: ``bench/data/``, or ``CAFEHUB_BENCH_DATA`` (a disk with room for the 1M shops,
#: or a cache that outlives a checkout).
DATA = Path(os.environ.get("CAFEHUB_BENCH_DATA") or Path(__file__).parent / "data")
#: A fixed evaluation instant, so every run measures the same audiences.
NOW = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
SEED = 2024
PG_ADMIN = os.environ.get("CAFEHUB_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

ENGINES = ("sqlite", "duckdb", "postgres")
#: The demo shop's name among the distributions.
DEMO = "demo"
#: Every distribution a benchmark can run on: the demo, then bench/distributions.py's.
DISTRIBUTIONS = (DEMO, *distributions.DISTRIBUTIONS)


def fingerprint(customers: int, distribution: str = DEMO) -> str:
    source = inspect.getsource(generator if distribution == DEMO else distributions)
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    found = {"customers": customers, "seed": SEED, "now": NOW.isoformat(), "generator": digest}
    if distribution != DEMO:
        found["distribution"] = distribution
    return json.dumps(found)


def _url(engine: str, customers: int, distribution: str = DEMO) -> str:
    DATA.mkdir(exist_ok=True)
    stem = f"demo-{customers}" if distribution == DEMO else f"{distribution}-{customers}"
    if engine == "sqlite":
        return f"sqlite:///{DATA / f'{stem}.db'}"
    if engine == "duckdb":
        return f"duckdb:///{DATA / f'{stem}.duckdb'}"
    name = f"cafehub_bench_{customers}" if distribution == DEMO else f"cafehub_bench_{distribution}_{customers}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin.url.set(database=name).render_as_string(hide_password=False)


def _stored_fingerprint(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT fingerprint FROM bench_fingerprint")).first()
    except Exception:
        return None
    return str(row[0]) if row else None


def store(engine_name: str, customers: int, *, distribution: str = DEMO, log: bool = True) -> Engine:
    """An engine whose store holds the shop of ``distribution`` with ``customers`` customers (built if needed)."""
    url = make_url(_url(engine_name, customers, distribution))
    engine = create_engine(url, connect_args=session_connect_args(url))  # the session settings a store has
    wanted = fingerprint(customers, distribution)
    if _stored_fingerprint(engine) == wanted:
        return engine
    if log:
        print(f"   building the {customers:,}-customer {distribution} shop on {engine_name} (cached for later runs)...",
              flush=True)
    if distribution == DEMO:
        build(engine, DemoSettings(customers=customers, seed=SEED, now=NOW), force=True)
    else:
        _build_distribution(engine, distribution, customers)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_fingerprint"))
        conn.execute(text("CREATE TABLE bench_fingerprint (fingerprint VARCHAR(500))"))
        conn.execute(text("INSERT INTO bench_fingerprint VALUES (:f)"), {"f": wanted})
    return engine


def _build_distribution(engine: Engine, distribution: str, customers: int) -> None:
    """Write a generated shop in one transaction (SQLite: indexes rebuilt after the rows), then analyze."""
    schema.metadata.create_all(engine)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        clear_tables(conn)
        if sqlite:
            for table in schema.TABLES:
                for index in table.indexes:
                    index.drop(conn)
        for chunk in distributions.generate(distribution, customers, SEED, NOW):
            write_records(conn, chunk)
        if sqlite:
            for table in schema.TABLES:
                for index in table.indexes:
                    index.create(conn)
    analyze(engine)


def available(engine_name: str) -> bool:
    if engine_name != "postgres":
        return True
    try:
        admin = create_engine(PG_ADMIN)
        with admin.connect():
            pass
        admin.dispose()
    except OperationalError:
        return False
    return True


#: Columns that carry a customer's, an order's or an order line's id, suffixed per copy.
_ID_TEXT = {"member_id", "order_id", "order_item_code"}
#: Integer row ids, offset per copy (the 100k shop's stay below it).
_ID_STEP = 10_000_000


def copies_fingerprint(copies: int, distribution: str = DEMO) -> str:
    return f"{fingerprint(100_000, distribution)} copies={copies}"


def copies_store(engine_name: str, copies: int = 10, *, distribution: str = DEMO, log: bool = True) -> Engine:
    """A shop of ``copies`` x 100k customers: the 100k shop of ``distribution`` and ``copies - 1`` copies of it,
    made by SQL.

    Generating 1M customers takes hours on a loaded 2-core machine; copying
    the 100k shop takes minutes and keeps every per-customer distribution of
    the shop (what per-customer reads, audiences and plans depend on: orders,
    lines, cart rows and coupons per customer, their recency, product skew).
    What a copy does not keep: the number of distinct timestamps and amounts
    grows only with the 100k shop, so a column's distinct count in the
    engine's statistics is a tenth of a generated 1M shop's. Copy k's member,
    order and order line ids end in ``#k``, its coupon and cart row ids are
    offset by k x 10M; coupon definitions are shared. Built from the SQLite
    100k store (a file copy on SQLite; rows streamed into DuckDB and
    PostgreSQL), copied in place, indexes built after, then analyzed.
    """
    import shutil

    from cafehub.store.io import create_schema

    if copies == 1 and engine_name == "sqlite":
        return store("sqlite", 100_000, distribution=distribution, log=log)
    stem = f"{distribution}-100000copies{copies}"
    if engine_name == "sqlite":
        url = f"sqlite:///{DATA / f'{stem}.db'}"
    elif engine_name == "duckdb":
        url = f"duckdb:///{DATA / f'{stem}.duckdb'}"
    else:
        name = f"cafehub_bench_{stem.replace('-', '_')}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    made = make_url(url)
    engine = create_engine(made, connect_args=session_connect_args(made))
    wanted = copies_fingerprint(copies, distribution)
    if _stored_fingerprint(engine) == wanted:
        return engine
    if log:
        print(f"   copying the 100k {distribution} shop {copies} times on {engine_name} (cached for later runs)...",
              flush=True)
    source = store("sqlite", 100_000, distribution=distribution, log=log)
    indexes = [index for table in schema.STORE_TABLES for index in table.indexes]
    if engine_name == "sqlite":
        engine.dispose()
        target = DATA / f"{stem}.db"
        target.unlink(missing_ok=True)
        shutil.copyfile(str(source.url.database), target)
        engine = create_engine(made, connect_args=session_connect_args(made))
        with engine.begin() as conn:
            for index in indexes:
                conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
    else:
        create_schema(engine)
        with engine.begin() as conn:
            clear_tables(conn)
            for index in indexes:
                conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
            _copy_rows(conn, Path(str(source.url.database)), fingerprint(100_000, distribution))
    source.dispose()
    numbers = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(1, copies))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_fingerprint"))
        for table in schema.STORE_TABLES:
            if table.name == "coupons" or copies == 1:
                continue
            values = []
            for c in table.columns:
                if c.name in _ID_TEXT:
                    values.append(f"t.{c.name} || '#' || CAST(n.k AS VARCHAR(2))")
                elif c.name == "id":
                    values.append(f"t.id + n.k * {_ID_STEP}")
                else:
                    values.append(f"t.{c.name}")
            conn.execute(text(f"INSERT INTO {table.name} ({', '.join(c.name for c in table.columns)}) "
                              f"SELECT {', '.join(values)} FROM {table.name} t, ({numbers}) n"))
        for index in indexes:
            index.create(conn, checkfirst=True)
    analyze(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_fingerprint (fingerprint VARCHAR(500))"))
        conn.execute(text("INSERT INTO bench_fingerprint VALUES (:f)"), {"f": wanted})
    return engine


def _copy_rows(conn: Connection, sqlite_file: Path, source_fingerprint: str) -> None:
    """Every store table of a SQLite file into ``conn``'s DuckDB or PostgreSQL store, as CSV written by the
    ``sqlite3`` shell and read by the database's own COPY (rows through Python took 20 minutes under load).

    The CSV files are kept for the next engine, in a folder named after the source's fingerprint, so a
    rebuilt source is exported again rather than read stale."""
    import subprocess

    digest = hashlib.sha256(source_fingerprint.encode()).hexdigest()[:12]
    exported = DATA / f"{sqlite_file.stem}-{digest}-csv"
    exported.mkdir(exist_ok=True)
    for table in schema.STORE_TABLES:
        names = ", ".join(c.name for c in table.columns)
        path = exported / f"{table.name}.csv"
        if not path.exists():
            with open(f"{path}.part", "wb") as out:
                subprocess.run(["sqlite3", "-csv", str(sqlite_file), f"SELECT {names} FROM {table.name}"],
                               stdout=out, check=True)
            os.replace(f"{path}.part", path)
        if path.stat().st_size == 0:
            continue  # an empty table (the sparse shop's payments): DuckDB cannot sniff an empty file
        if conn.dialect.name == "duckdb":
            conn.exec_driver_sql(f"COPY {table.name} ({names}) FROM '{path}' (FORMAT csv, HEADER false)")
            continue
        driver = conn.connection.driver_connection
        statement = f"COPY {table.name} ({names}) FROM STDIN (FORMAT csv)"
        with driver.cursor() as cursor, cursor.copy(statement) as copy, open(path, "rb") as source:
            while block := source.read(1 << 20):
                copy.write(block)
