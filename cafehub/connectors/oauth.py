"""OAuth 2.0 for the Cafe24 Admin API: authorize URL, code exchange, rotating refresh.

Cafe24's flow (developers.cafe24.com, "Authentication"): the shop owner opens
``/api/v2/oauth/authorize?response_type=code&client_id&state&redirect_uri&scope``
and is sent back with ``?code=``; the app posts the code to
``/api/v2/oauth/token`` with HTTP Basic ``client_id:client_secret``. Access
tokens last 2 hours, refresh tokens 14 days, and every refresh returns a new
refresh token while invalidating the old one. :class:`TokenManager` hands out
a valid access token, refreshing ahead of expiry, and coordinates refreshes
between workers through the :mod:`~cafehub.connectors.tokens` protocol.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from cafehub.connectors.config import Cafe24Config
from cafehub.connectors.errors import (
    AuthorizationError,
    MalformedResponse,
    TransportError,
    api_error,
    transport_problem,
)
from cafehub.connectors.tokens import StoredToken, TokenSet, TokenStore

TOKEN_ENDPOINT = "POST /api/v2/oauth/token"


class TokenResponse(BaseModel):
    """The token endpoint's answer (times without offset are in the mall's zone)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: str
    expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    mall_id: str | None = None
    scopes: list[str] = []

    def token_set(self, zone: ZoneInfo) -> TokenSet:
        def utc(moment: datetime) -> datetime:
            aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
            return aware.astimezone(UTC)

        return TokenSet(self.access_token, utc(self.expires_at), self.refresh_token, utc(self.refresh_token_expires_at))


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class OAuthClient:
    """The token endpoint of one mall."""

    def __init__(self, config: Cafe24Config) -> None:
        self.config = config
        self._http = httpx.Client(transport=config.transport, timeout=config.timeout)

    def close(self) -> None:
        self._http.close()

    def authorize_url(self, state: str) -> str:
        """Where to send the shop owner to grant access."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "state": state,
                "redirect_uri": self.config.redirect_uri,
                "scope": ",".join(self.config.scopes),
            }
        )
        return f"{self.config.oauth_url}/authorize?{query}"

    def approve_without_browser(self, state: str = "cafehub") -> str:
        """Follow the authorize URL without a browser and return the code from the redirect.

        Only a server that approves at once (the sandbox) answers this way; the
        real Cafe24 shows a login page, which is reported as an error.
        """
        endpoint = "GET /api/v2/oauth/authorize"
        try:
            response = self._http.get(self.authorize_url(state), follow_redirects=False)
        except httpx.HTTPError as exc:
            raise TransportError(transport_problem(exc), endpoint=endpoint) from None
        location = response.headers.get("location", "")
        query = dict(parse_qsl(urlsplit(location).query))
        if response.status_code not in (301, 302, 303, 307) or "code" not in query:
            raise AuthorizationError(
                "the authorize page needs a person (open the URL from --authorize-url in a browser, then pass --code)",
                endpoint=endpoint,
            )
        return str(query["code"])

    def exchange_code(self, code: str) -> TokenSet:
        """Trade an authorization code for the first token set."""
        return self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": self.config.redirect_uri})

    def refresh(self, refresh_token: str) -> TokenSet:
        """Trade a refresh token for a new token set (the old refresh token dies)."""
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _token(self, form: dict[str, str]) -> TokenSet:
        url = f"{self.config.oauth_url}/token"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.post(url, data=form, auth=(self.config.client_id, self.config.client_secret))
            except httpx.HTTPError as exc:
                # A token request that may have reached the server is not retried: a
                # refresh that succeeded there would have rotated the token away.
                retry, delay = self.config.retry.on_exception(attempt, exc, write=True)
                if retry:
                    self.config.sleep(delay)
                    continue
                raise TransportError(transport_problem(exc), endpoint=TOKEN_ENDPOINT) from None
            if response.status_code == 429:
                retry, delay = self.config.retry.on_response(attempt, response, write=False)
                if retry:
                    self.config.sleep(delay)
                    continue
            if response.status_code >= 400:
                error = api_error(response, TOKEN_ENDPOINT)
                if response.status_code in (400, 401) and error.code in ("invalid_grant", "invalid_token", "401"):
                    raise AuthorizationError(
                        f"the token was refused ({error.code}: {error.api_message}); authorize the app again",
                        endpoint=TOKEN_ENDPOINT,
                        request=response.request,
                    ) from error
                raise error
            return self._parse(response)

    def _parse(self, response: httpx.Response) -> TokenSet:
        try:
            body: Any = response.json()
        except ValueError as exc:
            raise MalformedResponse("the body is not JSON", endpoint=TOKEN_ENDPOINT, request=response.request) from exc
        try:
            parsed = TokenResponse.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise MalformedResponse(
                first["msg"], endpoint=TOKEN_ENDPOINT, field=_field_path(first["loc"]), request=response.request
            ) from None  # the validation error holds the answer, tokens included
        if parsed.mall_id is not None and parsed.mall_id != self.config.mall_id:
            # A base URL that is not {mall}.cafe24api.com (a sandbox, a proxy) serves one mall whatever
            # the mall id: tokens it grants are for that mall, and a sync would fill the store with it.
            raise AuthorizationError(
                f"the server at {self.config.root_url} authorized mall {parsed.mall_id!r}, "
                f"not {self.config.mall_id!r}: check the mall id (a sandbox serves only the mall it was started with, "
                f"`cafehub sandbox serve --mall ID`)",
                endpoint=TOKEN_ENDPOINT,
                request=response.request,
            )
        return parsed.token_set(ZoneInfo(self.config.zone))


class TokenManager:
    """A valid access token on demand, shared safely between workers through a store."""

    def __init__(
        self,
        oauth: OAuthClient,
        store: TokenStore,
        *,
        lease_seconds: float = 30.0,
        wait_seconds: float = 60.0,
        poll_seconds: float = 0.05,
    ) -> None:
        self.oauth = oauth
        self.store = store
        self.config = oauth.config
        self.owner = uuid.uuid4().hex
        self.lease_seconds = lease_seconds
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.refreshes = 0

    @property
    def mall_id(self) -> str:
        return self.config.mall_id

    def authorize_with_code(self, code: str) -> StoredToken:
        return self.store.save(self.mall_id, self.oauth.exchange_code(code))

    def _stored(self) -> StoredToken:
        row = self.store.load(self.mall_id)
        if row is None:
            raise AuthorizationError(
                f"mall {self.mall_id!r} has not been authorized yet (exchange an authorization code first)"
            )
        return row

    def _fresh(self, tokens: TokenSet, now: datetime) -> bool:
        return tokens.access_expires_at - timedelta(seconds=self.config.refresh_margin_seconds) > now

    def access_token(self) -> str:
        """An access token good for at least the refresh margin."""
        row = self._stored()
        now = self.config.now()
        if self._fresh(row.tokens, now):
            return row.tokens.access_token
        return self.refresh(row.tokens.access_token).tokens.access_token

    def refresh(self, stale_access_token: str | None) -> StoredToken:
        """Replace ``stale_access_token`` (expiring, or just rejected with 401).

        If another worker already replaced it, its tokens are used; otherwise
        this worker takes the lease and refreshes. A refresh token rejected
        because someone else rotated it is not an error as long as their new
        tokens reach the store.
        """
        deadline = time.monotonic() + self.wait_seconds
        while True:
            row = self._stored()
            now = self.config.now()
            if row.tokens.access_token != stale_access_token and self._fresh(row.tokens, now):
                return row
            if row.tokens.refresh_expires_at <= now:
                raise AuthorizationError(
                    f"the refresh token of mall {self.mall_id!r} expired on "
                    f"{row.tokens.refresh_expires_at:%Y-%m-%d %H:%M} UTC; authorize the app again"
                )
            until = now + timedelta(seconds=self.lease_seconds)
            if self.store.begin_refresh(self.mall_id, row.version, self.owner, now, until):
                try:
                    tokens = self.oauth.refresh(row.tokens.refresh_token)
                except AuthorizationError:
                    self.store.abort_refresh(self.mall_id, self.owner)
                    latest = self._stored()
                    if latest.version != row.version:
                        continue  # rotated by another worker meanwhile: use theirs
                    raise
                except BaseException:
                    self.store.abort_refresh(self.mall_id, self.owner)
                    raise
                saved = self.store.finish_refresh(self.mall_id, self.owner, tokens)
                self.refreshes += 1
                assert saved is not None
                return saved
            if time.monotonic() > deadline:
                raise AuthorizationError(
                    f"gave up waiting {self.wait_seconds:.0f}s for another worker to refresh the token of "
                    f"mall {self.mall_id!r}"
                )
            self.config.sleep(self.poll_seconds)
