"""Opening a store: database URLs, the embedded default, and clear errors.

Everything that can go wrong between a URL and a usable store (a malformed
URL, a driver that is not installed, a server that does not answer, a refused
login, a database or table that does not exist) surfaces here as one
:class:`StoreError` whose message names the thing that is wrong, so the CLI
can print a single line instead of a driver traceback. Messages never contain
a password: URLs are always rendered with it masked.

Errors are classified from the DBAPI exception (``exc.orig``): PostgreSQL
(psycopg) reports only text, MySQL/MariaDB (PyMySQL) numeric codes, SQLite and
DuckDB short texts. Anything unrecognised still becomes a ``StoreError`` with
the driver's first message line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from cafehub.store.schema import TABLES

#: The embedded default store: a SQLite file in the working directory.
DEFAULT_DB_FILE = "cafehub.db"

#: Seconds to wait for a server before reporting it unreachable.
CONNECT_TIMEOUT = 10

#: Backends whose drivers take a ``connect_timeout`` argument.
_TIMEOUT_BACKENDS = {"postgresql": "connect_timeout", "mysql": "connect_timeout", "mariadb": "connect_timeout"}

#: Engines the project creates and tests the canonical store on (others may work).
SUPPORTED_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb", "duckdb")

_DRIVER_HINTS = {
    "postgresql": "pip install 'cafehub[postgres]' (psycopg)",
    "mysql": "pip install 'cafehub[mysql]' (pymysql)",
    "mariadb": "pip install 'cafehub[mysql]' (pymysql)",
    "duckdb": "pip install 'cafehub[duckdb]' (duckdb, duckdb-engine)",
}

# PyMySQL error codes (https://mariadb.com/kb/en/mariadb-error-codes/).
_MYSQL_UNREACHABLE = {2002, 2003, 2005, 2006, 2013}
_MYSQL_AUTH = {1044, 1045, 1698}
_MYSQL_UNKNOWN_DB = {1049}
_MYSQL_NO_TABLE = {1146}
_MYSQL_NO_COLUMN = {1054}


class StoreError(Exception):
    """A store that cannot be opened or used (bad URL, unreachable server, missing table)."""


def default_url() -> str:
    """The embedded store: ``cafehub.db`` in the working directory."""
    return f"sqlite:///{Path.cwd() / DEFAULT_DB_FILE}"


def display_url(url: str | URL) -> str:
    """``url`` as it may appear in messages and logs: the password masked."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return str(url)
    return parsed.render_as_string(hide_password=True)


def init_hint(url: str | URL | None) -> str:
    """The command that creates the store at ``url``."""
    if url is None or str(url) == default_url():
        return "run `cafehub store init`"
    return f"run `cafehub store init --db {display_url(url)}`"


def parse_url(url: str | None) -> URL:
    """Parse a database URL, or explain what one looks like."""
    text_ = url or default_url()
    try:
        return make_url(text_)
    except ArgumentError:
        raise StoreError(
            f"'{text_}' is not a database URL (e.g. sqlite:///shop.db, duckdb:///shop.duckdb, "
            "postgresql+psycopg://user@host/db, mysql+pymysql://user@host/db)"
        ) from None


def file_path(url: URL) -> Path | None:
    """The database file of a SQLite or DuckDB URL (``None`` for servers and in-memory stores)."""
    if url.get_backend_name() not in ("sqlite", "duckdb"):
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _create_private(path: Path) -> None:
    """Create a new SQLite store file readable by its owner only (0600); its journals inherit the mode.

    The store holds customers' names, phones and e-mails and the OAuth tokens.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create the store {path}: {exc.strerror}") from None


def open_engine(url: str | None = None, *, must_exist: bool = False) -> Engine:
    """An engine for ``url`` (the embedded SQLite file when ``None``).

    No connection is made yet, so a bad server shows up at first use (wrap
    it in :func:`store_errors`). With ``must_exist``, a SQLite or DuckDB file
    that is not there is an error instead of being created empty: only
    ``cafehub store init`` and ``cafehub demo`` should create stores.
    """
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    path = file_path(parsed)
    if path is not None:
        if must_exist and not path.exists():
            raise StoreError(f"there is no store at {path}; {init_hint(parsed)}")
        if not path.parent.exists():
            raise StoreError(f"cannot create the store {path}: the directory {path.parent} does not exist")
        if backend == "sqlite":
            _create_private(path)
    connect_args: dict[str, Any] = {}
    option = _TIMEOUT_BACKENDS.get(backend)
    if option and option not in parsed.query:
        connect_args[option] = CONNECT_TIMEOUT
    try:
        return create_engine(parsed, connect_args=connect_args)
    except NoSuchModuleError:
        raise StoreError(
            f"unknown database kind '{parsed.drivername}' in {display_url(parsed)} "
            f"(supported: {', '.join(SUPPORTED_BACKENDS)})"
        ) from None
    except ModuleNotFoundError as exc:
        hint = _DRIVER_HINTS.get(backend)
        extra = f"; {hint}" if hint else ""
        raise StoreError(
            f"the driver for '{parsed.drivername}' is not installed (no module {exc.name}){extra}"
        ) from None


def _first_line(exc: BaseException) -> str:
    message = str(exc).strip()
    return message.splitlines()[0].strip() if message else type(exc).__name__


def _where(url: URL) -> str:
    backend = url.get_backend_name()
    kind = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "mariadb": "MariaDB"}.get(backend, backend)
    default_port = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}.get(backend)
    port = url.port or default_port
    host = url.host or "localhost"
    return f"the {kind} server at {host}:{port}" if port else f"the {kind} server at {host}"


def explain(exc: BaseException, url: URL) -> StoreError:
    """A :class:`StoreError` saying in one line what ``exc`` means for the store at ``url``."""
    if isinstance(exc, StoreError):
        return exc
    shown = display_url(url)
    orig = getattr(exc, "orig", None) or exc
    message = _first_line(orig)
    backend = url.get_backend_name()
    code = orig.args[0] if getattr(orig, "args", None) and isinstance(orig.args[0], int) else None
    lowered = message.lower()
    if backend in ("mysql", "mariadb") and code is not None:
        detail = str(orig.args[1]) if len(orig.args) > 1 else message
        if code in _MYSQL_UNREACHABLE:
            return StoreError(f"cannot reach {_where(url)}: {detail}")
        if code in _MYSQL_AUTH:
            return StoreError(f"{_where(url)} refused the login: {detail}")
        if code in _MYSQL_UNKNOWN_DB:
            return StoreError(f"{_where(url)} has no database '{url.database}'; create it first")
        if code in _MYSQL_NO_TABLE or code in _MYSQL_NO_COLUMN:
            return StoreError(f"the store at {shown} does not match cafehub's schema ({detail}); {init_hint(url)}")
        return StoreError(f"the store at {shown} failed: {detail}")
    if backend == "postgresql":
        detail = re.sub(r"^connection failed:\s*", "", message)
        if "does not exist" in lowered and "database" in lowered:
            return StoreError(f"{_where(url)} has no database '{url.database}'; create it first")
        if any(s in lowered for s in ("password", "authentication", "role ")):
            return StoreError(f"{_where(url)} refused the login: {detail}")
        if any(s in lowered for s in ("connection refused", "resolve host", "timeout", "timed out", "no route")):
            return StoreError(f"cannot reach {_where(url)}: {detail}")
        if "relation" in lowered and "does not exist" in lowered:
            return StoreError(f"the store at {shown} does not match cafehub's schema ({detail}); {init_hint(url)}")
    if backend in ("sqlite", "duckdb"):
        path = file_path(url)
        if "unable to open" in lowered or "cannot open" in lowered:
            return StoreError(f"cannot open the store file {path or shown}: {message}")
        if "lock" in lowered:
            return StoreError(f"the store file {path or shown} is in use by another process: {message}")
        if "not a database" in lowered or "not a valid duckdb" in lowered:
            return StoreError(f"{path or shown} is not a {backend} database file")
        if "no such table" in lowered or "no such column" in lowered or "does not exist" in lowered:
            return StoreError(f"the store at {shown} does not match cafehub's schema ({message}); {init_hint(url)}")
    return StoreError(f"the store at {shown} failed: {message}")


@contextmanager
def store_errors(url: URL | Engine) -> Iterator[None]:
    """Turn driver and SQLAlchemy errors raised inside the block into :class:`StoreError`."""
    parsed = url.url if isinstance(url, Engine) else url
    try:
        yield
    except SQLAlchemyError as exc:
        raise explain(exc, parsed) from exc


def ping(engine: Engine) -> None:
    """Connect once, so an unreachable server or refused login is reported up front."""
    with store_errors(engine), engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _probe_columns(conn: Connection, table_name: str, names: list[str]) -> list[str]:
    """The columns of ``names`` that ``table_name`` lacks (probing: reflection varies by dialect)."""
    table = next(t for t in TABLES if t.name == table_name)
    try:
        conn.execute(select(*(table.c[n] for n in names)).limit(0)).fetchall()
        return []
    except DBAPIError:
        conn.rollback()
    missing = []
    for name in names:
        try:
            conn.execute(select(table.c[name]).limit(0)).fetchall()
        except DBAPIError:
            conn.rollback()
            missing.append(name)
    return missing


def check_store(engine: Engine) -> None:
    """Verify that the seven tables and all their columns exist, or say what is missing.

    Connection problems are reported as in :func:`ping`. Extra tables and
    extra columns are fine (the runtime adds tables of its own).
    """
    url = engine.url
    shown = display_url(url)
    with store_errors(engine), engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        missing_tables = [t.name for t in TABLES if t.name not in present]
        if missing_tables:
            names = ", ".join(f"'{n}'" for n in missing_tables)
            what = "table" if len(missing_tables) == 1 else "tables"
            raise StoreError(f"the store at {shown} has no {what} {names}; {init_hint(url)}")
        problems: list[str] = []
        for table in TABLES:
            missing = _probe_columns(conn, table.name, [c.name for c in table.columns])
            problems.extend(f"'{table.name}.{name}'" for name in missing)
        if problems:
            what = "column" if len(problems) == 1 else "columns"
            raise StoreError(
                f"the store at {shown} has no {what} {', '.join(problems)}; it was not made by "
                f"`cafehub store init` (map your own tables with a schema mapping instead)"
            )


def open_store(url: str | None = None) -> Engine:
    """An engine for an existing, complete store (the usual way commands open one)."""
    engine = open_engine(url, must_exist=True)
    try:
        check_store(engine)
    except StoreError:
        engine.dispose()
        raise
    return engine
