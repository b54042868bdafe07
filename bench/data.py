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

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from bench import distributions
from cafehub.demo import generator
from cafehub.demo.generator import DemoSettings
from cafehub.demo.shop import build
from cafehub.store import schema
from cafehub.store.engines import session_connect_args
from cafehub.store.io import analyze, clear_tables, write_records

DATA = Path(__file__).parent / "data"
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
