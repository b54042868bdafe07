"""Who is asking: authentication as FastAPI dependencies that every route declares.

A shop's route takes the shop from its path (``/v1/shops/{shop}/...``) and
declares one of::

    caller: ReadAccess     # a token of this shop with the read scope
    caller: WriteAccess    # a token of this shop with the write scope

The dependency reads the token (``Authorization: Bearer <token>``, or the
web editor's HttpOnly session cookie), verifies it against the hashed
tokens, and checks that it belongs to the shop in the path and carries the
scope. It answers 401 without a valid token and 403 for a token of another
shop, for a shop that does not exist (the same answer, so shops cannot be
enumerated), or without the scope. The route receives a :class:`Caller`:
the shop's configuration and the token's grant.

:func:`authenticator` marks a function as one that authenticates (these two,
and others an area adds, such as the Channel Talk webhook's signature
check). :func:`cafehub.service.app.create_app` refuses to build an app in
which a route depends on none, unless the route is marked :func:`public`.

Cookie sessions and CSRF: the editor's cookie is HttpOnly and
SameSite=Strict, and a request authenticated by the cookie that changes
something (any method but GET/HEAD/OPTIONS) must also carry the header
``X-CafeHub-Csrf: 1``, which a cross-site form cannot send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from cafehub.service.config import SHOP_ID_PATTERN, ShopConfig
from cafehub.service.errors import ApiError
from cafehub.service.state import ServiceState, service_state
from cafehub.service.tokens import Grant, Scope

if TYPE_CHECKING:
    from cafehub.registry import SegmentRegistry
    from cafehub.registry.membership import LiveMembership

SESSION_COOKIE = "cafehub_session"
CSRF_HEADER = "X-CafeHub-Csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable[..., Any])

#: Functions that authenticate a request (see :func:`authenticator`).
AUTHENTICATORS: set[Callable[..., Any]] = set()


def authenticator(fn: F) -> F:
    """Mark ``fn`` as a dependency that authenticates the request and resolves its shop."""
    AUTHENTICATORS.add(fn)
    return fn


def public(fn: F) -> F:
    """Mark a route as deliberately open to anyone (health, login page); nothing shop-specific may be in it."""
    fn.__cafehub_public__ = True  # type: ignore[attr-defined]
    return fn


def is_public(fn: Callable[..., Any]) -> bool:
    return bool(getattr(fn, "__cafehub_public__", False))


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request: the shop it may act on, and the token that said so.

    :meth:`store` is the only way routes reach a store, and it gives the
    caller's own shop's: a route cannot open another shop's by mistake.
    """

    shop: ShopConfig
    grant: Grant
    state: ServiceState = field(repr=False, compare=False)

    def store(self) -> Engine:
        """The engine of this shop's canonical store."""
        return self.state.store(self.shop)

    def registry(self) -> SegmentRegistry:
        """This shop's saved segments (in its store; every query filtered on this shop)."""
        return self.state.registry(self.shop)

    def membership(self) -> LiveMembership:
        """This shop's live membership (compiled segments kept between requests)."""
        return self.state.membership(self.shop)

    @property
    def shop_id(self) -> str:
        return self.shop.id

    @property
    def who(self) -> str:
        """How the caller is recorded (as who saved a segment): the token's name and id."""
        return f"{self.grant.name} ({self.grant.token_id})"


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "unauthenticated", message, field="header.authorization",
                    headers={"WWW-Authenticate": 'Bearer realm="cafehub"'})


def presented_token(request: Request) -> tuple[str | None, bool]:
    """The token the request carries and whether it came from the session cookie."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthenticated("the Authorization header must be 'Bearer <token>'")
        return value.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


async def verify_token(token: str, state: ServiceState) -> Grant | None:
    """What ``token`` grants, or ``None``.

    An embedded token database (SQLite) is read on the event loop: a lookup by
    primary key takes tens of microseconds, less than a hop to a worker thread.
    A server database is read from the thread pool, so the loop never waits on
    the network.
    """
    if state.tokens.embedded:
        return state.tokens.verify(token)
    return await run_in_threadpool(state.tokens.verify, token)


async def verify_request(request: Request, state: ServiceState) -> Grant:
    """The grant of the request's token, or 401."""
    token, from_cookie = presented_token(request)
    if token is None:
        raise _unauthenticated("this route needs an API token: 'Authorization: Bearer <token>'")
    if from_cookie and request.method not in _SAFE_METHODS and request.headers.get(CSRF_HEADER) != "1":
        raise ApiError(403, "forbidden", f"a change made with the session cookie needs the {CSRF_HEADER} header",
                       field=f"header.{CSRF_HEADER.lower()}")
    grant = await verify_token(token, state)
    if grant is None:
        raise _unauthenticated("the API token is malformed, unknown or revoked")
    return grant


def authorize(grant: Grant, shop_id: str, scope: Scope, state: ServiceState) -> Caller:
    """The caller for ``shop_id`` if the grant covers it with ``scope``, else 403."""
    shop = state.config.shop(shop_id)
    if shop is None or grant.shop_id != shop_id:
        raise ApiError(403, "forbidden", "the API token does not give access to this shop", field="path.shop")
    if scope not in grant.scopes:
        raise ApiError(403, "forbidden", f"the API token lacks the {scope.value} scope")
    return Caller(shop=shop, grant=grant, state=state)


ShopPath = Annotated[str, Path(pattern=SHOP_ID_PATTERN, description="The shop id.")]


@authenticator
async def require_read(request: Request, shop: ShopPath) -> Caller:
    """A token of the path's shop with the read scope."""
    state = service_state(request)
    return authorize(await verify_request(request, state), shop, Scope.READ, state)


@authenticator
async def require_write(request: Request, shop: ShopPath) -> Caller:
    """A token of the path's shop with the write scope."""
    state = service_state(request)
    return authorize(await verify_request(request, state), shop, Scope.WRITE, state)


ReadAccess = Annotated[Caller, Depends(require_read)]
WriteAccess = Annotated[Caller, Depends(require_write)]
