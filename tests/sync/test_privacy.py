"""No personal data or secret in any output: a shop full of it, synced through every fault path.

Customers get unmistakable names, phones and e-mails; the sync runs through
429 storms, 5xx, timeouts, HTML pages, an expiring token, a phone number in a
field of the wrong type, an API error that echoes a phone number, and a store
that refuses the rows, in process (every log record at DEBUG, every message)
and through the CLI (stdout and stderr). Then all of that text is searched
for every name, phone, e-mail, member id, token and the client secret.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from cafehub.connectors.tokens import MemoryTokenStore
from cafehub.sandbox.control import Fault
from cafehub.sandbox.testing import SandboxHandle, serve, shop
from cafehub.store import io as store_io
from cafehub.store import records as r
from cafehub.sync.engine import Syncer, SyncOptions, SyncStopped


def private_shop() -> r.ShopData:
    data = shop()
    customers = tuple(
        replace(c, name=f"Zephyrine{n:02d} Quillfeather", cellphone=f"010-77{n:02d}-31{n:02d}",
                email=f"pii.marker{n:02d}@example.net")
        for n, c in enumerate(data.customers)
    )
    return replace(data, customers=customers)


def secrets_of(sb: SandboxHandle, data: r.ShopData) -> list[str]:
    values: list[str] = []
    for c in data.customers:
        assert c.name
        assert c.cellphone
        assert c.email
        values += [c.name, c.cellphone, c.cellphone.replace("-", ""), c.email, c.member_id]
    values += sb.sandbox.oauth.issued  # every access and refresh token handed out
    values.append(sb.sandbox.config.client_secret)
    return values


def leaks(text_: str, values: list[str]) -> list[str]:
    found = []
    for value in values:
        pattern = re.escape(value)
        if len(value) < 8:  # a member id: only as a whole word
            pattern = rf"(?<![\w.-]){pattern}(?![\w.-])"
        if re.search(pattern, text_):
            found.append(value)
    return found


def run(sb: SandboxHandle, target: Any, *, full: bool = False, phases: tuple[str, ...] | None = None,
        **client: Any) -> str:
    """One sync (of ``phases``, or all); returns what it showed (the stop message, if it stopped)."""
    c = sb.client(**client)
    try:
        options = SyncOptions(full=full) if phases is None else SyncOptions(full=full, phases=phases)
        report = Syncer(c, target, options).run()
        return f"{report}"
    except SyncStopped as stopped:
        return str(stopped)
    finally:
        c.close()


def test_no_personal_data_or_secret_in_messages_or_logs_on_any_path(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    data = private_shop()
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    with serve(tmp_path, data) as sb:
        faults = sb.sandbox.faults
        phone = next(c.cellphone for c in data.customers if c.cellphone)
        target = create_engine(f"sqlite:///{tmp_path / 'synced.db'}")

        # transient faults the sync rides through
        faults.fail("/api/v2/admin/", 429, times=5, retry_after=0.01)
        faults.fail("/customersprivacy", 500, times=2)
        faults.fail("/carts$", 502, times=1, html=True)
        faults.delay("/orders$", 1.0, times=1)

        def expire(body: dict[str, Any]) -> dict[str, Any]:
            sb.sandbox.oauth.expire_access_tokens()
            return body

        faults.mutate("/coupons/.*/issues", expire)
        shown.append(run(sb, target, timeout=0.5))

        # a phone number where a time belongs: the error names the field, not the value
        def phone_as_time(body: dict[str, Any]) -> dict[str, Any]:
            body["customersprivacy"][0]["created_date"] = phone
            return body

        faults.mutate("/customersprivacy", phone_as_time)
        stopped = run(sb, target, full=True)
        assert "customersprivacy[0].created_date" in stopped
        shown.append(stopped)

        # an API error that repeats what was sent (a phone number)
        faults.add(Fault("/carts$", 1, "GET", 422, f'{{"error": {{"code": 422, "message": "invalid member {phone}"}}}}',
                         "application/json"))
        stopped = run(sb, target)
        assert "HTTP 422" in stopped
        shown.append(stopped)

        # a store that refuses the rows: SQLAlchemy's message would carry them as parameters
        refusing = create_engine(f"sqlite:///{tmp_path / 'refusing.db'}")
        store_io.create_schema(refusing)
        with refusing.begin() as conn:
            conn.execute(text("CREATE TRIGGER no_rows BEFORE INSERT ON customers "
                              "BEGIN SELECT RAISE(ABORT, 'refused by policy'); END"))
        stopped = run(sb, refusing)
        assert "sync stopped in customers" in stopped
        assert "writing to table customers failed" in stopped
        shown.append(stopped)

        values = secrets_of(sb, data)
        logs = "\n".join(f"{rec.name} {rec.getMessage()}" for rec in caplog.records)
        assert "HTTP Request: GET" in logs  # httpx did log: with the query cut off
        assert "member_id=" not in logs
        assert leaks("\n".join(shown), values) == []
        assert leaks(logs, values) == []


def test_the_cli_stops_on_a_refusing_store_with_one_line_and_no_row_data(tmp_path: Path) -> None:
    data = private_shop()
    with serve(tmp_path, data) as sb:
        target = tmp_path / "refusing.db"
        engine = create_engine(f"sqlite:///{target}")
        store_io.create_schema(engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE TRIGGER no_rows BEFORE INSERT ON customers "
                              "BEGIN SELECT RAISE(ABORT, 'refused by policy'); END"))
        engine.dispose()
        result = subprocess.run(
            [sys.executable, "-m", "cafehub", "sync", "--mall", "demo", "--db", f"sqlite:///{target}",
             "--sandbox-url", sb.cafe24_url, "--no-progress"],
            capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}, check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "Traceback" not in output
        assert "writing to table customers failed" in output
        assert leaks(output, secrets_of(sb, data)) == []


def test_no_personal_data_or_secret_when_the_sync_gives_up(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The stops the test above does not reach: retries used up on timeouts and on 5xx answers to calls whose
    query holds member ids, and a refresh token refused (the shop owner removed the app)."""
    data = private_shop()
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    with serve(tmp_path, data) as sb:
        faults = sb.sandbox.faults
        tokens = MemoryTokenStore()
        target = create_engine(f"sqlite:///{tmp_path / 'synced.db'}")
        shown.append(run(sb, target, store=tokens))  # a first full run: the next ones look members up by id

        faults.delay("/customersprivacy", 1.0, times=100)  # the withdrawal check (member_id=...) never answers
        stopped = run(sb, target, store=tokens, phases=("carts",), timeout=0.2)
        assert "sync stopped in carts" in stopped
        assert "ReadTimeout" in stopped
        shown.append(stopped)
        faults.clear()

        faults.fail("/carts$", 503, times=100)  # the carts of members by id: the server keeps failing
        stopped = run(sb, target, store=tokens, phases=("carts",))
        assert "sync stopped in carts" in stopped
        assert "HTTP 503" in stopped
        shown.append(stopped)
        faults.clear()

        sb.sandbox.oauth.revoke_all()  # both tokens refused: the mall must authorize again
        stopped = run(sb, target, store=tokens)
        assert "the mall must authorize the app again" in stopped
        shown.append(stopped)

        values = secrets_of(sb, data)
        logs = "\n".join(f"{rec.name} {rec.getMessage()}" for rec in caplog.records)
        assert "member_id=" not in logs
        assert leaks("\n".join(shown), values) == []
        assert leaks(logs, values) == []
