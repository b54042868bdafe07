"""The web chat page: a small chat window a shop links to or frames, plain JavaScript, no build step.

``GET /shops/{shop}/chat?key=pk_…`` serves the page for the shop whose
publishable chat key is given; its script (``/chat-static/chat.js``) opens a
conversation with that key and then talks to the chat API (:mod:`.api`) with
the conversation token, kept in the tab's ``sessionStorage`` so a reload
continues the same conversation. Buttons, item pickers, forms (refund
account, new address) and photo uploads are drawn from the structured
messages. The page's Content-Security-Policy allows scripts, styles and
requests to this origin only.
"""

from __future__ import annotations

import html
from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from cafehub.service.auth import public
from cafehub.service.errors import ApiError
from cafehub.service.pages import SECURITY_HEADERS

from .access import CHAT_KEY_HEADER, PageAccess

router = APIRouter(include_in_schema=False)

#: The pages' headers, except that a shop may frame its chat window in its own pages.
HEADERS = {**SECURITY_HEADERS, "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"].replace(
    "frame-ancestors 'none'", "frame-ancestors *")}
STATIC = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8"}


@cache
def _file(name: str) -> bytes:
    return files("cafehub.service.chat").joinpath("static", name).read_bytes()


@router.get("/shops/{shop}/chat", response_class=HTMLResponse)
def chat_page(shop: PageAccess, key: str) -> HTMLResponse:
    """The chat window of a shop (opened with its publishable key)."""
    page = _file("chat.html").decode().format(shop=html.escape(shop.id), key=html.escape(key),
                                              header=CHAT_KEY_HEADER)
    return HTMLResponse(page, headers=HEADERS)


@router.get("/chat-static/{name}")
@public
def chat_static(name: str) -> Response:
    """The chat page's script and style sheet."""
    if name not in STATIC:
        raise ApiError(404, "not_found", "no such file", field="path.name")
    return Response(_file(name), media_type=STATIC[name],
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
