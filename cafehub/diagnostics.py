"""Diagnostics: the one error type every user mistake becomes.

Errors are data. A :class:`Diagnostic` carries a stable code, a severity, a
message, the source span it is about and optional hints. Every stage (parser,
checker, JSON reader) collects diagnostics and raises a single
:class:`SegmentError` holding all of them, so a caller catches one type and
can render or serialise every problem at once.

Codes are grouped by stage:

- ``E00xx`` syntax and input (bad characters, unterminated strings, bad dates)
- ``E01xx`` limits (text length, nesting depth, number of atoms)
- ``E02xx`` names (unknown collection, field, aggregate, enum value)
- ``E03xx`` types and literal ranges
- ``E04xx`` time windows pointing the wrong way
- ``E05xx`` lists and ranges (empty ``in`` list, reversed ``between``)
- ``W06xx`` warnings (windows that can never match any stored row)
- ``E07xx`` JSON AST input
- ``E08xx`` saved segments used by name (``segment("vip")``)

Internal errors (bugs in cafehub itself) are *not* diagnostics: they are
ordinary exceptions, so that a user is never told that their segment is wrong
when the compiler is.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple


class Severity(StrEnum):
    """How bad a diagnostic is: errors stop compilation, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class Span(NamedTuple):
    """A half-open character range ``[start, end)`` in the source text.

    ``line`` and ``column`` (both 1-based) locate ``start``; they are stored
    rather than recomputed because the renderer and JSON output both need them
    and the parser already knows them. A named tuple rather than a dataclass
    because the parser makes one per node and tuples are the cheapest to build.
    """

    start: int
    end: int
    line: int
    column: int

    @staticmethod
    def cover(first: Span, last: Span) -> Span:
        """The smallest span from the start of ``first`` to the end of ``last``."""
        return Span(first.start, max(first.end, last.end), first.line, first.column)

    @staticmethod
    def at(text: str, start: int, end: int | None = None) -> Span:
        """A span for offsets into ``text``, computing line and column."""
        start = max(0, min(start, len(text)))
        end = start if end is None else max(start, min(end, len(text)))
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        return Span(start, end, line, column)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a segment, with where it is and how to fix it."""

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    hints: tuple[str, ...] = ()
    #: For JSON AST input: the JSON path of the offending node (``$.segment.items[1]``).
    path: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable form, used by ``--json`` and by API callers."""
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hints": list(self.hints),
        }
        if self.span is not None:
            data["line"] = self.span.line
            data["column"] = self.span.column
            data["start"] = self.span.start
            data["end"] = self.span.end
        if self.path is not None:
            data["path"] = self.path
        return data


class SegmentError(Exception):
    """A segment could not be read or checked; holds every diagnostic found.

    ``str(error)`` is the rendered report (with source excerpts when the text
    is known), so an uncaught ``SegmentError`` still reads well.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        self.source = source
        super().__init__(render_all(self.diagnostics, source))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]

    def to_json(self) -> str:
        return json.dumps([d.to_dict() for d in self.diagnostics], ensure_ascii=False, indent=2)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``name`` if one is close enough to suggest.

    Comparison ignores case, so ``Status`` suggests ``status``.
    """
    pool = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(name.lower(), list(pool), n=1, cutoff=0.6)
    return pool[match[0]] if match else None


def _line_bounds(source: str, span: Span) -> tuple[int, int]:
    line_start = source.rfind("\n", 0, span.start) + 1
    line_end = source.find("\n", span.start)
    if line_end == -1:
        line_end = len(source)
    return line_start, line_end


_MAX_EXCERPT = 160


def render(diagnostic: Diagnostic, source: str | None = None, origin: str = "segment") -> str:
    """Render one diagnostic the way a compiler does: header, location, excerpt, caret.

    ::

        error[E0203]: unknown status 'payed'
         --> segment:1:16
          |
        1 | order(status = payed).count >= 3
          |                ^^^^^
          = hint: did you mean 'paid'?
    """
    head = f"{diagnostic.severity.value}[{diagnostic.code}]: {diagnostic.message}"
    lines = [head]
    span = diagnostic.span
    if span is not None:
        lines.append(f" --> {origin}:{span.line}:{span.column}")
        if source is not None:
            line_start, line_end = _line_bounds(source, span)
            text = source[line_start:line_end]
            col = span.start - line_start
            width = max(1, min(span.end, line_end) - span.start)
            # Keep very long lines (minified segments) readable around the caret.
            if len(text) > _MAX_EXCERPT:
                left = max(0, col - _MAX_EXCERPT // 2)
                text = ("…" if left else "") + text[left : left + _MAX_EXCERPT] + "…"
                col = col - left + (1 if left else 0)
                width = min(width, _MAX_EXCERPT - col + 1)
            text = text.replace("\t", " ")
            gutter = str(span.line)
            pad = " " * len(gutter)
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text}")
            lines.append(f"{pad} | {' ' * col}{'^' * width}")
    elif diagnostic.path is not None:
        lines.append(f" --> {diagnostic.path}")
    for hint in diagnostic.hints:
        lines.append(f"  = hint: {hint}")
    return "\n".join(lines)


def render_all(
    diagnostics: Sequence[Diagnostic], source: str | None = None, origin: str = "segment"
) -> str:
    """Render several diagnostics separated by blank lines."""
    return "\n\n".join(render(d, source, origin) for d in diagnostics)


@dataclass(slots=True)
class DiagnosticSink:
    """Collects diagnostics during a pass so that one run reports every problem."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def raise_if_errors(self, source: str | None = None) -> None:
        if self.has_errors:
            raise SegmentError(self.items, source)
