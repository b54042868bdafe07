"""API tokens: one shop each, read and/or write scope, stored hashed, revocable.

A token looks like ``cafehub_3f9a0c1d2e4b_<43 random characters>``: a public
id (shown by ``cafehub token list``, used to revoke) and a secret of 256
random bits. The service keeps only the SHA-256 of the secret, so a copy of
the database gives no working token; a plain hash is enough because the
secret is random, not a password. A request's token is found by its id and
its secret compared with :func:`hmac.compare_digest`, in constant time.

The tokens live in the service's own database (``database`` in the
configuration), in the ``api_tokens`` table, created on first use.
Revoking is immediate: every request reads the token's row. On an SQLite
file that read goes through one plain ``sqlite3`` connection in autocommit
mode (it sees every committed revocation): a lookup by primary key then
takes microseconds instead of the pool checkout and statement execution of
SQLAlchemy, which were most of what the API added to a check.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, bindparam, insert, select, update

from cafehub.store.engines import open_engine, store_errors

TOKEN_PREFIX = "cafehub"
_TOKEN = re.compile(rf"^{TOKEN_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")


class Scope(StrEnum):
    """What a token may do: ``read`` (check, compile, count, read segments) or ``write`` (save, delete)."""

    READ = "read"
    WRITE = "write"


metadata = MetaData()

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(12), primary_key=True),
    Column("shop_id", String(50), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("scopes", String(20), nullable=False),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("revoked_at", DateTime(timezone=False), nullable=True),
)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: everything but the secret."""

    token_id: str
    shop_id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: the only time its full text is known."""

    info: TokenInfo
    token: str


class TokenError(Exception):
    """A token request that cannot be done (unknown id, bad name)."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _scopes(text: str) -> frozenset[Scope]:
    return frozenset(Scope(s) for s in text.split(",") if s)


def _info(row: object) -> TokenInfo:
    m = row._mapping  # type: ignore[attr-defined]
    return TokenInfo(m["token_id"], m["shop_id"], m["name"], _scopes(m["scopes"]), m["created_at"], m["revoked_at"])


class TokenStore:
    """The ``api_tokens`` table of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: A file database on this machine (lookups take microseconds, no network).
        self.embedded = engine.dialect.name in ("sqlite", "duckdb")
        self._lookup = select(
            api_tokens.c.shop_id, api_tokens.c.name, api_tokens.c.secret_sha256, api_tokens.c.scopes
        ).where(api_tokens.c.token_id == bindparam("token_id"), api_tokens.c.revoked_at.is_(None))
        #: The SQLite file to read tokens from directly (None: go through the engine).
        self._sqlite_file = _sqlite_file(engine)
        self._sqlite: sqlite3.Connection | None = None
        self._sqlite_lock = threading.Lock()

    @classmethod
    def open(cls, url: str) -> TokenStore:
        """The token store at ``url``, its table created when missing."""
        store = cls(open_engine(url))
        store.create()
        return store

    def create(self) -> None:
        with store_errors(self.engine):
            metadata.create_all(self.engine)

    def close(self) -> None:
        with self._sqlite_lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None
        self.engine.dispose()

    def issue(self, shop_id: str, name: str, scopes: frozenset[Scope]) -> NewToken:
        """Create a token for ``shop_id`` and return it (its secret is not kept)."""
        if not name.strip() or len(name) > 100:
            raise TokenError("a token name must be 1-100 characters")
        if not scopes:
            raise TokenError("a token needs at least one scope (read, write)")
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        created = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        scope_text = ",".join(sorted(scopes))
        with store_errors(self.engine), self.engine.begin() as conn:
            conn.execute(insert(api_tokens).values(
                token_id=token_id, shop_id=shop_id, name=name.strip(), secret_sha256=_digest(secret),
                scopes=scope_text, created_at=created, revoked_at=None))
        info = TokenInfo(token_id, shop_id, name.strip(), scopes, created, None)
        return NewToken(info, f"{TOKEN_PREFIX}_{token_id}_{secret}")

    def list(self, shop_id: str | None = None, *, include_revoked: bool = False) -> list[TokenInfo]:
        query = select(api_tokens).order_by(api_tokens.c.shop_id, api_tokens.c.created_at, api_tokens.c.token_id)
        if shop_id is not None:
            query = query.where(api_tokens.c.shop_id == shop_id)
        if not include_revoked:
            query = query.where(api_tokens.c.revoked_at.is_(None))
        with store_errors(self.engine), self.engine.connect() as conn:
            return [_info(row) for row in conn.execute(query)]

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke a token by id (revoking twice is fine); :class:`TokenError` for an unknown id."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        with store_errors(self.engine), self.engine.begin() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.token_id == token_id,
                                                  api_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
            row = conn.execute(select(api_tokens).where(api_tokens.c.token_id == token_id)).first()
        if row is None:
            raise TokenError("there is no token with this id")
        return _info(row)

    def verify(self, token: str) -> Grant | None:
        """What ``token`` grants, or ``None`` when it is malformed, unknown, revoked or wrong."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        token_id, secret = match.groups()
        row: Any = self._lookup_sqlite(token_id) if self._sqlite_file is not None else _MISSING
        if row is _MISSING:
            with store_errors(self.engine), self.engine.connect() as conn:
                row = conn.execute(self._lookup, {"token_id": token_id}).first()
        if row is None:
            return None
        shop_id, name, stored, scope_text = row
        if not hmac.compare_digest(_digest(secret), stored):
            return None
        return Grant(token_id=token_id, shop_id=shop_id, name=name, scopes=_scopes(scope_text))


    def _lookup_sqlite(self, token_id: str) -> object:
        """The token's row read from the SQLite file directly; :data:`_MISSING` if that cannot be done (the
        caller then asks the engine, which reports a store problem properly)."""
        try:
            with self._sqlite_lock:
                if self._sqlite is None:
                    self._sqlite = sqlite3.connect(f"file:{self._sqlite_file}?mode=ro", uri=True,
                                                   isolation_level=None, check_same_thread=False)
                return self._sqlite.execute(_LOOKUP_SQL, (token_id,)).fetchone()
        except sqlite3.Error:
            return _MISSING


_MISSING = object()
_LOOKUP_SQL = ("SELECT shop_id, name, secret_sha256, scopes FROM api_tokens "
               "WHERE token_id = ? AND revoked_at IS NULL")


def _sqlite_file(engine: Engine) -> str | None:
    """The path of an SQLite file database behind ``engine`` (None for memory databases and other engines)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    from pathlib import Path
    from urllib.parse import quote

    return quote(str(Path(database).resolve()))


@dataclass(frozen=True, slots=True)
class Grant:
    """What a verified token allows: one shop, some scopes; ``name`` is recorded as who saved a segment."""

    token_id: str
    shop_id: str
    name: str
    scopes: frozenset[Scope]
