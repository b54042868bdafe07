"""The application factory: one FastAPI app with a router per area.

:data:`ROUTERS` lists the module of each area's router (one line each, as
``AREAS`` does for the CLI); :func:`create_app` includes them, installs the
error handlers, and then checks the contract of :mod:`cafehub.service`:
every route depends on an authenticator or is marked public, else the app is
not built (:class:`RouteContractError` names the route).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from importlib import import_module
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.responses import Response
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cafehub.service import errors, logs
from cafehub.service.auth import AUTHENTICATORS, is_public, public
from cafehub.service.config import ServiceConfig, load_config
from cafehub.service.state import ServiceState
from cafehub.service.tokens import TokenStore

#: The module of each area's router (a module-level ``router: APIRouter``, and optionally
#: ``EXCEPTION_HANDLERS: {exception class: handler}``). One line per area.
ROUTERS: tuple[str, ...] = (
    "cafehub.service.segments",
    "cafehub.service.pages",
    "cafehub.service.chat.api",
    "cafehub.service.chat.channeltalk",
    "cafehub.service.chat.page",
)

#: Paths served by FastAPI itself or as static assets: public by nature, nothing shop-specific.
PUBLIC_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})

#: Largest request body accepted (a segment is at most 100,000 characters).
MAX_BODY_BYTES = 1_048_576

API_VERSION = "1"


class RouteContractError(RuntimeError):
    """A route that depends on no authenticator and is not marked public."""


class Health(BaseModel):
    status: str


health_router = APIRouter(tags=["service"])


@health_router.get("/health", response_model=Health, summary="Liveness probe")
@public
def health() -> Health:
    """Always ``ok`` while the process serves requests (no shop is involved)."""
    return Health(status="ok")


def _query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route reads (its own and its dependencies')."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


_QUERY_NAMES: dict[int, frozenset[str]] = {}


async def reject_unknown_query(request: Request) -> None:
    """Refuse query parameters the route does not read (a misspelt ``?formt=jsonl`` must not be ignored).

    The refusal names the parameter, as bodies' unknown keys are named.
    """
    if not request.query_params:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _QUERY_NAMES.get(id(route))
    if known is None:
        known = _QUERY_NAMES[id(route)] = _query_names(route.dependant)
    for name in request.query_params:
        if name not in known:
            raise RequestValidationError([{"loc": ("query", name), "type": "extra_forbidden",
                                           "msg": "unknown query parameter"}])


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def iter_routes(app: FastAPI) -> Iterator[tuple[str, BaseRoute]]:
    """Every route of ``app`` with its full path, those of included routers too.

    FastAPI before 0.16x copied included routes into ``app.routes``; newer
    versions keep each included router as one entry, walked here with
    ``iter_route_contexts``.
    """
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        for route in app.routes:
            yield getattr(route, "path", ""), route
        return
    for context in iter_route_contexts(app.routes):
        yield context.path or "", context.original_route


def check_routes(app: FastAPI) -> None:
    """Enforce the contract: each route authenticates (depends on an authenticator) or is public."""
    for path, route in iter_routes(app):
        if isinstance(route, APIRoute):
            if is_public(route.endpoint) or AUTHENTICATORS.intersection(_dependency_calls(route.dependant)):
                continue
            raise RouteContractError(
                f"{sorted(route.methods or [])} {path} ({route.endpoint.__module__}.{route.name}) depends on "
                "no authenticator: declare ReadAccess/WriteAccess (or another @authenticator), or mark it @public")
        if path in PUBLIC_PATHS:
            continue
        endpoint = getattr(route, "endpoint", None)
        if endpoint is None or not is_public(endpoint):
            raise RouteContractError(f"{path} is neither a FastAPI route with an authenticator nor public")


def method_not_allowed_handler(app: FastAPI) -> Callable[[Request, Exception], Any]:
    """A 405 handler whose ``Allow`` lists every method of the path (Starlette's lists one route's only)."""
    routes = [(compile_path(path)[0], frozenset(route.methods or ()))
              for path, route in iter_routes(app) if isinstance(route, APIRoute)]

    async def handler(request: Request, exc: Exception) -> Response:
        path = request.url.path
        allowed = sorted({method for regex, methods in routes if regex.match(path) for method in methods})
        return errors.error_response(405, errors.ErrorDetail(
            code="method_not_allowed", message=f"{request.method} is not allowed here (allowed: {', '.join(allowed)})"),
            {"Allow": ", ".join(allowed)})

    return handler


class BodyLimit:
    """ASGI middleware: refuse bodies over ``limit`` bytes with 413 before a route reads them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await self._too_large(send)
                return
        received = 0
        refused = False

        async def limited() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > self.limit:  # a chunked body grew too large: answer now, end the request
                    refused = True
                    await self._too_large(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not refused:  # once refused, whatever the app answers to the disconnect is dropped
                await send(message)

        await self.app(scope, limited, guarded)

    async def _too_large(self, send: Send) -> None:
        response = errors.error_response(413, errors.ErrorDetail(
            code="too_large", message=f"the request body is larger than {self.limit} bytes", field="body"))
        await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """The cafehub service for ``config`` (default: :func:`~cafehub.service.config.load_config`)."""
    config = config if config is not None else load_config()
    state = ServiceState(config=config, tokens=TokenStore.open(config.database))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="cafehub",
        version=API_VERSION,
        summary="Segments (check, compile, count, explain, saved segments, audiences) and chat for Cafe24 shops.",
        description=(
            "Every route under `/v1/shops/{shop}` needs an API token of that shop "
            "(`Authorization: Bearer <token>`; create one with `cafehub token create`). "
            "Errors have one shape, `{\"error\": {\"code\", \"message\", ...}}`, and never repeat a value sent."
        ),
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
    )
    app.state.cafehub = state
    logs.install()
    errors.install(app)
    app.include_router(health_router)
    for module_name in ROUTERS:
        module = import_module(module_name)
        app.include_router(module.router)
        for exception, handler in getattr(module, "EXCEPTION_HANDLERS", {}).items():
            app.add_exception_handler(exception, handler)
    check_routes(app)
    app.add_exception_handler(405, method_not_allowed_handler(app))
    app.add_middleware(BodyLimit)
    return app
