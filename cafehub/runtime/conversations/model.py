"""A conversation's state, the events that move it and the effects it asks for (all pydantic, all JSON).

The state is what the store keeps between turns. A task holds the command
being run and the answers given so far (the command engine is stateless:
:mod:`cafehub.runtime.engine`), plus what the last message asked for, so
the next customer message can be read as that answer. An effect carries the
idempotency key the reducer gave it *before* it runs, so a process that dies
mid-effect finds, on restart, the same key and either its recorded result
or the need to run it again (see :mod:`.engine`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cafehub.runtime.answers import Identity
from cafehub.runtime.messages.model import Expect, Message

Lang = Literal["ja", "ko", "en"]
TaskKind = Literal["orders", "eta", "cancel", "return", "address"]
TASKS: tuple[TaskKind, ...] = ("orders", "eta", "cancel", "return", "address")
#: Where the customer writes from: channels that can upload photos take the photo step themselves.
Channel = Literal["api", "web", "channeltalk", "terminal"]
PHOTO_CHANNELS: frozenset[str] = frozenset({"api", "web", "terminal"})
#: Buttons the conversation itself offers (not commands of the engine).
MENU = "@menu"
PICK_IDENTITY = "@identity"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Task(Frozen):
    """The command under way and where it stands."""

    kind: TaskKind
    #: ``contact`` / ``code`` / ``identity``: verifying; ``answer``: the engine asked (``expect``);
    #: ``waiting``: an effect is running.
    step: Literal["contact", "code", "identity", "answer", "waiting"]
    answers: dict[str, Any] = Field(default_factory=dict)
    expect: Expect | None = None
    #: For an ``items`` question: the selectable order item codes, numbered from 1 in the message.
    item_codes: tuple[str, ...] = ()
    contact_channel: Literal["sms", "email"] | None = None
    #: The contact being verified (E.164 or e-mail); dropped as soon as the code is checked.
    contact: str | None = None
    identities: tuple[Identity, ...] = ()


class Pressable(Frozen):
    """A button of the last message: typing its number presses it."""

    command: str
    answers: dict[str, Any] = Field(default_factory=dict)


class State(Frozen):
    conversation_id: str
    shop: str
    channel: Channel = "api"
    lang: Lang = "en"
    status: Literal["bot", "handed_over"] = "bot"
    who: Identity | None = None
    task: Task | None = None
    #: The buttons of the bot's last message, in the order the text surfaces number them.
    buttons: tuple[Pressable, ...] = ()
    #: Effects issued so far: the next effect's key is ``{conversation_id}:{seq + 1}``.
    seq: int = 0
    handoff_reason: str | None = None


class Effect(Frozen):
    """Work outside the reducer. ``key`` is unique per conversation and fixed before the work runs."""

    key: str
    kind: Literal["send_code", "check_code", "find_identities", "command", "hand_over"]
    args: dict[str, Any] = Field(default_factory=dict)


class Event(Frozen):
    """A customer's text, a pressed button, uploaded photos, or the result of an effect (``key`` names it)."""

    kind: Literal["text", "button", "photos", "result"]
    text: str = ""
    command: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    photos: tuple[str, ...] = ()
    key: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)


Step = tuple[State, list[Message], list[Effect]]
