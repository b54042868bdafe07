"""The service's configuration: which shops exist, where each one's store is, and their settings.

One TOML file (``cafehub.toml`` in the working directory unless ``--config``
or ``CAFEHUB_CONFIG`` names another)::

    # where API tokens live (any SQLAlchemy URL; default: cafehub-service.db beside this file)
    database = "sqlite:///cafehub-service.db"

    [shops.gangnam-shoes]
    store = "postgresql+psycopg://cafehub@db/gangnam"   # the shop's canonical store
    zone = "Asia/Seoul"                                  # the shop's time zone
    cart_retention_days = 7
    history_start = "2024-01-01"

    [shops.osaka-tea]
    store = "env:OSAKA_TEA_STORE_URL"                    # read from the environment (keeps passwords out)
    zone = "Asia/Tokyo"

A shop id (the table key) is what every URL of the service names
(``/v1/shops/{shop}/...``), what API tokens belong to, and what the rows
of the shop's saved segments carry. Relative SQLite and DuckDB paths are
relative to the configuration file, not to the working directory, so the
service reads the same stores wherever it is started.

Unknown keys are refused (a typo must not silently become a default).
Other areas add their per-shop settings as a typed field of
:class:`ShopConfig` (for example ``chat``), never as free-form dicts.
Errors name the key and the kind of problem, never the value: a value may
be a database URL with a password in it.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

#: Shop ids: lower-case letters, digits, '-' and '_' (Cafe24 mall ids fit), up to 50 characters.
SHOP_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,49}$"
SHOP_ID = re.compile(SHOP_ID_PATTERN)

CONFIG_FILE = "cafehub.toml"
CONFIG_ENV = "CAFEHUB_CONFIG"
SERVICE_DB_FILE = "cafehub-service.db"
#: The shop served when there is no configuration file: the embedded store of the working directory.
DEFAULT_SHOP = "default"

ShopId = Annotated[str, Field(pattern=SHOP_ID_PATTERN, description="A shop id: a-z, 0-9, '-', '_'; at most 50.")]


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the key and the problem."""


class ChannelTalkSettings(BaseModel):
    """A shop's Channel Talk channel (values may be ``env:NAME``, read when used)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    access_key: str = Field(min_length=1, description="The channel's API access key (env:NAME).")
    access_secret: str = Field(min_length=1, description="The channel's API access secret (env:NAME).")
    webhook_token: str = Field(min_length=1, description="The token of the webhook URL (?token=; env:NAME).")
    signing_key: str | None = Field(default=None, description="Hex key of the X-Signature HMAC (env:NAME).")
    base_url: str = "https://api.channel.io"
    bot_name: str = Field(default="Cafe24 Hub", max_length=50)
    handoff_manager_id: str | None = Field(default=None, description="Manager who gets handed-over chats.")


class ChatConfig(BaseModel):
    """A shop's chat: the publishable key of its pages, its mall, its warehouse, how codes are sent.

    Secret values may be ``env:NAME`` (read from the environment when used, never stored in the config).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^pk_[A-Za-z0-9_-]{16,64}$",
                     description="Publishable chat key: public, names the shop to the chat API from its pages.")
    origins: tuple[str, ...] = Field(default=(), description="Page origins allowed to use the key (empty: any).")
    mall_id: str = Field(min_length=1, max_length=50)
    cafe24_url: str | None = Field(default=None, description="Cafe24 API base (a sandbox); none: the mall's own.")
    cafe24_capacity: int = Field(default=40, ge=1, description="Cafe24's call bucket (40 calls)...")
    cafe24_drain_per_second: float = Field(default=2.0, gt=0, description="...draining 2 a second...")
    cafe24_max_per_second: float = Field(default=4.0, gt=0, description="...at most 4 calls started a second.")
    client_id: str = ""
    client_secret: str = "env:CAFEHUB_CAFE24_CLIENT_SECRET"
    sellmate_url: str | None = None
    sellmate_key: str = "env:CAFEHUB_SELLMATE_API_KEY"
    settings: str | None = Field(default=None, description="Shop settings file (TOML) of the command runtime.")
    sms_url: str | None = Field(default=None, description="SMS provider base URL; none: codes on the console.")
    sms_key: str = "env:CAFEHUB_SMS_KEY"
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "noreply@localhost"
    codes: str = Field(default="memory", description="Where one-time codes live: 'memory' or a redis:// URL.")
    token_hours: int = Field(default=24, ge=1, le=720, description="Lifetime of a conversation token.")
    channeltalk: ChannelTalkSettings | None = None


class ShopConfig(BaseModel):
    """One shop: its store and the settings segments are evaluated with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ShopId
    store: str = Field(min_length=1, description="SQLAlchemy URL of the shop's canonical store.")
    zone: str = Field(default="Asia/Seoul", description="The shop's IANA time zone.")
    cart_retention_days: int = Field(default=7, ge=1, le=365)
    history_start: date = Field(default=date(2024, 1, 1), description="First day of order history.")
    chat: ChatConfig | None = Field(default=None, description="The shop's chat (chat API, Channel Talk, page).")

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError("not a known IANA time zone") from None
        return value

    @property
    def time_zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


class ServiceConfig(BaseModel):
    """The whole service: the token database and the shops, by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: str = Field(min_length=1, description="SQLAlchemy URL of the service's own database (API tokens).")
    shops: dict[str, ShopConfig]

    def shop(self, shop_id: str) -> ShopConfig | None:
        return self.shops.get(shop_id)


def _problem(error: dict[str, Any]) -> str:
    """One pydantic error as 'key.path: kind of problem' (pydantic's message, never the input)."""
    where = ".".join(str(part) for part in error["loc"]) or "(file)"
    kind = error["type"]
    if kind == "missing":
        return f"{where}: missing"
    if kind == "extra_forbidden":
        return f"{where}: unknown key"
    message = str(error.get("msg", kind))
    message = message.removeprefix("Value error, ")
    return f"{where}: {message}"


def secret_value(value: str, key: str) -> str:
    """A configured secret: ``env:NAME`` reads the environment variable NAME (errors name the key only)."""
    return _resolve_env(value, key)


def _resolve_env(value: str, key: str) -> str:
    """``env:NAME`` reads the value from the environment variable NAME."""
    if not value.startswith("env:"):
        return value
    name = value.removeprefix("env:")
    found = os.environ.get(name)
    if not found:
        raise ConfigError(f"{key}: the environment variable {name} is not set")
    return found


def _relative_to(url: str, base: Path) -> str:
    """A SQLite or DuckDB URL with a relative file path made relative to ``base``."""
    match = re.match(r"^(sqlite|duckdb)(\+\w+)?:///(?!/)(.+)$", url)
    if not match or match.group(3).startswith((":memory:", "file:")):
        return url
    path, sep, query = match.group(3).partition("?")
    scheme = f"{match.group(1)}{match.group(2) or ''}"
    return f"{scheme}:///{(base / path).resolve()}{sep}{query}"


def parse_config(data: dict[str, Any], base: Path) -> ServiceConfig:
    """Validate configuration data read from a file in ``base``."""
    raw_shops = data.get("shops", {})
    if not isinstance(raw_shops, dict) or not raw_shops:
        raise ConfigError("shops: at least one [shops.ID] table is needed")
    shops: dict[str, Any] = {}
    for shop_id, settings in raw_shops.items():
        if not SHOP_ID.match(shop_id):
            raise ConfigError("shops: a shop id must be 1-50 of a-z, 0-9, '-', '_', starting with a letter or digit")
        if not isinstance(settings, dict):
            raise ConfigError(f"shops.{shop_id}: must be a table")
        shop = {"id": shop_id, **settings}
        if isinstance(shop.get("store"), str):
            shop["store"] = _relative_to(_resolve_env(shop["store"], f"shops.{shop_id}.store"), base)
        chat = shop.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("settings"), str):
            shop["chat"] = {**chat, "settings": str(base / chat["settings"])}
        shops[shop_id] = shop
    database = data.get("database", f"sqlite:///{base / SERVICE_DB_FILE}")
    if isinstance(database, str):
        database = _relative_to(_resolve_env(database, "database"), base)
    try:
        return ServiceConfig.model_validate({**data, "database": database, "shops": shops})
    except ValidationError as error:
        problems = "; ".join(_problem(e) for e in error.errors(include_input=False))  # type: ignore[arg-type]
        raise ConfigError(problems) from None


def default_config(directory: Path) -> ServiceConfig:
    """No configuration file: one shop, ``default``, on the embedded store of ``directory``."""
    return parse_config({"shops": {DEFAULT_SHOP: {"store": f"sqlite:///{directory / 'cafehub.db'}"}}}, directory)


def config_path(explicit: str | Path | None = None) -> Path | None:
    """The configuration file to read: ``explicit``, else ``$CAFEHUB_CONFIG``, else ./cafehub.toml if present."""
    if explicit is not None:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    found = Path.cwd() / CONFIG_FILE
    return found if found.exists() else None


def load_config(path: str | Path | None = None) -> ServiceConfig:
    """Read and validate the configuration (see the module docstring for the format)."""
    chosen = config_path(path)
    if chosen is None:
        return default_config(Path.cwd())
    try:
        with chosen.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"there is no configuration file {chosen}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {chosen}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen} is not valid TOML ({exc})") from None
    try:
        return parse_config(data, chosen.resolve().parent)
    except ConfigError as exc:
        raise ConfigError(f"{chosen}: {exc}") from None
