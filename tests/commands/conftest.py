"""A sandbox served over loopback HTTP for the command tests, and orders made to measure in it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from cafehub.sandbox.state import Order
from cafehub.sandbox.testing import SandboxHandle, add_order, serve


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

    def order(self, statuses: list[str], **details: Any) -> Order:
        """A new order in the sandbox with one item per status (see :func:`cafehub.sandbox.testing.add_order`)."""
        return add_order(self.sb, statuses, **details)


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
