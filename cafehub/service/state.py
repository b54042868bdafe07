"""What the running service holds: its configuration, the token store and one engine per shop's store.

Built once by :func:`cafehub.service.app.create_app` and kept on
``app.state.cafehub``; routes reach it through an authenticated
:class:`~cafehub.service.auth.Caller` (``caller.store()`` opens only the
caller's own shop's store).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request
from sqlalchemy import Engine

from cafehub.compiler.evaluation import EvalContext
from cafehub.service.config import ServiceConfig, ShopConfig
from cafehub.service.tokens import TokenStore
from cafehub.store.engines import open_engine

if TYPE_CHECKING:
    from cafehub.registry import SegmentRegistry
    from cafehub.registry.membership import LiveMembership

_T = TypeVar("_T")


@dataclass
class ServiceState:
    """The service's long-lived resources."""

    config: ServiceConfig
    tokens: TokenStore
    _engines: dict[str, Engine] = field(default_factory=dict)
    #: The chat runtime (:mod:`cafehub.service.chat.runtime`), made on first use.
    chat: Any = None
    #: Called by :meth:`close` first (areas that hold threads or clients register here).
    closers: list[Callable[[], None]] = field(default_factory=list)
    _registries: dict[str, SegmentRegistry] = field(default_factory=dict)
    _memberships: dict[str, LiveMembership] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def store(self, shop: ShopConfig) -> Engine:
        """The engine of ``shop``'s store (opened on first use; the store must exist).

        Routes call :meth:`cafehub.service.auth.Caller.store` instead, which names the caller's shop.
        """
        return self._once(self._engines, shop, lambda: open_engine(shop.store, must_exist=True))

    def registry(self, shop: ShopConfig) -> SegmentRegistry:
        """``shop``'s saved segments in its store (the registry tables are created on first use)."""
        from cafehub.registry import SegmentRegistry

        return self._once(self._registries, shop, lambda: SegmentRegistry(self.store(shop), shop.id))

    def membership(self, shop: ShopConfig) -> LiveMembership:
        """``shop``'s live membership, kept for the life of the app so compiled segments are reused."""
        from cafehub.registry.membership import LiveMembership

        return self._once(self._memberships, shop, lambda: LiveMembership(self.registry(shop)))

    def _once(self, cache: dict[str, _T], shop: ShopConfig, make: Callable[[], _T]) -> _T:
        """``cache``'s value for ``shop``, made by ``make`` once however many requests ask at the same time.

        The lock is re-entrant because making one value asks for another (a registry needs the store).
        """
        value = cache.get(shop.id)
        if value is None:
            with self._lock:
                value = cache.get(shop.id)
                if value is None:
                    value = cache[shop.id] = make()
        return value

    def close(self) -> None:
        for closer in self.closers:
            closer()
        self.closers.clear()
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
            self._registries.clear()
            self._memberships.clear()
        self.tokens.close()


def shop_context(shop: ShopConfig, now: datetime) -> EvalContext:
    """The evaluation context of ``shop`` at ``now`` (a naive ``now`` is wall-clock time in the shop's zone)."""
    zone = shop.time_zone
    instant = now if now.tzinfo is not None and now.utcoffset() is not None else now.replace(tzinfo=zone)
    return EvalContext(now=instant, zone=zone, cart_retention_days=shop.cart_retention_days,
                       history_start=shop.history_start)


def service_state(request: Request) -> ServiceState:
    """The service state of the app serving ``request``."""
    state: ServiceState = request.app.state.cafehub
    return state
