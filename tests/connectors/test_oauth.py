"""OAuth against the sandbox over loopback HTTP: exchange, rotation, races between workers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from cafehub.connectors.errors import AuthorizationError
from cafehub.connectors.oauth import OAuthClient, TokenManager
from cafehub.connectors.tokens import MemoryTokenStore, SqlTokenStore
from cafehub.sandbox.oauth import token_hash
from cafehub.sandbox.testing import serve


def test_authorize_url_carries_the_apps_parameters(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        oauth = OAuthClient(sb.client_config())
        url = oauth.authorize_url("xyz")
        assert url.startswith(f"{sb.cafe24_url}/api/v2/oauth/authorize?response_type=code")
        assert "client_id=sandbox-client" in url
        assert "state=xyz" in url
        assert "mall.read_order" in url
        code = oauth.approve_without_browser()
        tokens = oauth.exchange_code(code)
        assert tokens.access_expires_at > tokens.access_expires_at.now(tokens.access_expires_at.tzinfo)
        with pytest.raises(AuthorizationError, match="authorize the app again"):
            oauth.exchange_code(code)  # a code works once


def test_refresh_rotates_and_the_old_refresh_token_is_refused(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        oauth = OAuthClient(sb.client_config())
        first = oauth.exchange_code(sb.sandbox.authorize())
        second = oauth.refresh(first.refresh_token)
        assert second.refresh_token != first.refresh_token
        assert second.access_token != first.access_token
        with pytest.raises(AuthorizationError, match="already used"):
            oauth.refresh(first.refresh_token)
        assert sb.sandbox.oauth.rejected_refreshes == 1


def test_a_401_refreshes_once_and_retries(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        client = sb.client()
        before = client.count_orders(*_days())
        sb.sandbox.oauth.expire_access_tokens()
        assert client.count_orders(*_days()) == before > 0
        assert client.stats.refreshes == 1
        assert sb.sandbox.oauth.refreshes == 1


def test_an_expired_refresh_token_asks_for_a_new_authorization(tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import timedelta

    with serve(tmp_path) as sb:
        client = sb.client()
        stored = client.tokens.store.load("demo")
        assert stored is not None
        past = stored.tokens.access_expires_at - timedelta(days=30)
        client.tokens.store.save("demo", replace(stored.tokens, access_expires_at=past, refresh_expires_at=past))
        with pytest.raises(AuthorizationError, match=r"expired .* authorize the app again"):
            client.count_orders(*_days())


def test_two_workers_refreshing_at_once_share_one_rotation(tmp_path: Path) -> None:
    """Two workers with their own store connections race to refresh the same token."""
    with serve(tmp_path) as sb:
        url = f"sqlite:///{tmp_path / 'tokens.db'}"
        setup = TokenManager(OAuthClient(sb.client_config()), SqlTokenStore(create_engine(url)))
        stale = setup.authorize_with_code(sb.sandbox.authorize()).tokens.access_token
        workers = [TokenManager(OAuthClient(sb.client_config()), SqlTokenStore(create_engine(url)))
                   for _ in range(2)]
        barrier = threading.Barrier(2)
        results: list[str] = []
        errors: list[BaseException] = []

        def work(manager: TokenManager) -> None:
            barrier.wait()
            try:
                results.append(manager.refresh(stale).tokens.refresh_token)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert sb.sandbox.oauth.refreshes == 1
        assert sb.sandbox.oauth.rejected_refreshes == 0
        newest = sb.sandbox.oauth.issued[-1]  # the refresh token of the one rotation
        assert sb.sandbox.oauth.grants[0].refresh_hash == token_hash(newest)
        assert results == [newest, newest]
        stored = SqlTokenStore(create_engine(url)).load("demo")
        assert stored is not None
        assert stored.tokens.refresh_token == newest


def test_a_worker_with_a_rotated_refresh_token_uses_the_winners_tokens(tmp_path: Path) -> None:
    """The lease was taken over (e.g. the owner looked dead) and the token rotated meanwhile."""
    with serve(tmp_path) as sb:
        store = MemoryTokenStore()
        late = TokenManager(OAuthClient(sb.client_config()), store)
        row = late.authorize_with_code(sb.sandbox.authorize())
        winner = OAuthClient(sb.client_config()).refresh(row.tokens.refresh_token)
        original = store.begin_refresh

        def slow_begin(*args: object) -> bool:
            taken = original(*args)  # type: ignore[arg-type]
            if taken:  # someone else finishes a rotation between our read and our call
                store._rows["demo"] = store._rows["demo"].__class__(winner, row.version + 1)
            return taken

        store.begin_refresh = slow_begin  # type: ignore[method-assign]
        got = late.refresh(row.tokens.access_token)
        assert got.tokens == winner
        assert sb.sandbox.oauth.rejected_refreshes == 1  # our stale refresh was refused, not fatal


def _days() -> tuple[object, object]:
    from datetime import date

    return date(2024, 1, 1), date(2024, 3, 31)
