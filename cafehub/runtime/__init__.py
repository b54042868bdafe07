"""The chat runtime: what a shop's customer can do in the chat, over the Cafe24 and Sellmate connectors.

The public API is the command engine (:mod:`cafehub.runtime.engine`, whose
docstring is the contract): ``CommandEngine.step(identity, command, answers)``
returns the next structured message or the result of a write. Below it:
``settings`` (hub and mall settings), ``snapshots`` (what the rules read),
``statuses``, ``rules/`` (one pure function per rule of the guide),
``messages/`` (structured messages, the ja/ko/en catalogue), ``flows/`` (one
module per command), ``reads`` and ``executor`` with ``ledger`` (the only
I/O: snapshots in, one idempotent write out) and ``pending`` (claims held for
staff). The conversation layer wraps the engine: ``identity/``, ``intent/``,
``conversations/`` and ``functions`` (docs/CONVERSATIONS.md). Names are
imported lazily so ``import cafehub.runtime`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CommandEngine": "cafehub.runtime.engine",
    "PhotoUpload": "cafehub.runtime.engine",
    "Identity": "cafehub.runtime.answers",
    "Answers": "cafehub.runtime.answers",
    "parse_command": "cafehub.runtime.answers",
    "StepResult": "cafehub.runtime.result",
    "Outcome": "cafehub.runtime.result",
    "Message": "cafehub.runtime.messages.model",
    "ShopConnectors": "cafehub.runtime.reads",
    "ShopSettings": "cafehub.runtime.settings",
    "HubSettings": "cafehub.runtime.settings",
    "MallSettings": "cafehub.runtime.settings",
    "CommandName": "cafehub.runtime.settings",
    "load_settings": "cafehub.runtime.settings",
    "SettingsError": "cafehub.runtime.settings",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cafehub.runtime' has no attribute {name!r}")
