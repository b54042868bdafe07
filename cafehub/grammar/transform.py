"""Lark parse callbacks that build the syntax tree directly (no intermediate parse tree).

The transformer is handed to Lark's LALR parser, which calls it at each
reduction. Building our nodes inline, instead of a Lark ``Tree`` first, is what
keeps parsing a typical segment in the tens of microseconds.

It has no semantics: names are not resolved and values not type-checked. Bad
literals (``2025-02-30``, ``"\\q"``) are reported to the per-parse
:class:`LiteralProblems` list and replaced by a placeholder, so one parse
reports all of them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

from lark import Token as LarkToken
from lark import Transformer

from cafehub.diagnostics import Diagnostic, Span
from cafehub.grammar import literals
from cafehub.grammar import syntax as s
from cafehub.reasons import bad_literal, bad_segment_option, duration_too_long, integer_too_long

_state = threading.local()


class Token(NamedTuple):
    """A lexed token: terminal type, text and position.

    A named tuple rather than ``lark.Token`` because the lexer in
    ``parser.py`` makes one per word of the segment and tuples are cheap.
    """

    type: str
    value: str
    start_pos: int
    end_pos: int
    line: int
    column: int


def begin_parse(text: str) -> list[Diagnostic]:
    """Start collecting literal problems for one parse of ``text`` on this thread."""
    problems: list[Diagnostic] = []
    _state.problems = problems
    _state.text = text
    return problems


def _report(token: Token, error: literals.LiteralError) -> None:
    start = token.start_pos + error.offset
    length = error.length if error.length is not None else len(token.value) - error.offset
    span = Span(start, start + max(1, length), token.line, token.column + error.offset)
    _state.problems.append(bad_literal(error.message, span, error.hint))


#: Our tokens, and Lark's (when Lark's own lexer drives these callbacks, as a test does).
TOKEN_TYPES = (Token, LarkToken)


def tspan(token: Token | LarkToken) -> Span:
    """The span of a token (Lark's tokens always carry positions from its lexer)."""
    return Span(token.start_pos or 0, token.end_pos or 0, token.line or 1, token.column or 1)


def span_of(item: Any) -> Span:
    if isinstance(item, TOKEN_TYPES):
        return tspan(item)
    return item.span  # type: ignore[no-any-return]


def cover(first: Any, last: Any) -> Span:
    return Span.cover(span_of(first), span_of(last))


@dataclass(frozen=True, slots=True)
class PendingTest:
    """A test (``= 3``, ``within last 3d``) parsed before its subject is attached."""

    kind: str
    args: tuple[Any, ...]
    span: Span

    def apply(self, subject: s.Subject) -> s.Predicate:
        span = Span.cover(subject.span, self.span)
        if self.kind == "compare":
            op, value = self.args
            return s.Compare(subject=subject, op=op, value=value, span=span)
        if self.kind == "in":
            values, negated = self.args
            return s.InList(subject=subject, values=values, negated=negated, span=span)
        if self.kind == "within":
            direction, duration = self.args
            return s.Within(subject=subject, direction=direction, duration=duration, span=span)
        if self.kind == "between":
            low, high = self.args
            return s.Between(subject=subject, low=low, high=high, span=span)
        needle, negated = self.args
        return s.Contains(subject=subject, needle=needle, negated=negated, span=span)


def _duration(token: Token) -> s.Duration:
    text = token.value
    unit = text[-1].lower()
    try:
        amount = literals.read_int(text[:-1])
    except literals.IntegerTooLong as error:
        # The checker's own verdict on any amount past 100 years, decided here without the int.
        _state.problems.append(duration_too_long(f"of {error.digits:,} digits", "100 years", tspan(token)))
        amount = 0
    return s.Duration(amount=amount, unit=unit, span=tspan(token))  # type: ignore[arg-type]


class SyntaxBuilder(Transformer[Token, s.Node]):
    """Callbacks named after the grammar's rules and aliases."""

    # ---- logic (both levels share node types)

    def chain_start(self, children: list[Any]) -> s.Node:
        left, op, right = children
        make = s.make_or if op.type == "OR" else s.make_and
        return make([left, right], cover(left, right))

    def chain_more(self, children: list[Any]) -> s.Node:
        return self.chain_start(children)

    def not_(self, children: list[Any]) -> s.Node:
        return s.Not(operand=children[1], span=cover(children[0], children[1]))

    def group(self, children: list[Any]) -> s.Node:
        return children[1]  # type: ignore[no-any-return]

    # ---- segment-level atoms

    def exists(self, children: list[Any]) -> s.Node:
        name, _lpar, condition, rpar = children
        return s.Exists(
            collection=s.Ident(name=name.value.lower(), span=tspan(name)),
            condition=condition,
            negated=False,
            span=cover(name, rpar),
        )

    def no_exists(self, children: list[Any]) -> s.Node:
        no, name, _lpar, condition, rpar = children
        return s.Exists(
            collection=s.Ident(name=name.value.lower(), span=tspan(name)),
            condition=condition,
            negated=True,
            span=cover(no, rpar),
        )

    def segment_ref(self, children: list[Any]) -> s.Node:
        keyword, _lpar, name, comma, option, op, number, rpar = children
        version = None
        if comma is not None:
            if option.value.lower() != "version" or op.value != "=":
                _state.problems.append(bad_segment_option(cover(option, number)))
            version = self.int_([number])
        return s.SegmentRef(name=self.string([name]), version=version, span=cover(keyword, rpar))

    def measure(self, children: list[Any]) -> s.Measure:
        name, _lpar, condition, _rpar, _dot, agg, _lpar2, fld, rpar2 = children
        last = rpar2 if rpar2 is not None else agg
        return s.Measure(
            collection=s.Ident(name=name.value.lower(), span=tspan(name)),
            condition=condition,
            aggregate=s.Ident(name=agg.value.lower(), span=tspan(agg)),
            field=s.FieldRef(name=fld.value, span=tspan(fld)) if fld is not None else None,
            span=cover(name, last),
        )

    def measure_test(self, children: list[Any]) -> s.Node:
        measure, test = children
        return test.apply(measure)  # type: ignore[no-any-return]

    def field_test(self, children: list[Any]) -> s.Node:
        name, test = children
        return test.apply(s.FieldRef(name=name.value, span=tspan(name)))  # type: ignore[no-any-return]

    # ---- tests

    def compare(self, children: list[Any]) -> PendingTest:
        op, value = children
        return PendingTest("compare", (s.CmpOp(op.value), value), cover(op, value))

    def values_start(self, children: list[Any]) -> list[s.Value]:
        return [children[0]]

    def values_more(self, children: list[Any]) -> list[s.Value]:
        values, _comma, value = children
        values.append(value)
        return values  # type: ignore[no-any-return]

    def in_list(self, children: list[Any]) -> PendingTest:
        not_, in_, _lsqb, values, rsqb = children
        return PendingTest("in", (tuple(values or ()), not_ is not None), cover(not_ or in_, rsqb))

    def within(self, children: list[Any]) -> PendingTest:
        kw, direction, duration = children
        return PendingTest("within", (direction.value.lower(), _duration(duration)), cover(kw, duration))

    def between(self, children: list[Any]) -> PendingTest:
        kw, low, _and, high = children
        return PendingTest("between", (low, high), cover(kw, high))

    def contains(self, children: list[Any]) -> PendingTest:
        not_, kw, needle = children
        value = self.string([needle])
        return PendingTest("contains", (value, not_ is not None), cover(not_ or kw, needle))

    # ---- values

    def int_(self, children: list[Token]) -> s.IntLit:
        (token,) = children
        try:
            value = literals.read_int(token.value)
        except literals.IntegerTooLong as error:
            # The checker's verdict on any integer past 64 bits (E0304), without naming all its digits.
            _state.problems.append(integer_too_long(error.digits, tspan(token)))
            value = 0
        return s.IntLit(value=value, span=tspan(token))

    def decimal(self, children: list[Token]) -> s.DecimalLit:
        (token,) = children
        return s.DecimalLit(value=literals.read_decimal(token.value), span=tspan(token))

    def string(self, children: list[Token]) -> s.StringLit:
        (token,) = children
        try:
            value = literals.read_string(token.value)
        except literals.LiteralError as error:
            _report(token, error)
            value = ""
        return s.StringLit(value=value, span=tspan(token))

    def date(self, children: list[Token]) -> s.Node | s.Value:
        (token,) = children
        try:
            return s.DateLit(value=literals.read_date(token.value), span=tspan(token))
        except literals.LiteralError as error:
            _report(token, error)
            return s.Now(span=tspan(token))

    def datetime(self, children: list[Token]) -> s.Value:
        (token,) = children
        try:
            value, offset = literals.read_datetime(token.value)
        except literals.LiteralError as error:
            _report(token, error)
            return s.Now(span=tspan(token))
        return s.DateTimeLit(value=value, offset_minutes=offset, span=tspan(token))

    def enum(self, children: list[Token]) -> s.EnumLit:
        (token,) = children
        return s.EnumLit(name=token.value.lower(), span=tspan(token))

    def now(self, children: list[Token]) -> s.Now:
        return s.Now(span=tspan(children[0]))

    def today(self, children: list[Token]) -> s.Today:
        return s.Today(span=tspan(children[0]))

    def yesterday(self, children: list[Token]) -> s.Yesterday:
        return s.Yesterday(span=tspan(children[0]))

    def ago(self, children: list[Token]) -> s.Ago:
        duration, ago = children
        return s.Ago(duration=_duration(duration), span=cover(duration, ago))

    def from_now(self, children: list[Token]) -> s.FromNow:
        duration, _from, now = children
        return s.FromNow(duration=_duration(duration), span=cover(duration, now))
