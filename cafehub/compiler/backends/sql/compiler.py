"""The SQL compiler: checked IR to one sqlglot ``SELECT`` of member ids.

The query is ``SELECT c.member_id FROM customers c WHERE <segment>``. The
segment level is two-valued: every atom is an ``EXISTS``, an ``IN`` of a key
set, or a test on an aggregate; an atom that can be null (``avg``/``min``/
``max`` over no rows, correlated) is wrapped in ``COALESCE(.., FALSE)`` before
a ``NOT`` so that null counts as false there too. Inside a collection's
condition SQL's own three-valued logic is exactly the language's.

How each construct is shaped (correlated subquery, semi-join on a key set,
grouped aggregate) is read from the dialect's :class:`Shapes`; the compiler
itself knows no engine. Dispatch is by IR node type, through two tables (the
segment level and the row level) that are checked at import: every node type
has a handler or a stated reason why it cannot occur at that level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from cafehub.compiler import ir
from cafehub.compiler.backends.sql.dialects import KeySetTest, Shape, SqlDialect
from cafehub.compiler.backends.sql.mapping import SchemaMapping
from cafehub.compiler.backends.sql.params import ParamSet
from cafehub.compiler.backends.sql.relations import ELEMENT_JOIN_ALIAS, SOURCES, Relations
from cafehub.compiler.backends.sql.values import (
    Exact,
    Mean,
    Predicates,
    Rep,
    Scaled,
    Text,
    Time,
    and_,
    in_query,
    not_,
    or_,
)
from cafehub.compiler.catalog import AggregateFunc, Collection, FieldDef
from cafehub.grammar.syntax import CmpOp

#: The alias of a key set and of its one column, in the ``exists`` key-set test.
KEY_ALIAS = "k"


class InternalCompileError(Exception):
    """The IR has a shape the checker should have refused: a bug in cafehub, not in the segment."""


@dataclass(frozen=True, slots=True)
class Pred:
    """A segment-level condition; ``nullable`` when it can be SQL null (to be read as false)."""

    expr: exp.Expr
    nullable: bool


def _fields_in(node: object) -> Iterator[FieldDef]:
    """Every field an IR subtree reads (a generic walk over dataclass fields)."""
    if isinstance(node, FieldDef):
        yield node
    elif isinstance(node, tuple):
        for item in node:
            yield from _fields_in(item)
    elif is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            yield from _fields_in(getattr(node, f.name))


class SqlCompiler:
    """One compilation of one segment for one dialect and mapping."""

    def __init__(self, dialect: SqlDialect, mapping: SchemaMapping) -> None:
        self.dialect = dialect
        self.params = ParamSet()
        self.preds = Predicates(self.params, dialect)
        self.rel = Relations(mapping, dialect, self.preds)

    def query(self, node: ir.Node) -> exp.Select:
        pred = self.segment(node)
        member = exp.alias_(self.rel.customer_id(), "member_id", quoted=True)
        return exp.select(member).from_(self.rel.table("customers")).where(pred.expr)

    # ------------------------------------------------------------ dispatch

    def segment(self, node: ir.Node) -> Pred:
        result: Pred = SEGMENT_HANDLERS[type(node)](self, node)
        return result

    def row(self, node: ir.Node) -> exp.Expr:
        result: exp.Expr = ROW_HANDLERS[type(node)](self, node)
        return result

    # ------------------------------------------------------------ segment level

    def seg_and(self, node: ir.And) -> Pred:
        items = [self.segment(item) for item in node.items]
        return Pred(and_([i.expr for i in items]), any(i.nullable for i in items))

    def seg_or(self, node: ir.Or) -> Pred:
        items = [self.segment(item) for item in node.items]
        return Pred(or_([i.expr for i in items]), any(i.nullable for i in items))

    def seg_not(self, node: ir.Not) -> Pred:
        inner = self.segment(node.operand)
        e = exp.Coalesce(this=inner.expr, expressions=[exp.false()]) if inner.nullable else inner.expr
        return Pred(not_(e), False)

    def seg_exists(self, node: ir.Exists) -> Pred:
        collection = node.collection
        needed = set(_fields_in(node.where))
        conditions = self.rel.window(collection)
        if node.where is not None:
            conditions.append(self.row(node.where))
        member = self.rel.member(collection)
        base = exp.select(exp.Literal.number(1)).from_(self.rel.table(SOURCES[collection].table))
        joins = self.rel.joins(collection, needed)
        if self.dialect.shapes.exists is Shape.CORRELATED:
            correlation = self.rel.key_equal(member, self.rel.customer_id())
            query = self._joined(base, joins).where(and_([correlation, *conditions]))
            return Pred(exp.Exists(this=query), False)
        query = self._joined(base.select(member, append=False), joins)
        return Pred(self._member_of(query, conditions), False)

    def seg_test(self, node: ir.Compare | ir.InValues | ir.TimeRange) -> Pred:
        aggregate = node.operand
        if not isinstance(aggregate, ir.Aggregate):
            raise InternalCompileError(f"a field test at segment level: {node}")
        collection = aggregate.collection
        needed = set(_fields_in(aggregate.where))
        if aggregate.field is not None:
            needed.add(aggregate.field)
        conditions = self.rel.window(collection)
        if aggregate.where is not None:
            conditions.append(self.row(aggregate.where))
        test = self.test(node, self.aggregate_rep(aggregate))
        member = self.rel.member(collection)
        joins = self.rel.joins(collection, needed)
        if aggregate.field is not None and aggregate.field.type.is_set:
            joins.append(self._element_join(aggregate.field))
        base = exp.select(test).from_(self.rel.table(SOURCES[collection].table))
        if self.dialect.shapes.aggregate is Shape.CORRELATED:
            correlation = self.rel.key_equal(member, self.rel.customer_id())
            query = self._joined(base, joins).where(and_([correlation, *conditions]))
            return Pred(exp.Subquery(this=query), aggregate.func.empty_is_null)
        # Grouped: the customers whose rows pass the test, or, when a customer with no rows
        # passes it (count < 3), everyone but those whose rows fail it.
        holds_on_empty = _holds_on_empty(node)
        grouped = self._joined(base.select(member, append=False), joins)
        grouped = grouped.group_by(member.copy()).having(not_(test.copy()) if holds_on_empty else test.copy())
        inside = self._member_of(grouped, conditions)
        return Pred(not_(inside) if holds_on_empty else inside, False)

    def _member_of(self, keys: exp.Select, conditions: list[exp.Expr]) -> exp.Expr:
        """The customer's id is one of those ``keys`` selects (one column) where ``conditions`` hold.

        With ``IN``, null keys are filtered out: one null would make ``NOT IN`` unknown for
        every customer (guest orders have a null member id).
        """
        if self.dialect.key_set_test is KeySetTest.IN:
            conditions = [*conditions, self.rel.not_null(keys.selects[0].copy())]
            return in_query(self.rel.customer_id(), keys.where(and_(conditions), copy=False))
        keys = keys.where(and_(conditions), copy=False)
        key = keys.selects[0]
        keys = keys.select(exp.alias_(key.copy(), KEY_ALIAS, quoted=True), append=False, copy=False)
        found = exp.Column(this=exp.Identifier(this=KEY_ALIAS, quoted=True),
                           table=exp.Identifier(this=KEY_ALIAS, quoted=True))
        keyset = exp.Subquery(this=keys, alias=exp.TableAlias(this=exp.Identifier(this=KEY_ALIAS, quoted=True)))
        query = exp.select(exp.Literal.number(1)).from_(keyset).where(self.rel.key_equal(found, self.rel.customer_id()))
        return exp.Exists(this=query)

    def _joined(self, query: exp.Select, joins: list[exp.Join]) -> exp.Select:
        for join in joins:
            query = query.join(join, copy=False)
        return query

    def _element_join(self, field: FieldDef) -> exp.Join:
        source = self.rel.elements(field)
        key = self.rel.column(source.table, source.key, ELEMENT_JOIN_ALIAS)
        on = self.rel.key_equal(key, self.rel.column("orders", "order_id"))
        return exp.Join(this=self.rel.table(source.table, ELEMENT_JOIN_ALIAS), on=on)

    def aggregate_rep(self, aggregate: ir.Aggregate) -> Rep:
        func = aggregate.func
        if func is AggregateFunc.COUNT:
            return Scaled(exp.Count(this=exp.Star()), 0)
        field = aggregate.field
        if field is None:
            raise InternalCompileError(f"{func.value} without a field")
        rep = self.rel.rep(field, ELEMENT_JOIN_ALIAS if field.type.is_set else None)
        if isinstance(rep, Mean):
            raise InternalCompileError("an aggregate of an aggregate")
        if func is AggregateFunc.COUNT_DISTINCT:
            key = self.preds.exact_text(rep.expr) if isinstance(rep, Text) else rep.expr
            return Scaled(exp.Count(this=exp.Distinct(expressions=[key])), 0)
        if isinstance(rep, (Text, Time)) and func is not AggregateFunc.MIN and func is not AggregateFunc.MAX:
            raise InternalCompileError(f"{func.value} of {field}")
        if func is AggregateFunc.SUM:
            total = exp.Coalesce(this=exp.Sum(this=rep.expr), expressions=[exp.Literal.number(0)])
            return Scaled(total, rep.scale) if isinstance(rep, Scaled) else Exact(total)
        if func is AggregateFunc.AVG:
            count = exp.Count(this=rep.expr.copy())
            if isinstance(rep, Scaled):
                return Mean(Scaled(exp.Sum(this=rep.expr), rep.scale), count)
            return Mean(Exact(exp.Sum(this=rep.expr)), count)
        agg_type = exp.Min if func is AggregateFunc.MIN else exp.Max
        value = agg_type(this=rep.expr)
        if isinstance(rep, Scaled):
            return Scaled(value, rep.scale)
        if isinstance(rep, Exact):
            return Exact(value)
        if isinstance(rep, Time):
            return Time(value)
        raise InternalCompileError(f"{func.value} of {field}")

    # ------------------------------------------------------------ tests (either level)

    def test(self, node: ir.Compare | ir.InValues | ir.TimeRange, rep: Rep) -> exp.Expr:
        if isinstance(node, ir.Compare):
            return self.preds.compare(rep, node.op, node.value)
        if isinstance(node, ir.InValues):
            return self.preds.in_values(rep, node.values, node.negated)
        return self.preds.time_range(rep, node.lower, node.upper, node.negated)

    def _field(self, operand: ir.Operand) -> FieldDef:
        if not isinstance(operand, FieldDef):
            raise InternalCompileError(f"an aggregate inside a condition: {operand}")
        return operand

    # ------------------------------------------------------------ row level

    def row_and(self, node: ir.And) -> exp.Expr:
        return and_([self.row(item) for item in node.items])

    def row_or(self, node: ir.Or) -> exp.Expr:
        return or_([self.row(item) for item in node.items])

    def row_not(self, node: ir.Not) -> exp.Expr:
        return not_(self.row(node.operand))

    def row_test(self, node: ir.Compare | ir.InValues | ir.TimeRange) -> exp.Expr:
        return self.test(node, self.rel.rep(self._field(node.operand)))

    def row_contains(self, node: ir.Contains) -> exp.Expr:
        return self.preds.contains(self.rel.rep(node.field), node.needle, node.negated)

    def row_any_of(self, node: ir.AnyOf) -> exp.Expr:
        """Some element of a set field is in ``values`` (none is, when negated): two-valued."""
        if node.field.collection is not Collection.ORDER:
            raise InternalCompileError(f"set field outside orders: {node.field}")
        source = self.rel.elements(node.field)
        member_test = self.preds.in_values(self.rel.rep(node.field), node.values, negated=False)
        key = self.rel.column(source.table, source.key)
        order_key = self.rel.column("orders", "order_id")
        table = self.rel.table(source.table)
        shapes = self.dialect.shapes
        shape = shapes.selective_element if source.selective else shapes.common_element
        if shape is Shape.CORRELATED:
            query = exp.select(exp.Literal.number(1)).from_(table)
            query = query.where(and_([self.rel.key_equal(key, order_key), member_test]))
            found: exp.Expr = exp.Exists(this=query)
        else:
            query = exp.select(key).from_(table).where(and_([member_test, self.rel.not_null(key.copy())]))
            found = in_query(order_key, query)
        return not_(found) if node.negated else found


def _holds_on_empty(node: ir.Compare | ir.InValues | ir.TimeRange) -> bool:
    """Whether an aggregate test is true for a customer with no matching rows.

    ``count``, ``count_distinct`` and ``sum`` are 0 over no rows; ``avg``,
    ``min`` and ``max`` are null, which makes any test false.
    """
    aggregate = node.operand
    assert isinstance(aggregate, ir.Aggregate)
    if aggregate.func.empty_is_null or isinstance(node, ir.TimeRange):
        return False
    zero = Decimal(0)
    if isinstance(node, ir.Compare):
        value = Decimal(node.value) if not isinstance(node.value, str) else None
        if value is None:
            return False
        return {
            CmpOp.EQ: zero == value,
            CmpOp.NE: zero != value,
            CmpOp.LT: zero < value,
            CmpOp.LE: zero <= value,
            CmpOp.GT: zero > value,
            CmpOp.GE: zero >= value,
        }[node.op]
    found = any(not isinstance(v, str) and Decimal(v) == zero for v in node.values)
    return found != node.negated


# ---------------------------------------------------------------- dispatch tables

Handler = Callable[[SqlCompiler, Any], Any]

SEGMENT_HANDLERS: dict[type, Handler] = {
    ir.And: SqlCompiler.seg_and,
    ir.Or: SqlCompiler.seg_or,
    ir.Not: SqlCompiler.seg_not,
    ir.Exists: SqlCompiler.seg_exists,
    ir.Compare: SqlCompiler.seg_test,
    ir.InValues: SqlCompiler.seg_test,
    ir.TimeRange: SqlCompiler.seg_test,
}
SEGMENT_UNSUPPORTED: dict[type, str] = {
    ir.AnyOf: "set-valued fields are tested only inside a collection's condition",
    ir.Contains: "contains applies to a field, never to an aggregate",
}
ROW_HANDLERS: dict[type, Handler] = {
    ir.And: SqlCompiler.row_and,
    ir.Or: SqlCompiler.row_or,
    ir.Not: SqlCompiler.row_not,
    ir.Compare: SqlCompiler.row_test,
    ir.InValues: SqlCompiler.row_test,
    ir.TimeRange: SqlCompiler.row_test,
    ir.Contains: SqlCompiler.row_contains,
    ir.AnyOf: SqlCompiler.row_any_of,
}
ROW_UNSUPPORTED: dict[type, str] = {
    ir.Exists: "the checker refuses a collection inside a collection's condition",
}


def _unsupported(reason: str) -> Handler:
    def handler(_compiler: SqlCompiler, node: Any) -> Any:
        raise InternalCompileError(f"{type(node).__name__} cannot occur here: {reason}")

    return handler


def _complete(name: str, handlers: dict[type, Handler], unsupported: dict[type, str]) -> None:
    """Fail at import if an IR node type has neither a handler nor a reason at this level."""
    missing = set(ir.NODE_TYPES) - set(handlers) - set(unsupported)
    if missing:
        raise TypeError(f"SQL compiler: no {name} handler for {sorted(t.__name__ for t in missing)}")
    for node_type, reason in unsupported.items():
        handlers[node_type] = _unsupported(reason)


_complete("segment-level", SEGMENT_HANDLERS, SEGMENT_UNSUPPORTED)
_complete("row-level", ROW_HANDLERS, ROW_UNSUPPORTED)
