"""Checking ``segment("name")``: resolving saved segments, refusing cycles, and inlining them.

One :class:`Expansion` serves a whole check: the segment's own text and the
saved segments it uses, directly or through others. It asks the resolver
once per (name, version asked for), so "the latest version of vip" means
one version everywhere in one check, checks each saved version once, and
keeps the chain of segments being expanded to refuse cycles.

The checker maps a reference onto the referenced segment's own IR in the
shape of its text (its ``composed_ir``), so explain can walk the syntax tree
and the IR side by side into saved segments. What backends compile
(``CheckedSegment.ir``) is that IR with every reference *inlined*: a
saved ``a and b`` used in ``segment("x") and c`` becomes one ``and`` of
``a, b, c``, exactly the IR of the text with the reference written out, so
a composed segment is planned and run as its inlined text would be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cafehub import reasons
from cafehub.compiler import ir
from cafehub.compiler.references import SavedSegment, SegmentResolver, UnknownSegment, UnknownVersion
from cafehub.diagnostics import Diagnostic, SegmentError
from cafehub.grammar import syntax as s

if TYPE_CHECKING:
    from cafehub.compiler.check import CheckedSegment

#: A saved segment's identity: (name, version).
SegmentKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Reference:
    """A saved segment used by a checked segment: as written and as resolved."""

    name: str
    requested: int | None
    """The version written (``segment("x", version = 2)``), or ``None`` for "the latest"."""
    version: int
    checked: CheckedSegment


class CycleFound(Exception):
    """A reference led back to a segment being expanded; ``path`` lists the names along the way."""

    def __init__(self, path: list[SegmentKey]) -> None:
        super().__init__(" → ".join(name for name, _ in path))
        self.path = path


#: Checks one saved segment's text within an expansion (``check._check_saved``, given the options).
CheckSaved = Callable[[SavedSegment, "Expansion"], "CheckedSegment | SegmentError"]


class Expansion:
    """The saved segments met while checking one segment, and the chain being expanded."""

    def __init__(self, resolver: SegmentResolver | None, check_saved: CheckSaved,
                 saved_as: SegmentKey | None = None) -> None:
        self.resolver = resolver
        self.check_saved = check_saved
        self.chain: list[SegmentKey] = [saved_as] if saved_as is not None else []
        self.resolved: dict[tuple[str, int | None], SavedSegment] = {}
        self.checked: dict[SegmentKey, CheckedSegment | SegmentError] = {}
        self.sizes: dict[SegmentKey, tuple[int, int]] = {}

    def resolve(self, node: s.SegmentRef, report: Callable[[Diagnostic], None]) -> Reference | None:
        """The reference ``node`` stands for, or ``None`` after reporting why there is none.

        Raises :class:`CycleFound` when it leads back into the chain; the
        checker of the outermost text reports that (its span is the one the
        user can see).
        """
        name = node.name.value
        requested = node.version.value if node.version is not None else None
        span = node.version.span if node.version is not None else node.name.span
        if self.resolver is None:
            report(reasons.no_saved_segments(name, node.span))
            return None
        if requested is not None and requested < 1:
            report(reasons.unknown_segment_version(name, requested, None, span))
            return None
        saved = self.resolved.get((name, requested))
        if saved is None:
            try:
                saved = self.resolver.resolve(name, requested)
            except UnknownSegment as missing:
                report(reasons.unknown_segment(name, missing.known, missing.deleted, node.name.span))
                return None
            except UnknownVersion as missing:
                report(reasons.unknown_segment_version(name, missing.version, missing.latest, span))
                return None
            self.resolved[(name, requested)] = saved
        checked = self._check(saved)
        if isinstance(checked, SegmentError):
            cause = checked.diagnostics[0]
            if cause.code == reasons.SAVED_SEGMENT_INVALID:  # already names the saved segment at fault
                report(Diagnostic(cause.code, cause.severity, cause.message, node.span, cause.hints))
            else:
                report(reasons.saved_segment_invalid(saved.name, saved.version, cause.message, node.span))
            return None
        return Reference(saved.name, requested, saved.version, checked)

    def _check(self, saved: SavedSegment) -> CheckedSegment | SegmentError:
        key = (saved.name, saved.version)
        done = self.checked.get(key)
        if done is not None:
            return done
        if key in self.chain:
            raise CycleFound([*self.chain[self.chain.index(key):], key])
        self.chain.append(key)
        try:
            result = self.check_saved(saved, self)
        finally:
            self.chain.pop()
        self.checked[key] = result
        return result


def inline(syntax: s.Node, node: ir.Node, references: dict[tuple[str, int | None], Reference]) -> ir.Node:
    """``node`` (IR in the shape of ``syntax``) with every reference replaced by the saved segment's inlined IR.

    A reference directly inside an ``and`` (``or``) whose own IR is an
    ``and`` (``or``) is spliced into it, as its text would be by the parser.
    Nothing below an existence or measure test can hold a reference, so the
    walk stops there.
    """
    if isinstance(syntax, s.SegmentRef):
        return references[key_of(syntax)].checked.ir
    if isinstance(syntax, (s.And, s.Or)):
        assert isinstance(node, (ir.And, ir.Or))
        items: list[ir.Node] = []
        for syntax_item, item in zip(syntax.items, node.items, strict=True):
            flat = inline(syntax_item, item, references)
            if (isinstance(syntax_item, s.SegmentRef) and isinstance(flat, (ir.And, ir.Or))
                    and type(written_top(references[key_of(syntax_item)].checked)) is type(syntax)):
                items.extend(flat.items)
            else:
                items.append(flat)
        return ir.And(items=tuple(items)) if isinstance(node, ir.And) else ir.Or(items=tuple(items))
    if isinstance(syntax, s.Not):
        assert isinstance(node, ir.Not)
        return ir.Not(operand=inline(syntax.operand, node.operand, references))
    return node


def written_top(checked: CheckedSegment) -> s.Node:
    """The top of ``checked``'s text with its references written out, as the parser would see it.

    Only a written ``and`` (``or``) is spliced into an enclosing one: an IR
    ``and`` that the checker made from one condition (``between``) stays a
    single item, as it does when the text is inlined and parsed again.
    """
    top = checked.syntax
    while isinstance(top, s.SegmentRef):
        found = next(r for r in checked.references if (r.name, r.requested) == key_of(top))
        checked = found.checked
        top = checked.syntax
    return top


def key_of(node: s.SegmentRef) -> tuple[str, int | None]:
    """How a reference is looked up among a segment's references: (name, version written)."""
    return node.name.value, node.version.value if node.version is not None else None


def expanded_size(tree: s.Segment, references: dict[tuple[str, int | None], Reference],
                  sizes: dict[SegmentKey, tuple[int, int]]) -> tuple[int, int]:
    """(atoms, depth) of ``tree`` with its references written out, counted as the parser counts.

    Saved segments' sizes are memoised in ``sizes``, so a segment that uses
    another many times (or a chain of such) costs nothing like its expansion.
    """
    atoms = deepest = 0
    stack: list[tuple[s.Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (s.And, s.Or)):
            stack.extend((item, depth + 1) for item in node.items)
            continue
        if isinstance(node, s.Not):
            stack.append((node.operand, depth + 1))
            continue
        if isinstance(node, s.SegmentRef):
            ref = references[key_of(node)]
            key = (ref.name, ref.version)
            if key not in sizes:
                sizes[key] = expanded_size(ref.checked.syntax, _by_key(ref.checked.references), sizes)
            ref_atoms, ref_depth = sizes[key]
            atoms += ref_atoms
            deepest = max(deepest, depth - 1 + ref_depth)
            continue
        counted, condition = s.conditions_of(node)
        atoms += counted
        deepest = max(deepest, depth)
        if condition is not None:
            stack.append((condition, depth + 1))
    return atoms, deepest


def _by_key(references: tuple[Reference, ...]) -> dict[tuple[str, int | None], Reference]:
    return {(r.name, r.requested): r for r in references}


def first_reference(tree: s.Segment) -> s.SegmentRef | None:
    """The first ``segment(...)`` in ``tree`` (source order), if any."""
    for node in s.walk(tree):
        if isinstance(node, s.SegmentRef):
            return node
    return None


__all__ = ["CycleFound", "Expansion", "Reference", "SegmentKey", "expanded_size", "first_reference", "inline",
           "key_of"]
