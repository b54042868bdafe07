"""The HTTP chat API: a shop's own page (or any client) talks to the conversation engine.

::

    POST /v1/shops/{shop}/chat/conversations                      X-Chat-Key: pk_…  → {conversation_id, token}
    POST /v1/shops/{shop}/chat/conversations/{id}/messages        Authorization: Bearer <token>
         {"text": "注文をキャンセルしたい", "message_id": "…"}   or {"button": {"command", "answers"}}
         or {"photos": ["…"]}                                    → {"messages": [{"message", "text"}], "status"}
    GET  /v1/shops/{shop}/chat/conversations/{id}/messages?after=N → the transcript after entry N
    POST /v1/shops/{shop}/chat/conversations/{id}/photos         (image bytes) → {"photo_id"}
    GET  /v1/shops/{shop}/chat/handoffs                           (API token, read) conversations waiting for staff
    POST /v1/shops/{shop}/chat/conversations/{id}/give-back       (API token, write) the bot answers again

Each bot message comes structured (:class:`~cafehub.runtime.messages.model.Message`:
text and order blocks, buttons carrying a command and answers, what the next
answer is) and as numbered plain text. ``message_id`` makes a send
idempotent: the same id gets the first answer again, nothing runs twice.
Who may call what: :mod:`.access`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from cafehub.connectors.ratelimit import thread_waited
from cafehub.runtime.conversations import Event, render_text
from cafehub.runtime.conversations.store import Busy, chat_conversations
from cafehub.runtime.messages.model import Message
from cafehub.service.auth import ReadAccess, WriteAccess
from cafehub.service.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSES, ApiError, ErrorBody

from .access import (
    CHAT_KEY_HEADER,
    ConversationAccess,
    ConversationPath,
    OpenAccess,
    PreflightAccess,
)

router = APIRouter(prefix="/v1/shops/{shop}/chat", tags=["chat"], responses={
    **ERROR_RESPONSES, **NOT_FOUND_RESPONSES,
    409: {"model": ErrorBody, "description": "The conversation is answering another message; send again."}})

MAX_PHOTO_BYTES = 10 * 1024 * 1024


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenConversation(Strict):
    language: Literal["ja", "ko", "en"] | None = Field(None, description="The first language (detected after).")
    member_id: str | None = Field(None, min_length=1, max_length=64,
                                  description="A signed-in member; only a shop's server (API token) may say so.")


class ConversationOpened(Strict):
    conversation_id: str
    token: str = Field(description="Send as 'Authorization: Bearer <token>' on this conversation's routes.")
    expires_at: datetime


class ButtonPress(Strict):
    command: str = Field(min_length=1, max_length=32)
    answers: dict[str, Any] = Field(default_factory=dict, max_length=20)


class Inbound(Strict):
    """One customer message: text, a pressed button, answers to the question asked (a form, chosen items), or
    uploaded photos (exactly one)."""

    text: str | None = Field(None, min_length=1, max_length=2000)
    button: ButtonPress | None = None
    answers: dict[str, Any] | None = Field(None, max_length=20,
                                           description="Answers to the current question, e.g. {'items': [...]}.")
    photos: list[str] | None = Field(None, min_length=1, max_length=10)
    message_id: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                                   description="The client's id of this message: a retry with it runs nothing twice.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Inbound:
        if sum(x is not None for x in (self.text, self.button, self.answers, self.photos)) != 1:
            raise ValueError("give exactly one of text, button, answers, photos")
        return self

    def event(self) -> Event:
        if self.button is not None:
            return Event(kind="button", command=self.button.command, answers=self.button.answers)
        if self.answers is not None:  # a button without a command answers the task under way
            return Event(kind="button", command="", answers=self.answers)
        if self.photos is not None:
            return Event(kind="photos", photos=tuple(self.photos))
        return Event(kind="text", text=self.text or "")


class BotMessage(Strict):
    message: Message
    text: str = Field(description="The message as numbered plain text (a typed number presses that button).")


class Replies(Strict):
    messages: list[BotMessage]
    status: Literal["bot", "handed_over"]


class Entry(Strict):
    id: int
    role: str
    text: str
    message: Message | None = None


class Transcript(Strict):
    entries: list[Entry]
    status: Literal["bot", "handed_over"]


class PhotoUploaded(Strict):
    photo_id: str


class Handoff(Strict):
    conversation_id: str
    channel: str
    reason: str | None
    updated_at: datetime


class Handoffs(Strict):
    conversations: list[Handoff]


def _cors(request: Request, response: Response, chat: Any) -> None:
    """Let the shop's own page read the answer (only for an origin the shop lists)."""
    origin = request.headers.get("origin")
    if origin and chat.origins and origin in chat.origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"


@router.options("/{path:path}", include_in_schema=False, status_code=204, response_class=Response)
def preflight(caller: PreflightAccess, path: str) -> Response:
    """CORS preflight of a shop's page on its own origin (one of the shop's ``origins``)."""
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": caller, "Vary": "Origin", "Access-Control-Max-Age": "600",
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": f"Authorization, Content-Type, {CHAT_KEY_HEADER}"})


@router.post("/conversations", status_code=201, response_model=ConversationOpened,
             summary="Open a conversation (with the shop's chat key, or its API token for a signed-in member)")
def open_conversation(caller: OpenAccess, body: OpenConversation, request: Request,
                      response: Response) -> ConversationOpened:
    if body.member_id is not None and not caller.server:
        raise ApiError(403, "forbidden", "only the shop's server (an API token) may name a signed-in member",
                       field="body.member_id")
    runtime = caller.runtime
    conversation_id = runtime.new_conversation_id()
    claim = runtime.tokens.issue(caller.shop.id, conversation_id, body.member_id,
                                 caller.chat.config.token_hours * 3600)
    caller.chat.conversations.store.create(conversation_id, caller.shop.id, "api", language=body.language)
    _cors(request, response, caller.chat.config)
    return ConversationOpened(conversation_id=conversation_id, token=runtime.tokens.encode(claim),
                              expires_at=datetime.fromtimestamp(claim.expires, UTC))


def _status(caller: Any) -> Literal["bot", "handed_over"]:
    state = caller.chat.conversations.store.load(caller.claim.conversation_id)
    return "handed_over" if state is not None and state.status == "handed_over" else "bot"


@router.post("/conversations/{conversation}/messages", response_model=Replies,
             summary="Send the customer's message; the bot's answer")
def send_message(caller: ConversationAccess, conversation: ConversationPath, body: Inbound,
                 request: Request) -> Response:
    # The answer is serialised here, in the worker thread that made it (not in the docstring: FastAPI would
    # publish it): returned as a model, FastAPI validated it again against ``Replies`` in a second hop to the
    # thread pool before encoding it, which under load cost a wait for a free thread as well as the CPU. The
    # schema published (response_model) is the same.
    engine = caller.chat.conversations
    started, cpu, waited = time.perf_counter(), time.thread_time(), thread_waited()
    try:
        answered = engine.answer(caller.shop.id, conversation, body.event(), message_id=body.message_id,
                                 channel="api", member_id=caller.claim.member_id)
    except Busy:
        raise ApiError(409, "conflict", "this conversation is busy answering another message; send again",
                       field="path.conversation") from None
    timing = _server_timing(time.perf_counter() - started, time.thread_time() - cpu, thread_waited() - waited)
    replies = Replies(messages=[BotMessage(message=m, text=render_text(m)) for m in answered.messages],
                      status=answered.status)
    response = Response(replies.model_dump_json(), media_type="application/json",
                        headers={"Server-Timing": timing})
    _cors(request, response, caller.chat.config)
    return response


def _server_timing(wall: float, cpu: float, cafe24_wait: float) -> str:
    """How long the turn took inside the service (``turn``: the engine's wall time, from the worker thread
    taking the request to the answer; ``cpu``: that thread's CPU time; ``cafe24-wait``: of ``turn``, time
    spent waiting for Cafe24's rate limit), in milliseconds, so a client or a load test can tell the
    service's own time from queueing in front of it and from the mall's limit."""
    return f"turn;dur={wall * 1e3:.2f}, cpu;dur={cpu * 1e3:.2f}, cafe24-wait;dur={cafe24_wait * 1e3:.2f}"


@router.get("/conversations/{conversation}/messages", response_model=Transcript,
            summary="The conversation so far (after an entry id, to catch up)")
def transcript(caller: ConversationAccess, conversation: ConversationPath, request: Request, response: Response,
               after: Annotated[int, Query(ge=0, le=2**62)] = 0) -> Transcript:
    rows = caller.chat.conversations.store.messages_since(conversation, after)
    _cors(request, response, caller.chat.config)
    return Transcript(entries=[Entry(id=i, role=role, text=text if message is None else render_text(message),
                                     message=message) for i, role, message, text in rows], status=_status(caller))


@router.post("/conversations/{conversation}/photos", response_model=PhotoUploaded, status_code=201,
             summary="Upload a photo (JPEG, PNG, GIF, WebP or HEIC, at most 10 MB) for a return or exchange",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def upload_photo(caller: ConversationAccess, conversation: ConversationPath, request: Request,
                       response: Response) -> PhotoUploaded:
    from starlette.concurrency import run_in_threadpool

    data = await request.body()
    if not data:
        raise ApiError(422, "invalid_request", "the photo's bytes are the request body", field="body")
    if len(data) > MAX_PHOTO_BYTES:
        raise ApiError(413, "too_large", "a photo is at most 10 MB", field="body")
    uploaded = await run_in_threadpool(caller.chat.commands.upload_photo, data)
    if uploaded.photo_id is None:
        kind = uploaded.problem.value if uploaded.problem else "refused"
        raise ApiError(422, "invalid_photo", f"the photo was refused: {kind}", field="body")
    _cors(request, response, caller.chat.config)
    return PhotoUploaded(photo_id=uploaded.photo_id)


@router.get("/handoffs", response_model=Handoffs, summary="Conversations handed to an operator (staff)")
def handoffs(caller: ReadAccess) -> Handoffs:
    if caller.shop.chat is None:
        raise ApiError(404, "not_found", "this shop has no chat", field="path.shop")
    from .runtime import chat_runtime

    chat_runtime(caller.state).shop(caller.shop)  # its conversations' tables exist once its chat has run
    with caller.store().connect() as conn:
        rows = conn.execute(select(chat_conversations.c.id, chat_conversations.c.channel,
                                   chat_conversations.c.state, chat_conversations.c.updated_at).where(
            chat_conversations.c.shop == caller.shop_id, chat_conversations.c.status == "handed_over")
            .order_by(chat_conversations.c.updated_at.desc()).limit(500)).all()
    from cafehub.runtime.conversations.model import State

    return Handoffs(conversations=[
        Handoff(conversation_id=r.id, channel=r.channel, reason=State.model_validate_json(r.state).handoff_reason,
                updated_at=r.updated_at.replace(tzinfo=UTC)) for r in rows])


AnyConversation = Annotated[str, Path(pattern=r"^(w|ct)-[A-Za-z0-9_-]{1,64}$",
                                      description="A chat API (w-…) or Channel Talk (ct-…) conversation.")]


@router.post("/conversations/{conversation}/give-back", status_code=204, response_class=Response,
             summary="An operator gives a handed-over conversation back to the bot (staff)")
def give_back(caller: WriteAccess, conversation: AnyConversation) -> Response:
    from .runtime import chat_runtime

    config = caller.shop
    if config.chat is None:
        raise ApiError(404, "not_found", "this shop has no chat", field="path.shop")
    chat = chat_runtime(caller.state).shop(config)
    try:
        given = chat.conversations.give_back(config.id, conversation)
    except PermissionError:  # another shop's conversation: the same answer as none
        given = False
    if not given:
        raise ApiError(404, "not_found", "no conversation of this shop is waiting for an operator",
                       field="path.conversation")
    return Response(status_code=204)
