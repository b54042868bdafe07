"""A sandbox served over loopback HTTP for the command tests, and orders made to measure in it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from cafehub.connectors.sellmate import SellmateClient
from cafehub.runtime.answers import Identity
from cafehub.runtime.engine import CommandEngine
from cafehub.runtime.reads import ShopConnectors
from cafehub.runtime.result import StepResult
from cafehub.runtime.settings import HubSettings, ShopSettings
from cafehub.sandbox.state import Item, Order, Receiver
from cafehub.sandbox.testing import SandboxHandle, serve

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with serve(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


@dataclass
class Shop:
    """The sandbox plus helpers to add orders and run engines against it."""

    handle: SandboxHandle
    tmp: Path
    engines: list[CommandEngine]

    @property
    def sb(self) -> Any:
        return self.handle.sandbox

    def engine(self, store: Engine | None = None, *, client: dict[str, Any] | None = None, **hub: Any
               ) -> CommandEngine:
        settings = ShopSettings(hub=HubSettings(**({"wms": "sellmate"} | hub)))
        connectors = ShopConnectors(self.handle.client(**(client or {})),
                                    SellmateClient(self.handle.sellmate_config()))
        db = store or create_engine(f"sqlite:///{self.tmp / f'store{len(self.engines)}.db'}")
        engine = CommandEngine(connectors, db, settings, mall_id=self.handle.sandbox.config.mall_id)
        self.engines.append(engine)
        return engine

    def order(self, statuses: list[str], *, methods: tuple[str, ...] = ("card",), member: str | None = "m0001",
              paid: bool = True, days_ago: float = 1, zipcode: str = "04524", tracking: bool = False,
              quantities: list[int] | None = None, multi_address: bool = False) -> Order:
        """A new order in the sandbox with one item per status (products and variants from the shop)."""
        number = next(_numbers)
        order_id = f"20991231-{9000000 + number:07d}"
        now = datetime.now(UTC).replace(tzinfo=None)
        at = now - timedelta(days=days_ago)
        variants = sorted(self.sb.shop.variants.values(), key=lambda v: v.variant_code)
        items = []
        for index, status in enumerate(statuses, start=1):
            variant = variants[(number * 7 + index) % len(variants)]
            quantity = (quantities or [])[index - 1] if quantities and index <= len(quantities) else 1
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
                      buyer_name="Kim Minji", buyer_email="minji@example.com", buyer_cellphone="010-2222-3333")
        order.items = items
        order.receivers = [Receiver(f"D-{order_id}-00", order_id, "Kim Minji", None, "010-2222-3333", zipcode,
                                    "Sejong-daero 110", "101-1")]
        if multi_address:
            order.receivers.append(Receiver(f"D-{order_id}-01", order_id, "Lee Jun", None, "010-4444-5555",
                                            "48058", "Haeundae-ro 264", "2"))
        self.sb.shop.add_order(order)
        self.sb.shop.persist_order(order)
        return order


@pytest.fixture
def shop(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[Shop]:
    made = Shop(sandbox, tmp_path, [])
    saved = (dict(made.sb.mall.orders), dict(made.sb.mall.coupons), dict(made.sb.mall.regional))
    yield made
    made.sb.mall.orders, made.sb.mall.coupons, made.sb.mall.regional = saved
    made.sb.faults = type(made.sb.faults)()
    for engine in made.engines:
        engine.close()
        engine.ledger.engine.dispose()


Runner = Callable[..., StepResult]


def walk(engine: CommandEngine, identity: Identity, command: str, answers: dict[str, Any], language: str = "en"
         ) -> StepResult:
    return engine.step(identity, command, answers, language=language)  # type: ignore[arg-type]
