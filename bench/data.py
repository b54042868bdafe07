"""Benchmark data: the demo shop at a given size, built once per engine and reused.

Stores live in ``bench/data/`` (SQLite and DuckDB files) and in a PostgreSQL
database named ``cafehub_bench_<n>``. Each carries a fingerprint of how it
was generated (customers, seed, now, generator source); a store whose
fingerprint differs is rebuilt, so results always describe the data they
claim to.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from cafehub.demo import generator
from cafehub.demo.generator import DemoSettings
from cafehub.demo.shop import build

DATA = Path(__file__).parent / "data"
#: A fixed evaluation instant, so every run measures the same audiences.
NOW = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
SEED = 2024
PG_ADMIN = os.environ.get("CAFEHUB_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

ENGINES = ("sqlite", "duckdb", "postgres")


def fingerprint(customers: int) -> str:
    source = inspect.getsource(generator)
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    return json.dumps({"customers": customers, "seed": SEED, "now": NOW.isoformat(), "generator": digest})


def _url(engine: str, customers: int) -> str:
    DATA.mkdir(exist_ok=True)
    if engine == "sqlite":
        return f"sqlite:///{DATA / f'demo-{customers}.db'}"
    if engine == "duckdb":
        return f"duckdb:///{DATA / f'demo-{customers}.duckdb'}"
    name = f"cafehub_bench_{customers}"
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


def store(engine_name: str, customers: int, *, log: bool = True) -> Engine:
    """An engine whose store holds the demo shop with ``customers`` customers (built if needed)."""
    engine = create_engine(_url(engine_name, customers))
    wanted = fingerprint(customers)
    if _stored_fingerprint(engine) == wanted:
        return engine
    if log:
        print(f"   building the {customers:,}-customer demo shop on {engine_name} (cached for later runs)...",
              flush=True)
    build(engine, DemoSettings(customers=customers, seed=SEED, now=NOW), force=True)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_fingerprint"))
        conn.execute(text("CREATE TABLE bench_fingerprint (fingerprint VARCHAR(500))"))
        conn.execute(text("INSERT INTO bench_fingerprint VALUES (:f)"), {"f": wanted})
    return engine


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
