"""The conversation engine: one inbound event in, the bot's messages out, state kept in the store.

``handle`` takes the conversation's lease, records the inbound event (a
repeated message id gets the messages recorded the first time, nothing runs
again), then alternates the pure reducer (:mod:`.machine`) and the effects
it asks for (:mod:`.actions`) until nothing is outstanding, saving the state
after every step: the first step in the transaction that takes the lease,
each later one with its effect's result (:class:`.store.ChatStore`). Each
effect is marked started before it runs and done with its result after; a
restarted process calls :meth:`ConversationEngine.resume` and every
conversation left mid-effect continues: the effect is rebuilt from the saved
state and run again (a command step is idempotent in the command
runtime: a confirmation that already cancelled answers with that result).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from cafehub.runtime.answers import Identity
from cafehub.runtime.intent import IntentClassifier, KeywordClassifier
from cafehub.runtime.messages.catalogue import Catalogue, default_catalogue
from cafehub.runtime.messages.model import Message

from .actions import ChatActions
from .machine import Reducer
from .model import Effect, Event, State
from .store import Busy, ChatStore, TurnPlan, chat_effects

log = logging.getLogger("cafehub.conversations")


class _ConversationLock:
    """A lock that can be weakly referenced (``threading.Lock`` cannot)."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *_: object) -> None:
        self._lock.release()


class _Unfinished(Exception):
    """The conversation's state waits for an effect no worker is running (its worker died)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The bot's messages for one inbound event and the conversation's status after it."""

    messages: list[Message]
    status: Literal["bot", "handed_over"]


def inbound_text(state: State | None, event: Event) -> str:
    """What the transcript keeps of an inbound event: never a contact, a code, an account or an address."""
    task = state.task if state is not None else None
    if event.kind == "photos":
        return f"[photos: {len(event.photos)}]"
    if event.kind == "button":
        shown = {k: v for k, v in event.answers.items() if k not in ("account", "address")}
        return f"[button {event.command} {json.dumps(shown, ensure_ascii=False, sort_keys=True)}]"[:500]
    if task is not None and task.step == "contact":
        return "[contact]"
    if task is not None and task.step == "code":
        return "[code]"
    if task is not None and task.expect is not None and task.expect.kind == "fields":
        return f"[{task.expect.answer}]"
    return event.text[:2000]


class ConversationEngine:
    """Every conversation of every shop served by this process (thread-safe)."""

    def __init__(self, store: ChatStore, actions: Callable[[str], ChatActions], *,
                 classifier: IntentClassifier | None = None, catalogue: Catalogue | None = None) -> None:
        self.store = store
        self.actions = actions
        self.classifier = classifier or KeywordClassifier()
        self.catalogue = catalogue or default_catalogue()
        self._reducers: dict[str, Reducer] = {}
        #: One lock per conversation being answered in this process, dropped when no thread holds it (a
        #: long-running service must not keep one for every conversation it ever saw).
        self._locks: weakref.WeakValueDictionary[str, _ConversationLock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    def _lock(self, conversation_id: str) -> _ConversationLock:
        with self._guard:
            found = self._locks.get(conversation_id)
            if found is None:
                found = self._locks[conversation_id] = _ConversationLock()
            return found

    def reducer(self, shop: str) -> Reducer:
        region = self.actions(shop).region
        found = self._reducers.get(region)
        if found is None:
            found = self._reducers[region] = Reducer(self.classifier, self.catalogue, region=region)
        return found

    def handle(self, shop: str, conversation_id: str, event: Event | str, *, message_id: str | None = None,
               channel: str = "api", member_id: str | None = None, language: str | None = None) -> list[Message]:
        """The bot's messages in answer to one inbound event (none while an operator has the chat).

        A message id seen before is answered with the messages recorded the first time.
        """
        return self.answer(shop, conversation_id, event, message_id=message_id, channel=channel,
                           member_id=member_id, language=language).messages

    def answer(self, shop: str, conversation_id: str, event: Event | str, *, message_id: str | None = None,
               channel: str = "api", member_id: str | None = None, language: str | None = None) -> Answer:
        """Like :meth:`handle`, with the conversation's status after the turn."""
        turn = self._turn(shop, conversation_id, event, message_id=message_id, channel=channel,
                          member_id=member_id, language=language)
        if turn is None:
            assert message_id is not None
            state = self.store.load(conversation_id)
            return Answer(self.store.replies_to(conversation_id, message_id),
                          state.status if state is not None else "bot")
        return turn

    def receive(self, shop: str, conversation_id: str, event: Event | str, *, message_id: str | None = None,
                channel: str = "api", member_id: str | None = None, language: str | None = None
                ) -> list[Message] | None:
        """Like :meth:`handle`, but ``None`` for a message id seen before (a channel that delivers twice
        must not send the answer twice)."""
        turn = self._turn(shop, conversation_id, event, message_id=message_id, channel=channel,
                          member_id=member_id, language=language)
        return None if turn is None else turn.messages

    def _turn(self, shop: str, conversation_id: str, event: Event | str, *, message_id: str | None,
              channel: str, member_id: str | None, language: str | None) -> Answer | None:
        if isinstance(event, str):
            event = Event(kind="text", text=event)
        external = message_id or uuid.uuid4().hex
        reducer = self.reducer(shop)
        inbound = event
        earlier: list[Message] = []
        resumed = False

        def plan(state: State | None) -> TurnPlan:
            if state is not None and state.task is not None and state.task.step == "waiting" and not resumed:
                raise _Unfinished  # a dead worker's effect: finish it first (the lease was free, so no one runs it)
            text = inbound_text(state, inbound)
            if state is None:
                lang = language if language in ("ja", "ko", "en") else "en"
                state = State(conversation_id=conversation_id, shop=shop, channel=channel, lang=lang)
            if member_id and (state.who is None or state.who.member_id != member_id):
                state = state.model_copy(update={"who": Identity.member(member_id)})  # signed in: known at once
            state, replies, effects = reducer.step(state, inbound)
            return TurnPlan(text, state, replies, effects)

        with self._lock(conversation_id):
            try:
                started = self.store.begin_turn(conversation_id, shop, channel, external, plan)
            except _Unfinished:
                # answer what the customer asked before the restart, then this message
                earlier = self._finish_pending(shop, conversation_id, wait=10.0) or []
                resumed = True
                started = self.store.begin_turn(conversation_id, shop, channel, external, plan)
            if started is None:
                return None
            if started.effect is None:
                return Answer(earlier + started.replies, started.state.status)
            finished = False
            try:
                state, replies = self._drain(shop, reducer, started.state, started.replies, started.effects,
                                             external, recorded=None)
                finished = True
                return Answer(earlier + replies, state.status)
            finally:
                if not finished:
                    self.store.release(conversation_id)

    def _drain(self, shop: str, reducer: Reducer, state: State, replies: list[Message], effects: list[Effect],
               reply_to: str | None, *, recorded: dict[str, Any] | None) -> tuple[State, list[Message]]:
        """Run the effects (the first is recorded started, with ``recorded`` its result if it finished before
        a restart), each step saved with the next effect started, the last with the replies and the lease
        released."""
        actions = self.actions(shop)
        result = recorded
        while effects:
            effect = effects[0]
            if result is None:
                with self.store.renewing(state.conversation_id):  # a slow effect must not lose the lease
                    result = actions.run(state.conversation_id, effect)
            state, more, effects = reducer.step(state, Event(kind="result", key=effect.key, result=result))
            replies = replies + more
            result = self.store.continue_turn(effect.key, result, state, effects[0] if effects else None,
                                              replies, reply_to)
        return state, replies

    def resume(self, *, wait: float = 10.0) -> dict[str, list[Message]]:
        """Finish every conversation a dead worker left mid-effect; the messages each produced.

        A conversation whose lease is still held (a live worker, or a dead one's for up to
        :data:`~.store.LEASE_SECONDS`) after ``wait`` seconds is left for later: its customer's next message
        finishes it (:meth:`handle`), or a later call.
        """
        done: dict[str, list[Message]] = {}
        for conversation_id in self.store.unfinished():
            shop = self.store.shop_of(conversation_id)
            if shop is None:
                continue
            try:
                replies = self._resume_one(shop, conversation_id, wait=wait)
            except Busy:
                continue
            if replies is not None:
                done[conversation_id] = replies
        return done

    def _resume_one(self, shop: str, conversation_id: str, *, wait: float) -> list[Message] | None:
        with self._lock(conversation_id):
            return self._finish_pending(shop, conversation_id, wait=wait)

    def _finish_pending(self, shop: str, conversation_id: str, *, wait: float) -> list[Message] | None:
        """Finish the effect a dead worker left started in one conversation (the caller holds the
        conversation's thread lock); its messages, or ``None`` when nothing was left."""
        reducer = self.reducer(shop)
        state = self.store.acquire(conversation_id, shop, "api", wait=wait)
        finished = False
        try:
            if state is None or state.seq == 0:
                return None
            pending = self._pending_effect(state)
            if pending is None:
                return None
            state, replies = self._drain(shop, reducer, state, [], [pending], None,
                                         recorded=self.store.effect_result(pending.key))
            finished = True
            return replies
        finally:
            if not finished:
                self.store.release(conversation_id)

    def _pending_effect(self, state: State) -> Effect | None:
        """The effect a dead worker left started, rebuilt from the state (its recorded arguments are redacted)."""
        key = f"{state.conversation_id}:{state.seq}"
        with self.store.engine.connect() as conn:
            row = conn.execute(select(chat_effects).where(chat_effects.c.key == key)).first()
        if row is None or row.status != "started":
            return None
        task = state.task
        args: dict[str, Any] = json.loads(row.args)
        if row.kind in ("send_code", "check_code"):
            # codes are never recorded: the customer asks for a fresh one
            self.store.effect_done(key, {"effect": "check_code", "status": "expired", "tries_left": 0})
        elif row.kind == "find_identities" and task is not None:
            args = {"channel": task.contact_channel, "address": task.contact}
        elif row.kind == "command" and task is not None and state.who is not None:
            args = {"who": state.who.model_dump(mode="json"), "command": task.kind, "answers": task.answers,
                    "lang": state.lang}
        return Effect(key=key, kind=row.kind, args=args)

    def give_back(self, shop: str, conversation_id: str) -> bool:
        """An operator hands the chat back to the bot."""
        with self._lock(conversation_id):
            state = self.store.acquire(conversation_id, shop, "api")
            try:
                if state is None or state.status != "handed_over":
                    return False
                self.store.save(state.model_copy(update={"status": "bot", "task": None, "handoff_reason": None}))
                return True
            finally:
                self.store.release(conversation_id)
