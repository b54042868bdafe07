"""Segment references: ``segment("vip")`` names a saved segment, found through a resolver.

The compiler does not know where segments are saved (the registry keeps them
in the store, which the compiler never imports). Whoever checks a segment
passes a :class:`SegmentResolver`; the checker asks it for the text of each
name it meets, checks that text in turn (once per name and version within one
check), and refuses:

- a name the resolver does not know (``E0801``, with "did you mean"), or a
  version it does not have (``E0802``);
- a reference that leads back to a segment already being expanded
  (``E0803``, with the path: ``vip → loyal → vip``);
- a saved segment whose text no longer checks (``E0804``);
- any reference when no resolver was given (``E0805``);
- a segment that, once every reference is expanded, is bigger or deeper
  than the limits allow (``E0103``/``E0102``), so references cannot grow a
  segment without bound.

:class:`MappingResolver` serves segments from a dictionary, for tests and for
programs that keep their segments themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SavedSegment:
    """One version of a saved segment, as a resolver returns it."""

    name: str
    version: int
    text: str


class UnknownSegment(LookupError):
    """The resolver has no (live) segment of this name; ``known`` lists the names it has."""

    def __init__(self, name: str, known: Sequence[str] = (), *, deleted: bool = False) -> None:
        super().__init__(name)
        self.name = name
        self.known = tuple(known)
        self.deleted = deleted


class UnknownVersion(LookupError):
    """The segment exists but has no such version; ``latest`` is its newest."""

    def __init__(self, name: str, version: int, latest: int) -> None:
        super().__init__(f"{name} version {version}")
        self.name = name
        self.version = version
        self.latest = latest


class SegmentResolver(Protocol):
    """Where the checker finds saved segments by name."""

    def resolve(self, name: str, version: int | None) -> SavedSegment:
        """The segment ``name`` at ``version`` (its latest when ``None``).

        Raises :class:`UnknownSegment` or :class:`UnknownVersion`; a resolver
        that reads a database may raise its own errors, which pass through.
        """
        ...


class MappingResolver:
    """A resolver over ``{name: [text of version 1, text of version 2, ...]}``."""

    def __init__(self, segments: Mapping[str, Sequence[str]]) -> None:
        self.segments = {name: tuple(texts) for name, texts in segments.items() if texts}

    def resolve(self, name: str, version: int | None) -> SavedSegment:
        texts = self.segments.get(name)
        if texts is None:
            raise UnknownSegment(name, sorted(self.segments))
        number = len(texts) if version is None else version
        if not 1 <= number <= len(texts):
            raise UnknownVersion(name, number, len(texts))
        return SavedSegment(name, number, texts[number - 1])


__all__ = ["MappingResolver", "SavedSegment", "SegmentResolver", "UnknownSegment", "UnknownVersion"]
