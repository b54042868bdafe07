"""Fixtures of the differential tests: each backend, and a harness over all of them.

``differential`` is parametrised over the engines (PostgreSQL and MariaDB
marked), so a pinned regression runs on each; it needs the SQL backend and
skips with the reason "SQL backend not available" without it. Server
stores live in a private namespace of the session's scratch databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from cafehub.store import records as rec
from cafehub.testing.differential import Differential, Runner, spark_runner, sql_runner
from cafehub.testing.engines import canonical_engine, embedded_urls, private_namespace

ENGINES = [
    "sqlite",
    "duckdb",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


def _engine(name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    if name in ("sqlite", "duckdb"):
        return canonical_engine(embedded_urls(Path(tmp_path_factory.mktemp(f"differential_{name}")))[name])
    url = request.getfixturevalue("postgres_url" if name == "postgres" else "mysql_url")
    namespace = private_namespace(url, "differential")
    private = namespace.__enter__()
    request.addfinalizer(lambda: namespace.__exit__(None, None, None))
    return canonical_engine(private)


@pytest.fixture(params=ENGINES, scope="module")
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """(name, engine) for each engine in turn; its rows belong to the test."""
    if sql_runner() is None:
        pytest.skip("SQL backend not available")
    made = _engine(request.param, request, tmp_path_factory)
    yield request.param, made
    made.dispose()


@pytest.fixture(scope="module")
def differential(engine: tuple[str, Engine]) -> Differential:
    """The harness on one engine: reference, in-memory predicate, bulk predicate and SQL."""
    name, made = engine
    return Differential({name: made})


@pytest.fixture(scope="session")
def spark_backend() -> Iterator[Runner]:
    """``(checked, data, ctx) -> ids`` through a local SparkSession (one per session)."""
    run = spark_runner()
    if run is None:
        pytest.skip("Spark backend not available")
    from cafehub.execution.spark import SMALL_DATA_CONFIG, local_session, register_shop

    session = local_session(app_name="cafehub-differential", config=SMALL_DATA_CONFIG)

    def runner(checked: Any, data: rec.ShopData, ctx: Any) -> list[str]:
        register_shop(session, data)
        return run(session, checked, ctx, verify=False)

    yield runner
    session.stop()
