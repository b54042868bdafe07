"""The runtime's own records in the store: idempotency keys, order locks, pending claims, photos.

Every write a customer asks for gets an idempotency key (a hash of the
mall, the action and exactly what would be written) that is recorded here
*before* the write. A repeated, retried or concurrent request with the same
key finds the record: ``done`` returns the first result without writing;
``started`` waits for the running attempt (a stale one, older than the
lease, is taken over after reading back what happened). Different actions
on one order are serialised by an order lock (a leased row), so the second
one re-reads the order and sees what the first did.

Tables live in their own :class:`MetaData` (``runtime_*``) in the store
database, on every engine the store supports. Nothing here holds a phone
number, e-mail address or name; a pending claim keeps the Cafe24 write it
will make (which may carry the refund account the customer typed) until
staff decide, and is deleted from the write once filed or rejected.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from cafehub.runtime.result import Outcome

T = TypeVar("T")
#: Attempts of a transaction that finds SQLite's database locked by another writer (waits 0.05 s, doubling).
LOCK_RETRIES = 6

runtime_metadata = MetaData()
Stamp = DateTime(timezone=False)

runtime_actions = Table(
    "runtime_actions",
    runtime_metadata,
    Column("key", String(64), primary_key=True),
    Column("mall_id", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("order_id", String(64), nullable=False, index=True),
    #: started | done | failed | unknown (the write may or may not have happened)
    Column("state", String(16), nullable=False),
    Column("outcome", Text, nullable=True),
    Column("attempt", Integer, nullable=False),
    Column("created_at", Stamp, nullable=False),
    Column("updated_at", Stamp, nullable=False),
)

runtime_locks = Table(
    "runtime_locks",
    runtime_metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", Stamp, nullable=False),
)

runtime_pending_claims = Table(
    "runtime_pending_claims",
    runtime_metadata,
    Column("claim_id", String(32), primary_key=True),
    Column("mall_id", String(64), nullable=False),
    Column("order_id", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    #: pending | approved | rejected | failed
    Column("state", String(16), nullable=False),
    #: The ClaimWrite as JSON while pending; emptied once decided.
    Column("write", Text, nullable=True),
    Column("photos", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("reject_reason", Text, nullable=True),
    Column("reference", String(64), nullable=True),
    Column("created_at", Stamp, nullable=False),
    Column("decided_at", Stamp, nullable=True),
)

runtime_photos = Table(
    "runtime_photos",
    runtime_metadata,
    Column("photo_id", String(32), primary_key=True),
    Column("mall_id", String(64), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Stamp, nullable=False),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def action_key(mall_id: str, action: str, payload: Any) -> str:
    """The idempotency key of a write: a SHA-256 of the mall, the action and the canonical payload."""
    text = json.dumps({"mall": mall_id, "action": action, "payload": payload}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Begun:
    """What :meth:`Ledger.begin` found.

    ``new``: this caller makes the write (first time, or after a failure);
    ``takeover``: a previous attempt died or its outcome is unknown: read
    back before writing; ``done``: already made (``outcome`` holds the
    result); ``running``: another caller is making it now. For ``new`` and
    ``takeover``, ``holder`` is this caller's order lock when it could be
    taken in the same transaction, and ``fresh`` says that no other write on
    the order was recorded since ``read_at`` (so the caller's snapshot is
    still what the ledger knows of the order).
    """

    kind: Literal["new", "takeover", "done", "running"]
    outcome: Outcome | None = None
    holder: str | None = None
    fresh: bool = False


class LockTimeout(Exception):
    """An order stayed locked by another writer for longer than the wait allowed."""


def _write_ahead_log(engine: Engine) -> None:
    """Put a SQLite store file in write-ahead-log mode (kept in the file; other databases: nothing).

    A write costs the ledger two commits. With SQLite's default rollback
    journal each commit writes and syncs the journal and the database file;
    with the log it appends to the log and syncs it once, which halves the
    time of a commit and shortens the stalls when the disk is busy (see the
    figures in docs/COMMANDS.md). Durability is unchanged: ``synchronous``
    is left as it is (``FULL`` unless the caller chose otherwise).
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
    except OperationalError:  # another process is writing: it stays as it was, still correct
        return


class Ledger:
    """Idempotency records, order locks, pending claims and photos for one mall."""

    def __init__(
        self,
        engine: Engine,
        mall_id: str,
        *,
        lease: timedelta = timedelta(seconds=60),
        dedupe_window: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.mall_id = mall_id
        self.lease = lease
        self.dedupe_window = dedupe_window
        self.clock = clock
        self.sleep = sleep
        _write_ahead_log(engine)
        runtime_metadata.create_all(engine)

    def _now(self) -> datetime:
        return _naive(self.clock())

    def _transaction(self, body: Callable[[Connection], T]) -> T:
        """Run ``body`` in one transaction; SQLite's "database is locked" (a busy writer) is waited out."""
        for attempt in range(LOCK_RETRIES):
            try:
                with self.engine.begin() as conn:
                    return body(conn)
            except OperationalError as error:
                if "locked" not in str(error.orig).lower() or attempt == LOCK_RETRIES - 1:
                    raise
                self.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def _lock_name(self, order_id: str) -> str:
        return f"{self.mall_id}:{order_id}"

    # -- idempotency ----------------------------------------------------------

    def begin(self, key: str, action: str, order_id: str, *, read_at: datetime | None = None) -> Begun:
        """Record that the write ``key`` starts (taking the order lock in the same transaction when it is
        free), or report what an earlier attempt left."""
        now = self._now()
        row = {"key": key, "mall_id": self.mall_id, "action": action, "order_id": order_id, "state": "started",
               "outcome": None, "attempt": 1, "created_at": now, "updated_at": now}
        name, holder = self._lock_name(order_id), secrets.token_hex(8)
        def start(conn: Connection) -> Begun:
            # Write first: on SQLite a transaction that reads before it writes can fail to upgrade its lock.
            conn.execute(insert(runtime_actions), [row])
            lock = conn.execute(select(runtime_locks.c.expires_at).where(runtime_locks.c.name == name)).first()
            taken = lock is None or lock[0] < now
            if taken:
                conn.execute(delete(runtime_locks).where(runtime_locks.c.name == name))
                conn.execute(insert(runtime_locks), [{"name": name, "holder": holder, "expires_at": now + self.lease}])
            fresh = taken and read_at is not None and not self._written_since(conn, order_id, key, read_at)
            return Begun("new", holder=holder if taken else None, fresh=fresh)

        try:
            return self._transaction(start)
        except IntegrityError:
            pass
        with self.engine.begin() as conn:
            found = conn.execute(select(runtime_actions).where(runtime_actions.c.key == key)).mappings().first()
        if found is None:  # deleted meanwhile (a refused attempt), or the lock was taken under us: try again
            return self._begin_without_lock(key, row)
        state, attempt, updated = found["state"], found["attempt"], found["updated_at"]
        if state == "done":
            if now - found["created_at"] <= self.dedupe_window:
                return Begun("done", Outcome.model_validate_json(found["outcome"]))
            return self._claim(key, attempt, "new", now, restart=True)
        if state == "started" and now - updated < self.lease:
            return Begun("running")
        # failed: try again; unknown or a stale start: read back before writing
        return self._claim(key, attempt, "new" if state == "failed" else "takeover", now)

    def _begin_without_lock(self, key: str, row: dict[str, Any]) -> Begun:
        try:
            self._transaction(lambda conn: conn.execute(insert(runtime_actions), [row]))
            return Begun("new")
        except IntegrityError:
            return self.begin(key, row["action"], row["order_id"])

    def _written_since(self, conn: Any, order_id: str, key: str, since: datetime) -> bool:
        """Another write on the order was recorded at or after ``since`` (or is under way)."""
        query = select(runtime_actions.c.key).where(and_(
            runtime_actions.c.mall_id == self.mall_id, runtime_actions.c.order_id == order_id,
            runtime_actions.c.key != key, runtime_actions.c.updated_at >= _naive(since))).limit(1)
        return conn.execute(query).first() is not None

    def _claim(self, key: str, attempt: int, kind: Literal["new", "takeover"], now: datetime,
               *, restart: bool = False) -> Begun:
        values: dict[str, Any] = {"state": "started", "attempt": attempt + 1, "updated_at": now}
        if restart:
            values |= {"created_at": now, "outcome": None}
        won = self._transaction(lambda conn: conn.execute(
            update(runtime_actions).where(and_(runtime_actions.c.key == key, runtime_actions.c.attempt == attempt))
            .values(**values)).rowcount)
        return Begun(kind) if won == 1 else Begun("running")

    def finish(self, key: str, outcome: Outcome, *, holder: str | None = None) -> None:
        """Record the write done, and release the order lock ``holder`` in the same transaction."""
        def done(conn: Connection) -> None:
            conn.execute(update(runtime_actions).where(runtime_actions.c.key == key).values(
                state="done", outcome=outcome.model_dump_json(), updated_at=self._now()))
            self._release(conn, outcome.order_id, holder)

        self._transaction(done)

    def fail(self, key: str, order_id: str, *, unknown: bool = False, holder: str | None = None) -> None:
        """The write failed (``unknown``: it may have happened; the next attempt reads back first)."""
        def failed(conn: Connection) -> None:
            conn.execute(update(runtime_actions).where(runtime_actions.c.key == key).values(
                state="unknown" if unknown else "failed", updated_at=self._now()))
            self._release(conn, order_id, holder)

        self._transaction(failed)

    def forget(self, key: str, order_id: str, *, holder: str | None = None) -> None:
        """Drop the record of a write that was not made (refused before sending)."""
        def dropped(conn: Connection) -> None:
            conn.execute(delete(runtime_actions).where(runtime_actions.c.key == key))
            self._release(conn, order_id, holder)

        self._transaction(dropped)

    def wait_done(self, key: str, timeout: float, poll: float = 0.05) -> Outcome | None:
        """Wait up to ``timeout`` seconds for another caller's write ``key`` to finish."""
        deadline = time.monotonic() + timeout
        while True:
            with self.engine.connect() as conn:
                found = conn.execute(select(runtime_actions.c.state, runtime_actions.c.outcome)
                                     .where(runtime_actions.c.key == key)).first()
            if found is not None and found[0] == "done":
                return Outcome.model_validate_json(found[1])
            if found is None or found[0] in ("failed", "unknown") or time.monotonic() >= deadline:
                return None
            self.sleep(poll)

    def last_done(self, order_id: str, actions: tuple[str, ...]) -> Outcome | None:
        """The latest write of ``actions`` on ``order_id`` done within the dedupe window (for repeats)."""
        since = self._now() - self.dedupe_window
        query = (select(runtime_actions.c.outcome)
                 .where(and_(runtime_actions.c.mall_id == self.mall_id, runtime_actions.c.order_id == order_id,
                             runtime_actions.c.action.in_(actions), runtime_actions.c.state == "done",
                             runtime_actions.c.created_at >= since))
                 .order_by(runtime_actions.c.updated_at.desc()).limit(1))
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else Outcome.model_validate_json(found).model_copy(update={"repeated": True})

    def adopt_unfinished(self, order_id: str, actions: tuple[str, ...], status: str) -> Outcome | None:
        """An unfinished write on ``order_id`` whose effect is now visible: record it done and return it.

        Called when the order shows that the write happened (its items carry
        the claim's statuses) but its record is ``unknown``, or ``started``
        by a writer whose lease ran out. A fresh ``started`` record means the
        write is under way: ``in_progress``.
        """
        now = self._now()
        query = (select(runtime_actions)
                 .where(and_(runtime_actions.c.mall_id == self.mall_id, runtime_actions.c.order_id == order_id,
                             runtime_actions.c.action.in_(actions),
                             runtime_actions.c.state.in_(("started", "unknown"))))
                 .order_by(runtime_actions.c.updated_at.desc()).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        if row["state"] == "started" and now - row["updated_at"] < self.lease:
            return Outcome(action=row["action"], order_id=order_id, status="in_progress", key=row["key"])
        outcome = Outcome(action=row["action"], order_id=order_id, status=status, key=row["key"],
                          repeated=True)
        with self.engine.begin() as conn:
            conn.execute(update(runtime_actions).where(and_(runtime_actions.c.key == row["key"],
                                                            runtime_actions.c.attempt == row["attempt"]))
                         .values(state="done", outcome=outcome.model_dump_json(), updated_at=now))
        return outcome

    def state(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(runtime_actions.c.state).where(runtime_actions.c.key == key)).scalar()

    # -- order locks ----------------------------------------------------------

    def acquire(self, order_id: str, *, wait: float = 15.0, poll: float = 0.05) -> str:
        """Take the order's lock (a leased row; a dead holder's lease expires); its holder id."""
        name, holder = self._lock_name(order_id), secrets.token_hex(8)
        deadline = time.monotonic() + wait
        while not self._take(name, holder):
            if time.monotonic() >= deadline:
                raise LockTimeout(f"order lock busy for {wait:.0f} s")
            self.sleep(poll)
        return holder

    def _release(self, conn: Any, order_id: str, holder: str | None) -> None:
        if holder is not None:
            conn.execute(delete(runtime_locks).where(and_(runtime_locks.c.name == self._lock_name(order_id),
                                                          runtime_locks.c.holder == holder)))

    def _take(self, name: str, holder: str) -> bool:
        now = self._now()
        try:
            self._transaction(lambda conn: conn.execute(insert(runtime_locks), [
                {"name": name, "holder": holder, "expires_at": now + self.lease}]))
            return True
        except IntegrityError:
            pass
        taken = self._transaction(lambda conn: conn.execute(
            update(runtime_locks).where(and_(runtime_locks.c.name == name, runtime_locks.c.expires_at < now))
            .values(holder=holder, expires_at=now + self.lease)).rowcount)
        return taken == 1

    # -- photos ---------------------------------------------------------------

    def save_photo(self, data: bytes, content_type: str) -> str:
        photo_id = secrets.token_hex(12)
        with self.engine.begin() as conn:
            conn.execute(insert(runtime_photos), [{
                "photo_id": photo_id, "mall_id": self.mall_id, "content_type": content_type, "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(), "data": data, "created_at": self._now()}])
        return photo_id

    def photo_info(self, photo_ids: tuple[str, ...]) -> dict[str, tuple[int, str]]:
        """``{photo_id: (size, content type)}`` for the ids that exist in this mall."""
        if not photo_ids:
            return {}
        query = select(runtime_photos.c.photo_id, runtime_photos.c.size, runtime_photos.c.content_type).where(
            and_(runtime_photos.c.mall_id == self.mall_id, runtime_photos.c.photo_id.in_(photo_ids)))
        with self.engine.connect() as conn:
            return {row[0]: (row[1], row[2]) for row in conn.execute(query)}

    def photo(self, photo_id: str) -> tuple[str, bytes] | None:
        query = select(runtime_photos.c.content_type, runtime_photos.c.data).where(
            and_(runtime_photos.c.mall_id == self.mall_id, runtime_photos.c.photo_id == photo_id))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (row[0], bytes(row[1]))

    # -- pending claims -------------------------------------------------------

    def add_pending(self, order_id: str, kind: str, write: dict[str, Any], photos: tuple[str, ...],
                    language: str) -> str:
        claim_id = "P" + secrets.token_hex(8)
        with self.engine.begin() as conn:
            conn.execute(insert(runtime_pending_claims), [{
                "claim_id": claim_id, "mall_id": self.mall_id, "order_id": order_id, "kind": kind,
                "state": "pending", "write": json.dumps(write, ensure_ascii=False, default=str),
                "photos": json.dumps(list(photos)), "language": language, "reject_reason": None, "reference": None,
                "created_at": self._now(), "decided_at": None}])
        return claim_id

    def pending(self, claim_id: str | None = None, *, state: str | None = "pending") -> list[dict[str, Any]]:
        query = select(runtime_pending_claims).where(runtime_pending_claims.c.mall_id == self.mall_id)
        if claim_id is not None:
            query = query.where(runtime_pending_claims.c.claim_id == claim_id)
        if state is not None:
            query = query.where(runtime_pending_claims.c.state == state)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query.order_by(runtime_pending_claims.c.created_at)).mappings()]
        for row in rows:
            row["write"] = json.loads(row["write"]) if row["write"] else None
            row["photos"] = json.loads(row["photos"])
        return rows

    def decide(self, claim_id: str, state: Literal["approved", "rejected", "failed"], *,
               reason: str | None = None, reference: str | None = None) -> bool:
        """Move a pending claim to its decision (only from ``pending``, or ``failed`` → ``approved``)."""
        keep_write = state == "failed"
        values: dict[str, Any] = {"state": state, "decided_at": self._now(), "reject_reason": reason,
                                  "reference": reference}
        if not keep_write:
            values["write"] = None
        with self.engine.begin() as conn:
            done = conn.execute(update(runtime_pending_claims).where(and_(
                runtime_pending_claims.c.claim_id == claim_id, runtime_pending_claims.c.mall_id == self.mall_id,
                runtime_pending_claims.c.state.in_(("pending", "failed")))).values(**values)).rowcount
        return done == 1
