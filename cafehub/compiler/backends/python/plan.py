"""Planning the scans of a predicate: which row tests, merged how, in what order, and which scans share a loop.

A compiled predicate spends nearly all its time in per-row filters, so this
module decides their shape before :mod:`.codegen` writes any source. It
works on IR only and emits no text.

Why each rewrite preserves the semantics (see :mod:`cafehub.compiler.ir`):

- **Conjuncts.** A row counts when its condition is TRUE. The TRUE of an
  ``and`` (and the FALSE of an ``or``) is every item TRUE (FALSE), so the
  scope tests and the condition flatten into one list of *literals*, each a
  node that must be TRUE or FALSE. Every literal is a pure test that cannot
  fail, so any order gives the same rows.
- **Ranges.** A time literal that must hold (a non-negated ``TimeRange``
  that must be TRUE, or a negated one that must be FALSE) on a field that is
  never null is just bounds on that field; the scope's own time bounds
  (history window, cart retention, ``now`` for coupons) join them, so one
  chained comparison tests the field once. A bound that another implies
  statically (``now - 90d`` before ``now``; the same point twice) is
  dropped; several bounds left on one side are combined once per bind
  (``max``/``min``, in :mod:`.codegen`).
- **Order.** Cheap, selective tests first: equality and membership on
  non-enum fields (``product = 42``), then time ranges the condition
  narrows, then other simple tests, then the scope's own tests (most rows
  are in scope), then nested ``and``/``or``.
- **Fusion.** Atoms over the same collection in one segment-level
  ``and``/``or`` can share one pass over the rows: aggregates read every
  row anyway, and existence tests that decide the answer when a row is
  found (``no order(...)`` in an ``and``) read every row unless they decide.
  Tests common to the fused atoms run once per row as a guard. Two atoms
  that each stop at their first matching row and share no selective test
  stay separate loops, because fusing them would test both on every row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TypeAlias

from cafehub.compiler import ir
from cafehub.compiler.backends.python.data import NULLABLE_FIELDS, ROW_TYPES
from cafehub.compiler.catalog import FIELDS, Collection, FieldDef, Kind
from cafehub.grammar.syntax import CmpOp


class PredicateCompileError(ValueError):
    """An IR the predicate backend cannot compile (only a hand-built, unchecked IR can be one)."""


_IDENTIFIER = re.compile(r"[a-z][a-z_]*\Z")
_ROW_ATTRIBUTES = {c: frozenset(f.name for f in fields(t)) for c, t in ROW_TYPES.items()}


def field_attribute(fdef: FieldDef, collection: Collection) -> str:
    """The row attribute of a catalog field, refusing anything that is not one of ``collection``'s."""
    if fdef.collection is not collection or FIELDS[collection].get(fdef.name) != fdef:
        raise PredicateCompileError(f"field {fdef} is not a field of {collection.value}")
    if not _IDENTIFIER.match(fdef.name) or fdef.name not in _ROW_ATTRIBUTES[collection]:
        raise PredicateCompileError(f"field {fdef} has no attribute on {collection.value} rows")
    return fdef.name


# ---------------------------------------------------------------- terms

#: ``now`` as a time point (``resolve`` gives exactly ``ctx.now``).
NOW = ir.NowOffset(0)


@dataclass(frozen=True, slots=True)
class Bound:
    """One end of a range on a row field: a symbolic point or a context instant's parameter name."""

    point: ir.TimePoint | str
    inclusive: bool


@dataclass(frozen=True, slots=True)
class IsNone:
    """``r.<attribute> is None`` (a held coupon is unused)."""

    attribute: str


@dataclass(frozen=True, slots=True)
class Range:
    """Every bound holds for ``r.<attribute>``: ``lower`` below it, ``upper`` above it."""

    attribute: str
    lower: tuple[Bound, ...]
    upper: tuple[Bound, ...]


@dataclass(frozen=True, slots=True)
class Literal:
    """A condition node that must be ``want`` (TRUE or FALSE) for the row to count."""

    node: ir.Node
    want: bool


Term: TypeAlias = IsNone | Range | Literal


@dataclass(frozen=True, slots=True)
class Scope:
    """The rows of a collection a segment sees at ``now`` (STORE.md), as terms."""

    unset: tuple[str, ...]
    ranges: tuple[Range, ...]

    def bounds(self, attribute: str) -> frozenset[Bound]:
        return frozenset(b for r in self.ranges if r.attribute == attribute for b in (*r.lower, *r.upper))


def _scope_range(attribute: str, lower: Bound | None, upper: Bound | None) -> Range:
    return Range(attribute, (lower,) if lower else (), (upper,) if upper else ())


#: Held coupons: unused, issued by now, not expired; kept cart items; orders in the history window.
SCOPES: dict[Collection, Scope] = {
    Collection.COUPON: Scope(
        unset=("used_at",),
        ranges=(_scope_range("issued_at", None, Bound(NOW, True)), _scope_range("expires_at", Bound(NOW, True), None)),
    ),
    Collection.CART: Scope(unset=(), ranges=(_scope_range("added_at", Bound("_cart_lo", True), Bound(NOW, True)),)),
    Collection.ORDER: Scope(unset=(), ranges=(_scope_range("ordered_at", Bound("_hist_lo", True), Bound(NOW, True)),)),
}


# ---------------------------------------------------------------- one scan's filter


def conjuncts(node: ir.Node, want: bool) -> list[tuple[ir.Node, bool]]:
    """The literals whose conjunction is "``node`` is ``want``", left to right (no recursion)."""
    found: list[tuple[ir.Node, bool]] = []
    stack = [(node, want)]
    while stack:
        current, wanted = stack.pop()
        if isinstance(current, ir.Not):
            stack.append((current.operand, not wanted))
        elif isinstance(current, ir.And) if wanted else isinstance(current, ir.Or):
            stack.extend((item, wanted) for item in reversed(current.items))  # type: ignore[union-attr]
        else:
            found.append((current, wanted))
    return found


def _as_range(node: ir.Node, want: bool, collection: Collection) -> Range | None:
    """The literal as bounds on a field, when it is one (an inside-the-range test on a non-null field)."""
    if not isinstance(node, ir.TimeRange) or node.negated == want or isinstance(node.operand, ir.Aggregate):
        return None
    attribute = field_attribute(node.operand, collection)
    if (collection, attribute) in NULLABLE_FIELDS:
        return None
    lower = (Bound(node.lower.point, node.lower.inclusive),) if node.lower else ()
    upper = (Bound(node.upper.point, node.upper.inclusive),) if node.upper else ()
    return Range(attribute, lower, upper)


def _static_order(a: ir.TimePoint | str, b: ir.TimePoint | str) -> int | None:
    """-1, 0 or 1 when ``a`` is before, at or after ``b`` in every context; ``None`` when that depends."""
    if a == b:
        return 0
    if isinstance(a, ir.NowOffset) and isinstance(b, ir.NowOffset):
        return -1 if a.seconds < b.seconds else 1
    return None


def _implies(a: Bound, b: Bound, *, lower: bool) -> bool:
    """Whether a field within bound ``a`` is always within bound ``b`` (both lower, or both upper)."""
    order = _static_order(a.point, b.point)
    if order is None:
        return False
    if order == 0:
        return b.inclusive or not a.inclusive
    return order > 0 if lower else order < 0


def _simplify(bounds: Sequence[Bound], known: Sequence[Bound], *, lower: bool) -> tuple[Bound, ...]:
    """``bounds`` without those implied by another bound or by one already known to hold."""
    unique = tuple(dict.fromkeys(bounds))
    others = (*unique, *known)
    return tuple(b for b in unique if b not in known and not any(
        a != b and _implies(a, b, lower=lower) for a in others))


def _merge(terms: list[Term], extra: Range) -> None:
    for i, term in enumerate(terms):
        if isinstance(term, Range) and term.attribute == extra.attribute:
            terms[i] = Range(term.attribute, (*term.lower, *extra.lower), (*term.upper, *extra.upper))
            return
    terms.append(extra)


def row_filter(collection: Collection, where: ir.Node | None) -> tuple[Term, ...]:
    """The scope and the condition of a scan as terms, time literals merged into ranges (not simplified)."""
    terms: list[Term] = [IsNone(a) for a in SCOPES[collection].unset]
    terms.extend(SCOPES[collection].ranges)
    for node, want in conjuncts(where, True) if where is not None else ():
        as_range = _as_range(node, want, collection)
        if as_range is not None:
            _merge(terms, as_range)
        else:
            terms.append(Literal(node, want))
    return tuple(terms)


# ---------------------------------------------------------------- cost order

PINPOINT, NARROWED, SIMPLE, SCOPE, COMPOUND = range(5)


def _pinpoint(node: ir.Node, want: bool) -> bool:
    """An equality or membership test on a non-enum field: usually true of few rows, and cheap."""
    if isinstance(node, ir.Compare):
        equality = node.op is (CmpOp.EQ if want else CmpOp.NE)
        operand = node.operand
    elif isinstance(node, ir.InValues):
        equality, operand = node.negated != want, node.operand
    elif isinstance(node, ir.AnyOf):
        equality, operand = node.negated != want, node.field
    else:
        return False
    return equality and isinstance(operand, FieldDef) and operand.type.kind is not Kind.ENUM


def rank(term: Term, collection: Collection) -> int:
    """Where a term goes in a filter: lower runs first (cheap and selective before the rest)."""
    if isinstance(term, IsNone):
        return SCOPE
    if isinstance(term, Range):
        scope = SCOPES[collection].bounds(term.attribute)
        return NARROWED if any(b not in scope for b in (*term.lower, *term.upper)) else SCOPE
    if isinstance(term.node, (ir.And, ir.Or, ir.Not)):
        return COMPOUND
    return PINPOINT if _pinpoint(term.node, term.want) else SIMPLE


def finish(terms: Sequence[Term], collection: Collection, known: Sequence[Range] = ()) -> tuple[Term, ...]:
    """Simplify the ranges of ``terms`` (given ranges ``known`` to hold) and order the terms by rank."""
    held = {r.attribute: r for r in known}
    done: list[Term] = []
    for term in terms:
        if isinstance(term, Range):
            outer = held.get(term.attribute, Range(term.attribute, (), ()))
            lower = _simplify(term.lower, outer.lower, lower=True)
            upper = _simplify(term.upper, outer.upper, lower=False)
            if lower or upper:
                done.append(Range(term.attribute, lower, upper))
        else:
            done.append(term)
    return tuple(sorted(done, key=lambda t: rank(t, collection)))


# ---------------------------------------------------------------- segment level


def normalize(node: ir.Node, negate: bool = False) -> ir.Node:
    """The segment with every ``not`` pushed down to an atom and nested ``and``/``or`` of one kind flattened.

    Valid because segment-level logic is two-valued (De Morgan, double
    negation); an aggregate test that is null is false, and ``Not`` of it
    stays ``Not`` of it, so nulls keep their meaning.
    """
    if isinstance(node, ir.Not):
        return normalize(node.operand, not negate)
    if isinstance(node, (ir.And, ir.Or)):
        kind: type[ir.And] | type[ir.Or] = type(node)
        if negate:
            kind = ir.Or if isinstance(node, ir.And) else ir.And
        items: list[ir.Node] = []
        for item in node.items:
            done = normalize(item, negate)
            items.extend(done.items if isinstance(done, kind) else (done,))
        return kind(items=tuple(items))
    return ir.Not(operand=node) if negate else node


@dataclass(frozen=True, slots=True)
class Atom:
    """A segment-level test of one collection: an existence test or an aggregate test, maybe negated."""

    node: ir.Exists | ir.Compare | ir.InValues | ir.TimeRange
    positive: bool
    collection: Collection
    where: ir.Node | None
    aggregate: ir.Aggregate | None

    @staticmethod
    def of(node: ir.Node) -> Atom:
        positive = not isinstance(node, ir.Not)
        inner = node.operand if isinstance(node, ir.Not) else node
        if isinstance(inner, ir.Exists):
            return Atom(inner, positive, inner.collection, inner.where, None)
        operand = getattr(inner, "operand", None)
        if not isinstance(inner, (ir.Compare, ir.InValues, ir.TimeRange)) or not isinstance(operand, ir.Aggregate):
            raise PredicateCompileError(f"{type(inner).__name__} without an aggregate at segment level")
        return Atom(inner, positive, operand.collection, operand.where, operand)

    def decides_on_a_row(self, decisive: bool) -> bool:
        """An existence test whose first matching row settles a statement returning ``decisive``."""
        return self.aggregate is None and self.positive == decisive


# ---------------------------------------------------------------- fusing scans


@dataclass(frozen=True, slots=True)
class SharedScan:
    """One loop for several atoms: ``guard`` tested once per row, then each atom's ``residuals``."""

    guard: tuple[Term, ...]
    residuals: tuple[tuple[Term, ...], ...]


def _split(filters: Sequence[tuple[Term, ...]]) -> tuple[list[Term], list[list[Term]]]:
    """Terms common to every filter (ranges: the bounds all share), and what is left of each filter."""
    first, rest = filters[0], filters[1:]
    common: list[Term] = []
    for term in first:
        if isinstance(term, Range):
            mates = [next((t for t in f if isinstance(t, Range) and t.attribute == term.attribute), None)
                     for f in rest]
            if all(m is not None for m in mates):
                lower = [b for b in term.lower if all(b in m.lower for m in mates if m)]
                upper = [b for b in term.upper if all(b in m.upper for m in mates if m)]
                if lower or upper:
                    common.append(Range(term.attribute, tuple(dict.fromkeys(lower)), tuple(dict.fromkeys(upper))))
        elif all(term in f for f in rest):
            common.append(term)
    left: list[list[Term]] = []
    for f in filters:
        own: list[Term] = []
        for term in f:
            if isinstance(term, Range):
                shared = next((c for c in common if isinstance(c, Range) and c.attribute == term.attribute), None)
                if shared is not None:
                    term = Range(term.attribute, tuple(b for b in term.lower if b not in shared.lower),
                                 tuple(b for b in term.upper if b not in shared.upper))
                if term.lower or term.upper:
                    own.append(term)
            elif term not in common:
                own.append(term)
        left.append(own)
    return common, left


def share_scan(collection: Collection, filters: Sequence[tuple[Term, ...]]) -> SharedScan:
    """Lay out one loop for several filters over ``collection`` (raw, from :func:`row_filter`).

    A common term guards the loop body when it ranks no later than the best
    test any filter has left of its own, so no atom pays for a slower test
    before its own selective one; the scope's tests guard it too unless some
    atom's own test is a pinpoint (then the scope is best tested after it).
    The residual tests of each atom are simplified given the guard.
    """
    common, left = _split(filters)
    own_best = min((rank(t, collection) for own in left for t in own), default=COMPOUND + 1)
    guard = [t for t in common
             if rank(t, collection) <= own_best or (own_best > PINPOINT and rank(t, collection) == SCOPE)]
    for term in common:
        if term not in guard:
            for own in left:
                if isinstance(term, Range):
                    _merge(own, term)
                else:
                    own.append(term)
    guard_ranges = [t for t in guard if isinstance(t, Range)]
    return SharedScan(
        guard=finish(guard, collection),
        residuals=tuple(finish(own, collection, guard_ranges) for own in left),
    )


def shares_selective_test(collection: Collection, filters: Sequence[tuple[Term, ...]]) -> bool:
    """Whether every filter has a common test beyond the scope (worth testing once for all)."""
    common, _left = _split(filters)
    return any(rank(t, collection) < SCOPE or isinstance(t, Literal) for t in common)


__all__ = [
    "NOW",
    "SCOPES",
    "Atom",
    "Bound",
    "IsNone",
    "Literal",
    "PredicateCompileError",
    "Range",
    "Scope",
    "SharedScan",
    "Term",
    "conjuncts",
    "field_attribute",
    "finish",
    "normalize",
    "rank",
    "row_filter",
    "share_scan",
    "shares_selective_test",
]
