"""Hypothesis strategies for segments that use saved segments, and their inlined twins.

A :class:`Composition` is a set of saved segments (several versions each,
later ones using earlier ones by name, pinned or not), a segment text that
uses them, and the same segment with every ``segment("x")`` written out as
x's text (:func:`inline_text`). The composition law: both select the same
customers on every backend, and check to the same IR.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from cafehub.compiler.evaluation import EvalContext
from cafehub.compiler.references import MappingResolver
from cafehub.grammar import syntax as s
from cafehub.grammar.format import format_segment
from cafehub.grammar.parser import parse
from cafehub.testing.segments import segment_trees


@dataclass(frozen=True, slots=True)
class Composition:
    """Saved segments (name -> texts of versions 1, 2, ...), a text using them, and that text inlined."""

    saved: dict[str, list[str]]
    text: str
    inlined: str

    def resolver(self) -> MappingResolver:
        return MappingResolver(self.saved)


def inline_tree(tree: s.Node, saved: dict[str, list[str]]) -> s.Node:
    """``tree`` with every reference replaced by the referenced version's tree, itself inlined."""
    if isinstance(tree, s.SegmentRef):
        texts = saved[tree.name.value]
        text = texts[-1] if tree.version is None else texts[tree.version.value - 1]
        return inline_tree(parse(text), saved)
    if isinstance(tree, s.And):
        return s.make_and([inline_tree(item, saved) for item in tree.items])
    if isinstance(tree, s.Or):
        return s.make_or([inline_tree(item, saved) for item in tree.items])
    if isinstance(tree, s.Not):
        return s.Not(operand=inline_tree(tree.operand, saved))
    return tree


def inline_text(text: str, saved: dict[str, list[str]]) -> str:
    """The canonical text of ``text`` with its saved segments written out."""
    return format_segment(inline_tree(parse(text), saved))


def _reference(draw: st.DrawFn, saved: dict[str, list[str]]) -> s.SegmentRef:
    name = draw(st.sampled_from(sorted(saved)))
    pinned = draw(st.booleans())
    version = s.IntLit(value=draw(st.integers(1, len(saved[name])))) if pinned else None
    return s.SegmentRef(name=s.StringLit(value=name), version=version)


def _combine(draw: st.DrawFn, parts: list[s.Node]) -> s.Node:
    """``parts`` joined by a random and/or, each perhaps negated."""
    items: list[s.Node] = [s.Not(operand=p) if draw(st.booleans()) and draw(st.booleans()) else p for p in parts]
    if len(items) == 1:
        return items[0]
    return s.make_and(items) if draw(st.booleans()) else s.make_or(items)


@st.composite
def compositions(draw: st.DrawFn, ctx: EvalContext, *, max_saved: int = 3, max_leaves: int = 2) -> Composition:
    """Saved segments for ``ctx`` (each version may use earlier segments), and a segment using them."""
    trees = segment_trees(ctx, max_leaves=max_leaves)
    saved: dict[str, list[str]] = {}
    for index in range(draw(st.integers(1, max_saved))):
        versions: list[str] = []
        for _ in range(draw(st.integers(1, 2))):
            parts = [draw(trees)]
            uses_saved = draw(st.booleans())
            if saved and uses_saved:
                parts.append(_reference(draw, saved))
            text = format_segment(_combine(draw, parts))
            if not versions or versions[-1] != text:  # as in a registry: saving the same text is no new version
                versions.append(text)
        saved[f"s{index}"] = versions
    parts = [_reference(draw, saved) for _ in range(draw(st.integers(1, 3)))]
    if draw(st.booleans()):
        parts.append(draw(trees))
    text = format_segment(_combine(draw, parts))
    return Composition(saved=saved, text=text, inlined=inline_text(text, saved))


__all__ = ["Composition", "compositions", "inline_text", "inline_tree"]
