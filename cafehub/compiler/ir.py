"""The checked IR: what backends compile. Typed, resolved, and free of sugar.

Differences from the syntax tree:

- names are resolved to :class:`~cafehub.compiler.catalog.FieldDef` and enum
  values to their canonical spelling; values are plain Python (``int``,
  ``Decimal``, ``str``);
- every time comparison, ``within`` and ``between`` on a timestamp becomes one
  :class:`TimeRange` with symbolic bounds (``now - 3d``, "start of the day
  2025-01-31 in the shop's zone"), resolved to instants only at evaluation;
- numeric ``between`` becomes two comparisons; ``no c(...)`` becomes
  ``Not(Exists)``; set-valued fields use :class:`AnyOf`.

Semantics the backends must share:

- Row level (inside a collection's condition) uses SQL's three-valued logic:
  a comparison with a null field is unknown, ``not unknown`` is unknown, and
  a row counts only when its condition is true.
- Segment level is two-valued. An :class:`Aggregate` operand that is null
  (``avg``/``min``/``max`` over no rows) makes its test *false*, whatever the
  operator, and ``Not`` of that is true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

from cafehub.compiler.catalog import AggregateFunc, Collection, FieldDef, FieldType
from cafehub.grammar.syntax import CmpOp

Scalar: TypeAlias = int | Decimal | str


# ---------------------------------------------------------------- time points


@dataclass(frozen=True, slots=True)
class NowOffset:
    """``now + seconds`` (negative for ``ago``)."""

    seconds: int


@dataclass(frozen=True, slots=True)
class DayStart:
    """The first instant of a calendar day in the shop's zone.

    Either a fixed ``day``, or ``relative_days`` from today (``-1`` is
    yesterday). The end of a day is the start of the next one (exclusive),
    which is how 23- and 25-hour days come out right.
    """

    day: date | None = None
    relative_days: int = 0

    def next_day(self) -> DayStart:
        if self.day is not None:
            return DayStart(day=date.fromordinal(self.day.toordinal() + 1))
        return DayStart(relative_days=self.relative_days + 1)


@dataclass(frozen=True, slots=True)
class WallClock:
    """A date and time without offset: read in the shop's zone."""

    value: datetime


@dataclass(frozen=True, slots=True)
class Instant:
    """A date and time with an explicit offset (stored as an aware datetime)."""

    value: datetime


TimePoint: TypeAlias = NowOffset | DayStart | WallClock | Instant


@dataclass(frozen=True, slots=True)
class TimeBound:
    """One end of a time range."""

    point: TimePoint
    inclusive: bool


# ---------------------------------------------------------------- operands


@dataclass(frozen=True, slots=True, kw_only=True)
class Aggregate:
    """``collection(where).func(field)`` for one customer; its type is ``type``."""

    collection: Collection
    where: Node | None
    func: AggregateFunc
    field: FieldDef | None
    type: FieldType


Operand: TypeAlias = FieldDef | Aggregate


# ---------------------------------------------------------------- tests


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare:
    """``operand op value`` on a number, string or enum (never a timestamp)."""

    operand: Operand
    op: CmpOp
    value: Scalar


@dataclass(frozen=True, slots=True, kw_only=True)
class InValues:
    """``operand in values`` (scalar operand), or ``not in`` when ``negated``."""

    operand: Operand
    values: tuple[Scalar, ...]
    negated: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AnyOf:
    """Some element of the set-valued ``field`` is in ``values``; none is, when ``negated``."""

    field: FieldDef
    values: tuple[Scalar, ...]
    negated: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeRange:
    """``lower <= operand <= upper`` (each bound optional, inclusive or not).

    ``negated`` means *outside* the range; it is kept on the node (rather
    than wrapping in ``Not``) because for an aggregate operand a null value
    must make the test false both inside and outside.
    """

    operand: Operand
    lower: TimeBound | None
    upper: TimeBound | None
    negated: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Contains:
    """``field`` contains ``needle`` as a plain substring (not, when ``negated``)."""

    field: FieldDef
    needle: str
    negated: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Exists:
    """The customer has at least one row of ``collection`` satisfying ``where``."""

    collection: Collection
    where: Node | None


# ---------------------------------------------------------------- logic


@dataclass(frozen=True, slots=True, kw_only=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    operand: Node


Test: TypeAlias = Compare | InValues | AnyOf | TimeRange | Contains
Node: TypeAlias = And | Or | Not | Exists | Test

NODE_TYPES: tuple[type, ...] = (And, Or, Not, Exists, Compare, InValues, AnyOf, TimeRange, Contains)
