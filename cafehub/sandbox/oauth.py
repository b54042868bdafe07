"""The sandbox's OAuth server state: codes, grants and access tokens, kept across restarts.

Cafe24's flow (docs/CONNECTORS.md, "OAuth"): a code is exchanged once for an
access token (2 hours) and a refresh token (14 days); every refresh rotates
the refresh token and a used one is refused. Grants and access tokens are
written to the sandbox's own tables (``sandbox_oauth_*``) as they are issued,
so a restarted sandbox still honours the tokens it handed out, as Cafe24
does, and synced stores keep working. Tokens are stored as SHA-256 hashes: the
sandbox only ever needs to recognise them. Authorization codes live a minute
in practice and stay in memory.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, insert, select, update

from . import tables as t

SCOPES = ["mall.read_order", "mall.write_order", "mall.read_customer", "mall.read_privacy", "mall.read_promotion",
          "mall.read_personal", "mall.read_product"]


class OAuthRefusal(Exception):
    """A refused token request: HTTP status, OAuth error code and description."""

    def __init__(self, status: int, description: str, code: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Grant:
    """One authorization: the hash of its live refresh token, and of the ones it rotated away."""

    grant_id: int
    refresh_hash: str
    refresh_expires: datetime
    retired: set[str] = field(default_factory=set)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


class OAuthState:
    """Codes, grants and access tokens; refresh tokens rotate and old ones are refused."""

    def __init__(self, *, client_id: str, mall_id: str, zone: str, access_ttl: timedelta, refresh_ttl: timedelta,
                 clock: Callable[[], datetime], engine: Engine | None = None) -> None:
        self.client_id, self.mall_id, self.zone = client_id, mall_id, ZoneInfo(zone)
        self.access_ttl, self.refresh_ttl, self.clock = access_ttl, refresh_ttl, clock
        self.engine = engine
        self.codes: set[str] = set()
        self.grants: list[Grant] = []
        self.access: dict[str, datetime] = {}  # token hash -> expiry (aware UTC)
        #: every token this process handed out, in plain text (for tests that look for leaks)
        self.issued: list[str] = []
        self.lock = threading.Lock()
        self.refreshes = 0
        self.rejected_refreshes = 0
        if engine is not None:
            self._load()

    # -- persistence ----------------------------------------------------------

    def _load(self) -> None:
        assert self.engine is not None
        t.sandbox_metadata.create_all(self.engine, tables=[t.sandbox_oauth_grants, t.sandbox_oauth_retired,
                                                           t.sandbox_oauth_access])
        with self.engine.connect() as conn:
            grants = {row.grant_id: Grant(row.grant_id, row.refresh_hash, _aware(row.refresh_expires))
                      for row in conn.execute(select(t.sandbox_oauth_grants))}
            for row in conn.execute(select(t.sandbox_oauth_retired)):
                if row.grant_id in grants:
                    grants[row.grant_id].retired.add(row.token_hash)
            self.access = {row.token_hash: _aware(row.expires) for row in conn.execute(select(t.sandbox_oauth_access))}
        self.grants = sorted(grants.values(), key=lambda g: g.grant_id)

    def _save(self, grant: Grant, access_hash: str, retired: str | None) -> None:
        if self.engine is None:
            return
        g = t.sandbox_oauth_grants
        with self.engine.begin() as conn:
            changed = conn.execute(update(g).where(g.c.grant_id == grant.grant_id).values(
                refresh_hash=grant.refresh_hash, refresh_expires=_naive(grant.refresh_expires))).rowcount
            if not changed:
                conn.execute(insert(g).values(grant_id=grant.grant_id, refresh_hash=grant.refresh_hash,
                                              refresh_expires=_naive(grant.refresh_expires)))
            if retired is not None:
                conn.execute(insert(t.sandbox_oauth_retired).values(token_hash=retired, grant_id=grant.grant_id))
            conn.execute(insert(t.sandbox_oauth_access).values(token_hash=access_hash, grant_id=grant.grant_id,
                                                               expires=_naive(self.access[access_hash])))

    # -- the flow ---------------------------------------------------------------

    def issue_code(self) -> str:
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes.add(code)
        return code

    def _issue(self, grant: Grant | None) -> dict[str, Any]:
        now = self.clock()
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.issued += [access, refresh]
        access_hash = token_hash(access)
        self.access[access_hash] = now + self.access_ttl
        retired = None
        if grant is None:
            grant = Grant(max((g.grant_id for g in self.grants), default=0) + 1, token_hash(refresh),
                          now + self.refresh_ttl)
            self.grants.append(grant)
        else:
            retired = grant.refresh_hash
            grant.retired.add(retired)
            grant.refresh_hash, grant.refresh_expires = token_hash(refresh), now + self.refresh_ttl
        self._save(grant, access_hash, retired)

        def local(moment: datetime) -> str:  # Cafe24 answers local times without an offset
            return moment.astimezone(self.zone).replace(tzinfo=None).isoformat(timespec="milliseconds")

        return {
            "access_token": access,
            "expires_at": local(self.access[access_hash]),
            "refresh_token": refresh,
            "refresh_token_expires_at": local(grant.refresh_expires),
            "client_id": self.client_id,
            "mall_id": self.mall_id,
            "user_id": "sandbox",
            "scopes": SCOPES,
            "issued_at": local(now),
            "shop_no": "1",
            "token_type": "Bearer",
        }

    def exchange(self, code: str) -> dict[str, Any]:
        with self.lock:
            if code not in self.codes:
                raise OAuthRefusal(400, "the authorization code is invalid or was used", "invalid_grant")
            self.codes.discard(code)
            return self._issue(None)

    def refresh(self, token: str) -> dict[str, Any]:
        now = self.clock()
        hashed = token_hash(token)
        with self.lock:
            for grant in self.grants:
                if grant.refresh_hash == hashed:
                    if grant.refresh_expires <= now:
                        raise OAuthRefusal(400, "the refresh token expired", "invalid_grant")
                    self.refreshes += 1
                    return self._issue(grant)
                if hashed in grant.retired:
                    self.rejected_refreshes += 1
                    raise OAuthRefusal(400, "the refresh token was already used (rotated)", "invalid_grant")
            raise OAuthRefusal(400, "unknown refresh token", "invalid_grant")

    def check(self, token: str | None) -> str | None:
        """``None`` for a live access token, else why it is refused."""
        if not token:
            return "no access token was given"
        with self.lock:
            expires = self.access.get(token_hash(token))
        if expires is None:
            return "invalid access token"
        if expires <= self.clock():
            return "the access token expired"
        return None

    def holds(self, access_token: str) -> bool:
        """Whether ``access_token`` was issued (and not revoked): for tests."""
        with self.lock:
            return token_hash(access_token) in self.access

    # -- test hooks -------------------------------------------------------------

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired now (a token expiring mid-sync)."""
        with self.lock:
            past = self.clock() - timedelta(seconds=1)
            self.access = dict.fromkeys(self.access, past)
            if self.engine is not None:
                with self.engine.begin() as conn:
                    conn.execute(update(t.sandbox_oauth_access).values(expires=_naive(past)))

    def revoke_all(self) -> None:
        """The shop owner removes the app: every grant and token stops working."""
        with self.lock:
            self.grants.clear()
            self.access.clear()
            if self.engine is not None:
                with self.engine.begin() as conn:
                    for table in (t.sandbox_oauth_access, t.sandbox_oauth_retired, t.sandbox_oauth_grants):
                        conn.execute(delete(table))
