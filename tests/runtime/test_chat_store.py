"""The conversation store on its own (no sandbox), on SQLite, PostgreSQL and MariaDB: leases across workers,
repeated messages, and what a turn costs in write transactions."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event

from cafehub.runtime.conversations.model import Effect, State
from cafehub.runtime.conversations.store import Busy, ChatStore, TurnPlan
from cafehub.runtime.messages.model import Message, TextBlock


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store database (the servers' databases are shared by the session: each test uses its own ids)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'chat.db'}"
    return str(request.getfixturevalue(f"{request.param}_url"))


def _id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


def _reply(n: int) -> Message:
    return Message(key="chat.menu", language="en", blocks=[TextBlock(key="chat.menu", text=f"reply {n}")])


def _counting(state: State | None, conversation: str, *, effect: bool = False) -> TurnPlan:
    """A turn that counts itself in ``seq`` (and, with ``effect``, asks for one effect keyed by it)."""
    current = state or State(conversation_id=conversation, shop="s")
    after = current.model_copy(update={"seq": current.seq + 1})
    effects = [Effect(key=f"{conversation}:{after.seq}", kind="command", args={"command": "orders"})] if effect else []
    return TurnPlan("hello", after, [_reply(after.seq)], effects)


def test_turns_of_two_workers_on_one_conversation_lose_no_state(url: str) -> None:
    """Two processes' stores (own engines, own lease owners), four threads each, one conversation: every turn
    reads the state the previous one saved (a lease taken after the state was read would lose turns)."""
    from cafehub.runtime.conversations.store import _GroupCommit, _SqliteWriter

    stores = [ChatStore(create_engine(url)), ChatStore(create_engine(url))]
    if stores[1]._group is not None:  # another process: its own writers' queue and lock file descriptor
        stores[1]._group = _GroupCommit(_SqliteWriter(Path(str(stores[1].engine.url.database))))
    turns = 15
    c1 = _id()

    def talk(store: ChatStore, thread: int) -> None:
        for n in range(turns):
            started = store.begin_turn(c1, "s", "api", f"{id(store)}-{thread}-{n}",
                                       lambda state: _counting(state, c1), wait=30.0)
            assert started is not None

    threads = [threading.Thread(target=talk, args=(store, t)) for store in stores for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = stores[0].load(c1)
    assert state is not None
    assert state.seq == 8 * turns
    roles = [role for role, _ in stores[1].transcript(c1)]
    assert roles.count("user") == roles.count("bot") == 8 * turns


def test_a_repeated_message_id_records_nothing_and_keeps_no_lease(url: str) -> None:
    store = ChatStore(create_engine(url))
    c2 = _id()
    first = store.begin_turn(c2, "s", "api", "m1", lambda state: _counting(state, c2))
    assert first is not None
    assert first.state.seq == 1
    assert store.begin_turn(c2, "s", "api", "m1", lambda state: _counting(state, c2)) is None
    assert [m.texts() for m in store.replies_to(c2, "m1")] == [["reply 1"]]
    other = ChatStore(create_engine(url))
    assert other.acquire(c2, "s", "api", wait=0.0) is not None  # the repeat left the lease free


def test_a_turn_costs_one_write_transaction_and_one_more_per_effect(url: str) -> None:
    engine = create_engine(url)
    store = ChatStore(engine)
    c3 = _id()
    commits: list[Any] = []
    event.listen(engine, "commit", commits.append)
    plain = store.begin_turn(c3, "s", "api", "m1", lambda state: _counting(state, c3))
    assert plain is not None
    assert plain.effect is None
    assert len(commits) == 1
    started = store.begin_turn(c3, "s", "api", "m2", lambda state: _counting(state, c3, effect=True))
    assert started is not None
    assert started.effect is not None
    assert len(commits) == 2
    assert c3 in store.unfinished()  # recorded started with the state, before it runs
    assert store.continue_turn(started.effect.key, {"step": {}}, started.state, None, [_reply(9)], "m2") is None
    assert len(commits) == 3
    assert c3 not in store.unfinished()
    assert [m.texts() for m in store.replies_to(c3, "m2")] == [["reply 9"]]
    again = ChatStore(create_engine(url))
    assert again.acquire(c3, "s", "api", wait=0.0) is not None  # released with the replies


def test_a_worker_whose_lease_was_taken_over_saves_nothing(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lease ran out mid-effect (no renewal could help: the process stalled) and another worker took the
    conversation: the first one's result, state and replies are dropped, so no answer is recorded twice."""
    from cafehub.runtime.conversations import store as store_module

    first, second = ChatStore(create_engine(url)), ChatStore(create_engine(url))
    c5 = _id()
    monkeypatch.setattr(store_module, "LEASE_SECONDS", -1.0)  # every lease taken from now on has run out
    started = first.begin_turn(c5, "s", "api", "m1", lambda state: _counting(state, c5, effect=True))
    assert started is not None
    assert started.effect is not None
    monkeypatch.undo()
    assert second.acquire(c5, "s", "api", wait=0.0) is not None
    with pytest.raises(store_module.LeaseLost):
        first.continue_turn(started.effect.key, {"step": {}}, started.state, None, [_reply(7)], "m1")
    assert first.replies_to(c5, "m1") == []
    assert c5 in first.unfinished()  # still the taking-over worker's to finish
    with pytest.raises(store_module.Busy):
        first.acquire(c5, "s", "api", wait=0.0)


def test_sqlite_writes_waiting_together_commit_once_and_a_failing_one_alone_rolls_back(tmp_path: Path) -> None:
    """Group commit: eight turns queued while the writer is busy are committed in one transaction (one sync
    of the log); the one whose plan fails has nothing of it saved (its lease neither), the others all are."""
    import time

    engine = create_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    store = ChatStore(engine)
    assert store._group is not None
    commits: list[Any] = []
    event.listen(engine, "commit", commits.append)
    conversations = [_id() for _ in range(8)]
    results: dict[str, Any] = {}

    def plan(conversation: str, state: State | None) -> TurnPlan:
        if conversation == conversations[3]:
            raise ValueError("this plan fails")
        return _counting(state, conversation, effect=conversation == conversations[5])

    def turn(conversation: str) -> None:
        try:
            results[conversation] = store.begin_turn(conversation, "s", "api", "m1", lambda s: plan(conversation, s))
        except ValueError as error:
            results[conversation] = error

    with store._group.writer.threads:  # a write in progress: the turns queue behind it
        threads = [threading.Thread(target=turn, args=(c,)) for c in conversations]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(store._group._queue) < len(conversations) and time.monotonic() < deadline:
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    assert len(commits) == 1
    assert isinstance(results[conversations[3]], ValueError)
    assert store.load(conversations[3]) is None  # its row, lease and message rolled back with its savepoint
    other = ChatStore(create_engine(f"sqlite:///{tmp_path / 'chat.db'}"))
    for conversation in conversations:
        if conversation == conversations[3]:
            continue
        saved = store.load(conversation)
        assert saved is not None
        assert saved.seq == 1
        roles = [role for role, _ in store.transcript(conversation)]
        if conversation == conversations[5]:  # its effect runs under the lease; the replies come after it
            assert roles == ["user"]
            with pytest.raises(Busy):
                other.acquire(conversation, "s", "api", wait=0.0)
        else:
            assert roles == ["user", "bot"]
            assert other.acquire(conversation, "s", "api", wait=0.0) is not None
    assert store.unfinished() == [conversations[5]]


def test_sqlite_writers_of_two_processes_take_turns(tmp_path: Path) -> None:
    """Each process has its own writer (its own lock file descriptor, as two processes would): while one
    writes, the other waits in the kernel's queue instead of polling SQLite's busy handler."""
    from cafehub.runtime.conversations.store import _SqliteWriter

    path = tmp_path / "chat.db"
    first, second = _SqliteWriter(path), _SqliteWriter(path)
    order: list[str] = []
    entered = threading.Event()

    def other() -> None:
        with second:
            order.append("second")

    with first:
        thread = threading.Thread(target=other)
        thread.start()
        entered.wait(0.3)  # time for the other writer to reach the lock
        order.append("first")
    thread.join()
    assert order == ["first", "second"]
    assert (tmp_path / "chat.db.writer").exists()


def test_a_sqlite_chat_store_keeps_every_commit_through_a_power_cut(tmp_path: Path) -> None:
    """The ledger shares this engine: its idempotency keys must survive a power cut (synchronous FULL)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    ChatStore(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
