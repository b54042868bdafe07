"""Conversations in the store database: state, transcript, effects, and a lease per conversation.

Tables (own ``MetaData``, created on first use, any of the store's engines):

- ``chat_conversations``: the JSON state, the shop, the hand-off flag, and a
  lease (owner, expiry) so one worker at a time, in any process, moves a
  conversation (a killed worker's lease runs out after :data:`LEASE_SECONDS`);
- ``chat_messages``: the transcript; an inbound message's external id is
  unique per conversation, so a repeated delivery is recognised;
- ``chat_effects``: each effect by its key, ``started`` before it runs and
  ``done`` with its result after, so a restart knows what may have happened.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    event,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from cafehub.runtime.messages.model import Message

from .model import State

LEASE_SECONDS = 30.0
chat_metadata = MetaData()

chat_conversations = Table(
    "chat_conversations", chat_metadata,
    Column("id", String(128), primary_key=True),
    Column("shop", String(64), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("state", Text, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("updated_at", DateTime(timezone=False), nullable=False),
)

chat_messages = Table(
    "chat_messages", chat_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(128), nullable=False, index=True),
    Column("role", String(8), nullable=False),  # user | bot | note
    Column("external_id", String(128), nullable=True),
    Column("reply_to", String(128), nullable=True),
    Column("text", Text, nullable=False),
    #: A bot message's structured form (:class:`~cafehub.runtime.messages.model.Message` as JSON).
    Column("body", Text, nullable=True),
    Column("created_at", DateTime(timezone=False), nullable=False),
    UniqueConstraint("conversation_id", "role", "external_id", name="uq_chat_inbound"),
)

chat_effects = Table(
    "chat_effects", chat_metadata,
    Column("key", String(160), primary_key=True),
    Column("conversation_id", String(128), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(8), nullable=False),  # started | done
    Column("args", Text, nullable=False),
    Column("result", Text, nullable=True),
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Busy(Exception):
    """Another worker holds the conversation's lease."""


def _sqlite_for_writers(engine: Engine) -> None:
    """SQLite with several writers at once: write-ahead log, a wait instead of "database is locked"."""

    def pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=20000")
        cursor.close()

    if not event.contains(engine, "connect", pragmas):
        event.listen(engine, "connect", pragmas)
        engine.dispose()  # connections opened before get the pragmas too


class ChatStore:
    """Conversations in a store database. A turn costs five short transactions: take the lease, record the
    inbound message, and per effect one to mark it started (with the state) and one to mark it done (with
    the state), then one to record the replies, save the state and release the lease."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.owner = uuid.uuid4().hex
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            _sqlite_for_writers(engine)
        chat_metadata.create_all(engine)

    # -- state and lease ----------------------------------------------------

    def acquire(self, conversation_id: str, shop: str, channel: str, *, wait: float = 10.0) -> State | None:
        """Take the conversation's lease (creating the row); its state, or None when it is new."""
        deadline = time.monotonic() + wait
        while True:
            now = time.time()
            with self.engine.begin() as conn:
                row = conn.execute(select(chat_conversations).where(chat_conversations.c.id == conversation_id)).first()
                if row is None:
                    try:
                        conn.execute(insert(chat_conversations).values(
                            id=conversation_id, shop=shop, channel=channel, status="bot",
                            state=State(conversation_id=conversation_id, shop=shop,
                                        channel=channel).model_dump_json(),
                            lease_owner=self.owner, lease_until=now + LEASE_SECONDS, updated_at=_now()))
                        return None
                    except IntegrityError:
                        pass
                else:
                    if row.shop != shop:
                        raise PermissionError("this conversation belongs to another shop")
                    taken = conn.execute(update(chat_conversations).where(and_(
                        chat_conversations.c.id == conversation_id,
                        or_(chat_conversations.c.lease_owner.is_(None), chat_conversations.c.lease_until < now,
                            chat_conversations.c.lease_owner == self.owner),
                    )).values(lease_owner=self.owner, lease_until=now + LEASE_SECONDS)).rowcount
                    if taken:
                        return State.model_validate_json(row.state)
            if time.monotonic() > deadline:
                raise Busy(conversation_id)
            time.sleep(0.005)

    def create(self, conversation_id: str, shop: str, channel: str, *, language: str | None = None) -> None:
        """A new, empty conversation (its first language when known)."""
        state = State(conversation_id=conversation_id, shop=shop, channel=channel,
                      lang=language if language in ("ja", "ko", "en") else "en")
        with self.engine.begin() as conn:
            conn.execute(insert(chat_conversations).values(id=conversation_id, shop=shop, channel=channel,
                                                           status="bot", state=state.model_dump_json(),
                                                           lease_owner=None, lease_until=None, updated_at=_now()))

    def save(self, state: State, *, release: bool = False) -> None:
        with self.engine.begin() as conn:
            self._save(conn, state, release=release)

    def _save(self, conn: Any, state: State, *, release: bool = False) -> None:
        values: dict[str, Any] = {"state": state.model_dump_json(), "status": state.status, "updated_at": _now()}
        if release:
            values |= {"lease_owner": None, "lease_until": None}
        conn.execute(update(chat_conversations).where(and_(
            chat_conversations.c.id == state.conversation_id,
            chat_conversations.c.lease_owner == self.owner)).values(**values))

    def start_effect(self, state: State, key: str, kind: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """Save ``state`` and mark effect ``key`` started, in one transaction; if it had been started before
        (a restart), its recorded result when it finished (``None``: it must run again)."""
        try:
            with self.engine.begin() as conn:
                self._save(conn, state)
                conn.execute(insert(chat_effects).values(key=key, conversation_id=state.conversation_id, kind=kind,
                                                         status="started", args=json.dumps(_redacted(args))))
            return None
        except IntegrityError:
            with self.engine.begin() as conn:
                self._save(conn, state)
            return self.effect_result(key)

    def finish_effect(self, key: str, result: dict[str, Any], state: State) -> None:
        """Record the effect's result and the state it led to, in one transaction."""
        with self.engine.begin() as conn:
            conn.execute(update(chat_effects).where(and_(chat_effects.c.key == key, chat_effects.c.status != "done"))
                         .values(status="done", result=json.dumps(result, default=str)))
            self._save(conn, state)

    def finish_turn(self, state: State, reply_to: str | None, messages: list[Message]) -> None:
        """Record the bot's messages, save the state and release the lease, in one transaction."""
        with self.engine.begin() as conn:
            if messages:
                conn.execute(insert(chat_messages), [
                    {"conversation_id": state.conversation_id, "role": "bot", "external_id": None,
                     "reply_to": reply_to, "text": m.plain_text(), "body": m.model_dump_json(), "created_at": _now()}
                    for m in messages])
            self._save(conn, state, release=True)

    def release(self, conversation_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(chat_conversations).where(and_(
                chat_conversations.c.id == conversation_id, chat_conversations.c.lease_owner == self.owner,
            )).values(lease_owner=None, lease_until=None))

    def load(self, conversation_id: str) -> State | None:
        with self.engine.connect() as conn:
            raw = conn.execute(select(chat_conversations.c.state).where(
                chat_conversations.c.id == conversation_id)).scalar()
        return None if raw is None else State.model_validate_json(raw)

    def shop_of(self, conversation_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(chat_conversations.c.shop).where(
                chat_conversations.c.id == conversation_id)).scalar()

    def unfinished(self) -> list[str]:
        """Conversations whose last effect started and never finished (a worker died mid-effect)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(chat_effects.c.conversation_id).where(
                chat_effects.c.status == "started").distinct()).scalars()
            return sorted(rows)

    # -- transcript -----------------------------------------------------------

    def record_inbound(self, conversation_id: str, external_id: str, text: str) -> bool:
        """Store a customer's message; False when that external id was already recorded."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(chat_messages).values(conversation_id=conversation_id, role="user",
                                                          external_id=external_id, text=text, created_at=_now()))
            return True
        except IntegrityError:
            return False

    def replies_to(self, conversation_id: str, external_id: str) -> list[Message]:
        """The bot's answer to an inbound message, as recorded the first time."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(chat_messages.c.body).where(and_(
                chat_messages.c.conversation_id == conversation_id, chat_messages.c.role == "bot",
                chat_messages.c.reply_to == external_id)).order_by(chat_messages.c.id)).scalars()
            return [Message.model_validate_json(body) for body in rows if body]

    def messages_since(self, conversation_id: str, after_id: int = 0) -> list[tuple[int, str, Message | None, str]]:
        """``(id, role, message, text)`` of the transcript after ``after_id`` (a page polls with it)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(chat_messages.c.id, chat_messages.c.role, chat_messages.c.body,
                                       chat_messages.c.text).where(and_(
                chat_messages.c.conversation_id == conversation_id, chat_messages.c.id > after_id))
                .order_by(chat_messages.c.id).limit(200))
            return [(r.id, r.role, Message.model_validate_json(r.body) if r.body else None, r.text) for r in rows]

    def transcript(self, conversation_id: str) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(chat_messages.c.role, chat_messages.c.text).where(
                chat_messages.c.conversation_id == conversation_id).order_by(chat_messages.c.id))
            return [(r.role, r.text) for r in rows]

    # -- effects --------------------------------------------------------------

    def effect_result(self, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(chat_effects.c.status, chat_effects.c.result).where(
                chat_effects.c.key == key)).first()
        if row is None or row.status != "done":
            return None
        return json.loads(row.result)  # type: ignore[no-any-return]

    def effect_done(self, key: str, result: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(chat_effects).where(chat_effects.c.key == key).values(
                status="done", result=json.dumps(result, default=str)))


def _redacted(args: dict[str, Any]) -> dict[str, Any]:
    """Effect arguments as recorded: never a code, a contact, an account or an address.

    Only what names the work is kept; a restart rebuilds the rest from the
    conversation's state (:meth:`cafehub.runtime.conversations.engine.ConversationEngine.resume`).
    """
    return {k: v for k, v in args.items() if k in ("reason", "command", "channel", "lang")}
