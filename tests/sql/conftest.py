"""Fixtures of the SQL backend's tests: the case files, the test shop, loaded engines, Spark.

Every engine gets the same shop (:mod:`tests.sql.shop`), written once per
test session through the store's own schema and writer. PostgreSQL and
MariaDB use the session's scratch databases from the top-level conftest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from cafehub import check
from cafehub.compiler.check import CheckedSegment
from cafehub.store import io
from cafehub.store import records as r

from .oracle import Oracle
from .shop import build_shop

CASES_DIR = Path(__file__).parent / "cases"
GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("CAFEHUB_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    checked: CheckedSegment


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.seg")):
        text = path.read_text(encoding="utf-8")
        cases.append(Case(path.stem, text, check(text)))
    return cases


CASES = load_cases()


@pytest.fixture(scope="session")
def shop() -> r.ShopData:
    return build_shop()


@pytest.fixture(scope="session")
def oracle(shop: r.ShopData) -> Oracle:
    return Oracle(shop)


def _loaded(url: str, shop: r.ShopData) -> Engine:
    engine = create_engine(url)
    io.drop_schema(engine)
    io.create_schema(engine)
    io.write_shop(engine, shop)
    return engine


@pytest.fixture(scope="session")
def sqlite_shop(tmp_path_factory: pytest.TempPathFactory, shop: r.ShopData) -> Iterator[Engine]:
    engine = _loaded(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'shop.db'}", shop)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def duckdb_shop(tmp_path_factory: pytest.TempPathFactory, shop: r.ShopData) -> Iterator[Engine]:
    engine = _loaded(f"duckdb:///{tmp_path_factory.mktemp('duckdb') / 'shop.duckdb'}", shop)
    yield engine
    engine.dispose()


# The shop lives in a database of its own: tests that load other data into the session's
# database (``postgres_url``) must not replace it, whatever order the tests run in.
@pytest.fixture(scope="session")
def postgres_shop(postgres_shop_url: str, shop: r.ShopData) -> Iterator[Engine]:
    engine = _loaded(postgres_shop_url, shop)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def mysql_shop(mysql_shop_url: str, shop: r.ShopData) -> Iterator[Engine]:
    engine = _loaded(mysql_shop_url, shop)
    yield engine
    engine.dispose()


ENGINE_FIXTURES = {
    "sqlite": "sqlite_shop",
    "duckdb": "duckdb_shop",
    "postgres": "postgres_shop",
    "mysql": "mysql_shop",
}


@pytest.fixture(scope="session", params=list(ENGINE_FIXTURES), ids=list(ENGINE_FIXTURES))
def shop_engine(request: pytest.FixtureRequest) -> Engine:
    """The test shop on each SQLAlchemy engine in turn (PostgreSQL and MariaDB: marked)."""
    engine: Engine = request.getfixturevalue(ENGINE_FIXTURES[request.param])
    return engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark engine-parametrised tests with the server they need, so ``-m`` can select them."""
    for item in items:
        callspec: Any = getattr(item, "callspec", None)
        if callspec is None:
            continue
        name = callspec.params.get("shop_engine")
        if name in ("postgres", "mysql"):
            item.add_marker(getattr(pytest.mark, name))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local SparkSession for the whole test session (only Spark-marked tests ask for it)."""
    from cafehub.execution.spark import SMALL_DATA_CONFIG, local_session

    session = local_session(app_name="cafehub-tests", config=SMALL_DATA_CONFIG)
    yield session
    session.stop()
