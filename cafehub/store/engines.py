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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect, literal, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from cafehub.store import duckdb_memory
from cafehub.store.schema import TABLES

#: The embedded default store: a SQLite file in the working directory.
DEFAULT_DB_FILE = "cafehub.db"

#: Seconds to wait for a server before reporting it unreachable.
CONNECT_TIMEOUT = 10

#: Backends whose drivers take a ``connect_timeout`` argument.
_TIMEOUT_BACKENDS = {"postgresql": "connect_timeout", "mysql": "connect_timeout", "mariadb": "connect_timeout"}

#: Session settings of every PostgreSQL connection a store opens (docs/SQL.md, "PostgreSQL session settings").
#: Segment queries are mostly time windows whose selectivity only the bound values tell: psycopg prepares a
#: statement on its fifth run, and after five custom plans PostgreSQL may switch to a generic one, estimated
#: blind and 1.5x-2x slower (demo shop, 100k customers: cart total 230 ms to 450 ms; bought A, never B 550 ms
#: to 850 ms, a nested loop), so the same query took either time depending on which pooled connection ran it.
#: JIT starts by estimated cost (over 100,000: shops of a million customers) and compiled for 190-220 ms per
#: run of a query it did not make faster.
POSTGRES_SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan -c jit=off"


def session_connect_args(url: URL) -> dict[str, Any]:
    """Driver arguments every store engine gets: a connect timeout, and PostgreSQL's session settings.

    A URL that sets ``options`` (PostgreSQL) keeps its own.
    """
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    option = _TIMEOUT_BACKENDS.get(backend)
    if option and option not in url.query:
        connect_args[option] = CONNECT_TIMEOUT
    if backend == "postgresql" and "options" not in url.query:
        connect_args["options"] = POSTGRES_SESSION_OPTIONS
    return connect_args

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
_MYSQL_AUTH = {1045, 1698}
_MYSQL_DENIED = {1044, 1142, 1143}
_MYSQL_UNKNOWN_DB = {1049}
_MYSQL_NO_TABLE = {1146}
_MYSQL_NO_COLUMN = {1054}

# PostgreSQL SQLSTATEs: undefined table, undefined column, invalid schema name; insufficient privilege.
_PG_MISSING = {"42P01", "42703", "3F000"}
_PG_DENIED = "42501"

#: Seconds pysqlite waits for a locked SQLite file before giving up (its ``timeout`` default).
SQLITE_BUSY_TIMEOUT = 5.0


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
    try:
        engine = create_engine(parsed, connect_args=session_connect_args(parsed))
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
    if backend == "duckdb":
        event.listen(engine, "connect", _duckdb_session)
    return engine


def _duckdb_session(dbapi_connection: Any, _record: Any) -> None:
    """DuckDB draws a progress bar on standard output for any query running over two seconds, whether
    or not it is a terminal: inside ``segment run`` or ``audience`` output (CSV, ids) it would corrupt the
    data. It is a per-connection setting (not allowed in ``connect_args``' global config)."""
    dbapi_connection.execute("SET enable_progress_bar = false")


def _first_line(exc: BaseException) -> str:
    message = str(exc).strip()
    return message.splitlines()[0].strip() if message else type(exc).__name__


#: A lock named as a word ("database is locked", "Could not set lock on file"): DuckDB's out-of-memory
#: message speaks of a "block", which a plain substring test took for a lock held by another process.
_LOCKED = re.compile(r"\block")


def _where(url: URL) -> str:
    backend = url.get_backend_name()
    kind = {"postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB", "mariadb": "MariaDB"}.get(backend, backend)
    default_port = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}.get(backend)
    port = url.port or default_port
    host = url.host or "localhost"
    return f"the {kind} server at {host}:{port}" if port else f"the {kind} server at {host}"


def _mysql_code(orig: BaseException) -> int | None:
    args = getattr(orig, "args", None)
    return args[0] if args and isinstance(args[0], int) else None


def missing_object(exc: BaseException, url: URL) -> bool:
    """Whether a failed query means a table, column or schema is not there.

    Probes (``SELECT ... LIMIT 0``) fail for other reasons too: a role without
    grants, a file that is no database, a store locked by a running load. Those
    must be reported as what they are (:func:`explain`), not as a missing table.
    Unknown engines count every failure as missing, as before.
    """
    orig = getattr(exc, "orig", None) or exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        return getattr(orig, "sqlstate", None) in _PG_MISSING
    if backend in ("mysql", "mariadb"):
        return _mysql_code(orig) in _MYSQL_NO_TABLE | _MYSQL_NO_COLUMN | _MYSQL_UNKNOWN_DB
    if backend == "sqlite":
        lowered = _first_line(orig).lower()
        return any(s in lowered for s in ("no such table", "no such column", "unknown database"))
    if backend == "duckdb":
        return type(orig).__name__ in ("CatalogException", "BinderException") and _too_deep(orig) is None
    return True


_DUCKDB_DEPTH = re.compile(r"max(?:imum)? expression depth(?: limit)? of (\d+)", re.IGNORECASE)


def _too_deep(orig: BaseException) -> str | None:
    """DuckDB's expression-depth limit, when ``orig`` is DuckDB refusing a query as too deep.

    DuckDB raises it as a ``BinderException`` (each subquery is bound a level deeper than the
    one around it) or a ``ParserException``; the binder kind used to read as a missing column.
    """
    found = _DUCKDB_DEPTH.search(_first_line(orig))
    return found.group(1) if found else None


def _sqlite_timeout(url: URL) -> float:
    try:
        return float(url.query.get("timeout", SQLITE_BUSY_TIMEOUT))  # type: ignore[arg-type]
    except ValueError:
        return SQLITE_BUSY_TIMEOUT


def _denied(url: URL, shown: str, detail: str) -> StoreError:
    user = f"the database user '{url.username}'" if url.username else "the database user"
    return StoreError(
        f"the database at {shown} refused access: {detail}; {user} needs SELECT on the store's tables to read "
        f"(and INSERT, UPDATE, DELETE to load or sync)"
    )


def missing_columns_fix(url: URL) -> str:
    """What mends a store whose tables lack columns cafehub reads (``store init`` does not: it keeps
    the tables that are there as they are)."""
    new = "sqlite:///new.db" if url.get_backend_name() == "sqlite" else "NEW_URL"
    return (
        "`cafehub store init` keeps existing tables as they are, so it cannot add a column: add it to the table, "
        f"or load the data into a new store (`cafehub store init --db {new}`, then `cafehub store load DIR --db "
        f"{new}`); for tables of your own, run segments through a schema mapping (--mapping)"
    )


def _mismatch(url: URL, detail: str, *, column: bool) -> StoreError:
    """A query that needs a table or column the store lacks: what would mend it (init only creates tables)."""
    shown = display_url(url)
    if column:
        return StoreError(f"the store at {shown} lacks a column cafehub reads ({detail}); {missing_columns_fix(url)}")
    return StoreError(
        f"the store at {shown} lacks a table cafehub reads ({detail}); {init_hint(url)} to create the missing "
        f"tables (it keeps the others)"
    )


def explain(exc: BaseException, url: URL, *, waited: float | None = None) -> StoreError:
    """A :class:`StoreError` saying in one line what ``exc`` means for the store at ``url``.

    ``waited``: seconds the failing statement ran, when the caller measured it (a locked
    SQLite file is reported with it; otherwise with the busy timeout the driver waits).
    """
    if isinstance(exc, StoreError):
        return exc
    shown = display_url(url)
    orig = getattr(exc, "orig", None) or exc
    message = _first_line(orig)
    backend = url.get_backend_name()
    code = _mysql_code(orig)
    lowered = message.lower()
    if backend in ("mysql", "mariadb") and code is not None:
        detail = str(orig.args[1]) if len(orig.args) > 1 else message
        if code in _MYSQL_UNREACHABLE:
            return StoreError(f"cannot reach {_where(url)}: {detail}")
        if code in _MYSQL_AUTH:
            return StoreError(f"{_where(url)} refused the login: {detail}")
        if code in _MYSQL_DENIED:
            return _denied(url, shown, detail)
        if code in _MYSQL_UNKNOWN_DB:
            return StoreError(f"{_where(url)} has no database '{url.database}'; create it first")
        if code in _MYSQL_NO_TABLE or code in _MYSQL_NO_COLUMN:
            return _mismatch(url, detail, column=code in _MYSQL_NO_COLUMN)
        return StoreError(f"the store at {shown} failed: {detail}")
    if backend == "postgresql":
        detail = re.sub(r"^connection failed:\s*", "", message)
        if getattr(orig, "sqlstate", None) == _PG_DENIED:
            return _denied(url, shown, detail)
        if "does not exist" in lowered and "database" in lowered:
            return StoreError(f"{_where(url)} has no database '{url.database}'; create it first")
        if any(s in lowered for s in ("password", "authentication", "role ")):
            return StoreError(f"{_where(url)} refused the login: {detail}")
        if any(s in lowered for s in ("connection refused", "resolve host", "timeout", "timed out", "no route")):
            return StoreError(f"cannot reach {_where(url)}: {detail}")
        if getattr(orig, "sqlstate", None) in _PG_MISSING:
            return _mismatch(url, detail, column=orig.sqlstate == "42703")  # type: ignore[union-attr]
    if backend in ("sqlite", "duckdb"):
        path = file_path(url)
        if "unable to open" in lowered or "cannot open" in lowered:
            return StoreError(f"cannot open the store file {path or shown}: {message}")
        if backend == "duckdb" and duckdb_memory.out_of_memory(exc):
            return StoreError(
                f"DuckDB ran out of memory on the store at {shown}: {message} (the store is fine; raise its "
                "memory_limit, or CAFEHUB_AUDIENCE_MEMORY_MB for an audience, or use fewer threads)"
            )
        locked = _LOCKED.search(lowered) is not None
        if locked and backend == "sqlite":
            seconds = _sqlite_timeout(url) if waited is None else waited
            return StoreError(
                f"the store file {path or shown} is locked by another process (a running `cafehub store load` or "
                f"sync?): still locked after waiting {seconds:.1f} s; try again when it has finished"
            )
        if locked:
            return StoreError(f"the store file {path or shown} is in use by another process: {message}")
        if "not a database" in lowered or "not a valid duckdb" in lowered:
            return StoreError(f"{path or shown} is not a {backend} database file")
        limit = _too_deep(orig) if backend == "duckdb" else None
        if limit is not None:
            return StoreError(
                f"the segment's SQL is too deep for DuckDB: it exceeds DuckDB's maximum expression depth of "
                f"{limit} (the store at {shown} is fine); ask fewer tests in one segment"
            )
        if "no such table" in lowered or "no such column" in lowered or missing_object(exc, url):
            column = "no such column" in lowered or type(orig).__name__ == "BinderException"
            return _mismatch(url, message, column=column)
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
    """The columns of ``names`` that ``table_name`` lacks (probing: reflection varies by dialect).

    A probe that fails for another reason (no permission, a locked file) raises that reason.
    """
    table = next(t for t in TABLES if t.name == table_name)
    url = conn.engine.url

    def fails(*columns: str) -> bool:
        started = time.monotonic()
        try:
            conn.execute(select(*(table.c[n] for n in columns)).limit(0)).fetchall()
            return False
        except DBAPIError as exc:
            waited = time.monotonic() - started
            conn.rollback()
            if not missing_object(exc, url):
                raise explain(exc, url, waited=waited) from exc
            return True

    if not fails(*names):
        return []
    return [name for name in names if fails(name)]


def _probe_table(conn: Connection, table: Table) -> bool:
    """Whether ``table`` is missing; a probe failing for another reason raises that reason."""
    started = time.monotonic()
    try:
        conn.execute(select(literal(1)).select_from(table).limit(0)).fetchall()
        return False
    except DBAPIError as exc:
        waited = time.monotonic() - started
        conn.rollback()
        if not missing_object(exc, conn.engine.url):
            raise explain(exc, conn.engine.url, waited=waited) from exc
        return True


def check_store(engine: Engine) -> None:
    """Verify that the seven tables and all their columns exist, or say what is missing.

    Connection problems are reported as in :func:`ping`. Extra tables and
    extra columns are fine (the runtime adds tables of its own).
    """
    url = engine.url
    shown = display_url(url)
    with store_errors(engine), engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        # A table a user may not read is not listed on MySQL/MariaDB: probing it says why.
        missing_tables = [t.name for t in TABLES if t.name not in present and _probe_table(conn, t)]
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
                f"the store at {shown} has no {what} {', '.join(problems)}; {missing_columns_fix(url)}"
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
