"""Connector settings: one frozen value per mall, carrying everything a call needs.

The httpx transport is part of the configuration so that tests (and the
sandbox) can point a client at anything that speaks HTTP, and so that the
same client code runs against the real service and a loopback server.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from cafehub.connectors.errors import ConfigError
from cafehub.connectors.ratelimit import BucketSpec
from cafehub.connectors.retry import DEFAULT_RETRY, RetryPolicy

#: The Admin API version we are written against (sent as ``X-Cafe24-Api-Version``).
DEFAULT_API_VERSION = "2025-12-01"

#: What a sync and the chat commands need.
DEFAULT_SCOPES = (
    "mall.read_order",
    "mall.write_order",
    "mall.read_customer",
    "mall.read_privacy",
    "mall.read_promotion",
    "mall.read_personal",
    "mall.read_product",
    "mall.read_store",  # order and coupon settings (the chat commands obey them)
    "mall.read_shipping",  # regional shipping surcharges
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, what: str) -> None:
    """Refuse a URL that is not https, except plain http to a loopback host (a local sandbox).

    Tokens, client secrets and customers' data travel in these requests; on a
    plain http connection anyone on the path could read them.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.hostname:
        raise ConfigError(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"{what} {url!r} is plain http; use https:// (plain http is only for a sandbox on "
                          "this machine: localhost, 127.0.0.1 or ::1)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Cafe24Config:
    """How to reach one mall's Admin API.

    ``base_url`` defaults to ``https://{mall_id}.cafe24api.com``; a sandbox URL
    (``http://127.0.0.1:PORT``) replaces it. ``zone`` is the mall's time zone,
    used where Cafe24 takes calendar dates (order windows) or returns times
    without an offset (token expiry).
    """

    mall_id: str
    client_id: str
    client_secret: str = field(repr=False)
    base_url: str | None = None
    api_version: str = DEFAULT_API_VERSION
    redirect_uri: str = "https://localhost/cafehub/oauth"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    shop_no: int = 1
    zone: str = "Asia/Seoul"
    transport: httpx.BaseTransport | None = None
    timeout: float = 30.0
    retry: RetryPolicy = DEFAULT_RETRY
    bucket: BucketSpec = BucketSpec()
    #: Refresh an access token this long before it expires.
    refresh_margin_seconds: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = utc_now

    def __post_init__(self) -> None:
        if not self.mall_id or not self.mall_id.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"mall id {self.mall_id!r} is not a Cafe24 mall id (letters and digits)")
        if not self.client_id:
            raise ConfigError("a client id is required")
        check_base_url(self.root_url, "base URL")

    @property
    def root_url(self) -> str:
        """``https://{mall}.cafe24api.com`` or the configured base, without a trailing slash."""
        return (self.base_url or f"https://{self.mall_id}.cafe24api.com").rstrip("/")

    @property
    def admin_url(self) -> str:
        return f"{self.root_url}/api/v2/admin"

    @property
    def oauth_url(self) -> str:
        return f"{self.root_url}/api/v2/oauth"
