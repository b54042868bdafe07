"""Web pages: sign-in with an API token, and the segment editor.

Server-rendered HTML (Jinja2, autoescaped) and one small plain-JavaScript
file; no build step. The editor's script calls the same JSON API as any
client, authenticated by the session cookie that sign-in sets:

- ``GET /login`` shows a form for an API token; ``POST /login`` verifies it
  and sets the ``cafehub_session`` cookie (HttpOnly, SameSite=Strict; Secure
  over HTTPS), then sends the browser to its shop's editor. ``POST /logout``
  clears it. A wrong token gets the form again with a message, never the
  token.
- ``GET /shops/{shop}/editor`` is the editor of that shop; without a valid
  session for that shop the browser is sent to the sign-in page.
- ``GET /static/{name}`` serves the editor's script and style sheet.

Every page sends a Content-Security-Policy that allows scripts and styles
only from this origin (no inline script), and forbids framing.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from cafehub.service.auth import (
    SESSION_COOKIE,
    Caller,
    ShopPath,
    authenticator,
    authorize,
    public,
    verify_request,
    verify_token,
)
from cafehub.service.config import SHOP_ID
from cafehub.service.errors import ApiError
from cafehub.service.state import service_state
from cafehub.service.tokens import Scope

router = APIRouter(include_in_schema=False)

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

#: The files of ``static/`` a browser may ask for, with their media types.
STATIC = {"editor.js": "text/javascript; charset=utf-8", "editor.css": "text/css; charset=utf-8"}


@cache
def _templates() -> Environment:
    return Environment(loader=PackageLoader("cafehub.service.pages", "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


@cache
def _static(name: str) -> tuple[bytes, str]:
    """A static file's bytes and its ETag (read once)."""
    data = files("cafehub.service.pages").joinpath("static", name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:16] + '"'


def render(template: str, status: int = 200, **values: object) -> HTMLResponse:
    html = _templates().get_template(template).render(static_version=_static("editor.js")[1].strip('"'), **values)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


#: Why the browser is on the sign-in page (``?reason=``): fixed texts, so a link cannot put words on the page.
REASONS = {
    "unauthenticated": "Sign in with an API token of this shop.",
    "forbidden": "Your session is not for this shop; sign in with one of its API tokens.",
    "invalid": "That token is not valid (it may be mistyped or revoked).",
    "signed_out": "You are signed out.",
}


class SignInRequired(Exception):
    """A page asked for without a valid session for its shop: the browser goes to the sign-in page."""

    def __init__(self, shop: str, reason: str) -> None:
        super().__init__(reason)
        self.shop = shop
        self.reason = reason


@authenticator
async def page_reader(request: Request, shop: ShopPath) -> Caller:
    """Like ``ReadAccess``, for pages: a refusal sends the browser to sign in instead of a JSON error."""
    state = service_state(request)
    try:
        return authorize(await verify_request(request, state), shop, Scope.READ, state)
    except ApiError as refused:
        raise SignInRequired(shop, refused.code if refused.code in REASONS else "unauthenticated") from None


PageReader = Annotated[Caller, Depends(page_reader)]


async def sign_in_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = f"/login?shop={quote(exc.shop)}&reason={quote(exc.reason)}"
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


#: Installed by ``create_app`` (see the contract in :mod:`cafehub.service`).
EXCEPTION_HANDLERS = {SignInRequired: sign_in_redirect}


@router.get("/", response_class=RedirectResponse)
@public
def home() -> RedirectResponse:
    """The service's front page is the sign-in page."""
    return RedirectResponse("/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
@public
def login_page(shop: str | None = None, reason: str | None = None) -> HTMLResponse:
    """The sign-in form (``reason``: why the browser was sent here, one of :data:`REASONS`)."""
    return render("login.html", shop=shop if shop and SHOP_ID.match(shop) else None,
                  reason=REASONS.get(reason or ""))


@router.post("/login", response_class=HTMLResponse)
@public
async def login(request: Request) -> Response:
    """Verify the token from the form; set the session cookie and go to the editor of the token's shop."""
    state = service_state(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=4)
    token = (form.get("token") or [""])[0].strip()
    grant = await verify_token(token, state) if token else None
    if grant is None or state.config.shop(grant.shop_id) is None:
        return render("login.html", status=401, shop=None, reason=REASONS["invalid"])
    response = RedirectResponse(f"/shops/{quote(grant.shop_id)}/editor", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
@public
def logout() -> RedirectResponse:
    """Forget the session."""
    response = RedirectResponse("/login?reason=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/shops/{shop}/editor", response_class=HTMLResponse)
def editor(caller: PageReader, segment: str | None = None) -> HTMLResponse:
    """The segment editor of the caller's shop (``?segment=NAME`` opens a saved segment)."""
    return render("editor.html", shop=caller.shop, who=caller.grant.name,
                  can_write=Scope.WRITE in caller.grant.scopes, segment=segment)


@router.get("/static/{name}")
@public
def static(name: str, request: Request, v: str | None = None) -> Response:
    """The editor's script and style sheet (nothing else is served; ``v`` only makes new versions' URLs new)."""
    if name not in STATIC:
        raise ApiError(404, "not_found", "no such file", field="path.name")
    data, etag = _static(name)
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=STATIC[name], headers=headers)
