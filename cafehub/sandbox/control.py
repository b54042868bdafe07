"""The sandbox's moving parts: settings, rate limits (:mod:`.limits`), OAuth grants, faults, request log.

A :class:`Sandbox` is one simulated mall. The HTTP apps (:mod:`.cafe24_app`,
:mod:`.sellmate_app`) only translate requests into calls on it, so tests can
also drive it directly: fill the bucket, expire tokens, queue faults (a 429
storm, 500s, a slow or HTML answer, a response with a field removed).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .limits import Limits, UsageQuota
from .mall_settings import MallSettingsState
from .oauth import OAuthState
from .state import SandboxShop


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxConfig:
    """One simulated mall's settings."""

    mall_id: str = "demo"
    client_id: str = "sandbox-client"
    client_secret: str = field(default="sandbox-secret", repr=False)
    sellmate_key: str = field(default="sandbox-sellmate-key", repr=False)
    zone: str = "Asia/Seoul"
    rate_limit: bool = True
    #: The request-count bucket: calls of capacity, and calls drained per second.
    capacity: int = 40
    drain_per_second: float = 2.0
    #: The usage limit's quotas and the burst rule (:mod:`.limits`).
    usage: UsageQuota = UsageQuota()
    access_ttl: timedelta = timedelta(hours=2)
    refresh_ttl: timedelta = timedelta(days=14)
    #: The mall's cart storage period in days (``None``: no period set).
    cart_retention_days: int | None = 7
    clock: Callable[[], datetime] = utc_now


class SandboxError(Exception):
    """An error answer: HTTP status and Cafe24's ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, message: str, code: str | int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code if code is not None else status
        self.message = message


@dataclass(slots=True)
class Fault:
    """What to do to the next ``times`` requests matching ``method`` and ``path`` (a regex)."""

    path: str
    times: int = 1
    method: str | None = None
    status: int | None = None
    body: str | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    after: bool = False
    mutate: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    retry_after: float | None = None


class Faults:
    """A queue of faults; each request takes the first that matches."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self.lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.times > 0 and (fault.method in (None, method)) and re.search(fault.path, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def fail(self, path: str, status: int, times: int = 1, *, method: str | None = None, html: bool = False,
             retry_after: float | None = None) -> Fault:
        if html:
            body, kind = f"<html><body><h1>{status} Error</h1>nginx</body></html>", "text/html"
        else:
            body, kind = f'{{"error": {{"code": {status}, "message": "sandbox fault"}}}}', "application/json"
        return self.add(Fault(path, times, method, status, body, kind, retry_after=retry_after))

    def delay(self, path: str, seconds: float, times: int = 1, *, method: str | None = None,
              after: bool = False) -> Fault:
        return self.add(Fault(path, times, method, delay=seconds, after=after))

    def mutate(self, path: str, fn: Callable[[dict[str, Any]], dict[str, Any]], times: int = 1, *,
               method: str = "GET") -> Fault:
        """Edit the JSON answer of the next ``times`` matching requests (a write is still applied)."""
        return self.add(Fault(path, times, method, mutate=fn))


@dataclass(frozen=True, slots=True)
class Logged:
    method: str
    path: str
    status: int
    at: float


class Sandbox:
    """One simulated mall: shop data, rate limit, OAuth, faults and a log of requests."""

    def __init__(self, shop: SandboxShop, config: SandboxConfig = SandboxConfig()) -> None:
        self.shop = shop
        self.config = config
        self.zone = ZoneInfo(config.zone)
        self.limits = Limits(config.capacity, config.drain_per_second, config.usage)
        self.bucket = self.limits.bucket
        self.oauth = OAuthState(client_id=config.client_id, mall_id=config.mall_id, zone=config.zone,
                                access_ttl=config.access_ttl, refresh_ttl=config.refresh_ttl, clock=config.clock,
                                engine=shop.engine)
        self.faults = Faults()
        self.log: list[Logged] = []
        self.api_versions: set[str] = set()
        self.log_lock = threading.Lock()
        #: The mall's order, coupon and regional-surcharge settings (tests change them in place).
        self.mall = MallSettingsState()

    def record(self, method: str, path: str, status: int, at: float | None = None) -> None:
        """Log one answered request; ``at`` is when it arrived (default: now)."""
        with self.log_lock:
            self.log.append(Logged(method, path, status, time.monotonic() if at is None else at))

    def count(self, status: int | None = None, path: str = "") -> int:
        with self.log_lock:
            return sum(1 for x in self.log if (status is None or x.status == status) and path in x.path)

    def authorize(self) -> str:
        """An authorization code, as if the shop owner had approved the app."""
        return self.oauth.issue_code()
