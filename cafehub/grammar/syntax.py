"""The syntax tree: what the text says, with where it says it.

Nodes mirror the source (no type information, no desugaring) and carry a
:class:`~cafehub.diagnostics.Span`. Spans are excluded from equality, so two
trees are equal when they mean the same text regardless of layout: this is
what the formatter's round-trip law ``parse(format(tree)) == tree`` relies on.

Names that the language treats case-insensitively (collections, aggregates,
enum values) are stored lower-cased; field names are stored as written.

The tree is kept *flat*: an ``And`` never has an ``And`` child and never has
fewer than two items (the same for ``Or``), which gives every meaning a single
canonical tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal, TypeAlias

from cafehub.diagnostics import Span

#: The span given to nodes built in code or read from JSON.
NO_SPAN = Span(0, 0, 1, 1)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


class CmpOp(StrEnum):
    """A comparison operator, spelled as in the language."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


DurationUnit = Literal["h", "d", "w"]
Direction = Literal["last", "next"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Duration:
    """A length of time such as ``3d``: a count of hours, days or weeks."""

    amount: int
    unit: DurationUnit
    span: Span = _span()

    @property
    def seconds(self) -> int:
        return self.amount * {"h": 3600, "d": 86400, "w": 604800}[self.unit]


# ---------------------------------------------------------------- values


@dataclass(frozen=True, slots=True, kw_only=True)
class IntLit:
    """An integer literal (``100_000`` is stored as ``100000``)."""

    value: int
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class DecimalLit:
    """A decimal literal, kept exact (``12.50`` keeps its two places)."""

    value: Decimal
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class StringLit:
    """A string literal after escape processing."""

    value: str
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumLit:
    """A bare enum name such as ``paid`` (lower-cased)."""

    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class DateLit:
    """A calendar date: the whole day in the shop's time zone."""

    value: date
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class DateTimeLit:
    """An instant written as a date and time.

    ``value`` is naive (wall-clock digits as written); ``offset_minutes`` is
    the written UTC offset (``Z`` is 0), or ``None`` for "in the shop's zone".
    """

    value: datetime
    offset_minutes: int | None
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Now:
    """The evaluation instant."""

    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Today:
    """The calendar day, in the shop's zone, that contains ``now``."""

    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Yesterday:
    """The calendar day before ``today``."""

    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Ago:
    """The instant ``now - duration``."""

    duration: Duration
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FromNow:
    """The instant ``now + duration``."""

    duration: Duration
    span: Span = _span()


Value: TypeAlias = (
    IntLit | DecimalLit | StringLit | EnumLit | DateLit | DateTimeLit | Now | Today | Yesterday | Ago | FromNow
)


# ---------------------------------------------------------------- subjects


@dataclass(frozen=True, slots=True, kw_only=True)
class Ident:
    """A name as written (collections and aggregates lower-cased)."""

    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldRef:
    """A field of the enclosing collection's rows, e.g. ``ordered_at``."""

    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Measure:
    """An aggregate over a collection's matching rows: ``order(status = paid).count``."""

    collection: Ident
    condition: Condition | None
    aggregate: Ident
    field: FieldRef | None
    span: Span = _span()


Subject: TypeAlias = FieldRef | Measure


# ---------------------------------------------------------------- predicates


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare:
    """``subject op value``."""

    subject: Subject
    op: CmpOp
    value: Value
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class InList:
    """``subject in [v, ...]`` or ``subject not in [v, ...]``."""

    subject: Subject
    values: tuple[Value, ...]
    negated: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Within:
    """``subject within last|next duration``."""

    subject: Subject
    direction: Direction
    duration: Duration
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Between:
    """``subject between low and high`` (inclusive)."""

    subject: Subject
    low: Value
    high: Value
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Contains:
    """``subject contains "text"`` or ``subject not contains "text"``."""

    subject: Subject
    needle: StringLit
    negated: bool
    span: Span = _span()


Predicate: TypeAlias = Compare | InList | Within | Between | Contains


# ---------------------------------------------------------------- logic


@dataclass(frozen=True, slots=True, kw_only=True)
class And:
    """Conjunction of two or more items (never directly nested)."""

    items: tuple[Node, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Or:
    """Disjunction of two or more items (never directly nested)."""

    items: tuple[Node, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    """``not operand``."""

    operand: Node
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class Exists:
    """``collection(condition)``, or with ``no`` in front when ``negated``."""

    collection: Ident
    condition: Condition | None
    negated: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentRef:
    """``segment("vip")`` or ``segment("vip", version = 3)``: a saved segment, used by name.

    Without ``version`` it means the latest version at the time the segment
    is checked. The checker resolves it through the resolver it is given.
    """

    name: StringLit
    version: IntLit | None
    span: Span = _span()


#: A node of either level. Which level a node is at is decided by its position:
#: segment-level atoms are ``Exists``, ``SegmentRef`` and predicates over a
#: ``Measure``; condition-level atoms are predicates over a ``FieldRef``.
Node: TypeAlias = And | Or | Not | Exists | SegmentRef | Predicate
Condition: TypeAlias = Node
Segment: TypeAlias = Node

SyntaxNode: TypeAlias = Node | Subject | Value | Ident | Duration


def make_and(items: list[Node], span: Span = NO_SPAN) -> Node:
    """Build a flat conjunction: nested ``And`` children are spliced in."""
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, And) else (item,))
    return flat[0] if len(flat) == 1 else And(items=tuple(flat), span=span)


def make_or(items: list[Node], span: Span = NO_SPAN) -> Node:
    """Build a flat disjunction: nested ``Or`` children are spliced in."""
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, Or) else (item,))
    return flat[0] if len(flat) == 1 else Or(items=tuple(flat), span=span)


def children(node: SyntaxNode) -> Iterator[SyntaxNode]:
    """The direct syntax-node children of ``node``, in source order."""
    for f in fields(node):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        if isinstance(value, tuple):
            yield from value
        elif value is not None and hasattr(value, "__dataclass_fields__"):
            yield value


def walk(node: SyntaxNode) -> Iterator[SyntaxNode]:
    """Every node under ``node`` (itself included), depth first, without recursion."""
    stack: list[SyntaxNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


PREDICATE_TYPES = (Compare, InList, Within, Between, Contains)


def conditions_of(node: Node) -> tuple[int, Condition | None]:
    """How many conditions an atom counts by itself, and the row condition inside it to count too.

    What counts towards ``Limits.max_atoms`` ("conditions"): every test of a field or
    of a measure, a collection test without a condition (``cart()``), and a saved
    segment used by name (the checker counts it written out). A collection test
    counts as its conditions, so ``cart(product = 1)`` is one condition and
    ``order(status = paid).count >= 3`` two (the status and the count).
    """
    if isinstance(node, Exists):
        return (1, None) if node.condition is None else (0, node.condition)
    if isinstance(node, SegmentRef):
        return 1, None
    if isinstance(node, (And, Or, Not)):
        return 0, None
    return 1, node.subject.condition if isinstance(node.subject, Measure) else None


#: Nodes that add a level of nesting for ``Limits.max_depth``.
NESTING_TYPES = (And, Or, Not, Exists, SegmentRef, Measure, *PREDICATE_TYPES)
