"""Name resolution and type checking: syntax tree to checked IR.

The checker walks the syntax tree once, resolving every name against the
catalog and checking every value against the type it meets. It does not stop
at the first problem: each one becomes a diagnostic in a sink and the walk
continues (an unresolvable part yields ``None`` and is skipped), so the user
sees everything wrong with a segment at once. Only when the walk is done does
it raise, or return the IR with any warnings.

Desugaring also happens here (see :mod:`cafehub.compiler.ir`): timestamps
become :class:`~cafehub.compiler.ir.TimeRange` with symbolic bounds, and the
window-direction checks and warnings are run on those bounds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import partial
from typing import Literal

from cafehub import reasons
from cafehub.compiler import ir
from cafehub.compiler.catalog import (
    ENUMS,
    FIELDS,
    AggregateFunc,
    Collection,
    FieldDef,
    FieldType,
    Kind,
    aggregate_result,
    owners_of,
)
from cafehub.compiler.composition import (
    CycleFound,
    Expansion,
    Reference,
    expanded_size,
    first_reference,
    inline,
    key_of,
)
from cafehub.compiler.evaluation import DEFAULT_CART_RETENTION_DAYS, DEFAULT_HISTORY_START, MAX_DATE, MIN_DATE
from cafehub.compiler.references import SavedSegment, SegmentResolver
from cafehub.diagnostics import Diagnostic, DiagnosticSink, SegmentError, Span
from cafehub.grammar import syntax as s
from cafehub.grammar.limits import DEFAULT_LIMITS, Limits
from cafehub.grammar.parser import parse

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: 100 years, in seconds: longer windows are a mistake and could overflow ``now - D``.
MAX_DURATION_SECONDS = 36_525 * 86_400
MAX_DECIMAL_PLACES = 6
MAX_INTEGER_DIGITS = 15
CmpOp = s.CmpOp


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    """Settings the checks depend on; the defaults match the product's."""

    limits: Limits = DEFAULT_LIMITS
    history_start: date = DEFAULT_HISTORY_START
    cart_retention_days: int = DEFAULT_CART_RETENTION_DAYS


DEFAULT_OPTIONS = CheckOptions()


#: The IR's node type, under a name the field ``CheckedSegment.ir`` does not shadow.
IRNode = ir.Node


@dataclass(frozen=True, slots=True)
class CheckedSegment:
    """A segment that passed every check: its IR, where it came from, and its warnings.

    ``ir`` is what backends compile: every saved segment the text uses
    (``segment("vip")``) is inlined in it. ``references`` are those saved
    segments (the ones the text names; each holds its own), and
    ``composed_ir`` is the IR in the shape of the text, a reference standing
    for the saved segment's own ``composed_ir`` (``None`` when the text uses
    no saved segment: then it is ``ir``).
    """

    ir: ir.Node
    syntax: s.Segment
    source: str
    warnings: tuple[Diagnostic, ...] = field(default=())
    composed_ir: IRNode | None = None
    references: tuple[Reference, ...] = ()

    @property
    def shaped_ir(self) -> IRNode:
        """The IR in the shape of the syntax tree (what explain walks beside it)."""
        return self.composed_ir if self.composed_ir is not None else self.ir

    def saved_segments(self) -> dict[tuple[str, int], bool]:
        """Every saved segment used, directly or through others: (name, version) -> written without a version.

        A segment used both ways counts as unpinned (``True``): it follows its
        latest version, so results depend on which version is latest.
        """
        found: dict[tuple[str, int], bool] = {}
        stack = list(self.references)
        while stack:
            ref = stack.pop()
            key = (ref.name, ref.version)
            unpinned = ref.requested is None
            if key in found:
                found[key] = found[key] or unpinned
                continue
            found[key] = unpinned
            stack.extend(ref.checked.references)
        return found


# A timestamp value seen as a range: an instant is (point, None); a calendar day
# is (its start, the next day's start), the end being exclusive.
@dataclass(frozen=True, slots=True)
class _TimeValue:
    start: ir.TimePoint
    day_end: ir.TimePoint | None


Position = Literal["past", "now", "not_after_now", "future", "unknown"]


def _position(point: ir.TimePoint) -> Position:
    """Where a point lies relative to ``now``, when that is known without a clock."""
    if isinstance(point, ir.NowOffset):
        return "past" if point.seconds < 0 else "future" if point.seconds > 0 else "now"
    if isinstance(point, ir.DayStart) and point.day is None:
        # start(today) <= now < start(tomorrow), whatever the zone or the date.
        return "not_after_now" if point.relative_days <= 0 else "future"
    return "unknown"


class Checker:
    """One checking pass over one segment; collects diagnostics in ``sink``.

    ``expansion`` resolves ``segment("name")`` (shared with the checks of the
    saved segments this one uses); ``nested`` is true while checking one of those.
    """

    def __init__(self, source: str, options: CheckOptions, expansion: Expansion, *, nested: bool = False) -> None:
        self.source = source
        self.options = options
        self.sink = DiagnosticSink()
        self.expansion = expansion
        self.nested = nested
        self.references: dict[tuple[str, int | None], Reference] = {}

    def error(self, diagnostic: Diagnostic) -> None:
        self.sink.add(diagnostic)

    def text(self, span: Span) -> str:
        return self.source[span.start : span.end] if span.end <= len(self.source) else "?"

    # ------------------------------------------------------------ segment level

    def segment(self, node: s.Node) -> ir.Node | None:
        if isinstance(node, s.And):
            items = [self.segment(item) for item in node.items]
            return ir.And(items=tuple(items)) if None not in items else None  # type: ignore[arg-type]
        if isinstance(node, s.Or):
            items = [self.segment(item) for item in node.items]
            return ir.Or(items=tuple(items)) if None not in items else None  # type: ignore[arg-type]
        if isinstance(node, s.Not):
            operand = self.segment(node.operand)
            return ir.Not(operand=operand) if operand is not None else None
        if isinstance(node, s.Exists):
            collection = self.collection(node.collection)
            where = self.condition(node.condition, collection) if node.condition is not None else None
            if collection is None or (node.condition is not None and where is None):
                return None
            exists = ir.Exists(collection=collection, where=where)
            return ir.Not(operand=exists) if node.negated else exists
        if isinstance(node, s.SegmentRef):
            return self.reference(node)
        subject = node.subject
        if isinstance(subject, s.FieldRef):
            # The grammar has no bare field test at segment level; only a hand-built tree could.
            raise TypeError(f"field test '{subject.name}' outside a collection: not a parser-produced tree")
        aggregate = self.measure(subject)
        if aggregate is None:
            self.values_only(node)
            return None
        return self.test(node, aggregate, self.text(subject.span), aggregate.type)

    def reference(self, node: s.SegmentRef) -> ir.Node | None:
        """A saved segment's IR in the shape of its text; a cycle is reported by the outermost checker."""
        key = key_of(node)
        ref = self.references.get(key)
        if ref is None:
            try:
                ref = self.expansion.resolve(node, self.error)
            except CycleFound as cycle:
                if self.nested:
                    raise
                self.error(reasons.segment_cycle([name for name, _ in cycle.path], node.span))
                return None
            if ref is None:
                return None
            self.references[key] = ref
        shaped: ir.Node = ref.checked.shaped_ir
        return shaped

    def collection(self, ident: s.Ident) -> Collection | None:
        try:
            return Collection(ident.name)
        except ValueError:
            self.error(reasons.unknown_collection(ident.name, [c.value for c in Collection], ident.span))
            return None

    def measure(self, measure: s.Measure) -> ir.Aggregate | None:
        collection = self.collection(measure.collection)
        where = self.condition(measure.condition, collection) if measure.condition is not None else None
        try:
            func = AggregateFunc(measure.aggregate.name)
        except ValueError:
            self.error(reasons.unknown_aggregate(measure.aggregate.name, [a.value for a in AggregateFunc],
                                                 measure.aggregate.span))
            return None
        if func.takes_field != (measure.field is not None):
            self.error(reasons.aggregate_field_arity(func.value, func.takes_field, measure.span))
            return None
        if collection is None or (measure.condition is not None and where is None):
            return None
        fdef = self.field(measure.field, collection) if measure.field is not None else None
        if measure.field is not None:
            if fdef is None:
                return None
            if not self.aggregate_allowed(func, fdef, measure):
                return None
        return ir.Aggregate(
            collection=collection, where=where, func=func, field=fdef, type=aggregate_result(func, fdef)
        )

    def aggregate_allowed(self, func: AggregateFunc, fdef: FieldDef, measure: s.Measure) -> bool:
        t = fdef.type.element
        hint: str | None = None
        if func in (AggregateFunc.SUM, AggregateFunc.AVG):
            ok = t.kind in (Kind.INT, Kind.MONEY) and not t.is_id
            hint = "sum and avg work on quantities and amounts" if not t.is_id else "ids count but do not add up"
        elif func in (AggregateFunc.MIN, AggregateFunc.MAX):
            ok = t.kind in (Kind.INT, Kind.MONEY, Kind.TIMESTAMP) and not t.is_id
            hint = "min and max work on numbers, amounts and timestamps"
        else:
            ok = True
        if not ok:
            self.error(reasons.aggregate_not_allowed(
                func.value, fdef.name, fdef.type.describe(), measure.span,
                hint + "; count_distinct works on any field" if hint else None))
        return ok

    # ------------------------------------------------------------ condition level

    def condition(self, node: s.Node | None, collection: Collection | None) -> ir.Node | None:
        if node is None:
            return None
        if isinstance(node, s.And):
            items = [self.condition(item, collection) for item in node.items]
            return ir.And(items=tuple(items)) if None not in items else None  # type: ignore[arg-type]
        if isinstance(node, s.Or):
            items = [self.condition(item, collection) for item in node.items]
            return ir.Or(items=tuple(items)) if None not in items else None  # type: ignore[arg-type]
        if isinstance(node, s.Not):
            operand = self.condition(node.operand, collection)
            return ir.Not(operand=operand) if operand is not None else None
        if isinstance(node, (s.Exists, s.SegmentRef)) or isinstance(node.subject, s.Measure):
            # The grammar allows none of these inside a condition; only a hand-built tree could.
            raise TypeError("collection, segment or aggregate inside a condition: not a parser-produced tree")
        subject = node.subject
        if collection is None:
            self.values_only(node)
            return None
        fdef = self.field(subject, collection)
        if fdef is None:
            self.values_only(node)
            return None
        return self.test(node, fdef, fdef.name, fdef.type)

    def field(self, ref: s.FieldRef, collection: Collection) -> FieldDef | None:
        fields = FIELDS[collection]
        fdef = fields.get(ref.name)
        if fdef is not None:
            return fdef
        owners = owners_of(ref.name)
        if owners:
            self.error(reasons.field_of_other_collection(ref.name, collection.value, owners, ref.span))
        else:
            self.error(reasons.unknown_field(ref.name, collection.value, fields, ref.span))
        return None

    def values_only(self, node: s.Predicate) -> None:
        """Check what can be checked of a predicate whose subject did not resolve."""
        if isinstance(node, s.InList) and not node.values:
            self.error(reasons.empty_list(node.span))

    # ------------------------------------------------------------ tests

    def test(self, node: s.Predicate, operand: ir.Operand, name: str, t: FieldType) -> ir.Node | None:
        handler = _TEST_HANDLERS[type(node)]
        return handler(self, node, operand, name, t)

    def operator_ok(self, op: str, name: str, t: FieldType, span: Span) -> bool:
        """Which operators a type accepts; ids, strings, enums and sets have no order."""
        if op in ("=", "!=", "in", "not in"):
            return True
        if t.is_set:
            hint = "a set field supports =, !=, in and not in (= means some element matches)"
        elif t.is_id:
            hint = "ids have no order; compare them with =, !=, in and not in"
        elif t.kind in (Kind.STRING, Kind.ENUM):
            hint = "text compares with =, !=, in and contains" if t.kind is Kind.STRING else (
                "enum values compare with =, !=, in and not in")
        else:
            return True
        self.error(reasons.operator_not_allowed(op, name, t.describe(), span, hint))
        return False

    def compare(self, node: s.Compare, operand: ir.Operand, name: str, t: FieldType) -> ir.Node | None:
        if not self.operator_ok(node.op.value, name, t, node.span):
            self.value(node.value, t, name)
            return None
        if t.kind is Kind.TIMESTAMP:
            tv = self.time_value(node.value, name)
            if tv is None:
                return None
            return self.time_range(operand, t, *_compare_bounds(node.op, tv), node.span,
                                   negated=node.op is CmpOp.NE)
        value = self.value(node.value, t, name)
        if value is None:
            return None
        if t.is_set:
            return ir.AnyOf(field=operand, values=(value,), negated=node.op is CmpOp.NE)  # type: ignore[arg-type]
        return ir.Compare(operand=operand, op=node.op, value=value)

    def in_list(self, node: s.InList, operand: ir.Operand, name: str, t: FieldType) -> ir.Node | None:
        if not node.values:
            self.error(reasons.empty_list(node.span))
            return None
        if t.kind is Kind.TIMESTAMP:
            ranges: list[ir.Node] = []
            for v in node.values:
                tv = self.time_value(v, name)
                if tv is not None:
                    r = self.time_range(operand, t, *_compare_bounds(CmpOp.EQ, tv), v.span, negated=node.negated)
                    if r is not None:
                        ranges.append(r)
            if len(ranges) != len(node.values):
                return None
            if len(ranges) == 1:
                return ranges[0]
            return ir.And(items=tuple(ranges)) if node.negated else ir.Or(items=tuple(ranges))
        checked = [self.value(v, t, name) for v in node.values]
        values = [v for v in checked if v is not None]
        if len(values) != len(checked):
            return None
        unique = tuple(dict.fromkeys(values))
        if t.is_set:
            return ir.AnyOf(field=operand, values=unique, negated=node.negated)  # type: ignore[arg-type]
        return ir.InValues(operand=operand, values=unique, negated=node.negated)

    def within(self, node: s.Within, operand: ir.Operand, name: str, t: FieldType) -> ir.Node | None:
        if t.kind is not Kind.TIMESTAMP:
            self.error(reasons.operator_not_allowed("within", name, t.describe(), node.span,
                                                    "within works on timestamps"))
            return None
        seconds = self.duration(node.duration)
        if seconds is None:
            return None
        if node.direction == "last":
            lower, upper = ir.NowOffset(-seconds), ir.NowOffset(0)
        else:
            lower, upper = ir.NowOffset(0), ir.NowOffset(seconds)
        if t.time == "past" and node.direction == "next":
            self.error(reasons.window_wrong_way(
                f"{name} is always in the past, so 'within next' never matches", node.span,
                f"write {name} within last {node.duration.amount}{node.duration.unit}"))
            return None
        if t.time == "future" and node.direction == "last":
            self.error(reasons.window_wrong_way(
                f"{name} is always in the future, so 'within last' never matches", node.span,
                f"write {name} within next {node.duration.amount}{node.duration.unit}"))
            return None
        return self.time_range(operand, t, ir.TimeBound(lower, True), ir.TimeBound(upper, True), node.span)

    def between(self, node: s.Between, operand: ir.Operand, name: str, t: FieldType) -> ir.Node | None:
        if not self.operator_ok("between", name, t, node.span):
            return None
        if t.kind is Kind.TIMESTAMP:
            low, high = self.time_value(node.low, name), self.time_value(node.high, name)
            if low is None or high is None:
                return None
            lower = ir.TimeBound(low.start, True)
            upper = ir.TimeBound(high.day_end, False) if high.day_end is not None else ir.TimeBound(high.start, True)
            if _time_reversed(lower, upper):
                self.error(reasons.between_reversed(self.text(node.low.span), self.text(node.high.span), node.span))
                return None
            return self.time_range(operand, t, lower, upper, node.span)
        if t.kind in (Kind.STRING, Kind.ENUM):
            self.error(reasons.operator_not_allowed("between", name, t.describe(), node.span,
                                                    "between works on numbers, amounts and timestamps"))
            return None
        low_v, high_v = self.value(node.low, t, name), self.value(node.high, t, name)
        if low_v is None or high_v is None:
            return None
        if low_v > high_v:  # type: ignore[operator]
            self.error(reasons.between_reversed(self.text(node.low.span), self.text(node.high.span), node.span))
            return None
        return ir.And(items=(
            ir.Compare(operand=operand, op=CmpOp.GE, value=low_v),
            ir.Compare(operand=operand, op=CmpOp.LE, value=high_v),
        ))

    def contains(self, node: s.Contains, operand: ir.Operand, name: str, t: FieldType) -> ir.Node | None:
        if t.kind is not Kind.STRING or isinstance(operand, ir.Aggregate):
            self.error(reasons.operator_not_allowed("contains", name, t.describe(), node.span,
                                                    "contains works on text fields such as name"))
            return None
        return ir.Contains(field=operand, needle=node.needle.value, negated=node.negated)

    # ------------------------------------------------------------ values

    def value(self, value: s.Value, t: FieldType, name: str) -> ir.Scalar | None:
        """A non-time value checked against the scalar type ``t`` (element type for sets)."""
        kind = t.kind
        if kind in (Kind.INT, Kind.DECIMAL, Kind.MONEY):
            if isinstance(value, s.IntLit):
                if not INT64_MIN <= value.value <= INT64_MAX:
                    self.error(reasons.integer_out_of_range(self.text(value.span), value.span))
                    return None
                if kind is Kind.MONEY and abs(value.value) >= 10**MAX_INTEGER_DIGITS:
                    self.error(reasons.number_too_large(self.text(value.span), value.span))
                    return None
                return value.value
            if isinstance(value, s.DecimalLit) and not t.is_id:
                return self.decimal(value)
            return self.mismatch(value, t, name, "write a number such as 3 or 12.50" if not t.is_id else None)
        if kind is Kind.STRING:
            if isinstance(value, s.StringLit):
                return value.value
            hint = f'text is quoted: "{self.text(value.span)}"' if isinstance(value, (s.EnumLit, s.IntLit)) else None
            return self.mismatch(value, t, name, hint)
        if kind is Kind.ENUM:
            assert t.enum is not None
            known = ENUMS[t.enum]
            if isinstance(value, s.EnumLit):
                if value.name in known:
                    return value.name
                self.error(reasons.unknown_enum(t.enum, value.name, known, value.span))
                return None
            if isinstance(value, s.StringLit) and value.value.lower() in known:
                return self.mismatch(value, t, name, f"enum values are written without quotes: {value.value.lower()}")
            return self.mismatch(value, t, name, f"{t.enum} is one of: " + ", ".join(known))
        raise AssertionError(f"value() called for {kind}")  # pragma: no cover

    def decimal(self, value: s.DecimalLit) -> Decimal | None:
        _sign, digits, exponent = value.value.as_tuple()
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > MAX_DECIMAL_PLACES:
            self.error(reasons.too_many_decimals(self.text(value.span), MAX_DECIMAL_PLACES, value.span, "a number"))
            return None
        if len(digits) - places > MAX_INTEGER_DIGITS:
            self.error(reasons.number_too_large(self.text(value.span), value.span))
            return None
        return value.value

    def mismatch(self, value: s.Value, t: FieldType, name: str, hint: str | None) -> ir.Scalar | None:
        """Report that ``value`` does not fit type ``t``; returns ``None`` so callers can ``return`` it."""
        self.error(reasons.type_mismatch(name, t.describe(), self.text(value.span), _value_kind(value),
                                         value.span, hint))
        return None

    def duration(self, duration: s.Duration) -> int | None:
        """The length of ``duration`` in seconds, or ``None`` (reported) when absurdly long."""
        if duration.seconds > MAX_DURATION_SECONDS:
            self.error(reasons.duration_too_long(self.text(duration.span), "100 years", duration.span))
            return None
        return duration.seconds

    def time_value(self, value: s.Value, name: str) -> _TimeValue | None:
        if isinstance(value, s.Now):
            return _TimeValue(ir.NowOffset(0), None)
        if isinstance(value, (s.Ago, s.FromNow)):
            seconds = self.duration(value.duration)
            if seconds is None:
                return None
            return _TimeValue(ir.NowOffset(-seconds if isinstance(value, s.Ago) else seconds), None)
        if isinstance(value, (s.Today, s.Yesterday)):
            day = ir.DayStart(relative_days=0 if isinstance(value, s.Today) else -1)
            return _TimeValue(day, day.next_day())
        if isinstance(value, (s.DateLit, s.DateTimeLit)):
            day_value = value.value if isinstance(value, s.DateLit) else value.value.date()
            if not MIN_DATE <= day_value <= MAX_DATE:
                self.error(reasons.date_out_of_range(self.text(value.span), MIN_DATE.isoformat(),
                                                     MAX_DATE.isoformat(), value.span))
                return None
        if isinstance(value, s.DateLit):
            day = ir.DayStart(day=value.value)
            return _TimeValue(day, day.next_day())
        if isinstance(value, s.DateTimeLit):
            if value.offset_minutes is None:
                return _TimeValue(ir.WallClock(value.value), None)
            tz = timezone(timedelta(minutes=value.offset_minutes))
            return _TimeValue(ir.Instant(value.value.replace(tzinfo=tz)), None)
        self.mismatch(value, FieldType(kind=Kind.TIMESTAMP), name,
                      "write a date (2025-01-31), a date-time (2025-01-31T09:00), now, today, "
                      "yesterday, or a time such as 3d ago or 1d from now")
        return None

    # ------------------------------------------------------------ time ranges

    def time_range(
        self,
        operand: ir.Operand,
        t: FieldType,
        lower: ir.TimeBound | None,
        upper: ir.TimeBound | None,
        span: Span,
        *,
        negated: bool = False,
    ) -> ir.TimeRange | None:
        """Build a range after the window-direction checks and warnings."""
        directional = t.time
        field_name = _field_name(operand)
        if directional == "past" and lower is not None:
            pos = _position(lower.point)
            if pos == "future" or (pos == "now" and not lower.inclusive):
                self.error(reasons.window_wrong_way(
                    f"{field_name} is always in the past, but this window starts after now", span,
                    "use a bound in the past, such as 3d ago"))
                return None
        if directional == "future" and upper is not None:
            pos = _position(upper.point)
            if pos == "past" or (pos in ("now", "not_after_now") and not upper.inclusive):
                self.error(reasons.window_wrong_way(
                    f"{field_name} is always in the future, but this window ends before now", span,
                    "use a bound in the future, such as 3d from now"))
                return None
        if not negated and upper is not None:
            self.warn_unreachable(operand, upper, span)
        return ir.TimeRange(operand=operand, lower=lower, upper=upper, negated=negated)

    def warn_unreachable(self, operand: ir.Operand, upper: ir.TimeBound, span: Span) -> None:
        fdef = operand.field if isinstance(operand, ir.Aggregate) else operand
        if fdef is None:
            return
        if (fdef.collection, fdef.name) == (Collection.ORDER, "ordered_at"):
            if _before_day(upper, self.options.history_start):
                self.error(reasons.before_history(self.options.history_start.isoformat(), span))
        elif (fdef.collection, fdef.name) == (Collection.CART, "added_at"):
            days = self.options.cart_retention_days
            point = upper.point
            limit = -days * 86400
            if (isinstance(point, ir.NowOffset) and (
                point.seconds < limit or (point.seconds == limit and not upper.inclusive)
            )) or (isinstance(point, ir.DayStart) and point.day is None and point.relative_days <= -days - 1):
                self.error(reasons.older_than_retention(days, span))


_TEST_HANDLERS: dict[type, Callable[..., ir.Node | None]] = {
    s.Compare: Checker.compare,
    s.InList: Checker.in_list,
    s.Within: Checker.within,
    s.Between: Checker.between,
    s.Contains: Checker.contains,
}


def _field_name(operand: ir.Operand) -> str:
    if isinstance(operand, ir.Aggregate):
        return f"{operand.func.value}({operand.field.name if operand.field else ''})"
    return operand.name


def _compare_bounds(op: s.CmpOp, tv: _TimeValue) -> tuple[ir.TimeBound | None, ir.TimeBound | None]:
    """The range ``op value`` selects; for a calendar day, ``<=`` and ``>`` use its end."""
    start, end = tv.start, tv.day_end
    if op in (CmpOp.EQ, CmpOp.NE):
        if end is None:
            return ir.TimeBound(start, True), ir.TimeBound(start, True)
        return ir.TimeBound(start, True), ir.TimeBound(end, False)
    if op is CmpOp.LT:
        return None, ir.TimeBound(start, False)
    if op is CmpOp.LE:
        return None, ir.TimeBound(end, False) if end is not None else ir.TimeBound(start, True)
    if op is CmpOp.GT:
        return (ir.TimeBound(end, True) if end is not None else ir.TimeBound(start, False)), None
    return ir.TimeBound(start, True), None


def _naive_key(point: ir.TimePoint) -> datetime | None:
    """A comparable wall-clock value for fixed points in the shop's zone."""
    if isinstance(point, ir.DayStart) and point.day is not None:
        return datetime.combine(point.day, datetime.min.time())
    if isinstance(point, ir.WallClock):
        return point.value
    return None


def _time_reversed(lower: ir.TimeBound, upper: ir.TimeBound) -> bool:
    """True when both bounds are comparable without a clock and the range is empty."""
    a, b = lower.point, upper.point
    key_a: object
    key_b: object
    if isinstance(a, ir.NowOffset) and isinstance(b, ir.NowOffset):
        key_a, key_b = a.seconds, b.seconds
    elif isinstance(a, ir.DayStart) and isinstance(b, ir.DayStart) and (a.day is None) == (b.day is None):
        key_a = a.relative_days if a.day is None else a.day
        key_b = b.relative_days if b.day is None else b.day
    elif isinstance(a, ir.Instant) and isinstance(b, ir.Instant):
        key_a, key_b = a.value, b.value
    else:
        na, nb = _naive_key(a), _naive_key(b)
        if na is None or nb is None:
            return False
        key_a, key_b = na, nb
    if upper.inclusive:
        return key_a > key_b  # type: ignore[operator]
    return key_a >= key_b  # type: ignore[operator]


def _before_day(upper: ir.TimeBound, day: date) -> bool:
    """True when every instant below ``upper`` is before ``day`` starts, in any zone."""
    point = upper.point
    naive = _naive_key(point)
    if naive is not None:
        start = datetime.combine(day, datetime.min.time())
        return naive < start or (naive == start and not upper.inclusive)
    if isinstance(point, ir.Instant):
        # The earliest the day can start anywhere is 00:00 at UTC+14.
        earliest = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=14)
        return point.value < earliest or (point.value == earliest and not upper.inclusive)
    return False


def _value_kind(value: s.Value) -> str:
    return {
        s.IntLit: "a number",
        s.DecimalLit: "a number",
        s.StringLit: "a string",
        s.EnumLit: "a name",
        s.DateLit: "a date",
        s.DateTimeLit: "a date-time",
        s.Now: "a time",
        s.Today: "a day",
        s.Yesterday: "a day",
        s.Ago: "a time",
        s.FromNow: "a time",
    }[type(value)]


def check_tree(
    tree: s.Segment,
    source: str,
    options: CheckOptions = DEFAULT_OPTIONS,
    *,
    resolver: SegmentResolver | None = None,
    saved_as: tuple[str, int] | None = None,
) -> CheckedSegment:
    """Check a parsed segment whose spans point into ``source``.

    ``resolver`` finds the saved segments the text uses (``segment("vip")``);
    without one, such a reference is an error (E0805). ``saved_as`` names
    the text when it is about to be saved as that (name, version), so a
    reference back to it is refused as a cycle.
    """
    expansion = Expansion(resolver, partial(_check_saved, options), saved_as)
    return _check(tree, source, options, expansion, nested=False)


def _check_saved(options: CheckOptions, saved: SavedSegment, expansion: Expansion) -> CheckedSegment | SegmentError:
    """Check one saved segment's text inside ``expansion`` (its diagnostics, if any, are returned)."""
    try:
        return _check(parse(saved.text, limits=options.limits), saved.text, options, expansion, nested=True)
    except SegmentError as error:
        return error


def _check(tree: s.Segment, source: str, options: CheckOptions, expansion: Expansion,
           *, nested: bool) -> CheckedSegment:
    checker = Checker(source, options, expansion, nested=nested)
    result = checker.segment(tree)
    if checker.references and not checker.sink.has_errors:
        _check_expanded_size(checker, tree, expansion)
    checker.sink.raise_if_errors(source)
    assert result is not None, "checker returned no IR without reporting an error"
    if not checker.references:
        return CheckedSegment(result, tree, source, tuple(checker.sink.items))
    flat = inline(tree, result, checker.references)
    return CheckedSegment(flat, tree, source, tuple(checker.sink.items), result, tuple(checker.references.values()))


def _check_expanded_size(checker: Checker, tree: s.Segment, expansion: Expansion) -> None:
    """Refuse a segment that, with its saved segments written out, passes the limits."""
    limits = checker.options.limits
    atoms, depth = expanded_size(tree, checker.references, expansion.sizes)
    span = first_reference(tree)
    where = span.span if span is not None else None
    if atoms > limits.max_atoms:
        checker.error(reasons.too_many_atoms_expanded(atoms, limits.max_atoms, where))
    elif depth > limits.max_depth:
        checker.error(reasons.too_deep_expanded(limits.max_depth, where))


__all__ = ["CheckOptions", "CheckedSegment", "Checker", "Reference", "SegmentError", "check_tree"]
