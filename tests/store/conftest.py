"""Fixtures for store tests: an empty canonical store on each engine, and table-file helpers.

``store_url`` is parametrised over SQLite, DuckDB, PostgreSQL and MariaDB.
Server stores live in the session's scratch databases (``postgres_url`` /
``mysql_url``); each test starts by creating the seven tables there if
missing and emptying them. Tests that damage the schema use their own
SQLite or DuckDB file instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from cafehub.store.engines import open_engine
from cafehub.store.io import clear_tables, create_schema

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("duckdb", id="duckdb"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
]


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty, initialised store on one engine."""
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    elif kind == "duckdb":
        url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    elif kind == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = request.getfixturevalue("mysql_url")
    engine = open_engine(url)
    try:
        create_schema(engine)
        with engine.begin() as conn:
            clear_tables(conn)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Engine]:
    engine = open_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Engine]:
    """An empty SQLite store (most validation tests need no other engine)."""
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


def write_jsonl(directory: Path, table: str, rows: list[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{table}.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def write_text(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(text.encode("utf-8"))
    return path
