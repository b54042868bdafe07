"""Opening a store: database URLs, the embedded default, and clear connection errors."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

#: The embedded default store: a SQLite file in the working directory.
DEFAULT_DB_FILE = "cafehub.db"


class StoreError(Exception):
    """A store that cannot be opened or used (bad URL, unreachable server, missing table)."""


def default_url() -> str:
    return f"sqlite:///{Path.cwd() / DEFAULT_DB_FILE}"


def open_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (the embedded SQLite file when ``None``)."""
    text = url or default_url()
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise StoreError(f"'{text}' is not a database URL (e.g. sqlite:///shop.db, postgresql+psycopg://...)") from None
    try:
        return create_engine(parsed)
    except NoSuchModuleError:
        raise StoreError(f"no database driver for '{parsed.drivername}'") from None
    except ModuleNotFoundError as exc:
        raise StoreError(f"the driver for '{parsed.drivername}' is not installed ({exc.name})") from None
