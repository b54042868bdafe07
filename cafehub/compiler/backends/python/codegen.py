"""Checked IR to Python source: the code generator behind the predicate backend.

Why generate source rather than nest closures: a predicate is called once per
customer and loops over that customer's rows, so per-row interpretive overhead
(one Python call per IR node per row) would make it several times slower than
the plain loop a programmer would write. The generated code *is* that loop.

Why it is safe: no user text ever becomes source. Every value from the
segment (strings, numbers, value lists) is a parameter of a factory
function under a generated name (``_k1``, ``_k2``, ...), and so are the time
bounds (``_b0``, ...); the generated functions read them as closure cells,
filled at bind time. Attribute names come from the row types and are
checked against the catalog; operators come from a fixed table. The only
identifiers in the source are generated ones, fixed helper names and
catalog field names. ``tests/python_backend/test_codegen_safety.py``
checks this on random segments by reading the source back with :mod:`ast`.

The semantics (see :mod:`cafehub.compiler.ir`):

- Inside a collection's condition, three-valued logic. Each condition node is
  compiled twice: to an expression true exactly when the node is TRUE, and to
  one true exactly when it is FALSE (``not`` swaps them; for ``and``/``or``
  De Morgan gives the other). A row counts only when its condition is TRUE.
  Only fields that can be null (``NULLABLE_FIELDS``) get null guards.
- At segment level, two-valued logic; an aggregate that is null (``avg``,
  ``min``, ``max`` over no rows) makes its test false.
- Collection scoping (held coupons, cart retention, order history) is part of
  every loop, from the raw rows.
- Money sums use a 100-digit decimal context; ``avg`` is an exact
  :class:`~fractions.Fraction`; no floating point anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from cafehub.compiler import ir
from cafehub.compiler.backends.python.data import COLLECTION_ATTRIBUTE, EXACT, NULLABLE_FIELDS, ROW_TYPES
from cafehub.compiler.catalog import FIELDS, AggregateFunc, Collection, FieldDef, Kind
from cafehub.compiler.evaluation import EvalContext, resolve, to_naive_utc
from cafehub.grammar.syntax import CmpOp


class PredicateCompileError(ValueError):
    """An IR the predicate backend cannot compile (only a hand-built, unchecked IR can be one)."""


_PYTHON_OP = {CmpOp.EQ: "==", CmpOp.NE: "!=", CmpOp.LT: "<", CmpOp.LE: "<=", CmpOp.GT: ">", CmpOp.GE: ">="}

#: The rows of each collection a segment sees at ``now`` (STORE.md), as a test on row ``r``.
_SCOPE = {
    Collection.COUPON: "r.used_at is None and r.issued_at <= _now and r.expires_at >= _now",
    Collection.CART: "_cart_lo <= r.added_at <= _now",
    Collection.ORDER: "_hist_lo <= r.ordered_at <= _now",
}

#: Factory parameters every program takes, before the segment's own time bounds.
_CONTEXT_PARAMS = ("_now", "_cart_lo", "_hist_lo")

#: Past this nesting, a sub-expression becomes a helper function, so no segment
#: within the parser's limits can hit the Python compiler's nesting limits.
MAX_INLINE_DEPTH = 12

_IDENTIFIER = re.compile(r"[a-z][a-z_]*\Z")
_ROW_ATTRIBUTES = {c: frozenset(f.name for f in fields(t)) for c, t in ROW_TYPES.items()}


def _field_attribute(fdef: FieldDef, collection: Collection) -> str:
    """The row attribute of a catalog field, refusing anything that is not one."""
    if fdef.collection is not collection or FIELDS[collection].get(fdef.name) != fdef:
        raise PredicateCompileError(f"field {fdef} is not a field of {collection.value}")
    if not _IDENTIFIER.match(fdef.name) or fdef.name not in _ROW_ATTRIBUTES[collection]:
        raise PredicateCompileError(f"field {fdef} has no attribute on {collection.value} rows")
    return fdef.name


@dataclass(frozen=True, slots=True)
class Program:
    """Generated source, compiled: ``bind`` resolves the time bounds and returns the exported functions.

    The factory's parameters are the context's instants, the segment's time
    bounds and the segment's values, in that order; the functions it
    defines read all of them as closure cells.
    """

    source: str
    bounds: tuple[ir.TimePoint, ...]
    constants: tuple[object, ...]
    exports: tuple[str, ...]
    factory: Callable[..., dict[str, Callable[..., Any]]]

    def bind(self, ctx: EvalContext) -> dict[str, Callable[..., Any]]:
        """Resolve every time bound once for ``ctx`` (through :func:`resolve`) and close over them."""
        args: list[object] = [to_naive_utc(ctx.now_utc), to_naive_utc(ctx.cart_cutoff),
                              to_naive_utc(ctx.history_cutoff)]
        args.extend(to_naive_utc(resolve(point, ctx)) for point in self.bounds)
        args.extend(self.constants)
        return self.factory(*args)


class Generator:
    """Builds one program: functions defined inside a factory whose parameters are the context's
    instants, the segment's time bounds and the segment's values."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"_F": Fraction, "_add": EXACT.add}
        self.constants: dict[str, object] = {}
        self.bounds: dict[ir.TimePoint, str] = {}
        self.functions: list[list[str]] = []
        self.exports: dict[str, str] = {}
        self._count = 0

    # ------------------------------------------------------------ names

    def fresh(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def const(self, value: object) -> str:
        """A name for a value from the segment: a closure cell set at bind time, never source text."""
        name = self.fresh("_k")
        self.constants[name] = value
        return name

    def bound(self, point: ir.TimePoint) -> str:
        name = self.bounds.get(point)
        if name is None:
            name = self.bounds[point] = f"_b{len(self.bounds)}"
        return name

    def define(self, prefix: str, param: str, body: list[str]) -> str:
        """Add a function of one parameter to the factory; return its name."""
        name = self.fresh(prefix)
        self.functions.append([f"def {name}({param}):", *(f"    {line}" for line in body)])
        return name

    def export(self, key: str, function: str) -> None:
        self.exports[key] = function

    # ------------------------------------------------------------ row level (three-valued)

    def row(self, node: ir.Node, collection: Collection, want: bool, depth: int = 0) -> str:
        """An expression over row ``r`` that is true exactly when ``node`` is ``want`` (TRUE or FALSE)."""
        if depth >= MAX_INLINE_DEPTH:
            helper = self.define("_h", "r", [f"return {self.row(node, collection, want)}"])
            return f"{helper}(r)"
        if isinstance(node, ir.Not):
            return self.row(node.operand, collection, not want, depth)
        if isinstance(node, (ir.And, ir.Or)):
            # TRUE of an and is every item TRUE; FALSE of it is some item FALSE (and dually for or).
            conjunctive = isinstance(node, ir.And) == want
            parts = [self.row(item, collection, want, depth + 1) for item in node.items]
            return "(" + (" and " if conjunctive else " or ").join(parts) + ")"
        if isinstance(node, ir.Exists):
            raise PredicateCompileError("a collection test cannot appear inside a condition")
        return self.leaf(node, collection, want)

    def leaf(self, node: ir.Test, collection: Collection, want: bool) -> str:
        field = node.field if isinstance(node, (ir.AnyOf, ir.Contains)) else node.operand
        if isinstance(field, ir.Aggregate):
            raise PredicateCompileError("an aggregate cannot appear inside a condition")
        attribute = _field_attribute(field, collection)
        x = f"r.{attribute}"
        holds = self.holds(node, x)
        nullable = (collection, attribute) in NULLABLE_FIELDS and not isinstance(node, ir.AnyOf)
        if want:
            return f"({x} is not None and {holds})" if nullable else holds
        return f"({x} is not None and not {holds})" if nullable else f"(not {holds})"

    def holds(self, node: ir.Test, x: str, *, exact: bool = False) -> str:
        """``node``'s test applied to the non-null value ``x`` (``exact``: compare as fractions, for avg)."""
        if isinstance(node, ir.Compare):
            value = Fraction(node.value) if exact and not isinstance(node.value, str) else node.value
            return f"({x} {_PYTHON_OP[node.op]} {self.const(value)})"
        if isinstance(node, ir.InValues):
            values = frozenset(Fraction(v) if exact and not isinstance(v, str) else v for v in node.values)
            return f"({x} {'not in' if node.negated else 'in'} {self.const(values)})"
        if isinstance(node, ir.AnyOf):
            # Some element in values; negated: none is. None elements are never in values.
            disjoint = f"{self.const(frozenset(node.values))}.isdisjoint({x})"
            return f"({disjoint})" if node.negated else f"(not {disjoint})"
        if isinstance(node, ir.TimeRange):
            inside = self.in_range(node, x)
            return f"(not {inside})" if node.negated else inside
        if isinstance(node, ir.Contains):
            return f"({self.const(node.needle)} {'not in' if node.negated else 'in'} {x})"
        raise PredicateCompileError(f"unexpected node {type(node).__name__}")

    def in_range(self, node: ir.TimeRange, x: str) -> str:
        text = x
        if node.lower is not None:
            text = f"{self.bound(node.lower.point)} {'<=' if node.lower.inclusive else '<'} {text}"
        if node.upper is not None:
            text = f"{text} {'<=' if node.upper.inclusive else '<'} {self.bound(node.upper.point)}"
        return f"({text})" if text != x else "True"

    # ------------------------------------------------------------ segment level (two-valued)

    def segment(self, node: ir.Node, depth: int = 0) -> str:
        """An expression over customer ``c`` that is the segment node's truth value."""
        if depth >= MAX_INLINE_DEPTH:
            helper = self.define("_g", "c", [f"return {self.segment(node)}"])
            return f"{helper}(c)"
        if isinstance(node, (ir.And, ir.Or)):
            parts = [self.segment(item, depth + 1) for item in node.items]
            return "(" + (" and " if isinstance(node, ir.And) else " or ").join(parts) + ")"
        if isinstance(node, ir.Not):
            return f"(not {self.segment(node.operand, depth + 1)})"
        if isinstance(node, ir.Exists):
            return f"{self.exists(node)}(c)"
        return f"{self.aggregate_test(node)}(c)"

    def predicate(self, node: ir.Node) -> str:
        """The whole segment as one function of ``c``.

        A top-level ``and``/``or`` of atoms is laid out as statements, each
        atom's loop inline, returning as soon as the answer is known (what a
        hand-written predicate does); anything nested deeper goes through
        :meth:`segment`.
        """
        if isinstance(node, (ir.And, ir.Or)):
            conjunction = isinstance(node, ir.And)
            lines: list[str] = []
            for item in node.items:
                lines.extend(self.step(item, decisive=not conjunction))
            lines.append(f"return {conjunction}")
        else:
            lines = [*self.step(node, decisive=True), "return False"]
        return self.define("_pred", "c", lines)

    def step(self, node: ir.Node, *, decisive: bool) -> list[str]:
        """Statements that ``return decisive`` when ``node`` is ``decisive``, and fall through otherwise."""
        positive = not isinstance(node, ir.Not)
        atom = node if positive else node.operand  # type: ignore[union-attr]
        if isinstance(atom, ir.Exists):
            loop, test = self.scan(atom.collection, atom.where)
            if decisive == positive:  # finding a row decides
                return [loop, f"    {test}", f"        return {decisive}"]
            return [loop, f"    {test}", "        break", "else:", f"    return {decisive}"]
        operand = getattr(atom, "operand", None)
        if isinstance(operand, ir.Aggregate):
            lines, value, null = self.accumulate(operand)
            test = self.value_test(atom, "v")  # type: ignore[arg-type]
            lines.append(f"v = {value}")
            if decisive == positive:  # the test being true decides
                condition = f"not ({null}) and {test}" if null else test
            else:
                condition = f"({null}) or not {test}" if null else f"not {test}"
            if null:
                # ``v`` is only computed when the aggregate is not null.
                lines[-1:] = [f"v = {value} if not ({null}) else None"]
            return [*lines, f"if {condition}:", f"    return {decisive}"]
        return [f"if {'' if decisive else 'not '}{self.segment(node)}:", f"    return {decisive}"]

    def scan(self, collection: Collection, where: ir.Node | None) -> tuple[str, str]:
        """The loop header and the filter of a collection scan (scope, then condition)."""
        condition = _SCOPE[collection]
        if where is not None:
            condition += " and " + self.row(where, collection, True, 1)
        return f"for r in c.{COLLECTION_ATTRIBUTE[collection]}:", f"if {condition}:"

    def exists(self, node: ir.Exists) -> str:
        loop, test = self.scan(node.collection, node.where)
        return self.define("_e", "c", [loop, f"    {test}", "        return True", "return False"])

    def accumulate(self, agg: ir.Aggregate) -> tuple[list[str], str, str | None]:
        """Lines computing ``agg`` for customer ``c``, the value's expression and its null test."""
        loop, test = self.scan(agg.collection, agg.where)
        func = agg.func
        if func is AggregateFunc.COUNT:
            return ["n = 0", loop, f"    {test}", "        n += 1"], "n", None
        assert agg.field is not None
        attribute = _field_attribute(agg.field, agg.collection)
        nullable = (agg.collection, attribute) in NULLABLE_FIELDS
        read = [f"v = r.{attribute}"]
        guard = "v is not None" if nullable else "True"
        if func in (AggregateFunc.SUM, AggregateFunc.AVG):
            add = "s = _add(s, v)" if agg.field.type.kind is not Kind.INT else "s += v"
            step = [add, "n += 1"] if func is AggregateFunc.AVG else [add]
            body = [*read, f"if {guard}:", *(f"    {line}" for line in step)] if nullable else [*read, *step]
            init = ["s = 0", "n = 0"] if func is AggregateFunc.AVG else ["s = 0"]
            lines = [*init, loop, f"    {test}", *(f"        {line}" for line in body)]
            if func is AggregateFunc.SUM:
                return lines, "s", None
            return lines, "_F(s) / n", "n == 0"
        if func in (AggregateFunc.MIN, AggregateFunc.MAX):
            better = "<" if func is AggregateFunc.MIN else ">"
            cond = f"m is None or v {better} m"
            body = [*read, f"if {guard} and ({cond}):" if nullable else f"if {cond}:", "    m = v"]
            return ["m = None", loop, f"    {test}", *(f"        {line}" for line in body)], "m", "m is None"
        # count_distinct: over non-null values; for a set field, over the elements of every row.
        add = f"d.update(r.{attribute})" if agg.field.type.is_set else f"d.add(r.{attribute})"
        lines = ["d = set()", loop, f"    {test}", f"        {add}", "d.discard(None)"]
        return lines, "len(d)", None

    def value_test(self, node: ir.Test, v: str) -> str:
        """The test of a segment-level atom applied to a non-null aggregate value ``v``."""
        if not isinstance(node, (ir.Compare, ir.InValues, ir.TimeRange)) or not isinstance(
            node.operand, ir.Aggregate
        ):
            raise PredicateCompileError(f"{type(node).__name__} without an aggregate at segment level")
        return self.holds(node, v, exact=node.operand.func is AggregateFunc.AVG)

    def aggregate_test(self, node: ir.Test) -> str:
        operand = getattr(node, "operand", None)
        if not isinstance(operand, ir.Aggregate):
            raise PredicateCompileError(f"{type(node).__name__} without an aggregate at segment level")
        lines, value, null = self.accumulate(operand)
        tail = [f"if {null}:", "    return False"] if null else []
        test = self.value_test(node, "v")
        return self.define("_a", "c", [*lines, *tail, f"v = {value}", f"return {test}"])

    # ------------------------------------------------------------ explain probes

    def probe_atom(self, key: str, node: ir.Node) -> None:
        """Export the pieces ``explain`` shows for one segment-level atom."""
        self.export(f"{key}.truth", self.define("_p", "c", [f"return {self.segment(node)}"]))
        if isinstance(node, ir.Exists):
            collection, where = node.collection, node.where
        else:
            operand = getattr(node, "operand", None)
            if not isinstance(operand, ir.Aggregate):
                raise PredicateCompileError(f"{type(node).__name__} is not a segment-level atom")
            collection, where = operand.collection, operand.where
            lines, value, null = self.accumulate(operand)
            tail = [f"if {null}:", "    return None"] if null else []
            self.export(f"{key}.value", self.define("_v", "c", [*lines, *tail, f"return {value}"]))
            test = self.value_test(node, "v")  # type: ignore[arg-type]
            self.export(f"{key}.test", self.define("_t", "v", [f"return v is not None and {test}"]))
        rows = f"c.{COLLECTION_ATTRIBUTE[collection]}"
        scope = _SCOPE[collection]
        self.export(f"{key}.scope", self.define("_s", "c", [f"return [r for r in {rows} if {scope}]"]))
        _loop, test = self.scan(collection, where)
        self.export(f"{key}.matching", self.define("_m", "c", [f"return [r for r in {rows} {test[:-1]}]"]))

    def probe_row(self, key: str, node: ir.Node, collection: Collection) -> None:
        """Export TRUE and FALSE tests of one condition node over a row (unknown is neither)."""
        self.export(f"{key}.true", self.define("_x", "r", [f"return {self.row(node, collection, True)}"]))
        self.export(f"{key}.false", self.define("_y", "r", [f"return {self.row(node, collection, False)}"]))

    # ------------------------------------------------------------ assembly

    def build(self) -> Program:
        params = ", ".join((*_CONTEXT_PARAMS, *self.bounds.values(), *self.constants))
        lines = [f"def _factory({params}):"]
        for function in self.functions:
            lines.extend(f"    {line}" for line in function)
        pairs = ", ".join(f"{i!r}: {name}" for i, name in enumerate(self.exports.values()))
        lines.append(f"    return {{{pairs}}}")
        source = "\n".join(lines) + "\n"
        namespace = dict(self.namespace)
        exec(compile(source, "<cafehub segment>", "exec"), namespace)  # no user text in source (see module doc)
        numbered = namespace["_factory"]
        keys = tuple(self.exports)

        def factory(*args: object) -> dict[str, Callable[..., Any]]:
            made = numbered(*args)
            return {key: made[i] for i, key in enumerate(keys)}

        return Program(source=source, bounds=tuple(self.bounds), constants=tuple(self.constants.values()),
                       exports=keys, factory=factory)


__all__ = ["MAX_INLINE_DEPTH", "Generator", "PredicateCompileError", "Program"]
