"""Typed SQL values and the exact tests on them.

A field or aggregate compiles to a *representation* that says what kind of
SQL value it is, so that each test can be made exact for it:

- :class:`Scaled`: an integer-valued expression equal to the value times
  ``10**scale``. Integers are ``Scaled(x, 0)``; money on an engine without
  exact decimals (SQLite stores REAL) is integer cents, ``Scaled(.., 2)``. A
  threshold is scaled in Python; a non-integral one becomes a test against
  its floor or ceiling, so nothing is ever compared in floating point.
- :class:`Exact`: an exact decimal (``NUMERIC``) compared with a decimal
  parameter.
- :class:`Mean`: ``avg`` kept as total and count, never divided:
  ``avg op v`` is ``total op v * count`` (the count is positive whenever the
  total is not null, and over no values both sides are null: unknown).
- :class:`Text` (strings and enums) and :class:`Time` (timestamps).

Every builder keeps SQL's three-valued logic: a null operand gives unknown.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from cafehub.compiler import ir
from cafehub.compiler.backends.sql.dialects import SqlDialect
from cafehub.compiler.backends.sql.params import ContextBound, ParamSet, TimeForm
from cafehub.grammar.syntax import CmpOp

#: Scaled thresholds beyond 64 bits are clamped to this magnitude (plus one). They arise only
#: where a column holds fractions (a threshold of 19 digits times 10^scale), whose stored
#: values stay far below it (money is NUMERIC(14, 2)), so every test keeps its result, while
#: the parameter fits a 64-bit integer. A threshold within 64 bits is never clamped: 64-bit
#: columns (product numbers) hold values up to either end.
_CLAMP = 2**62
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, slots=True)
class Scaled:
    """An integer-valued SQL expression equal to the value times ``10**scale``."""

    expr: exp.Expr
    scale: int


@dataclass(frozen=True, slots=True)
class Exact:
    """An exact-decimal SQL expression."""

    expr: exp.Expr


@dataclass(frozen=True, slots=True)
class Mean:
    """An average as ``total`` (a ``SUM``, null over no values) and ``count`` of the same values."""

    total: Scaled | Exact
    count: exp.Expr


@dataclass(frozen=True, slots=True)
class Text:
    """A string or enum value."""

    expr: exp.Expr


@dataclass(frozen=True, slots=True)
class Time:
    """A timestamp, and the form its bounds take to be compared with it exactly.

    ``naive``: a zone-less UTC timestamp (text in the store's form on SQLite); ``aware``:
    an instant (``timestamptz``); ``epoch``: seconds since 1970 (MySQL's
    ``UNIX_TIMESTAMP`` of a ``TIMESTAMP`` column).
    """

    expr: exp.Expr
    form: TimeForm = TimeForm.NAIVE


Rep = Scaled | Exact | Mean | Text | Time

_BINARY: dict[CmpOp, type[exp.Binary]] = {
    CmpOp.EQ: exp.EQ,
    CmpOp.NE: exp.NEQ,
    CmpOp.LT: exp.LT,
    CmpOp.LE: exp.LTE,
    CmpOp.GT: exp.GT,
    CmpOp.GE: exp.GTE,
}


def compare_op(left: exp.Expr, op: CmpOp, right: exp.Expr) -> exp.Expr:
    return _BINARY[op](this=left, expression=right)


def paren(e: exp.Expr) -> exp.Expr:
    """Parenthesise a compound operand (sqlglot prints the tree as built)."""
    return exp.Paren(this=e) if isinstance(e, (exp.Binary, exp.Not, exp.Connector)) else e


def _flat(items: Sequence[exp.Expr], kind: type[exp.Connector]) -> list[exp.Expr]:
    result: list[exp.Expr] = []
    for item in items:
        if isinstance(item, kind):
            result.extend(_flat([item.this, item.expression], kind))
        elif isinstance(item, exp.Connector):
            result.append(exp.Paren(this=item))
        else:
            result.append(item)
    return result


def and_(items: Sequence[exp.Expr]) -> exp.Expr:
    """A flat conjunction (nested ``AND`` merged, ``OR`` parenthesised, repeated conditions once)."""
    flat: list[exp.Expr] = []
    seen: set[object] = set()
    for item in _flat(items, exp.And):
        key = condition_key(item)
        if key not in seen:  # A AND A is A, in three-valued logic too
            seen.add(key)
            flat.append(item)
    return _chain(exp.And, flat)


#: The comparison that keeps a value on the right side of a bound, by (lower bound?,
#: inclusive?, outside the range?): ``e >= lower`` inside, ``e < lower`` outside...
_BOUND_OPS: dict[tuple[bool, bool, bool], type[exp.Binary]] = {
    (True, True, False): exp.GTE, (True, True, True): exp.LT,
    (True, False, False): exp.GT, (True, False, True): exp.LTE,
    (False, True, False): exp.LTE, (False, True, True): exp.GT,
    (False, False, False): exp.LT, (False, False, True): exp.GTE,
}


def condition_key(item: exp.Expr) -> object:
    """What makes two conditions "the same": for a comparison of a column with a parameter,
    a constant or ``NULL`` (the repeated window bounds ``ordered_at <= :now``), those
    parts; for anything else, identity.

    sqlglot compares nodes by hashing whole subtrees, which was a quarter of the compile
    time; a segment that repeats a whole collection test is rare and harmless.
    """
    if isinstance(item, exp.Binary):
        left, right = _leaf_key(item.this), _leaf_key(item.expression)
        if left is not None and right is not None:
            return (type(item), left, right)
    return id(item)


def _leaf_key(e: exp.Expr) -> tuple[object, ...] | None:
    if isinstance(e, exp.Column):
        return ("column", e.table, e.name)
    if isinstance(e, exp.Placeholder | exp.Var):
        return (type(e), e.name)
    if isinstance(e, exp.Literal):
        return ("literal", e.this, e.is_string)
    if isinstance(e, exp.Null):
        return ("null",)
    return None


def cast(e: exp.Expr, kind: str) -> exp.Cast:
    """``CAST(e AS kind)``, the type parsed once (sqlglot parses a type name on every ``exp.cast``)."""
    return exp.Cast(this=e, to=_data_type(kind).copy())


@functools.lru_cache(maxsize=64)
def _data_type(kind: str) -> exp.DataType:
    return exp.DataType.build(kind)


def fresh(e: exp.Expr) -> exp.Expr:
    """A copy of ``e`` to attach elsewhere (a node has one parent): a column is rebuilt
    from its names, which is several times cheaper than sqlglot's deep copy."""
    if isinstance(e, exp.Column) and not e.args.get("db") and not e.args.get("catalog"):
        parts = {k: e.args[k] for k in ("this", "table") if e.args.get(k) is not None}
        if all(isinstance(p, exp.Identifier) and set(p.args) <= {"this", "quoted"} for p in parts.values()):
            return exp.Column(**{k: exp.Identifier(this=p.this, quoted=p.args.get("quoted")) for k, p in parts.items()})
    return e.copy()


def or_(items: Sequence[exp.Expr]) -> exp.Expr:
    """A flat disjunction (nested ``OR`` merged, ``AND`` parenthesised for the reader)."""
    flat = _flat(items, exp.Or)
    return _chain(exp.Or, flat)


#: A chain item nested at least this deep is moved to the front of its chain (see :func:`_chain`).
DEEP = 8
#: Chains longer than this are printed as parenthesised groups of this many (see :func:`_chain`).
CHAIN_GROUP = 64


def _chain(connector: type[exp.Connector], items: Sequence[exp.Expr]) -> exp.Expr:
    """``a AND b AND c`` as sqlglot builds it (left-nested), from nodes of any kind.

    Built directly rather than with ``exp.and_``, which copies or coerces its
    operands (and, in sqlglot's compiled build, rejects a scalar subquery).

    Two shapes keep every segment the checker accepts within the engines' limits. The
    deepest item, when nested :data:`DEEP` levels or more, comes first: a parser keeps
    what precedes an open parenthesis on its stack until it closes, so ``(((...) OR b)
    AND a)`` costs one entry per level where ``a AND (b OR (...))`` costs three or four
    (SQLite's parser stops near a hundred: "parser stack overflow"). A chain of more than
    :data:`CHAIN_GROUP` items is grouped in parentheses: a thousand ``OR`` in a row make a
    tree a thousand deep, past SQLite's and DuckDB's expression depth limit (1,000).
    Both are the same condition under AND and OR, in three-valued logic too.
    """
    if len(items) > 1:
        depths = [nesting(item) for item in items]
        deepest = max(range(len(items)), key=depths.__getitem__)
        if depths[deepest] >= DEEP and deepest:
            items = [items[deepest], *items[:deepest], *items[deepest + 1:]]
    while len(items) > CHAIN_GROUP:
        items = [exp.Paren(this=_links(connector, items[i:i + CHAIN_GROUP])) if len(items) - i > 1 else items[i]
                 for i in range(0, len(items), CHAIN_GROUP)]
    return _links(connector, items)


def _links(connector: type[exp.Connector], items: Sequence[exp.Expr]) -> exp.Expr:
    result = items[0]
    for item in items[1:]:
        result = connector(this=result, expression=item)
    return result


_NESTS = (exp.Paren, exp.Not, exp.Subquery, exp.Exists)


def nesting(e: exp.Expr) -> int:
    """How many parentheses, negations and subqueries ``e`` nests at its deepest (kept in ``e.meta``)."""
    known = e.meta.get("nesting")
    if known is None:
        inner = max((nesting(child) for child in e.iter_expressions()), default=0)
        known = inner + 1 if isinstance(e, _NESTS) else inner
        e.meta["nesting"] = known
    return int(known)


def where(query: exp.Select, condition: exp.Expr) -> exp.Select:
    """``query`` with ``condition`` added to its ``WHERE``, in place."""
    return _add_condition(query, "where", exp.Where, condition)


def having(query: exp.Select, condition: exp.Expr) -> exp.Select:
    """``query`` with ``condition`` added to its ``HAVING``, in place."""
    return _add_condition(query, "having", exp.Having, condition)


def _add_condition(query: exp.Select, arg: str, clause: type[exp.Expr], condition: exp.Expr) -> exp.Select:
    existing = query.args.get(arg)
    query.set(arg, clause(this=condition if existing is None else and_([existing.this, condition])))
    return query


def in_query(e: exp.Expr, query: exp.Select) -> exp.Expr:
    """``e IN (SELECT ...)``."""
    return exp.In(this=e, query=exp.Subquery(this=query))


def not_(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=paren(e))


def _plain(value: Decimal | int) -> str:
    """A number as plain digits (never exponent notation)."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _clamp(n: int) -> int:
    """``n`` within +-(2^62 + 1): for the mean, whose test subtracts it from a mean of 32-bit values."""
    return max(-_CLAMP - 1, min(_CLAMP + 1, n))


def _fit(n: int) -> int:
    """``n`` itself when it fits 64 bits (the operand may be any 64-bit value), else clamped."""
    return n if _INT64_MIN <= n <= _INT64_MAX else _clamp(n)


def _places(d: Decimal) -> int:
    """How many decimal places ``d`` needs (0 for an integer)."""
    d = d.normalize()
    exponent = d.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class Predicates:
    """Builds exact, three-valued tests on representations, with parameters from ``params``."""

    def __init__(self, params: ParamSet, dialect: SqlDialect) -> None:
        self.params = params
        self.dialect = dialect

    # ------------------------------------------------------------ strings

    def exact_text(self, e: exp.Expr) -> exp.Expr:
        """``e`` as a value whose comparison is byte-exact where collations are not."""
        kind = self.dialect.exact_string_type
        return cast(e, kind) if kind else e

    def text_equal(self, left: exp.Expr, right: exp.Expr) -> exp.Expr:
        """``left = right`` exactly; a plain equality first, so an index can still be used."""
        plain = exp.EQ(this=left, expression=right)
        if self.dialect.exact_string_type is None:
            return plain
        return and_([plain, exp.EQ(this=self.exact_text(left.copy()), expression=self.exact_text(right.copy()))])

    def _text_in(self, e: exp.Expr, values: Sequence[str], negated: bool) -> exp.Expr:
        holders = [self.params.value(v, f"the string {v!r}") for v in values]
        if len(holders) == 1:
            if negated:
                return exp.NEQ(this=self.exact_text(e), expression=self.exact_text(holders[0]))
            return self.text_equal(e, holders[0])
        if negated:
            return exp.Not(this=exp.In(this=self.exact_text(e), expressions=[self.exact_text(h) for h in holders]))
        plain = exp.In(this=e, expressions=holders)
        if self.dialect.exact_string_type is None:
            return plain
        exact = exp.In(this=self.exact_text(e.copy()), expressions=[self.exact_text(h.copy()) for h in holders])
        return and_([plain, exact])

    def contains(self, rep: Rep, needle: str, negated: bool) -> exp.Expr:
        if not isinstance(rep, Text):
            raise TypeError(f"contains on {type(rep).__name__}")
        holder = self.params.value(needle, f"the substring {needle!r}")
        # A plain substring position: no pattern characters, "" is found at 1 in any string.
        found = exp.GT(
            this=exp.StrPosition(this=self.exact_text(rep.expr), substr=self.exact_text(holder)),
            expression=exp.Literal.number(0),
        )
        return not_(found) if negated else found

    # ------------------------------------------------------------ comparisons

    def compare(self, rep: Rep, op: CmpOp, value: ir.Scalar) -> exp.Expr:
        if isinstance(rep, Text):
            if op is CmpOp.EQ:
                return self._text_in(rep.expr, [str(value)], negated=False)
            if op is CmpOp.NE:
                return self._text_in(rep.expr, [str(value)], negated=True)
            raise TypeError(f"ordering comparison {op} on a string")
        if isinstance(value, str):
            raise TypeError(f"string value for a {type(rep).__name__} operand")
        if isinstance(rep, Scaled):
            return self._scaled(rep, op, Decimal(value))
        if isinstance(rep, Exact):
            return compare_op(rep.expr, op, self.params.value(value, f"the number {_plain(value)}"))
        if isinstance(rep, Mean):
            return self._mean(rep, op, Decimal(value))
        raise TypeError(f"comparison with a number on {type(rep).__name__}")

    def _scaled(self, rep: Scaled, op: CmpOp, value: Decimal) -> exp.Expr:
        target = value.scaleb(rep.scale)
        note = f"the number {_plain(value)}" if rep.scale == 0 else \
            f"{_plain(value)} x 10^{rep.scale} (in integer units)"
        if target == target.to_integral_value():
            holder = self.params.value(_fit(int(target)), note)
            return compare_op(rep.expr, op, holder)
        # An integer x against a non-integral t: x < t iff x < ceil(t), x > t iff x > floor(t),
        # and x = t never (but unknown for a null x, hence a test on x rather than FALSE).
        floor = int(target.to_integral_value(rounding="ROUND_FLOOR"))

        def low() -> exp.Expr:
            return self.params.value(_fit(floor), f"floor of {note}")

        def high() -> exp.Expr:
            return self.params.value(_fit(floor + 1), f"ceiling of {note}")

        e = rep.expr
        if op is CmpOp.EQ:
            return and_([exp.GT(this=e, expression=low()), exp.LT(this=fresh(e), expression=high())])
        if op is CmpOp.NE:
            return or_([exp.LTE(this=e, expression=low()), exp.GTE(this=fresh(e), expression=high())])
        if op in (CmpOp.LT, CmpOp.GE):
            return compare_op(e, op, high())
        return compare_op(e, op, low())

    def _mean(self, rep: Mean, op: CmpOp, value: Decimal) -> exp.Expr:
        total = rep.total
        if isinstance(total, Exact):
            holder = self.params.value(value, f"the number {_plain(value)}")
            return compare_op(total.expr, op, exp.Mul(this=holder, expression=rep.count))
        return self._integer_mean(total, rep.count, op, value)

    def _integer_mean(self, total: Scaled, count: exp.Expr, op: CmpOp, value: Decimal) -> exp.Expr:
        """``total / count op value`` for an integer total, exactly and within the values' own range.

        With the total ``S`` and count ``N`` (in units of 10^-scale), and the threshold scaled to
        ``t = a + b / 10^k`` (``a`` its floor, ``0 <= b < 10^k``), the mean is ``q + r / N``
        (``q`` the floor of ``S / N``, ``0 <= r < N``): it compares with ``t`` as ``q`` with ``a``
        and, on a tie, ``r * 10^k`` with ``b * N``, which is
        ``2 * SIGN(q - a) + SIGN(r * 10^k - b * N) op 0``. No product grows beyond a million
        times the count: ``S * 10^k op t * N`` left 64 bits near the largest amounts (SQLite
        then compares in floating point; the others fail). Null over no values, like the mean.
        """
        target = value.scaleb(total.scale)
        places = _places(target)
        floor = int(target.to_integral_value(rounding="ROUND_FLOOR"))
        fraction = int((target - floor).scaleb(places))
        note = f"{_plain(value)} x 10^{total.scale}"
        whole = self.params.value(_clamp(floor), f"floor of {note} (in integer units)")
        s, n = total.expr, count

        def rest() -> exp.Expr:  # S mod N, in [0, N) whatever the sign of S (SQL's % keeps it)
            inner = exp.Add(this=exp.Mod(this=fresh(s), expression=fresh(n)), expression=fresh(n))
            return exp.Mod(this=exp.Paren(this=inner), expression=fresh(n))

        quotient = self._quotient(exp.Paren(this=exp.Sub(this=fresh(s), expression=rest())), fresh(n))
        tie: exp.Expr = rest()
        if fraction:
            share = self.params.value(fraction, f"{note} less its floor, x 10^{places} (in integer units)")
            tie = exp.Sub(this=exp.Mul(this=tie, expression=exp.Literal.number(10**places)),
                          expression=exp.Mul(this=share, expression=fresh(n)))
        order = exp.Add(
            this=exp.Mul(this=exp.Literal.number(2), expression=_sign(exp.Sub(this=quotient, expression=whole))),
            expression=_sign(tie),
        )
        return compare_op(order, op, exp.Literal.number(0))

    def _quotient(self, dividend: exp.Expr, divisor: exp.Expr) -> exp.Expr:
        """``dividend / divisor`` for integers that divide exactly, without floating point."""
        if self.dialect.integer_division == "operator":
            return exp.IntDiv(this=dividend, expression=divisor)
        return exp.Div(this=dividend, expression=divisor, typed=True)

    def in_values(self, rep: Rep, values: Sequence[ir.Scalar], negated: bool) -> exp.Expr:
        if isinstance(rep, Text):
            return self._text_in(rep.expr, [str(v) for v in values], negated)
        numbers = [Decimal(v) for v in values if not isinstance(v, str)]
        if len(numbers) != len(values):
            raise TypeError("string value for a numeric operand")
        if isinstance(rep, Scaled) and all(n.scaleb(rep.scale) == n.scaleb(rep.scale).to_integral_value()
                                           for n in numbers):
            notes = [f"the number {_plain(n)}" if rep.scale == 0 else f"{_plain(n)} x 10^{rep.scale} (in integer units)"
                     for n in numbers]
            holders = [self.params.value(_fit(int(n.scaleb(rep.scale))), note) for n, note in zip(numbers, notes,
                                                                                                     strict=True)]
            return _in_list(rep.expr, holders, negated)
        if isinstance(rep, Exact):
            holders = [self.params.value(v, f"the number {_plain(v)}") for v in values if not isinstance(v, str)]
            return _in_list(rep.expr, holders, negated)
        # x IN (a, b) is x = a OR x = b, and NOT IN is x <> a AND x <> b, in three-valued logic too.
        op = CmpOp.NE if negated else CmpOp.EQ
        tests = [self.compare(_fresh(rep), op, v) for v in values]
        return and_(tests) if negated else or_(tests)

    # ------------------------------------------------------------ time

    def time_range(
        self, rep: Rep, lower: ir.TimeBound | None, upper: ir.TimeBound | None, negated: bool
    ) -> exp.Expr:
        if not isinstance(rep, Time):
            raise TypeError(f"time range on {type(rep).__name__}")
        return self.within(rep, lower, upper, negated)

    def within(
        self,
        time: Time,
        lower: ir.TimeBound | ContextBound | None,
        upper: ir.TimeBound | ContextBound | None,
        negated: bool = False,
    ) -> exp.Expr:
        """``lower <= e <= upper`` (or outside it), each bound inclusive or not; context bounds inclusive."""
        parts: list[exp.Expr] = []
        for bound, is_lower in ((lower, True), (upper, False)):
            if bound is None:
                continue
            point, inclusive = (bound, True) if isinstance(bound, ContextBound) else (bound.point, bound.inclusive)
            holder = self.params.time(point, time.form)
            op = _BOUND_OPS[is_lower, inclusive, negated]
            parts.append(op(this=fresh(time.expr), expression=holder))
        if not parts:
            raise ValueError("a time range without bounds")
        return or_(parts) if negated else and_(parts)


def _sign(e: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="SIGN", expressions=[e])


def _in_list(e: exp.Expr, holders: list[exp.Expr], negated: bool) -> exp.Expr:
    """``e IN (...)``, or ``e = p`` for one value (``NOT IN``: ``e <> p``; the same in three-valued logic)."""
    if len(holders) == 1:
        return (exp.NEQ if negated else exp.EQ)(this=e, expression=holders[0])
    inside = exp.In(this=e, expressions=holders)
    return exp.Not(this=inside) if negated else inside


def _fresh(rep: Rep) -> Rep:
    """A copy with fresh expression nodes (a sqlglot node can have only one parent)."""
    if isinstance(rep, Scaled):
        return Scaled(fresh(rep.expr), rep.scale)
    if isinstance(rep, Exact):
        return Exact(fresh(rep.expr))
    if isinstance(rep, Mean):
        return Mean(_fresh(rep.total), fresh(rep.count))  # type: ignore[arg-type]
    if isinstance(rep, Text):
        return Text(fresh(rep.expr))
    return Time(fresh(rep.expr), rep.form)
