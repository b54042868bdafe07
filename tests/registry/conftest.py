"""A store on each engine for the registry tests; each test takes its own shop id, so tests share tables safely."""

from __future__ import annotations

import itertools
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

_shops = itertools.count(1)


@pytest.fixture(params=ENGINES, scope="module")
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A canonical store on one engine (module-wide: tests use distinct shops)."""
    name = request.param
    if name in ("sqlite", "duckdb"):
        made = canonical_engine(embedded_urls(Path(tmp_path_factory.mktemp(f"registry_{name}")))[name])
        yield made
        made.dispose()
        return
    url = request.getfixturevalue("postgres_url" if name == "postgres" else "mysql_url")
    with private_namespace(url, "registry") as private:
        made = canonical_engine(private)
        yield made
        made.dispose()


@pytest.fixture
def shop() -> str:
    """A shop id no other test of the session uses."""
    return f"shop-{next(_shops)}"
