"""Fixtures for the service: two shops with different demo data, tokens for each, a client.

Shop ``alpha`` and shop ``beta`` each have their own SQLite store, built from
the demo generator with different seeds and sizes, so any answer that mixed
the two would differ from the library's answer on the right store. Tokens:
``read`` and ``write`` for each shop.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cafehub.demo.generator import DemoSettings
from cafehub.demo.shop import build
from cafehub.service.app import create_app
from cafehub.service.config import ServiceConfig, parse_config
from cafehub.service.tokens import Scope
from cafehub.store.engines import open_engine
from cafehub.store.schema import customers

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=ZoneInfo("Asia/Seoul"))
SHOPS = {"alpha": (1, 120), "beta": (2, 300)}  # shop -> (seed, customers)


@dataclass(frozen=True)
class Service:
    """A configured app, its tokens by (shop, scope), and where each shop's store is."""

    app: FastAPI
    config: ServiceConfig
    tokens: dict[tuple[str, str], str]
    stores: dict[str, str]
    members: dict[str, list[str]]
    """Each shop's member ids, sorted."""

    def headers(self, shop: str, scope: str = "read") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[shop, scope]}"}


def build_stores(directory: Path) -> dict[str, str]:
    stores = {}
    for shop, (seed, size) in SHOPS.items():
        url = f"sqlite:///{directory / f'{shop}.db'}"
        engine = open_engine(url)
        try:
            build(engine, DemoSettings(customers=size, seed=seed, now=NOW))
        finally:
            engine.dispose()
        stores[shop] = url
    return stores


@pytest.fixture(scope="session")
def shop_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The two shops' demo stores (built once per session; tests only read them)."""
    return build_stores(tmp_path_factory.mktemp("shops"))


def make_service(directory: Path, stores: dict[str, str]) -> Service:
    config = parse_config({"shops": {shop: {"store": url} for shop, url in stores.items()}}, directory)
    app = create_app(config)
    issued = app.state.cafehub.tokens
    tokens = {}
    for shop in stores:
        tokens[shop, "read"] = issued.issue(shop, f"{shop} reader", frozenset({Scope.READ})).token
        tokens[shop, "write"] = issued.issue(shop, f"{shop} writer", frozenset({Scope.READ, Scope.WRITE})).token
    return Service(app, config, tokens, stores, {shop: member_ids(url) for shop, url in stores.items()})


def member_ids(url: str) -> list[str]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(row[0] for row in conn.execute(select(customers.c.member_id)))
    finally:
        engine.dispose()


def copy_stores(stores: dict[str, str], directory: Path) -> dict[str, str]:
    """Copies of the shops' SQLite stores in ``directory``, for tests that write (save, delete, record)."""
    copies = {}
    for shop, url in stores.items():
        source = Path(url.removeprefix("sqlite:///"))
        target = directory / source.name
        shutil.copyfile(source, target)
        copies[shop] = f"sqlite:///{target}"
    return copies


@pytest.fixture
def fresh_stores(tmp_path: Path, shop_stores: dict[str, str]) -> dict[str, str]:
    """This test's own copies of the shops' stores (it may write to them)."""
    directory = tmp_path / "stores"
    directory.mkdir()
    return copy_stores(shop_stores, directory)


@pytest.fixture
def writable(tmp_path: Path, fresh_stores: dict[str, str]) -> Iterator[Service]:
    """A service over this test's own copies of the stores."""
    made = make_service(tmp_path, fresh_stores)
    yield made
    made.app.state.cafehub.close()


@pytest.fixture
def service(tmp_path: Path, shop_stores: dict[str, str]) -> Iterator[Service]:
    made = make_service(tmp_path, shop_stores)
    yield made
    made.app.state.cafehub.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(service.app) as test_client:
        yield test_client
