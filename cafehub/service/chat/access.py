"""Who may talk to a shop's chat, as dependencies every chat route declares.

- Opening a conversation: the shop's **publishable chat key** (``X-Chat-Key``,
  public, embedded in the shop's own page; when the shop lists ``origins``
  the browser's ``Origin`` must be one of them), or the shop's **API token**
  with the write scope (``Authorization: Bearer cafehub_…``) from the shop's
  server, which may also vouch for a signed-in member.
- Everything about one conversation: its **conversation token**
  (``Authorization: Bearer <token>``), signed by the service when the
  conversation was opened, naming the shop, the conversation and the member;
  it must match the path's shop and conversation.
- The Channel Talk webhook: the shop's webhook token (``?token=``) and,
  when a signing key is configured, the ``X-Signature`` HMAC of the body.

Every refusal is 401 (nothing valid presented) or 403 (valid, but not for
this shop or conversation), the same for a shop that does not exist or has no
chat, so shops cannot be enumerated. Keys, tokens and signatures are
compared in constant time and never repeated in an answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from cafehub.service.auth import ShopPath, authenticator, authorize, verify_request
from cafehub.service.config import ChatConfig, ShopConfig, secret_value
from cafehub.service.errors import ApiError
from cafehub.service.state import service_state
from cafehub.service.tokens import Scope

from .runtime import ChatRuntime, ConversationClaim, ShopChat, chat_runtime

CHAT_KEY_HEADER = "X-Chat-Key"
ConversationPath = Annotated[str, Path(pattern=r"^w-[A-Za-z0-9_-]{16,40}$", description="The conversation id.")]


@dataclass(frozen=True, slots=True)
class ChatCaller:
    """A request allowed to open conversations for ``shop``; ``server`` when an API token vouched for it."""

    shop: ShopConfig
    chat: ShopChat
    runtime: ChatRuntime
    server: bool


@dataclass(frozen=True, slots=True)
class ConversationCaller:
    shop: ShopConfig
    chat: ShopChat
    claim: ConversationClaim


def _forbidden(field: str) -> ApiError:
    return ApiError(403, "forbidden", "these credentials do not give access to this shop's chat", field=field)


def _chat_shop(request: Request, shop: str) -> tuple[ShopConfig, ChatConfig, ChatRuntime]:
    state = service_state(request)
    found = state.config.shop(shop)
    if found is None or found.chat is None:
        raise _forbidden("path.shop")
    return found, found.chat, chat_runtime(state)


def own_origin(request: Request) -> str:
    """The service's own origin (its chat page calls the API from there)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def allowed_origin(chat: ChatConfig, origin: str | None, request: Request) -> bool:
    """A browser request's ``Origin`` may use the key: the shop's listed origins and the service's own (no list:
    any; no header: not a browser's cross-site call)."""
    return not chat.origins or origin is None or origin in chat.origins or origin == own_origin(request)


@authenticator
async def open_access(request: Request, shop: ShopPath) -> ChatCaller:
    """The shop's publishable chat key, or its API token (write scope) from the shop's server."""
    config, chat, runtime = _chat_shop(request, shop)
    if request.headers.get("authorization"):
        state = service_state(request)
        authorize(await verify_request(request, state), shop, Scope.WRITE, state)
        return ChatCaller(config, runtime.shop(config), runtime, server=True)
    key = request.headers.get(CHAT_KEY_HEADER.lower())
    if not key:
        raise ApiError(401, "unauthenticated", f"the {CHAT_KEY_HEADER} header (the shop's chat key) is needed",
                       field=f"header.{CHAT_KEY_HEADER.lower()}")
    if not hmac.compare_digest(key.encode(), chat.key.encode()):
        raise _forbidden("path.shop")  # the same answer as a shop that does not exist
    if not allowed_origin(chat, request.headers.get("origin"), request):
        raise _forbidden("header.origin")
    return ChatCaller(config, runtime.shop(config), runtime, server=False)


@authenticator
async def conversation_access(request: Request, shop: ShopPath, conversation: ConversationPath
                              ) -> ConversationCaller:
    """The conversation token issued for this shop's conversation."""
    config, _, runtime = _chat_shop(request, shop)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "this route needs the conversation token: 'Authorization: Bearer …'",
                       field="header.authorization")
    claim = runtime.tokens.decode(token.strip())
    if claim is None:
        raise ApiError(401, "unauthenticated", "the conversation token is malformed, forged or expired",
                       field="header.authorization")
    if claim.shop != shop or claim.conversation_id != conversation:
        raise _forbidden("header.authorization")
    return ConversationCaller(config, runtime.shop(config), claim)


@authenticator
async def page_access(request: Request, shop: ShopPath,
                      key: Annotated[str, Query(max_length=80, description="The shop's chat key.")]) -> ShopConfig:
    """The chat page of a shop, opened with its publishable key."""
    config, chat, _ = _chat_shop(request, shop)
    if not hmac.compare_digest(key.encode(), chat.key.encode()):
        raise _forbidden("query.key")
    return config


def signature_ok(signing_key_hex: str, body: bytes, given: str | None) -> bool:
    """Channel Talk's ``X-Signature``: base64 of HMAC-SHA256(bytes.fromhex(key), body)."""
    if not given:
        return False
    try:
        key = bytes.fromhex(signing_key_hex)
    except ValueError:
        return False
    expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected.encode(), given.encode())


@authenticator
async def webhook_access(request: Request, shop: ShopPath,
                         token: Annotated[str, Query(max_length=200, description="The webhook token.")]
                         ) -> ShopChat:
    """Channel Talk's delivery for this shop: its webhook token and, with a signing key, the signature."""
    config, chat, runtime = _chat_shop(request, shop)
    ct = chat.channeltalk
    if ct is None:
        raise _forbidden("path.shop")
    expected = secret_value(ct.webhook_token, "chat.channeltalk.webhook_token")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise _forbidden("query.token")
    if ct.signing_key is not None:
        key = secret_value(ct.signing_key, "chat.channeltalk.signing_key")
        if not signature_ok(key, await request.body(), request.headers.get("x-signature")):
            raise _forbidden("header.x-signature")
    return runtime.shop(config)


@authenticator
async def preflight_access(request: Request, shop: ShopPath) -> str:
    """A CORS preflight from an origin the shop lists: the origin."""
    _, chat, _ = _chat_shop(request, shop)
    origin = request.headers.get("origin")
    if not origin or not chat.origins or origin not in chat.origins:
        raise _forbidden("header.origin")
    return origin


PreflightAccess = Annotated[str, Depends(preflight_access)]
OpenAccess = Annotated[ChatCaller, Depends(open_access)]
ConversationAccess = Annotated[ConversationCaller, Depends(conversation_access)]
PageAccess = Annotated[ShopConfig, Depends(page_access)]
WebhookAccess = Annotated[ShopChat, Depends(webhook_access)]
