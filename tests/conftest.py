"""Shared fixtures: database servers, unique scratch databases, service policy.

Tests that need PostgreSQL or MariaDB connect to the servers on 127.0.0.1 (see
README). Each test session creates its own uniquely named database on each
server and drops it at the end, so concurrent runs never share tables.

Without a server those tests skip with the reason, unless
``CAFEHUB_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which turns a missing
server into a failure: CI never skips them silently.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

# CI machines are shared and loaded: time-based failures would be noise, not findings.
# Example counts stay at each test's own setting; CAFEHUB_LONG=1 multiplies them for long runs.
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "long", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=2_000
)
settings.load_profile("long" if os.environ.get("CAFEHUB_LONG") == "1" else "ci")

# OAuth tokens in test stores are encrypted with a throwaway key, never the operator's key file.
os.environ.setdefault("CAFEHUB_SECRET_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())

PG_ADMIN_URL = os.environ.get("CAFEHUB_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN_URL = os.environ.get("CAFEHUB_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
REQUIRE_SERVICES = os.environ.get("CAFEHUB_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {str(error).splitlines()[0]})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; CAFEHUB_REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
    pytest.skip(message)


def _scratch_name() -> str:
    return f"cafehub_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """URL of a fresh PostgreSQL database, dropped on exit."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = _scratch_name()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        _unavailable("PostgreSQL at 127.0.0.1:5432", error)
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_mysql() -> Iterator[str]:
    """URL of a fresh MariaDB/MySQL database, dropped on exit."""
    admin = create_engine(MYSQL_ADMIN_URL)
    name = _scratch_name()
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except OperationalError as error:
        admin.dispose()
        _unavailable("MariaDB at 127.0.0.1:3306", error)
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False) + "?charset=utf8mb4"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this session (dropped afterwards)."""
    with scratch_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    """URL of a fresh MariaDB/MySQL database for this session (dropped afterwards)."""
    with scratch_mysql() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_shop_url() -> Iterator[str]:
    """A second fresh PostgreSQL database, for the session's read-only test shop.

    Tests that load other data into ``postgres_url`` cannot replace the shop,
    whatever order the tests run in (or on which worker).
    """
    with scratch_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def mysql_shop_url() -> Iterator[str]:
    """A second fresh MariaDB/MySQL database, for the session's read-only test shop."""
    with scratch_mysql() as url:
        yield url


@pytest.fixture
def sqlite_engine(tmp_path: object) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path}/store.db")  # type: ignore[str-bytes-safe]
    yield engine
    engine.dispose()


# ---------------------------------------------------------------- HTTP servers and a real browser
# Shared by every test of an HTTP surface: ``serve_app(app)`` runs an ASGI app under uvicorn on an
# ephemeral port in a thread and returns its base URL; ``browser`` is headless Debian Chromium driven
# by Playwright (never a downloaded browser), with a fresh profile per test session.

CHROMIUM = os.environ.get("CAFEHUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture
def serve_app() -> Iterator[Callable[[Any], str]]:
    """``serve_app(app) -> "http://127.0.0.1:PORT"``; every server started is stopped after the test."""
    import threading

    import uvicorn

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: Any) -> str:
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's, at $CAFEHUB_CHROMIUM or /usr/bin/chromium) under Playwright."""
    import shutil
    import tempfile

    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does it)"
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tempfile.mkdtemp(prefix="cafehub-chromium-")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chromium: Any) -> Iterator[Any]:
    """A fresh page (tab) in the session's Chromium, its cookies cleared; closed after the test."""
    chromium.clear_cookies()
    page = chromium.new_page()
    page.set_default_timeout(15_000)
    yield page
    page.close()


@pytest.fixture
def sms_outbox() -> Iterator[tuple[Any, str]]:
    """The sandbox SMS outbox served on a loopback port: (outbox, base URL)."""
    from cafehub.sandbox.messaging import SmsOutbox
    from cafehub.sandbox.server import _Server

    outbox = SmsOutbox()
    server = _Server(outbox.app(), "127.0.0.1", 0)
    port = server.start()
    yield outbox, f"http://127.0.0.1:{port}"
    server.stop()
