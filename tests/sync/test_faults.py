"""Sync under faults over loopback HTTP: nothing lost, nothing duplicated, clear stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, func, inspect, select
from typer.testing import CliRunner

from cafehub.cli import app as cli
from cafehub.connectors.oauth import OAuthClient, TokenManager
from cafehub.connectors.tokens import SqlTokenStore
from cafehub.sandbox.testing import SandboxHandle, serve, shop, sqlite, store_tables, tables
from cafehub.store import schema as s
from cafehub.sync.engine import Syncer, SyncOptions, SyncReport, SyncStopped
from cafehub.sync.state import all_cursors


def sync(sb: SandboxHandle, target: Any, store: Any = None, **client: Any) -> SyncReport:
    c = sb.client(store, **client)
    try:
        return Syncer(c, target, SyncOptions()).run()
    finally:
        c.close()


def test_429_storms_500s_and_timeouts_lose_nothing(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        faults = sb.sandbox.faults
        faults.fail("/api/v2/admin/", 429, times=12, retry_after=0.01)
        faults.fail("/orders$", 500, times=2)
        faults.fail("/carts$", 502, times=1, html=True)
        faults.delay("/coupons/.*/issues", 1.0, times=2)
        target = sqlite(tmp_path, "synced.db")
        report = sync(sb, target, timeout=0.4)
        assert store_tables(target) == tables(shop())
        assert report.rate_limited == 12
        assert report.retries >= 12 + 2 + 1 + 2


def test_a_token_expiring_mid_sync_is_refreshed_once(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        def expire(body: dict[str, Any]) -> dict[str, Any]:
            sb.sandbox.oauth.expire_access_tokens()
            return body

        sb.sandbox.faults.mutate("/coupons/.*/issues", expire)
        target = sqlite(tmp_path, "synced.db")
        report = sync(sb, target)
        assert report.refreshes == 1
        assert sb.sandbox.oauth.refreshes == 1
        assert store_tables(target) == tables(shop())


def test_a_refresh_token_rotated_by_another_worker_mid_sync(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        url = f"sqlite:///{tmp_path / 'tokens.db'}"
        mine = SqlTokenStore(create_engine(url))
        client = sb.client(mine)  # authorizes and stores the first tokens
        target = sqlite(tmp_path, "synced.db")
        sb.sandbox.faults.delay("/carts$", 0.3, times=100)  # keep the sync busy long enough
        sb.sandbox.faults.delay("/orders/count$", 0.1, times=100)
        result: list[Any] = []
        worker = threading.Thread(target=lambda: result.append(Syncer(client, target).run()))
        worker.start()
        while sb.sandbox.count(path="/carts") < 1:
            time.sleep(0.01)
        other = TokenManager(OAuthClient(sb.client_config()), SqlTokenStore(create_engine(url)))
        current = other.store.load("demo")
        assert current is not None
        sb.sandbox.oauth.expire_access_tokens()
        other.refresh(current.tokens.access_token)  # the other worker rotates the refresh token
        served = sb.sandbox.count(200)
        worker.join()
        assert sb.sandbox.count(200) > served + 5  # the sync went on after the rotation
        client.close()
        assert result, "the sync did not finish"
        assert sb.sandbox.oauth.refreshes == 1
        assert sb.sandbox.oauth.rejected_refreshes == 0
        assert mine.load("demo") == other.store.load("demo")
        assert store_tables(target) == tables(shop())


def test_a_malformed_page_stops_the_sync_with_endpoint_and_field_and_commits_no_part_of_it(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        def broken(body: dict[str, Any]) -> dict[str, Any]:
            del body["orders"][5]["items"][0]["product_price"]
            return body

        sb.sandbox.faults.mutate("/orders$", broken)
        target = sqlite(tmp_path, "synced.db")
        with pytest.raises(SyncStopped) as stopped:
            sync(sb, target)
        message = str(stopped.value)
        assert "sync stopped in orders" in message
        assert "GET /api/v2/admin/orders" in message
        assert "field orders[5].items[0].product_price" in message
        assert "run the sync again" in message
        with target.connect() as conn:
            assert conn.execute(select(func.count()).select_from(s.orders)).scalar_one() == 0
            assert conn.execute(select(func.count()).select_from(s.customers)).scalar_one() == len(shop().customers)
        assert all_cursors(target, "demo")["orders"]["run"]["step"] == 0
        sync(sb, target)
        assert store_tables(target) == tables(shop())


def test_a_sync_killed_mid_run_finishes_on_the_next_run(tmp_path: Path) -> None:
    data = shop(customers=120, orders=2400, seed=11)
    with serve(tmp_path, data) as sb:
        sb.sandbox.faults.delay("/orders$", 0.4, times=1000)
        target_url = f"sqlite:///{tmp_path / 'synced.db'}"
        log = open(tmp_path / "sync.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "cafehub", "sync", "--mall", "demo", "--db", target_url, "--sandbox-url",
             sb.cafe24_url, "--no-progress"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 60

        def pages() -> int:  # order list pages served (not the count calls of the plan)
            return sb.sandbox.count(200, "/api/v2/admin/orders") - sb.sandbox.count(200, "/orders/count")

        while pages() < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        log.close()
        target = create_engine(target_url)
        with target.connect() as conn:
            partial = conn.execute(select(func.count()).select_from(s.orders)).scalar_one()
        assert 0 < partial < len(data.orders), "the kill did not land mid-run"
        assert "run" in all_cursors(target, "demo")["orders"]
        sb.sandbox.faults.clear()
        report = sync(sb, target)
        assert store_tables(target) == tables(data)
        assert report.phases["orders"].rows <= len(data.orders) - partial + 1000
        assert "run" not in all_cursors(target, "demo")["orders"]


def test_the_cli_reports_and_stops_with_a_clear_message(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        target = f"sqlite:///{tmp_path / 'cli.db'}"
        runner = CliRunner()
        args = ["sync", "--mall", "demo", "--db", target, "--sandbox-url", sb.cafe24_url, "--no-progress"]
        first = runner.invoke(cli, args)
        assert first.exit_code == 0, first.output
        assert "orders" in first.output
        assert "calls in" in first.output
        assert "0 rate-limited" in first.output
        # the mall withdraws the app: tokens are refused and cannot be refreshed
        sb.sandbox.oauth.revoke_all()
        second = runner.invoke(cli, args)
        assert second.exit_code == 1
        assert "Traceback" not in second.output
        assert "run the sync again to continue" not in second.output  # it would not help
        assert "the mall must authorize the app again" in second.output
        assert "cafehub sync --mall demo --authorize-url" in second.output
        # following the message: the authorize address, the owner approves, the code
        shown = runner.invoke(cli, [*args, "--authorize-url"])
        assert shown.exit_code == 0, shown.output
        approved = httpx.get(shown.output.strip(), follow_redirects=False)
        code = parse_qs(urlsplit(approved.headers["location"]).query)["code"][0]
        third = runner.invoke(cli, [*args, "--code", code])
        assert third.exit_code == 0, third.output


def test_a_restarted_sandbox_still_honours_the_tokens_it_issued(tmp_path: Path) -> None:
    from cafehub.sandbox.server import SandboxServers, open_sandbox

    with serve(tmp_path) as sb:
        store = SqlTokenStore(create_engine(f"sqlite:///{tmp_path / 'tokens.db'}"))
        target = sqlite(tmp_path, "synced.db")
        sync(sb, target, store)
        engine, config = sb.engine, sb.sandbox.config
    restarted = open_sandbox(engine, config)  # the same store: a new process, nothing in memory
    with SandboxServers(restarted) as servers:
        moved = SandboxHandle(restarted, servers, engine)
        report = sync(moved, target, store)  # the stored access token is still good
        assert report.changed == 0
        restarted.oauth.expire_access_tokens()
        assert sync(moved, target, store).refreshes == 1  # and so is the refresh token
        assert restarted.oauth.refreshes == 1


def test_a_mall_the_sandbox_does_not_serve_fails_clearly_and_syncs_nothing(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:  # serves mall "demo"
        target = f"sqlite:///{tmp_path / 'other.db'}"
        args = ["sync", "--mall", "nosuch", "--db", target, "--sandbox-url", sb.cafe24_url, "--no-progress"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert f"the server at {sb.cafe24_url} authorized mall 'demo', not 'nosuch': check the mall id" \
            in " ".join(result.output.split())
        engine = create_engine(target)
        if inspect(engine).has_table("customers"):
            with engine.connect() as conn:
                assert conn.execute(select(func.count()).select_from(s.customers)).scalar_one() == 0
        assert SqlTokenStore(engine).load("nosuch") is None
        engine.dispose()
