"""Conversations: the persisted task state machines behind every chat surface."""

from .actions import ShopActions
from .engine import ConversationEngine
from .machine import step
from .model import Effect, Event, Reply, State, Task, Who
from .store import ChatStore

__all__ = ["ChatStore", "ConversationEngine", "Effect", "Event", "Reply", "ShopActions", "State", "Task", "Who",
           "step"]
