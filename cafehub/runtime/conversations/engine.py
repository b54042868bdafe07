"""The conversation engine: one inbound message in, the bot's replies out, state kept in the store.

``handle`` takes the conversation's lease, records the message (a repeated
message id gets the replies recorded the first time, nothing runs again),
then alternates the pure reducer (:mod:`.machine`) and the effects it asks
for (:mod:`.actions`) until nothing is outstanding, saving the state after
every step. Each effect is marked started before it runs and done with its
result after; a restarted process calls :meth:`ConversationEngine.resume`
and every conversation left mid-effect continues: the effect is run again
in settle mode (a cancel reads the order first and never cancels twice).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from cafehub.runtime.intent import IntentClassifier, KeywordClassifier

from .actions import ShopActions
from .machine import step
from .model import Effect, Event, Reply, State, Who
from .store import ChatStore
from .texts import render

log = logging.getLogger("cafehub.conversations")


class ConversationEngine:
    def __init__(self, store: ChatStore, actions: Callable[[str], ShopActions], *,
                 classifier: IntentClassifier | None = None, zone: str = "Asia/Seoul") -> None:
        self.store = store
        self.actions = actions
        self.classifier = classifier or KeywordClassifier()
        self.zone = zone
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, conversation_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(conversation_id, threading.Lock())

    def handle(self, shop: str, conversation_id: str, text: str, *, message_id: str | None = None,
               channel: str = "api", member_id: str | None = None) -> list[str]:
        """The bot's replies to one customer message (empty when an operator has the chat)."""
        external = message_id or uuid.uuid4().hex
        with self._lock(conversation_id):
            state = self.store.acquire(conversation_id, shop, channel)
            try:
                if not self.store.record_inbound(conversation_id, external, text):
                    return self.store.replies_to(conversation_id, external)
                if state is None:
                    state = State(conversation_id=conversation_id, shop=shop)
                if member_id and state.who is None:  # a signed-in member is known at once
                    state = state.model_copy(update={"who": Who(kind="member", member_id=member_id)})
                state, replies, effects = step(state, Event(kind="text", text=text), classifier=self.classifier,
                                               zone=self.zone)
                self.store.save(state)
                state, replies = self._drain(shop, state, replies, effects)
                texts = [render(r, state.lang) for r in replies]
                self.store.record_replies(conversation_id, external, texts)
                return texts
            finally:
                self.store.release(conversation_id)

    def _drain(self, shop: str, state: State, replies: list[Reply], effects: list[Effect],
               *, resumed: bool = False) -> tuple[State, list[Reply]]:
        actions = self.actions(shop)
        while effects:
            effect = effects[0]
            result = self.store.effect_result(effect.key)
            if result is None:
                first = self.store.effect_started(effect.key, state.conversation_id, effect.kind, effect.args)
                result = actions.run(state.conversation_id, effect, first_time=first and not resumed)
                self.store.effect_done(effect.key, result)
            state, more, effects = step(state, Event(kind="result", key=effect.key, result=result),
                                        classifier=self.classifier, zone=self.zone)
            replies = replies + more
            self.store.save(state)
        return state, replies

    def resume(self) -> dict[str, list[str]]:
        """Finish every conversation a dead worker left mid-effect; the replies each produced."""
        done: dict[str, list[str]] = {}
        for conversation_id in self.store.unfinished():
            shop = self.store.shop_of(conversation_id)
            if shop is None:
                continue
            with self._lock(conversation_id):
                state = self.store.acquire(conversation_id, shop, "api")
                try:
                    if state is None or state.seq == 0:
                        continue
                    key = f"{conversation_id}:{state.seq}"
                    pending = self._pending_effect(key)
                    if pending is None:
                        continue
                    if pending.kind in ("send_code", "check_code"):
                        # codes and contacts are never recorded: ask the customer for a fresh code instead
                        result = {"effect": "check_code", "status": "expired", "tries_left": 0}
                        self.store.effect_done(key, result)
                    state, replies = self._drain(shop, state, [], [pending], resumed=True)
                    texts = [render(r, state.lang) for r in replies]
                    self.store.record_replies(conversation_id, None, texts)
                    done[conversation_id] = texts
                finally:
                    self.store.release(conversation_id)
        return done

    def _pending_effect(self, key: str) -> Effect | None:
        import json

        from sqlalchemy import select

        from .store import chat_effects

        with self.store.engine.connect() as conn:
            row = conn.execute(select(chat_effects).where(chat_effects.c.key == key)).first()
        if row is None or row.status != "started":
            return None
        return Effect(key=key, kind=row.kind, args=json.loads(row.args))

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
