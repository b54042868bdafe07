"""Helpers to run a sandbox in-process for tests and benchmarks.

:func:`running_sandbox` writes a shop into a store, opens a sandbox on it,
serves it on loopback ports, and hands back a :class:`SandboxHandle` that
also builds Cafe24 clients configured to match (same bucket shape, already
authorized). Other engineers' tests (chat commands) can use it as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine

from cafehub.connectors.cafe24.client import Cafe24Client
from cafehub.connectors.config import Cafe24Config
from cafehub.connectors.ratelimit import BucketSpec, LeakyBucket
from cafehub.connectors.retry import RetryPolicy, no_jitter
from cafehub.connectors.sellmate import SellmateConfig
from cafehub.connectors.tokens import MemoryTokenStore, TokenStore
from cafehub.store import io as store_io
from cafehub.store import records as r

from .control import Sandbox, SandboxConfig
from .sample import sample_shop
from .server import SandboxServers, open_sandbox

#: Retries without real waiting to speak of: tests stay fast and deterministic.
FAST_RETRY = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.2, jitter=no_jitter)


@dataclass(slots=True)
class SandboxHandle:
    sandbox: Sandbox
    servers: SandboxServers
    engine: Engine

    @property
    def cafe24_url(self) -> str:
        return self.servers.cafe24_url

    @property
    def sellmate_url(self) -> str:
        return self.servers.sellmate_url

    def client_config(self, **overrides: Any) -> Cafe24Config:
        cfg = self.sandbox.config
        base = Cafe24Config(
            mall_id=cfg.mall_id,
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            base_url=self.cafe24_url,
            zone=cfg.zone,
            bucket=BucketSpec(capacity=cfg.capacity, drain_per_second=cfg.drain_per_second),
            retry=FAST_RETRY,
            timeout=10.0,
        )
        return replace(base, **overrides)

    def client(self, store: TokenStore | None = None, *, authorize: bool = True, **overrides: Any) -> Cafe24Client:
        """A client for this sandbox with its own bucket (so tests do not share one)."""
        config = self.client_config(**overrides)
        client = Cafe24Client(config, store or MemoryTokenStore(), bucket=LeakyBucket(config.bucket))
        if authorize and client.tokens.store.load(config.mall_id) is None:
            client.tokens.authorize_with_code(self.sandbox.authorize())
        return client

    def sellmate_config(self, **overrides: Any) -> SellmateConfig:
        base = SellmateConfig(base_url=self.sellmate_url, api_key=self.sandbox.config.sellmate_key, retry=FAST_RETRY)
        return replace(base, **overrides)


@contextmanager
def running_sandbox(engine: Engine, data: r.ShopData | None = None,
                    config: SandboxConfig = SandboxConfig()) -> Iterator[SandboxHandle]:
    """Serve the shop in ``engine`` (written from ``data`` first when given) on loopback ports."""
    if data is not None:
        store_io.create_schema(engine)
        store_io.write_shop(engine, data, replace=True)
    sandbox = open_sandbox(engine, config)
    servers = SandboxServers(sandbox)
    servers.start()
    try:
        yield SandboxHandle(sandbox, servers, engine)
    finally:
        servers.stop()


#: A sandbox whose bucket drains fast enough never to slow a functional test.
FAST = SandboxConfig(drain_per_second=1000.0)


@lru_cache(maxsize=8)
def shop(customers: int = 40, orders: int = 150, seed: int = 7) -> r.ShopData:
    """A cached sample shop (dates relative to the first call's clock)."""
    return sample_shop(customers=customers, orders=orders, seed=seed)


def sqlite(path: Path, name: str) -> Engine:
    return create_engine(f"sqlite:///{path / name}")


@contextmanager
def serve(tmp_path: Path, data: r.ShopData | None = None, **config: Any) -> Iterator[SandboxHandle]:
    """A sandbox on a SQLite store in ``tmp_path`` (the sample shop unless ``data``), fast bucket by default."""
    engine = sqlite(tmp_path, "source.db")
    try:
        with running_sandbox(engine, data or shop(), replace(FAST, **config)) as handle:
            yield handle
    finally:
        engine.dispose()


def normalized(record: Any) -> tuple[Any, ...]:
    return tuple(v.quantize(Decimal("0.01")) if isinstance(v, Decimal) else v for v in astuple(record))


def tables(data: r.ShopData) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as sorted, normalized tuples (money to two places), for equality checks."""
    return {name: sorted(map(normalized, rows), key=repr) for name, rows in data.tables().items()}


def store_tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    return tables(store_io.read_shop(engine))
