"""Query parameters: every user value and every time bound, computed when the query runs.

Compiled SQL contains no user value and no instant. Each becomes a named
placeholder with a :class:`ParamSpec` saying where its value comes from:

- a value from the segment (a string, an integer, a decimal; already turned
  into the form the comparison needs, e.g. integer cents on SQLite);
- a time point of the IR (``now - 3d``, "start of 2025-01-31 in the shop's
  zone"), resolved by :func:`cafehub.compiler.evaluation.resolve`;
- a bound of the evaluation context itself: ``now``, the cart retention
  cutoff, the history start.

So one compiled query serves every send time, zone and retention setting, and
the time semantics live in exactly one place (``evaluation.resolve``).

A time parameter comes in the form the column it is compared with needs
(:class:`TimeForm`): a zone-less UTC timestamp for a zone-less column, an
instant for a ``timestamptz`` one (a zone-less value would be read in the
session's zone), epoch seconds for MySQL's ``TIMESTAMP``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from sqlglot import exp

from cafehub.compiler import ir
from cafehub.compiler.backends.sql.dialects import SqlDialect
from cafehub.compiler.evaluation import EvalContext, resolve, timestamp_text, to_naive_utc

Value = int | Decimal | str
ParamValue = int | Decimal | str | datetime


class ContextBound(StrEnum):
    """Instants that come from the evaluation context rather than the segment."""

    NOW = "now"
    CART_START = "cart_start"
    HISTORY_START = "history_start"


_CONTEXT_NOTES = {
    ContextBound.NOW: "now (the evaluation instant)",
    ContextBound.CART_START: "now - cart retention (the oldest cart item still in the cart)",
    ContextBound.HISTORY_START: "start of the history start date in the shop's zone (orders before it are ignored)",
}


class TimeForm(StrEnum):
    """The form of a time parameter, chosen by what the column it is compared with holds.

    - ``naive``: a zone-less UTC timestamp (text in the store's form on SQLite), for columns
      holding zone-less UTC; the engine converts nothing.
    - ``aware``: an instant (a UTC datetime with its offset, bound as ``timestamptz``), for
      columns holding instants (``timestamptz``): compared as instants, whatever the
      session's zone.
    - ``epoch``: seconds since 1970-01-01 UTC as an exact decimal, for MySQL's ``TIMESTAMP``,
      which is compared through ``UNIX_TIMESTAMP(column)`` (the stored instant, converted by
      no zone); a ``DATETIME`` parameter would be read in the session's zone.
    """

    NAIVE = "naive"
    AWARE = "aware"
    EPOCH = "epoch"


#: Parameter name suffix per form (a zone-less bound keeps the plain name).
_FORM_SUFFIX = {TimeForm.NAIVE: "", TimeForm.AWARE: "_tz", TimeForm.EPOCH: "_epoch"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimeSource:
    """A timestamp parameter: a symbolic IR point or a context bound, in one form."""

    point: ir.TimePoint | ContextBound
    form: TimeForm = TimeForm.NAIVE

    def instant(self, ctx: EvalContext) -> datetime:
        """The naive UTC instant (stored timestamps are naive UTC)."""
        point = self.point
        if isinstance(point, ContextBound):
            instant = {
                ContextBound.NOW: ctx.now_utc,
                ContextBound.CART_START: ctx.cart_cutoff,
                ContextBound.HISTORY_START: ctx.history_cutoff,
            }[point]
            return to_naive_utc(instant)
        return to_naive_utc(resolve(point, ctx))

    def describe(self) -> str:
        note = self._describe_point()
        if self.form is TimeForm.AWARE:
            return f"{note} (as an instant)"
        if self.form is TimeForm.EPOCH:
            return f"{note} (in seconds since 1970-01-01 UTC)"
        return note

    def _describe_point(self) -> str:
        point = self.point
        if isinstance(point, ContextBound):
            return _CONTEXT_NOTES[point]
        if isinstance(point, ir.NowOffset):
            return _describe_offset(point.seconds)
        if isinstance(point, ir.DayStart):
            if point.day is not None:
                return f"start of {point.day.isoformat()} in the shop's zone"
            names = {0: "today", -1: "yesterday", 1: "tomorrow"}
            day = names.get(point.relative_days, f"today {point.relative_days:+d} days")
            return f"start of {day} in the shop's zone"
        if isinstance(point, ir.WallClock):
            return f"{point.value.isoformat()} in the shop's zone"
        return point.value.isoformat()


def _describe_offset(seconds: int) -> str:
    if seconds == 0:
        return "now"
    sign = "+" if seconds > 0 else "-"
    amount = abs(seconds)
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600)):
        if amount % size == 0:
            return f"now {sign} {amount // size}{unit}"
    return f"now {sign} {amount}s"  # pragma: no cover - durations are whole hours


@dataclass(frozen=True, slots=True)
class ValueSource:
    """A value from the segment, in the form the comparison uses."""

    value: Value
    note: str

    def describe(self) -> str:
        return self.note


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One named parameter of a compiled query and how its value is computed."""

    name: str
    source: TimeSource | ValueSource

    @property
    def is_time(self) -> bool:
        return isinstance(self.source, TimeSource)

    def value(self, ctx: EvalContext, dialect: SqlDialect) -> ParamValue:
        """The value for ``ctx``, typed for ``dialect`` (timestamps as text on SQLite)."""
        source = self.source
        if isinstance(source, ValueSource):
            return source.value
        instant = source.instant(ctx)
        if source.form is TimeForm.AWARE:
            return instant.replace(tzinfo=UTC)
        if source.form is TimeForm.EPOCH:
            return epoch_seconds(instant)
        if dialect.timestamp_params == "text":
            return timestamp_text(instant)
        return instant

    def describe(self) -> str:
        return self.source.describe()


def epoch_seconds(naive_utc: datetime) -> Decimal:
    """Seconds since 1970-01-01 UTC, exact to the microsecond."""
    delta = naive_utc.replace(tzinfo=UTC) - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(micros).scaleb(-6)


class ParamSet:
    """Collects the parameters of one compilation and hands out placeholders.

    User values get one parameter per use (``p1``, ``p2``...); time points are
    shared by equality (``t1``...), and context bounds have fixed names; a point
    needed in another form gets a suffix (``t1_tz``, ``now_epoch``).
    """

    def __init__(self, *, colon: bool = False) -> None:
        self._colon = colon
        """Write placeholders as ``:name`` text rather than as the printer's own syntax."""
        self._specs: dict[str, ParamSpec] = {}
        self._points: dict[ir.TimePoint | ContextBound, str] = {}
        self._times: dict[tuple[ir.TimePoint | ContextBound, TimeForm], str] = {}

    def value(self, value: Value, note: str) -> exp.Expr:
        name = f"p{sum(1 for s in self._specs.values() if not s.is_time) + 1}"
        self._specs[name] = ParamSpec(name, ValueSource(value, note))
        return self._holder(name)

    def _holder(self, name: str) -> exp.Expr:
        return exp.Var(this=f":{name}") if self._colon else exp.Placeholder(this=name)

    def time(self, point: ir.TimePoint | ContextBound, form: TimeForm = TimeForm.NAIVE) -> exp.Expr:
        if isinstance(point, ir.NowOffset) and point.seconds == 0:
            point = ContextBound.NOW
        name = self._times.get((point, form))
        if name is None:
            base = self._points.get(point)
            if base is None:
                if isinstance(point, ContextBound):
                    base = point.value
                else:
                    base = f"t{sum(1 for p in self._points if not isinstance(p, ContextBound)) + 1}"
                self._points[point] = base
            name = base + _FORM_SUFFIX[form]
            self._times[point, form] = name
            self._specs[name] = ParamSpec(name, TimeSource(point, form))
        return self._holder(name)

    def specs(self) -> tuple[ParamSpec, ...]:
        return tuple(self._specs.values())


def param_name(node: exp.Expr) -> str | None:
    """The parameter a node stands for (a placeholder, or ``:name`` text), else ``None``."""
    if isinstance(node, exp.Placeholder):
        return node.name
    if isinstance(node, exp.Var) and node.name.startswith(":"):
        return node.name[1:]
    return None
