"""Where OAuth tokens live between runs, and how two workers refresh without losing one.

Cafe24 rotates refresh tokens: every refresh returns a new refresh token and
the old one stops working. A worker that refreshes and then fails to save the
answer has destroyed the mall's authorization, and two workers that refresh
with the same old token race for a single success. So a refresh is a
small protocol over the store:

1. read the row and its ``version``;
2. take the refresh lease with a compare-and-set on ``version`` (one winner);
3. the winner calls the token endpoint and writes the new tokens at once,
   bumping ``version``; the others wait for the version to change and use
   the winner's tokens.

A lease has an expiry, so a worker killed while holding it does not block the
others forever. :class:`SqlTokenStore` keeps the table ``sync_tokens`` in any
SQLAlchemy database (the store's own by default), with both tokens encrypted
by the operator's key (:mod:`cafehub.connectors.secrets`); rows written in
plain text by older versions are encrypted the first time they are read.
:class:`MemoryTokenStore` is for tests and one-off scripts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, insert, select, update

from cafehub.connectors.secrets import TokenCipher, is_sealed, load_key

token_metadata = MetaData()

sync_tokens = Table(
    "sync_tokens",
    token_metadata,
    Column("mall_id", String(64), primary_key=True),
    Column("access_token", String(1024), nullable=False),
    Column("access_expires_at", DateTime(timezone=False), nullable=False),
    Column("refresh_token", String(1024), nullable=False),
    Column("refresh_expires_at", DateTime(timezone=False), nullable=False),
    Column("version", Integer, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime(timezone=False), nullable=True),
)


@dataclass(frozen=True, slots=True)
class TokenSet:
    """An access token and the refresh token that replaces it; times are aware UTC."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime

    def __repr__(self) -> str:  # never print secrets
        return f"TokenSet(access_expires_at={self.access_expires_at}, refresh_expires_at={self.refresh_expires_at})"


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token set as stored, with the version that guards refreshes."""

    tokens: TokenSet
    version: int
    lease_owner: str | None = None
    lease_until: datetime | None = None


class TokenStore(Protocol):
    """Persistence for one token set per mall, with a refresh lease."""

    def load(self, mall_id: str) -> StoredToken | None: ...

    def save(self, mall_id: str, tokens: TokenSet) -> StoredToken:
        """Store a token set from a fresh authorization (replacing any), bumping the version."""
        ...

    def begin_refresh(self, mall_id: str, version: int, owner: str, now: datetime, until: datetime) -> bool:
        """Take the refresh lease if the row is still at ``version`` and no live lease exists."""
        ...

    def finish_refresh(self, mall_id: str, owner: str, tokens: TokenSet) -> StoredToken | None:
        """Write the refreshed tokens (if ``owner`` still holds the lease) and release it."""
        ...

    def abort_refresh(self, mall_id: str, owner: str) -> None: ...


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class MemoryTokenStore:
    """Tokens in a dict (one process only)."""

    def __init__(self) -> None:
        self._rows: dict[str, StoredToken] = {}
        self._lock = threading.Lock()

    def load(self, mall_id: str) -> StoredToken | None:
        with self._lock:
            return self._rows.get(mall_id)

    def save(self, mall_id: str, tokens: TokenSet) -> StoredToken:
        with self._lock:
            old = self._rows.get(mall_id)
            row = StoredToken(tokens, (old.version + 1) if old else 1)
            self._rows[mall_id] = row
            return row

    def begin_refresh(self, mall_id: str, version: int, owner: str, now: datetime, until: datetime) -> bool:
        with self._lock:
            row = self._rows.get(mall_id)
            if row is None or row.version != version:
                return False
            if row.lease_owner and row.lease_until and row.lease_until > now and row.lease_owner != owner:
                return False
            self._rows[mall_id] = replace(row, lease_owner=owner, lease_until=until)
            return True

    def finish_refresh(self, mall_id: str, owner: str, tokens: TokenSet) -> StoredToken | None:
        with self._lock:
            row = self._rows.get(mall_id)
            # Even with a lost lease, a successful refresh holds the newest token: keep it.
            new = StoredToken(tokens, (row.version + 1) if row else 1)
            self._rows[mall_id] = new
            return new

    def abort_refresh(self, mall_id: str, owner: str) -> None:
        with self._lock:
            row = self._rows.get(mall_id)
            if row is not None and row.lease_owner == owner:
                self._rows[mall_id] = replace(row, lease_owner=None, lease_until=None)


class SqlTokenStore:
    """Tokens in the ``sync_tokens`` table of a SQLAlchemy database, encrypted at rest.

    Each method is its own short transaction, committed before it returns, so
    a new refresh token is durable the moment :meth:`finish_refresh` returns.
    ``cipher`` defaults to the operator's key (:func:`~cafehub.connectors.secrets.load_key`).
    """

    def __init__(self, engine: Engine, cipher: TokenCipher | None = None) -> None:
        self.engine = engine
        self.cipher = cipher or load_key().cipher
        token_metadata.create_all(engine)

    def load(self, mall_id: str) -> StoredToken | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(sync_tokens).where(sync_tokens.c.mall_id == mall_id)).mappings().first()
        if row is None:
            return None
        access, refresh = row["access_token"], row["refresh_token"]
        if not (is_sealed(access) and is_sealed(refresh)):
            self._seal_legacy(mall_id, row["version"], access, refresh)
        else:
            access = self.cipher.decrypt(access, context=f"{mall_id}/access_token")
            refresh = self.cipher.decrypt(refresh, context=f"{mall_id}/refresh_token")
        tokens = TokenSet(access, _aware(row["access_expires_at"]), refresh, _aware(row["refresh_expires_at"]))
        until = _aware(row["lease_until"]) if row["lease_until"] is not None else None
        return StoredToken(tokens, row["version"], row["lease_owner"], until)

    def _seal_legacy(self, mall_id: str, version: int, access: str, refresh: str) -> None:
        """Encrypt a row an older version stored in plain text (same version: the tokens are unchanged)."""
        t = sync_tokens.c
        with self.engine.begin() as conn:
            conn.execute(
                update(sync_tokens)
                .where(t.mall_id == mall_id, t.version == version, t.access_token == access)
                .values(access_token=self.cipher.encrypt(access, context=f"{mall_id}/access_token"),
                        refresh_token=self.cipher.encrypt(refresh, context=f"{mall_id}/refresh_token"))
            )

    def _values(self, mall_id: str, tokens: TokenSet) -> dict[str, object]:
        return {
            "access_token": self.cipher.encrypt(tokens.access_token, context=f"{mall_id}/access_token"),
            "access_expires_at": _naive(tokens.access_expires_at),
            "refresh_token": self.cipher.encrypt(tokens.refresh_token, context=f"{mall_id}/refresh_token"),
            "refresh_expires_at": _naive(tokens.refresh_expires_at),
        }

    def save(self, mall_id: str, tokens: TokenSet) -> StoredToken:
        with self.engine.begin() as conn:
            version = conn.execute(
                select(sync_tokens.c.version).where(sync_tokens.c.mall_id == mall_id)
            ).scalar_one_or_none()
            values = {**self._values(mall_id, tokens), "lease_owner": None, "lease_until": None}
            if version is None:
                conn.execute(insert(sync_tokens).values(mall_id=mall_id, version=1, **values))
                version = 1
            else:
                version += 1
                conn.execute(
                    update(sync_tokens).where(sync_tokens.c.mall_id == mall_id).values(version=version, **values)
                )
        return StoredToken(tokens, version)

    def begin_refresh(self, mall_id: str, version: int, owner: str, now: datetime, until: datetime) -> bool:
        t = sync_tokens.c
        free = (t.lease_owner.is_(None)) | (t.lease_until < _naive(now)) | (t.lease_owner == owner)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sync_tokens)
                .where(t.mall_id == mall_id, t.version == version, free)
                .values(lease_owner=owner, lease_until=_naive(until))
            )
        return result.rowcount == 1

    def finish_refresh(self, mall_id: str, owner: str, tokens: TokenSet) -> StoredToken | None:
        t = sync_tokens.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(sync_tokens)
                .where(t.mall_id == mall_id, t.lease_owner == owner)
                .values(version=t.version + 1, lease_owner=None, lease_until=None, **self._values(mall_id, tokens))
            )
            if result.rowcount != 1:
                # The lease expired and someone else took it; still never drop the newest
                # refresh token we hold: write it unconditionally (it is newer than any
                # other, since ours rotated last).
                conn.execute(
                    update(sync_tokens)
                    .where(t.mall_id == mall_id)
                    .values(version=t.version + 1, **self._values(mall_id, tokens))
                )
        return self.load(mall_id)

    def abort_refresh(self, mall_id: str, owner: str) -> None:
        t = sync_tokens.c
        with self.engine.begin() as conn:
            conn.execute(
                update(sync_tokens)
                .where(t.mall_id == mall_id, t.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
