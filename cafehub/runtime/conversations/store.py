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

import functools
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # not on Windows: the busy handler alone
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Double,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    event,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from cafehub.runtime.messages.model import Message

from .model import Effect, State

T = TypeVar("T")
log = logging.getLogger("cafehub.conversations")

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
    #: Seconds since the epoch: a double (MariaDB's FLOAT is single precision, so a lease of 30 s was rounded
    #: to 128 s steps of the clock: taken over at once, or held for minutes).
    Column("lease_until", Double, nullable=True),
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


# The statements of a turn, built once: building a Core statement per execution cost about ten times its
# execution on SQLite (coercions and cache keys), and a turn runs about nine. Parameters are ``b_…`` (a
# bound parameter may not share a column's name in an UPDATE).
_cc, _cm, _ce = chat_conversations.c, chat_messages.c, chat_effects.c
_TAKE_LEASE = update(chat_conversations).where(
    _cc.id == bindparam("b_id"), _cc.shop == bindparam("b_shop"),
    or_(_cc.lease_owner.is_(None), _cc.lease_until < bindparam("b_now"), _cc.lease_owner == bindparam("b_owner")),
).values(lease_owner=bindparam("b_owner"), lease_until=bindparam("b_until"))
_STATE = select(_cc.state).where(_cc.id == bindparam("b_id"))
_SHOP = select(_cc.shop).where(_cc.id == bindparam("b_id"))
_NEW_CONVERSATION = insert(chat_conversations)
_SEEN = select(_cm.id).where(_cm.conversation_id == bindparam("b_id"), _cm.role == "user",
                             _cm.external_id == bindparam("b_external"))
_NEW_MESSAGE = insert(chat_messages)
_SAVE = update(chat_conversations).where(_cc.id == bindparam("b_id"), _cc.lease_owner == bindparam("b_owner")) \
    .values(state=bindparam("b_state"), status=bindparam("b_status"), updated_at=bindparam("b_at"))
_SAVE_AND_RELEASE = _SAVE.values(lease_owner=None, lease_until=None)
_RELEASE = update(chat_conversations).where(_cc.id == bindparam("b_id"), _cc.lease_owner == bindparam("b_owner")) \
    .values(lease_owner=None, lease_until=None)
_RENEW = update(chat_conversations).where(_cc.id == bindparam("b_id"), _cc.lease_owner == bindparam("b_owner")) \
    .values(lease_until=bindparam("b_until"))
_NEW_EFFECT = insert(chat_effects)
_EFFECT_DONE = update(chat_effects).where(_ce.key == bindparam("b_key"), _ce.status != "done") \
    .values(status="done", result=bindparam("b_result"))
_REPLIES_TO = select(_cm.body).where(_cm.conversation_id == bindparam("b_id"), _cm.role == "bot",
                                     _cm.reply_to == bindparam("b_external")).order_by(_cm.id)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Busy(Exception):
    """Another worker holds the conversation's lease."""


class LeaseLost(Busy):
    """This worker's lease ran out while its effect ran and another worker took the conversation: what it
    would have saved is dropped (the other worker answers; the same message id sent again gets that answer)."""


class _Raced(Exception):
    """Another worker created the conversation's row first."""


def _sqlite_for_writers(engine: Engine) -> None:
    """SQLite with several writers at once: write-ahead log, a wait instead of "database is locked".

    ``synchronous`` stays ``FULL``: the chat gives the command ledger this same
    engine, and an idempotency key lost to a power cut (what ``NORMAL`` allows
    in WAL mode) could let a retried partial cancel reach Cafe24 twice.
    """

    def pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=20000")
        cursor.close()

    if not event.contains(engine, "connect", pragmas):
        event.listen(engine, "connect", pragmas)
        engine.dispose()  # connections opened before get the pragmas too


@dataclass
class TurnPlan:
    """What a turn's first transaction records, decided by the engine from the state under the lease."""

    #: The transcript's text of the inbound message (redacted: no contact, code, account or address).
    inbound: str
    state: State
    replies: list[Message]
    #: What the reducer asked for: the first is marked started and the turn continues with it; none, the
    #: turn ends here.
    effects: list[Effect]

    @property
    def effect(self) -> Effect | None:
        return self.effects[0] if self.effects else None


class _SqliteWriter:
    """One writer at a time per SQLite file: the threads of a process queue on a lock, and processes on an
    exclusive ``flock`` of ``<file>.writer`` (the kernel queues them). Without it, writers poll SQLite's busy
    handler, which sleeps up to 100 ms a try, so 40 threads (or a few workers) writing at once made convoys
    of seconds. Writers that do not take it (the command ledger) still meet in the busy handler; readers
    never wait (WAL)."""

    def __init__(self, path: Path) -> None:
        self._path = path.with_name(path.name + ".writer")
        #: This process's writers queue here; the one holding it takes the file's lock (:meth:`file`).
        self.threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self._fd is None or self._pid != os.getpid():  # a forked child must not share its parent's lock
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            except OSError:  # no lock file (a read-only directory): the busy handler alone, as before
                self._fd = None
        return self._fd

    @contextmanager
    def file(self) -> Iterator[None]:
        """The exclusive lock between processes (the caller holds :attr:`threads`)."""
        fd = self._file()
        if fd is not None and fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fd is not None and fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def __enter__(self) -> None:
        self.threads.acquire()
        try:
            fd = self._file()
            if fd is not None and fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self.threads.release()
            raise

    def __exit__(self, *_: object) -> None:
        try:
            if self._fd is not None and fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()


class _Discard(Exception):
    """Raised by a transaction's body: undo what it wrote and return ``value`` to its caller."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


@dataclass
class _Work:
    """One caller's transaction body waiting for a group commit, and what became of it."""

    body: Callable[[Connection], Any]
    done: bool = False
    value: Any = None
    error: BaseException | None = None


class _GroupCommit:
    """Write transactions on one SQLite file, committed in groups: one ``fsync`` for all the callers waiting.

    SQLite writes one transaction at a time and, with ``synchronous=FULL``, syncs the log at every commit
    (5-12 ms on this machine's disk), so with a commit per transaction the file's write rate, not the CPU,
    bounded the chat: under 200 conversations every write waited behind dozens of syncs. Here each caller
    queues its body; whoever holds the writer lock takes every body queued, runs each in a savepoint of one
    ``BEGIN IMMEDIATE`` transaction (a body that raises rolls back to its savepoint alone) and commits once;
    the others find their work done when the lock comes to them. The order is the queue's, so the result is
    that of the transactions committed one after another, and every caller returns only after its commit:
    durability is unchanged. Alone (one body in the group) it is a plain transaction, with no savepoint.
    """

    def __init__(self, writer: _SqliteWriter) -> None:
        self.writer = writer
        self._queue: list[_Work] = []
        self._queued = threading.Lock()

    def run(self, engine: Engine, body: Callable[[Connection], T]) -> T:
        work = _Work(body)
        with self._queued:
            self._queue.append(work)
        while True:
            with self.writer.threads:
                if not work.done:  # else a leader before us committed it
                    with self._queued:
                        batch, self._queue = self._queue, []
                    with self.writer.file():
                        self._commit(engine, batch)
            if work.done:
                break
        if isinstance(work.error, _Discard):
            return work.error.value  # type: ignore[no-any-return]
        if work.error is not None:
            raise work.error
        return work.value  # type: ignore[no-any-return]

    @staticmethod
    def _commit(engine: Engine, batch: list[_Work]) -> None:
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite defers BEGIN; savepoints need one
                for work in batch:
                    savepoint = conn.begin_nested() if len(batch) > 1 else None
                    try:
                        work.value = work.body(conn)
                    except Exception as error:
                        work.error = error
                        if savepoint is None:
                            raise
                        savepoint.rollback()
                    else:
                        if savepoint is not None:
                            savepoint.commit()
        except BaseException as error:  # the commit failed (or the only body raised): none of it happened
            for work in batch:
                if work.error is None:
                    work.value, work.error = None, error
            if not isinstance(error, Exception):
                raise
        finally:
            for work in batch:
                work.done = True


_SQLITE_WRITERS: dict[str, _GroupCommit] = {}
_SQLITE_WRITERS_GUARD = threading.Lock()


def _group_commit(engine: Engine) -> _GroupCommit | None:
    """The file's group committer (shared by every store on it in this process); ``None`` for a server
    database, whose own commits run side by side."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    path = Path(engine.url.database or "").resolve()
    with _SQLITE_WRITERS_GUARD:
        found = _SQLITE_WRITERS.get(str(path))
        if found is None:
            found = _SQLITE_WRITERS[str(path)] = _GroupCommit(_SqliteWriter(path))
        return found


class ChatStore:
    """Conversations in a store database.

    A turn costs one write transaction when no effect runs, and one more per effect: the first takes the
    lease, records the inbound message and, with the state the reducer made of it, either marks the first
    effect started or records the replies and releases the lease; after each effect one transaction marks it
    done with the state it led to and either marks the next one started or records the replies and releases
    the lease. So a crash between two transactions leaves a state whose outstanding effect is recorded
    ``started`` (:meth:`unfinished`), never a half-saved turn.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.owner = uuid.uuid4().hex
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            _sqlite_for_writers(engine)
        self._group = _group_commit(engine)
        #: Conversations whose effects this store's workers are running (a count each), their leases renewed
        #: by one background thread while any runs (:meth:`renewing`).
        self._renewed: dict[str, int] = {}
        self._renewer: threading.Thread | None = None
        self._renew_guard = threading.Lock()
        self._wake = threading.Event()
        self._next_renewal = 0.0
        chat_metadata.create_all(engine)
        if engine.dialect.name in ("mysql", "mariadb"):
            _double_lease(engine)

    def _write(self, body: Callable[[Connection], T]) -> T:
        """``body`` in a write transaction, committed when this returns: on a SQLite file with the other
        writers of the moment (:class:`_GroupCommit`), elsewhere alone. ``body`` raises :class:`_Discard` to
        undo its writes and return a value."""
        if self._group is not None:
            return self._group.run(self.engine, body)
        try:
            with self.engine.begin() as conn:
                return body(conn)
        except _Discard as discarded:
            return discarded.value  # type: ignore[no-any-return]

    # -- state and lease ----------------------------------------------------

    def _take(self, conn: Connection, conversation_id: str, shop: str, channel: str) -> tuple[bool, State | None]:
        """Try to take the lease in ``conn``'s transaction: ``(taken, state)``, state ``None`` for a new
        conversation. The lease is taken before the state is read, so the state read is the one the lease
        protects (no other worker can have saved one in between)."""
        now = time.time()
        taken = conn.execute(_TAKE_LEASE, {"b_id": conversation_id, "b_shop": shop, "b_now": now,
                                           "b_owner": self.owner, "b_until": now + LEASE_SECONDS}).rowcount
        if taken:
            raw = conn.execute(_STATE, {"b_id": conversation_id}).scalar_one()
            return True, State.model_validate_json(raw)
        found = conn.execute(_SHOP, {"b_id": conversation_id}).first()
        if found is None:
            try:
                conn.execute(_NEW_CONVERSATION, {
                    "id": conversation_id, "shop": shop, "channel": channel, "status": "bot",
                    "state": State(conversation_id=conversation_id, shop=shop, channel=channel).model_dump_json(),
                    "lease_owner": self.owner, "lease_until": now + LEASE_SECONDS, "updated_at": _now()})
            except IntegrityError:
                raise _Raced from None  # a concurrent first message created it: roll back, take the lease again
            return True, None
        if found.shop != shop:
            raise PermissionError("this conversation belongs to another shop")
        return False, None

    def _retrying(self, attempt: Callable[[], tuple[bool, T]], conversation_id: str, wait: float) -> T:
        """Run ``attempt`` (one transaction) until it takes the lease, or :class:`Busy` after ``wait`` s."""
        deadline = time.monotonic() + wait
        while True:
            try:
                done, value = attempt()
                if done:
                    return value
            except _Raced:
                pass
            except DBAPIError as error:
                if not _deadlock(error):
                    raise
                # the database chose this transaction as a deadlock's victim (MariaDB's gap locks when two
                # workers create one conversation's row at once): nothing was written, try again
            if time.monotonic() > deadline:
                raise Busy(conversation_id)
            time.sleep(0.005)

    def acquire(self, conversation_id: str, shop: str, channel: str, *, wait: float = 10.0) -> State | None:
        """Take the conversation's lease (creating the row); its state, or None when it is new."""

        def attempt() -> tuple[bool, State | None]:
            return self._write(lambda conn: self._take(conn, conversation_id, shop, channel))

        return self._retrying(attempt, conversation_id, wait)

    def begin_turn(self, conversation_id: str, shop: str, channel: str, external_id: str,
                   plan: Callable[[State | None], TurnPlan], *, wait: float = 10.0) -> TurnPlan | None:
        """A turn's first transaction: take the lease, and unless ``external_id`` was recorded before (then
        ``None``, and nothing changes), record the inbound message and what ``plan`` made of the state.

        ``plan`` is the pure reducer's step: it runs inside the transaction, under the lease.
        """

        def body(conn: Connection) -> tuple[bool, TurnPlan | None]:
            taken, state = self._take(conn, conversation_id, shop, channel)
            if not taken:
                return False, None
            seen = state is not None and conn.execute(
                _SEEN, {"b_id": conversation_id, "b_external": external_id}).first() is not None
            if seen:
                raise _Discard((True, None))  # the lease was never taken
            decided = plan(state)
            conn.execute(_NEW_MESSAGE, {"conversation_id": conversation_id, "role": "user",
                                        "external_id": external_id, "reply_to": None, "text": decided.inbound,
                                        "body": None, "created_at": _now()})
            self._advance(conn, decided.state, decided.effect, decided.replies, external_id)
            return True, decided

        return self._retrying(lambda: self._write(body), conversation_id, wait)

    def continue_turn(self, done_key: str, result: dict[str, Any], state: State, effect: Effect | None,
                      replies: list[Message], reply_to: str | None) -> dict[str, Any] | None:
        """After an effect: mark it done with ``result`` and save ``state``, in one transaction, with either
        the next ``effect`` marked started, or (``effect`` None) the turn's ``replies`` recorded and the
        lease released. If the next effect had been started before (a restart), the state is saved alone and
        its recorded result returned when it finished (``None``: it must run again)."""
        recorded = json.dumps(result, default=str)

        def advance(conn: Connection) -> None:
            self._done(conn, done_key, recorded)
            self._advance(conn, state, effect, replies, reply_to)

        def save(conn: Connection) -> None:
            self._done(conn, done_key, recorded)
            self._held(self._save(conn, state), state)

        try:
            self._write(advance)
            return None
        except IntegrityError:
            assert effect is not None
            self._write(save)
            return self.effect_result(effect.key)

    def _done(self, conn: Connection, key: str, recorded: str) -> None:
        conn.execute(_EFFECT_DONE, {"b_key": key, "b_result": recorded})

    def _advance(self, conn: Connection, state: State, effect: Effect | None, replies: list[Message],
                 reply_to: str | None) -> None:
        """Save the state the turn reached, under this worker's lease (else :class:`LeaseLost`: nothing of
        it is kept), with the next effect started or the replies recorded and the lease released."""
        self._held(self._save(conn, state, release=effect is None), state)
        if effect is not None:
            conn.execute(_NEW_EFFECT, {"key": effect.key, "conversation_id": state.conversation_id,
                                       "kind": effect.kind, "status": "started",
                                       "args": json.dumps(_redacted(effect.args)), "result": None})
            return
        if replies:
            now = _now()
            conn.execute(_NEW_MESSAGE, [
                {"conversation_id": state.conversation_id, "role": "bot", "external_id": None,
                 "reply_to": reply_to, "text": m.plain_text(), "body": m.model_dump_json(), "created_at": now}
                for m in replies])

    def create(self, conversation_id: str, shop: str, channel: str, *, language: str | None = None) -> None:
        """A new, empty conversation (its first language when known)."""
        state = State(conversation_id=conversation_id, shop=shop, channel=channel,
                      lang=language if language in ("ja", "ko", "en") else "en")
        row = {"id": conversation_id, "shop": shop, "channel": channel, "status": "bot",
               "state": state.model_dump_json(), "lease_owner": None, "lease_until": None, "updated_at": _now()}
        self._write(lambda conn: conn.execute(_NEW_CONVERSATION, row))

    def save(self, state: State, *, release: bool = False) -> None:
        self._write(lambda conn: self._save(conn, state, release=release))

    def _save(self, conn: Connection, state: State, *, release: bool = False) -> int:
        """Save ``state`` if this worker holds the lease; how many rows were saved (0: it does not)."""
        return int(conn.execute(_SAVE_AND_RELEASE if release else _SAVE, {
            "b_id": state.conversation_id, "b_owner": self.owner, "b_state": state.model_dump_json(),
            "b_status": state.status, "b_at": _now()}).rowcount)

    @staticmethod
    def _held(saved: int, state: State) -> None:
        if not saved:
            raise LeaseLost(state.conversation_id)

    def release(self, conversation_id: str) -> None:
        self._write(lambda conn: conn.execute(_RELEASE, {"b_id": conversation_id, "b_owner": self.owner}))

    @contextmanager
    def renewing(self, conversation_id: str) -> Iterator[None]:
        """Keep this worker's lease on the conversation while the block runs (an effect: a Cafe24 write slowed
        by retries or the rate limit can take longer than :data:`LEASE_SECONDS`, and another worker would
        then take the conversation for a dead one's and run the effect and answer a second time). Every
        third of a lease, one transaction extends the leases of all conversations being renewed."""
        with self._renew_guard:
            self._renewed[conversation_id] = self._renewed.get(conversation_id, 0) + 1
            if self._renewer is None:
                self._next_renewal = time.monotonic() + LEASE_SECONDS / 3
                self._renewer = threading.Thread(target=self._renew_loop, name="chat-lease-renewer", daemon=True)
                self._renewer.start()
            elif self._next_renewal > time.monotonic() + LEASE_SECONDS / 3:  # only when the lease was shortened
                self._wake.set()
        try:
            yield
        finally:
            with self._renew_guard:
                left = self._renewed[conversation_id] - 1
                if left:
                    self._renewed[conversation_id] = left
                else:
                    del self._renewed[conversation_id]

    def _renew_loop(self) -> None:
        while True:
            self._wake.wait(max(0.0, self._next_renewal - time.monotonic()))
            with self._renew_guard:
                self._wake.clear()
                if not self._renewed:
                    self._renewer = None
                    return
                now = time.monotonic()
                # a shorter lease than this thread began with (tests): the next tick comes sooner
                self._next_renewal = min(self._next_renewal, now + LEASE_SECONDS / 3)
                if now < self._next_renewal:
                    continue
                ids = list(self._renewed)
            try:
                self._write(functools.partial(self._renew, ids))
            except Exception as error:  # the next tick tries again; a lease that runs out is caught at saving
                log.warning("renewing conversation leases failed: %s", type(error).__name__)
            with self._renew_guard:
                self._next_renewal = time.monotonic() + LEASE_SECONDS / 3

    def _renew(self, ids: list[str], conn: Connection) -> None:
        until = time.time() + LEASE_SECONDS
        conn.execute(_RENEW, [{"b_id": i, "b_owner": self.owner, "b_until": until} for i in ids])

    def load(self, conversation_id: str) -> State | None:
        with self.engine.connect() as conn:
            raw = conn.execute(_STATE, {"b_id": conversation_id}).scalar()
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

    def replies_to(self, conversation_id: str, external_id: str) -> list[Message]:
        """The bot's answer to an inbound message, as recorded the first time."""
        with self.engine.connect() as conn:
            rows = conn.execute(_REPLIES_TO, {"b_id": conversation_id, "b_external": external_id}).scalars()
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
        recorded = json.dumps(result, default=str)
        self._write(lambda conn: conn.execute(_EFFECT_DONE, {"b_key": key, "b_result": recorded}))


def _double_lease(engine: Engine) -> None:
    """A MariaDB/MySQL table made before the lease's expiry was a double gets it as one."""
    with engine.begin() as conn:
        kind = conn.exec_driver_sql(
            "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = 'chat_conversations' AND COLUMN_NAME = 'lease_until'").scalar()
        if kind == "float":
            conn.exec_driver_sql("ALTER TABLE chat_conversations MODIFY lease_until DOUBLE NULL")


def _deadlock(error: DBAPIError) -> bool:
    """A deadlock or serialization failure the database resolved by rolling this transaction back."""
    code = getattr(error.orig, "pgcode", None) or getattr(error.orig, "sqlstate", None)
    args = getattr(error.orig, "args", ())
    return code in ("40P01", "40001") or bool(args and args[0] in (1213, 1205))


def _redacted(args: dict[str, Any]) -> dict[str, Any]:
    """Effect arguments as recorded: never a code, a contact, an account or an address.

    Only what names the work is kept; a restart rebuilds the rest from the
    conversation's state (:meth:`cafehub.runtime.conversations.engine.ConversationEngine.resume`).
    """
    return {k: v for k, v in args.items() if k in ("reason", "command", "channel", "lang")}
