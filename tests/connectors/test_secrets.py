"""Secrets at rest and on the command line: encrypted tokens, private store files, no secret flags, https."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from cafehub.connectors.config import Cafe24Config
from cafehub.connectors.errors import ConfigError
from cafehub.connectors.secrets import (
    KEY_ENV,
    KEY_FILE_ENV,
    SecretError,
    TokenCipher,
    load_key,
    new_key,
)
from cafehub.connectors.sellmate import SellmateConfig
from cafehub.connectors.tokens import SqlTokenStore, sync_tokens
from cafehub.sandbox.testing import serve
from cafehub.store.engines import open_engine


def _tokens_of(sb_store: SqlTokenStore) -> tuple[str, str]:
    row = sb_store.load("demo")
    assert row is not None
    return row.tokens.access_token, row.tokens.refresh_token


def test_tokens_are_encrypted_at_rest_and_only_this_key_opens_them(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
        key = TokenCipher.from_text(new_key())
        store = SqlTokenStore(engine, key)

        def raw_row() -> tuple[str, str]:
            with engine.connect() as conn:
                return tuple(conn.execute(select(sync_tokens.c.access_token, sync_tokens.c.refresh_token)).one())

        client = sb.client(store)
        # as written by the authorization, before any read (a read would seal a plain row it found)
        assert all(value.startswith("v1:") for value in raw_row())
        sb.sandbox.oauth.expire_access_tokens()
        assert client.count_orders(*_days()) >= 0  # the stored token is refreshed, and the new one works
        assert client.stats.refreshes == 1
        raw = raw_row()
        assert all(value.startswith("v1:") for value in raw)  # as written by the refresh
        access, refresh = _tokens_of(store)
        assert sb.sandbox.oauth.holds(access)
        engine.dispose()
        on_disk = (tmp_path / "store.db").read_bytes()
        assert access.encode() not in on_disk
        assert refresh.encode() not in on_disk

        with pytest.raises(SecretError, match="cannot be decrypted with this key") as wrong:
            SqlTokenStore(engine, TokenCipher.from_text(new_key())).load("demo")
        assert access not in str(wrong.value)
        # a value moved to another column (or row) does not decrypt: the column is bound into the seal
        with engine.begin() as conn:
            conn.execute(update(sync_tokens).values(refresh_token=raw[0]))
        with pytest.raises(SecretError, match="refresh_token cannot be decrypted"):
            store.load("demo")
        client.close()


def test_tokens_an_older_version_stored_in_plain_text_are_sealed_on_first_read(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    store = SqlTokenStore(engine, TokenCipher.from_text(new_key()))
    from datetime import UTC, datetime, timedelta

    from cafehub.connectors.tokens import TokenSet

    soon = datetime.now(UTC) + timedelta(hours=1)
    store.save("demo", TokenSet("plain-access-token", soon, "plain-refresh-token", soon))
    with engine.begin() as conn:  # as an older cafehub wrote it
        conn.execute(update(sync_tokens).values(access_token="plain-access-token",
                                                refresh_token="plain-refresh-token"))
    assert _tokens_of(store) == ("plain-access-token", "plain-refresh-token")
    with engine.connect() as conn:
        raw = conn.execute(select(sync_tokens.c.access_token, sync_tokens.c.refresh_token)).one()
    assert all(value.startswith("v1:") for value in raw)
    assert _tokens_of(store) == ("plain-access-token", "plain-refresh-token")
    engine.dispose()


def test_the_key_comes_from_the_environment_a_private_file_or_a_new_private_default(tmp_path: Path) -> None:
    key = new_key()
    assert load_key({KEY_ENV: key}).source == KEY_ENV
    with pytest.raises(SecretError, match="must be 32 bytes"):
        load_key({KEY_ENV: "c2hvcnQ"})

    named = tmp_path / "mine.key"
    named.write_text(key)
    named.chmod(0o644)
    with pytest.raises(SecretError, match=f"readable by others; run: chmod 600 {named}"):
        load_key({KEY_FILE_ENV: str(named)})
    named.chmod(0o600)
    assert load_key({KEY_FILE_ENV: str(named)}).source == str(named)

    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    with pytest.raises(SecretError, match="no secret key"):
        load_key(env, create=False)
    first = load_key(env)
    assert first.created == tmp_path / "config" / "cafehub" / "secret.key"
    assert stat.S_IMODE(first.created.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.created.parent.stat().st_mode) == 0o700
    again = load_key(env)
    assert again.created is None
    sealed = first.cipher.encrypt("token", context="demo/access_token")
    assert again.cipher.decrypt(sealed, context="demo/access_token") == "token"
    assert key not in repr(first.cipher)


def test_new_sqlite_stores_are_private_to_their_owner(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        engine = open_engine(f"sqlite:///{tmp_path / 'shop.db'}")
        from cafehub.store import io as store_io

        store_io.create_schema(engine)
        engine.dispose()
        result = subprocess.run([sys.executable, "-m", "cafehub", "store", "init", "--db",
                                 f"sqlite:///{tmp_path / 'cli.db'}"], capture_output=True, text=True, check=False)
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    for name in ("shop.db", "cli.db"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_the_client_secret_is_never_taken_from_the_command_line(tmp_path: Path) -> None:
    with serve(tmp_path) as sb:
        target = f"sqlite:///{tmp_path / 'synced.db'}"
        base = [sys.executable, "-m", "cafehub", "sync", "--mall", "demo", "--db", target, "--sandbox-url",
                sb.cafe24_url, "--client-id", "sandbox-client", "--no-progress", "--only", "coupons"]
        env = {k: v for k, v in os.environ.items() if k != "CAFEHUB_CAFE24_CLIENT_SECRET"}
        flagged = subprocess.run([*base, "--client-secret", "sandbox-secret"], capture_output=True, text=True,
                                 env=env, stdin=subprocess.DEVNULL, check=False)
        assert flagged.returncode == 2
        assert "--client-secret is refused" in flagged.stderr
        assert "CAFEHUB_CAFE24_CLIENT_SECRET" in flagged.stderr
        assert "sandbox-secret" not in flagged.stdout + flagged.stderr
        missing = subprocess.run(base, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
        assert missing.returncode == 2
        assert "set CAFEHUB_CAFE24_CLIENT_SECRET" in missing.stderr
        ok = subprocess.run(base, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
                            env={**env, "CAFEHUB_CAFE24_CLIENT_SECRET": "sandbox-secret"})
        assert ok.returncode == 0, ok.stderr
        assert "coupons" in ok.stdout


@pytest.mark.parametrize("url", ["http://shop.example.com", "http://10.0.0.8:8024", "ftp://127.0.0.1/"])
def test_plain_http_is_refused_except_on_loopback(url: str) -> None:
    with pytest.raises(ConfigError, match=r"plain http|not an http"):
        Cafe24Config(mall_id="demo", client_id="c", client_secret="s", base_url=url)
    with pytest.raises(ConfigError, match=r"plain http|not an http"):
        SellmateConfig(base_url=url, api_key="k")


@pytest.mark.parametrize("url", ["https://demo.cafe24api.com", "http://127.0.0.1:8024", "http://localhost:8024",
                                 "http://[::1]:8024", None])
def test_https_and_loopback_sandboxes_are_accepted(url: str | None) -> None:
    assert Cafe24Config(mall_id="demo", client_id="c", client_secret="s", base_url=url).root_url


def _days() -> tuple[object, object]:
    from datetime import date

    return date(2024, 1, 1), date(2024, 3, 31)
