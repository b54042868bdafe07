"""Bounds on segment size, checked before any work that could grow with them.

A segment comes from a marketer's text box or a visual builder's JSON; neither
is trusted. Length is checked first (O(1)), then nesting depth by a linear scan
that never recurses, so ``"(" * 100_000`` or 5 MB of text is refused in
milliseconds instead of exhausting the parser or the interpreter's stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Past this depth even an iterative tree would make recursive stages (checker,
#: backends, equality of nodes) hit Python's recursion limit.
HARD_MAX_DEPTH = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Configurable bounds; the defaults fit any hand-written or UI-built segment."""

    max_length: int = 100_000
    max_depth: int = 50
    max_atoms: int = 1_000

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth <= HARD_MAX_DEPTH:
            raise ValueError(f"max_depth must be between 1 and {HARD_MAX_DEPTH}")
        if self.max_length < 1 or self.max_atoms < 1:
            raise ValueError("max_length and max_atoms must be positive")


DEFAULT_LIMITS = Limits()

# Strings and comments can hold brackets that are not structure; skip them.
_STRUCTURE = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[()\[\]]')


def bracket_depth_exceeds(text: str, limit: int) -> int | None:
    """Offset of the first bracket that goes deeper than ``limit``, or ``None``.

    Counts ``(`` and ``[`` together, since both nest in the syntax tree.
    Unbalanced text is not an error here: the parser reports it precisely.
    """
    if text.count("(") + text.count("[") <= limit:
        return None
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in ("(", "["):
            depth += 1
            if depth > limit:
                return match.start()
        elif token in (")", "]"):
            depth = max(0, depth - 1)
    return None
