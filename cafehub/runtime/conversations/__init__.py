"""Conversations: the persisted task state machines behind every chat surface, over the command engine."""

from .actions import ChatActions
from .engine import ConversationEngine
from .machine import Reducer
from .model import Effect, Event, State, Task
from .render import numbered, render_text
from .store import ChatStore

__all__ = ["ChatActions", "ChatStore", "ConversationEngine", "Effect", "Event", "Reducer", "State", "Task",
           "numbered", "render_text"]
