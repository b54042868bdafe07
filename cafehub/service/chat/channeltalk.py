"""The Channel Talk webhook: new user-chat messages in, the bot's replies out through the Open API.

``POST /v1/shops/{shop}/channeltalk/webhook?token=…`` (register this URL, with
the token, in the channel's webhook settings; set a signing key to have
``X-Signature`` checked too). The route checks the token and signature,
queues the message and answers ``202`` at once; a worker thread runs the
conversation and posts each reply with ``POST /open/v5/user-chats/{id}/messages``
(the request id ``<message id>:<n>`` makes a retried post the same message).

- Only a user's own, public text messages of a user chat are handled; the
  bot's and managers' messages, private notes and other events are
  acknowledged and ignored (Channel Talk delivers them all).
- A message delivered twice is recognised by its id in the store (the
  conversation engine records each inbound id once): the second delivery
  runs nothing and posts nothing.
- A signed-in member (the Channel Talk user's ``memberId``, set by the
  shop's Cafe24 plugin) is known at once; anyone else verifies by code.
- Hand-off (verification failed, nothing found, a failure, photos needed,
  "talk to a person"): a private note with the reason for the managers and,
  when ``handoff_manager_id`` is set, the chat assigned to that manager; the
  bot never assigns chats to itself, so without a manager the chat waits in
  the unassigned inbox. The bot then stays silent in that chat until staff
  give it back (``POST /v1/shops/{shop}/chat/conversations/ct-<id>/give-back``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from cafehub.runtime.conversations.store import Busy
from cafehub.service.errors import ERROR_RESPONSES, ApiError

from .access import WebhookAccess
from .runtime import CHANNELTALK_PREFIX, ShopChat, chat_runtime

log = logging.getLogger("cafehub.service.chat")

router = APIRouter(prefix="/v1/shops/{shop}/channeltalk", tags=["channel talk"], responses=ERROR_RESPONSES)


class Accepted(BaseModel):
    accepted: bool
    #: Why a delivery is acknowledged without an answer (``not_a_user_message``, ``private`` ...).
    ignored: str | None = None


def user_message(event: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The user's message in a webhook event, or why there is none."""
    if event.get("type") != "message":
        return None, "not_a_message"
    entity = event.get("entity")
    if not isinstance(entity, dict) or entity.get("chatType") != "userChat":
        return None, "not_a_user_chat"
    if entity.get("personType") != "user":
        return None, "not_a_user_message"
    if "private" in (entity.get("options") or []):
        return None, "private"
    text = entity.get("plainText") or "\n".join(
        str(b.get("value", "")) for b in entity.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "text")
    if not entity.get("chatId") or not entity.get("id") or not str(text).strip():
        return None, "no_text"
    return {"chat_id": str(entity["chatId"]), "message_id": str(entity["id"]), "text": str(text)[:2000],
            "language": entity.get("language") or None}, None


@router.post("/webhook", status_code=202, response_model=Accepted,
             summary="Channel Talk's webhook for new messages (answered at once, processed in the background)")
async def webhook(chat: WebhookAccess, request: Request) -> Accepted:
    try:
        event = json.loads(await request.body())
    except ValueError:
        raise ApiError(422, "invalid_request", "the body is not JSON", field="body") from None
    if not isinstance(event, dict):
        raise ApiError(422, "invalid_request", "the body is not a JSON object", field="body")
    message, ignored = user_message(event)
    if message is None:
        return Accepted(accepted=True, ignored=ignored)
    refers: dict[str, Any] = event["refers"] if isinstance(event.get("refers"), dict) else {}
    user: dict[str, Any] = refers["user"] if isinstance(refers.get("user"), dict) else {}
    member = str(user["memberId"]) if user.get("member") and user.get("memberId") else None
    runtime = chat_runtime(request.app.state.cafehub)
    runtime.workers.submit(answer, chat, message, member)
    return Accepted(accepted=True)


def answer(chat: ShopChat, message: dict[str, Any], member: str | None) -> None:
    """Run the conversation for one user message and post the replies (in a worker thread)."""
    chat_id = message["chat_id"]
    try:
        replies = chat.conversations.receive(chat.shop.id, f"{CHANNELTALK_PREFIX}{chat_id}", message["text"],
                                             message_id=message["message_id"], channel="channeltalk",
                                             member_id=member, language=message["language"])
    except Busy:
        log.warning("channel talk chat busy; message not handled")
        return
    except Exception as error:  # a worker must never die silently
        log.exception("channel talk message failed: %s", type(error).__name__)
        return
    if replies:  # none: a repeated delivery, or an operator has the chat
        chat.post_replies(chat_id, replies, str(message["message_id"]))
