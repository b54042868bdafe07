"""All the strategies in one place, and :func:`scenarios`, which draws them so that they meet.

A scenario is a context, then a segment, then a shop drawn around both. The
three are built to *meet*: a segment's durations, dates and date-times come
from one small pool derived from the context (:mod:`cafehub.testing.pools`),
and the shop puts rows exactly on every bound of the segment's windows and
of the context's scopes, and one microsecond either side
(:mod:`cafehub.testing.shops`). So ``within last 3d`` is tested against an
order placed exactly ``3d`` before ``now``, and ``ordered_at <= 2025-03-09``
against one at the first instant of 2025-03-10 in a zone where that day is 23
hours long. Literals reappear in rows too, so ``contains`` and ``=`` hit as
often as they miss. Segments: :mod:`cafehub.testing.segments`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from cafehub.compiler.check import check_tree
from cafehub.compiler.evaluation import EvalContext
from cafehub.grammar.format import format_segment
from cafehub.store import records as rec
from cafehub.testing.pools import (
    DURATIONS,
    FRAGMENTS,
    ZONES,
    TimePool,
    eval_contexts,
    money,
    texts,
    time_pool,
    transitions,
)
from cafehub.testing.segments import conditions, segment_trees, segments
from cafehub.testing.shops import NO_HINTS, Hints, data_times, hints_for, shop_data

# ---------------------------------------------------------------- all three at once


@dataclass(frozen=True, slots=True)
class Scenario:
    """One property-test case: a valid segment (canonical text), a shop and a context that meet."""

    segment: str
    data: rec.ShopData
    ctx: EvalContext


@st.composite
def scenarios(
    draw: st.DrawFn,
    contexts: st.SearchStrategy[EvalContext] | None = None,
    *,
    max_leaves: int | None = None,
    max_customers: int = 5,
) -> Scenario:
    """A context, then a segment, then a shop drawn around both (rows on the segment's window edges
    and literal values, and on the scope boundaries of the context)."""
    ctx = draw(contexts if contexts is not None else eval_contexts())
    tree = draw(segment_trees(ctx, max_leaves=max_leaves))
    hints = hints_for(check_tree(tree, "").ir, ctx)
    data = draw(shop_data(ctx, hints=hints, max_customers=max_customers))
    return Scenario(segment=format_segment(tree), data=data, ctx=ctx)


__all__ = [
    "DURATIONS",
    "FRAGMENTS",
    "NO_HINTS",
    "ZONES",
    "Hints",
    "Scenario",
    "TimePool",
    "conditions",
    "data_times",
    "eval_contexts",
    "hints_for",
    "money",
    "scenarios",
    "segment_trees",
    "segments",
    "shop_data",
    "texts",
    "time_pool",
    "transitions",
]
