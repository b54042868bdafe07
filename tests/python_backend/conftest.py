"""Fixtures: a canonical store on every engine the bulk path supports.

Server stores live in a private namespace of the session's scratch
databases (``cafehub.testing.engines.private_namespace``): these tests
replace rows freely and must not disturb tests that load a shop once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cafehub.testing.engines import canonical_engine, embedded_urls, private_namespace

ENGINES = [
    "sqlite",
    "duckdb",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


@pytest.fixture(params=ENGINES, scope="module")
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine with the canonical tables (rows are the test's to replace)."""
    name = request.param
    if name in ("sqlite", "duckdb"):
        engine = canonical_engine(embedded_urls(Path(tmp_path_factory.mktemp(name)))[name])
        yield engine
        engine.dispose()
        return
    url = request.getfixturevalue("postgres_url" if name == "postgres" else "mysql_url")
    with private_namespace(url, "python_backend") as private:
        engine = canonical_engine(private)
        yield engine
        engine.dispose()


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A SQLite file store with the canonical tables."""
    engine = canonical_engine(embedded_urls(Path(tmp_path_factory.mktemp("sqlite")))["sqlite"])
    yield engine
    engine.dispose()
