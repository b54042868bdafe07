"""API tokens: hashed at rest, verified in constant time, scoped, revocable; the `cafehub token` CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from cafehub.service.tokens import Scope, TokenError, TokenStore, api_tokens

READ = frozenset({Scope.READ})
BOTH = frozenset({Scope.READ, Scope.WRITE})


@pytest.fixture
def store(tmp_path: Path) -> TokenStore:
    made = TokenStore.open(f"sqlite:///{tmp_path / 'service.db'}")
    yield made  # type: ignore[misc]
    made.close()


def test_a_token_verifies_to_its_shop_name_and_scopes(store: TokenStore) -> None:
    new = store.issue("alpha", "crm sync", BOTH)
    grant = store.verify(new.token)
    assert grant is not None
    assert (grant.token_id, grant.shop_id, grant.name, grant.scopes) == (new.info.token_id, "alpha", "crm sync", BOTH)


def test_only_a_hash_of_the_secret_is_stored(store: TokenStore) -> None:
    new = store.issue("alpha", "crm", READ)
    secret = new.token.split("_", 2)[2]
    with store.engine.connect() as conn:
        row = conn.execute(select(api_tokens)).one()._mapping
    assert all(secret not in str(value) for value in row.values())
    assert row["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()


def test_tokens_are_unique_and_long(store: TokenStore) -> None:
    tokens = {store.issue("alpha", f"t{i}", READ).token for i in range(50)}
    assert len(tokens) == 50
    assert all(len(t.split("_", 2)[2]) == 43 for t in tokens)  # 256 random bits


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),   # wrong secret, right id
    lambda t: t.replace(t.split("_")[1], "0" * 12, 1),    # unknown id
    lambda t: t + "x",                                    # too long
    lambda t: t.upper(),                                  # malformed id
    lambda t: "",
    lambda t: "cafehub__",
])
def test_anything_but_the_exact_token_is_refused(store: TokenStore, mangle: object) -> None:
    new = store.issue("alpha", "crm", READ)
    assert store.verify(mangle(new.token)) is None  # type: ignore[operator]


def test_revoking_is_immediate_listed_and_idempotent(store: TokenStore) -> None:
    keep = store.issue("alpha", "keep", READ)
    drop = store.issue("beta", "drop", BOTH)
    store.revoke(drop.info.token_id)
    assert store.verify(drop.token) is None
    assert store.verify(keep.token) is not None
    assert [i.token_id for i in store.list()] == [keep.info.token_id]
    listed = {i.token_id: i for i in store.list(include_revoked=True)}
    assert listed[drop.info.token_id].revoked_at is not None
    assert store.revoke(drop.info.token_id).revoked_at == listed[drop.info.token_id].revoked_at
    assert [i.token_id for i in store.list("beta")] == []
    with pytest.raises(TokenError, match="no token with this id"):
        store.revoke("0" * 12)


def test_a_token_needs_a_name_and_a_scope(store: TokenStore) -> None:
    with pytest.raises(TokenError, match="name"):
        store.issue("alpha", "  ", READ)
    with pytest.raises(TokenError, match="scope"):
        store.issue("alpha", "x", frozenset())


# ---------------------------------------------------------------- the CLI, as a user runs it


def cafehub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "cafehub", *args], capture_output=True, text=True, cwd=cwd,
                            timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_create_list_revoke_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "cafehub.toml").write_text('[shops.alpha]\nstore = "sqlite:///alpha.db"\n', encoding="utf-8")
    created = cafehub("token", "create", "--shop", "alpha", "--name", "crm", "--write", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert "not shown again" in created.stderr
    assert token not in created.stderr
    reader = json.loads(cafehub("token", "create", "--shop", "alpha", "--name", "bi", "--json", cwd=tmp_path).stdout)
    assert reader["scopes"] == ["read"]

    listed = json.loads(cafehub("token", "list", "--json", cwd=tmp_path).stdout)
    assert [(t["name"], t["scopes"]) for t in listed] == [("crm", ["read", "write"]), ("bi", ["read"])]
    plain = cafehub("token", "list", cwd=tmp_path)
    assert token not in plain.stdout
    assert token.split("_", 2)[2] not in plain.stdout

    store = TokenStore.open(f"sqlite:///{tmp_path / 'cafehub-service.db'}")
    try:
        assert store.verify(token) is not None
        revoked = cafehub("token", "revoke", listed[0]["token_id"], cwd=tmp_path)
        assert revoked.returncode == 0
        assert store.verify(token) is None
    finally:
        store.close()
    assert [t["name"] for t in json.loads(cafehub("token", "list", "--json", cwd=tmp_path).stdout)] == ["bi"]


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "cafehub.toml").write_text('[shops.alpha]\nstore = "sqlite:///alpha.db"\n', encoding="utf-8")
    unknown_shop = cafehub("token", "create", "--shop", "beta", "--name", "x", cwd=tmp_path)
    assert unknown_shop.returncode == 2
    assert "--shop: there is no such shop" in unknown_shop.stderr
    unknown_id = cafehub("token", "revoke", "abc", cwd=tmp_path)
    assert unknown_id.returncode == 1
    assert "no token with this id" in unknown_id.stderr
    (tmp_path / "cafehub.toml").write_text("[shops.alpha\n", encoding="utf-8")
    broken = cafehub("token", "list", cwd=tmp_path)
    assert broken.returncode == 1
    assert "is not valid TOML" in broken.stderr


def test_a_revocation_by_another_connection_is_seen_at_once(store: TokenStore) -> None:
    """The SQLite fast path reads committed rows: a revocation written elsewhere (the CLI) counts at once."""
    assert store._sqlite_file is not None  # the fast path is in use on an SQLite file
    new = store.issue("alpha", "crm", frozenset({Scope.READ}))
    assert store.verify(new.token) is not None
    other = TokenStore.open(store.engine.url.render_as_string(hide_password=False))  # as `cafehub token revoke`
    try:
        other.revoke(new.info.token_id)
    finally:
        other.close()
    assert store.verify(new.token) is None
