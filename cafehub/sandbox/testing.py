"""Helpers to run a sandbox in-process for tests and benchmarks.

:func:`running_sandbox` writes a shop into a store, opens a sandbox on it,
serves it on loopback ports, and hands back a :class:`SandboxHandle` that
also builds Cafe24 clients configured to match (same bucket shape, already
authorized). Other engineers' tests (chat commands) can use it as well.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
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
from .limits import UNLIMITED
from .sample import sample_shop
from .server import SandboxServers, open_sandbox
from .state import Item, Order, Receiver

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
            # pace well below the sandbox's burst threshold, leaving room to other clients on loopback
            bucket=BucketSpec(capacity=cfg.capacity, drain_per_second=cfg.drain_per_second,
                              max_per_second=cfg.usage.burst_threshold * 0.4),
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


#: A sandbox whose limits never slow a functional test (the request bucket drains at once).
FAST = SandboxConfig(drain_per_second=1000.0, usage=UNLIMITED)


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


class SteadyCaller(threading.Thread):
    """Another app on the same mall and address: a fixed rate of calls (the cart setting), ignoring 429s."""

    def __init__(self, base_url: str, access_token: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.url = f"{base_url}/api/v2/admin/carts/setting"
        self.headers = {"Authorization": f"Bearer {access_token}"}
        self.interval = 1.0 / rate
        self.halt = threading.Event()
        self.sent = self.refused = 0

    def run(self) -> None:
        with httpx.Client(headers=self.headers) as http:
            next_at = time.monotonic()
            while not self.halt.is_set():
                status = http.get(self.url).status_code
                self.sent += 1
                self.refused += status == 429
                next_at += self.interval
                self.halt.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=5)


def normalized(record: Any) -> tuple[Any, ...]:
    return tuple(v.quantize(Decimal("0.01")) if isinstance(v, Decimal) else v for v in astuple(record))


def tables(data: r.ShopData) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as sorted, normalized tuples (money to two places), for equality checks."""
    return {name: sorted(map(normalized, rows), key=repr) for name, rows in data.tables().items()}


def store_tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    return tables(store_io.read_shop(engine))


_order_numbers = itertools.count(1)


def add_order(sandbox: Sandbox, statuses: list[str], *, methods: tuple[str, ...] = ("card",),
              member: str | None = "m0001", paid: bool = True, days_ago: float = 1, zipcode: str = "04524",
              tracking: bool = False, quantities: list[int] | None = None, multi_address: bool = False,
              buyer_cellphone: str = "010-2222-3333", buyer_email: str = "minji@example.com") -> Order:
    """A new order in ``sandbox`` with one item per status (products and variants from the shop), made to
    measure for a test: payment methods, member or guest (``member=None``), age, tracking numbers, the
    buyer's phone and e-mail."""
    number = next(_order_numbers)
    order_id = f"20991231-{9000000 + number:07d}"
    now = datetime.now(UTC).replace(tzinfo=None)
    at = now - timedelta(days=days_ago)
    variants = sorted(sandbox.shop.variants.values(), key=lambda v: v.variant_code)
    items = []
    for index, status in enumerate(statuses, start=1):
        variant = variants[(number * 7 + index) % len(variants)]
        quantity = quantities[index - 1] if quantities and index <= len(quantities) else 1
        item = Item(order_item_code=f"{order_id}-{index:02d}", order_id=order_id, item_no=index,
                    product_no=variant.product_no, variant_code=variant.variant_code, quantity=quantity,
                    price=Decimal(10000 * index), option_price=Decimal(0), status=status,
                    shipping_code=None if status in ("N00",) else f"D-{order_id}-00")
        if tracking or status in ("N30", "N40", "N50"):
            item.tracking_no = f"{number:012d}"
        if status in ("N40", "N50"):
            item.delivered_date = at + timedelta(hours=30)
        items.append(item)
    amount = sum((i.amount for i in items), start=Decimal(0))
    order = Order(order_id=order_id, member_id=member, ordered_at=at, payment_methods=list(methods),
                  payment_amount=amount, order_price_amount=amount, shipping_fee=Decimal(0),
                  initial_payment_amount=amount, initial_order_price_amount=amount,
                  initial_shipping_fee=Decimal(0), pay_date=at + timedelta(minutes=5) if paid else None,
                  buyer_name="Kim Minji", buyer_email=buyer_email, buyer_cellphone=buyer_cellphone)
    order.items = items
    order.receivers = [Receiver(f"D-{order_id}-00", order_id, "Kim Minji", None, buyer_cellphone, zipcode,
                                "Sejong-daero 110", "101-1")]
    if multi_address:
        order.receivers.append(Receiver(f"D-{order_id}-01", order_id, "Lee Jun", None, "010-4444-5555",
                                        "48058", "Haeundae-ro 264", "2"))
    sandbox.shop.add_order(order)
    sandbox.shop.persist_order(order)
    return order
