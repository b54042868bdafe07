"""Checked IR to Python source: the code generator behind the predicate backend.

Why generate source rather than nest closures: a predicate is called once per
customer and loops over that customer's rows, so per-row interpretive overhead
(one Python call per IR node per row) would make it several times slower than
the plain loop a programmer would write. The generated code *is* that loop,
laid out the way a careful programmer would: :mod:`.plan` decides which row
tests run, merged and in what order, and which atoms share a loop; this
module writes the text.

Why it is safe: no user text ever becomes source. Every value from the
segment (strings, numbers, value lists) is a parameter of a factory
function under a generated name (``_k1``, ``_k2``, ...), and so are the time
bounds (``_b0``, ...); the generated functions read them as closure cells,
filled at bind time (bounds combined with ``max``/``min``, ``_d3``, are
computed once per bind in the factory's body). Attribute names come from the row types and are
checked against the catalog (under a :class:`TupleLayout`, they become integer indexes);
operators come from a fixed table. The only identifiers in the source are generated ones, fixed helper names and
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
- Money sums use a 100-digit decimal context; ``avg`` compared with ``p/q`` is
  ``sum * q op p * count`` (exact, no division); elsewhere ``avg`` is an exact
  :class:`~fractions.Fraction`; no floating point anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from cafehub.compiler import ir
from cafehub.compiler.backends.python.data import COLLECTION_ATTRIBUTE, EXACT, NULLABLE_FIELDS, TupleLayout
from cafehub.compiler.backends.python.plan import (
    NOW,
    SCOPES,
    Atom,
    Bound,
    IsNone,
    Literal,
    PredicateCompileError,
    Range,
    Term,
    field_attribute,
    finish,
    normalize,
    row_filter,
    share_scan,
    shares_selective_test,
)
from cafehub.compiler.catalog import AggregateFunc, Collection, Kind
from cafehub.compiler.evaluation import EvalContext, resolve, to_naive_utc
from cafehub.grammar.syntax import CmpOp

_PYTHON_OP = {CmpOp.EQ: "==", CmpOp.NE: "!=", CmpOp.LT: "<", CmpOp.LE: "<=", CmpOp.GT: ">", CmpOp.GE: ">="}

#: Factory parameters every program takes, before the segment's own time bounds. ``now`` itself is
#: ``_now`` wherever the segment names it (``resolve`` gives exactly ``ctx.now`` for it).
_CONTEXT_PARAMS = ("_now", "_cart_lo", "_hist_lo")

#: Past this nesting, a row-level sub-expression becomes a helper function, so no segment
#: within the parser's limits can hit the Python compiler's nesting limits.
MAX_INLINE_DEPTH = 12


def _indent(lines: Sequence[str], levels: int = 1) -> list[str]:
    pad = "    " * levels
    return [pad + line for line in lines]


@dataclass(frozen=True, slots=True)
class Accumulator:
    """An aggregate as code: ``init`` before the loop, ``update`` per matching row, ``finish`` after.

    ``value`` is its expression after the loop and ``null`` (when it can be
    null) the expression that is true when it is.
    """

    init: list[str]
    update: list[str]
    finish: list[str]
    value: str
    null: str | None
    #: For ``avg``: the names of the sum and the count, so a comparison can skip the division.
    ratio: tuple[str, str] | None = None


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

    def __init__(self, layout: TupleLayout | None = None) -> None:
        self.layout = layout
        self.namespace: dict[str, Any] = {"_F": Fraction, "_add": EXACT.add, "_mul": EXACT.multiply}
        self.constants: dict[str, object] = {}
        self.bounds: dict[ir.TimePoint, str] = {}
        self.prelude: list[str] = []
        self.combined: dict[tuple[str, tuple[str, ...]], str] = {}
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
        if point == NOW:
            return "_now"
        name = self.bounds.get(point)
        if name is None:
            name = self.bounds[point] = f"_b{len(self.bounds)}"
        return name

    def bound_name(self, bound: Bound) -> str:
        if isinstance(bound.point, str):
            if bound.point not in _CONTEXT_PARAMS:
                raise PredicateCompileError(f"unknown context instant {bound.point!r}")
            return bound.point
        return self.bound(bound.point)

    def combine(self, func: str, names: Sequence[str]) -> str:
        """One name for the tightest of several bounds, computed once per bind in the factory's body."""
        if len(names) == 1:
            return names[0]
        key = (func, tuple(names))
        name = self.combined.get(key)
        if name is None:
            name = self.combined[key] = self.fresh("_d")
            self.prelude.append(f"{name} = {func}({', '.join(names)})")
        return name

    def define(self, prefix: str, param: str, body: list[str]) -> str:
        """Add a function of one parameter to the factory; return its name."""
        name = self.fresh(prefix)
        self.functions.append([f"def {name}({param}):", *_indent(body)])
        return name

    def export(self, key: str, function: str) -> None:
        self.exports[key] = function

    # ------------------------------------------------------------ where values live

    def attr(self, collection: Collection, attribute: str) -> str:
        """The expression for ``attribute`` of row ``r``: ``r.name``, or ``r[i]`` under a tuple layout."""
        if self.layout is None:
            return f"r.{attribute}"
        return f"r[{self.layout.index(collection, attribute)}]"

    def rows(self, collection: Collection) -> str:
        """The expression for customer ``c``'s rows of ``collection``: ``c.orders``, or ``c[i]``."""
        if self.layout is None:
            return f"c.{COLLECTION_ATTRIBUTE[collection]}"
        return f"c[{self.layout.position(collection)}]"

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
        attribute = field_attribute(field, collection)
        x = self.attr(collection, attribute)
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
            if len(node.values) == 1:  # a tuple's ``in`` beats a set method call
                return f"({self.const(node.values[0])} {'not in' if node.negated else 'in'} {x})"
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

    # ------------------------------------------------------------ row filters (plan.py decides, this writes)

    def range_test(self, term: Range, collection: Collection) -> str:
        """All bounds of a range: one chained comparison, plus one more per bound of the other strictness."""
        x = self.attr(collection, term.attribute)
        lows = [(self.combine("max", [self.bound_name(b) for b in term.lower if b.inclusive == incl]),
                 "<=" if incl else "<") for incl in (True, False) if any(b.inclusive == incl for b in term.lower)]
        highs = [(self.combine("min", [self.bound_name(b) for b in term.upper if b.inclusive == incl]),
                  "<=" if incl else "<") for incl in (True, False) if any(b.inclusive == incl for b in term.upper)]
        chain = x
        if lows:
            chain = f"{lows[0][0]} {lows[0][1]} {chain}"
        if highs:
            chain = f"{chain} {highs[0][1]} {highs[0][0]}"
        extra = [f"{name} {op} {x}" for name, op in lows[1:]] + [f"{x} {op} {name}" for name, op in highs[1:]]
        return " and ".join([chain, *extra])

    def term(self, term: Term, collection: Collection) -> str:
        if isinstance(term, IsNone):
            if term.attribute not in SCOPES[collection].unset:
                raise PredicateCompileError(f"{term.attribute} is not a scope field of {collection.value}")
            return f"{self.attr(collection, term.attribute)} is None"
        if isinstance(term, Range):
            return self.range_test(term, collection)
        assert isinstance(term, Literal)
        return self.row(term.node, collection, term.want, 1)

    def terms(self, terms: Sequence[Term], collection: Collection) -> str | None:
        """The conjunction of ``terms`` as an expression over ``r`` (``None`` when there are none)."""
        return " and ".join(self.term(t, collection) for t in terms) or None

    def scan(self, collection: Collection, where: ir.Node | None) -> tuple[str, str]:
        """The loop header and the filter expression of a collection scan (scope and condition)."""
        test = self.terms(finish(row_filter(collection, where), collection), collection)
        return f"for r in {self.rows(collection)}:", test or "True"

    # ------------------------------------------------------------ aggregates

    def accumulate(self, agg: ir.Aggregate) -> Accumulator:
        """``agg`` as code over the rows that match its condition (variables named afresh)."""
        func = agg.func
        if func is AggregateFunc.COUNT:
            n = self.fresh("n")
            return Accumulator([f"{n} = 0"], [f"{n} += 1"], [], n, None)
        assert agg.field is not None
        attribute = field_attribute(agg.field, agg.collection)
        nullable = (agg.collection, attribute) in NULLABLE_FIELDS
        x = self.attr(agg.collection, attribute)
        if func is AggregateFunc.COUNT_DISTINCT:
            # Over non-null values; for a set field, over the elements of every row.
            d = self.fresh("d")
            add = f"{d}.update({x})" if agg.field.type.is_set else f"{d}.add({x})"
            return Accumulator([f"{d} = set()"], [add], [f"{d}.discard(None)"], f"len({d})", None)
        if func in (AggregateFunc.SUM, AggregateFunc.AVG):
            s = self.fresh("s")
            value = "v" if nullable else x
            add = f"{s} += {value}" if agg.field.type.kind is Kind.INT else f"{s} = _add({s}, {value})"
            init, step = [f"{s} = 0"], [add]
            if func is AggregateFunc.AVG:
                n = self.fresh("n")
                init.append(f"{n} = 0")
                step.append(f"{n} += 1")
            update = [f"v = {x}", "if v is not None:", *_indent(step)] if nullable else step
            if func is AggregateFunc.SUM:
                return Accumulator(init, update, [], s, None)
            return Accumulator(init, update, [], f"_F({s}) / {n}", f"{n} == 0", ratio=(s, n))
        if func in (AggregateFunc.MIN, AggregateFunc.MAX):
            m = self.fresh("m")
            better = f"{m} is None or v {'<' if func is AggregateFunc.MIN else '>'} {m}"
            guard = f"v is not None and ({better})" if nullable else better
            return Accumulator([f"{m} = None"], [f"v = {x}", f"if {guard}:", f"    {m} = v"], [], m, f"{m} is None")
        raise PredicateCompileError(f"unknown aggregate {func}")

    def value_test(self, node: ir.Compare | ir.InValues | ir.TimeRange, v: str) -> str:
        """The test of a segment-level atom applied to a non-null aggregate value ``v``."""
        assert isinstance(node.operand, ir.Aggregate)
        return self.holds(node, v, exact=node.operand.func is AggregateFunc.AVG)

    def ratio_test(self, node: ir.Compare, acc: Accumulator) -> str:
        """``avg op value`` as ``sum * q op p * count`` for ``value = p/q`` (count > 0): exact, no division.

        Building a fraction per customer costs more than the loop; integer
        and decimal products compare exactly (decimals multiplied in the
        100-digit context, so nothing is rounded).
        """
        assert acc.ratio is not None
        assert isinstance(node.operand, ir.Aggregate)
        assert node.operand.field is not None
        assert not isinstance(node.value, str)
        total, count = acc.ratio
        value = Fraction(node.value)
        scaled = total
        if value.denominator != 1:
            q = self.const(value.denominator)
            exact_int = node.operand.field.type.kind is Kind.INT
            scaled = f"{total} * {q}" if exact_int else f"_mul({total}, {q})"
        return f"({scaled} {_PYTHON_OP[node.op]} {self.const(value.numerator)} * {count})"

    def verdict(self, atom: Atom, acc: Accumulator, decisive: bool) -> list[str]:
        """After an aggregate's loop: ``return decisive`` when the atom (with its sign) is ``decisive``."""
        assert not isinstance(atom.node, ir.Exists)
        lines: list[str] = []
        v = acc.value
        if acc.ratio is not None and isinstance(atom.node, ir.Compare):
            test = self.ratio_test(atom.node, acc)
        else:
            if not v.isidentifier():
                lines.append(f"v = {v}" if acc.null is None else f"v = {v} if not ({acc.null}) else None")
                v = "v"
            test = self.value_test(atom.node, v)
        null = acc.null
        if decisive == atom.positive:  # the test being true decides
            condition = f"not ({null}) and {test}" if null else test
        else:
            condition = f"({null}) or not {test}" if null else f"not {test}"
        return [*lines, f"if {condition}:", f"    return {decisive}"]

    # ------------------------------------------------------------ segment level (two-valued)

    def segment(self, node: ir.Node) -> str:
        """An expression over customer ``c`` that is the segment node's truth value."""
        node = normalize(node)
        if isinstance(node, (ir.And, ir.Or)):
            return f"{self.define('_g', 'c', self.block(node))}(c)"
        atom = Atom.of(node)
        if atom.aggregate is None:
            call = f"{self.exists(atom.collection, atom.where)}(c)"
        else:
            call = f"{self.aggregate_test(atom)}(c)"
        return call if atom.positive else f"(not {call})"

    def predicate(self, node: ir.Node) -> str:
        """The whole segment as one function of ``c``.

        An ``and``/``or`` of atoms is laid out as statements, each atom's
        loop inline, returning as soon as the answer is known (what a
        hand-written predicate does); atoms over one collection may share
        a loop (:meth:`block`). Nested ``and``/``or`` become helper
        functions laid out the same way.
        """
        node = normalize(node)
        if isinstance(node, (ir.And, ir.Or)):
            return self.define("_pred", "c", self.block(node))
        return self.define("_pred", "c", [*self.step(Atom.of(node), decisive=True), "return False"])

    def block(self, node: ir.And | ir.Or) -> list[str]:
        """Statements for a normalized ``and``/``or``: each item returns early when it decides.

        Some atoms over one collection share a loop (:meth:`sharing`); the
        shared loop sits where the first of them was, the others keep their
        place. Order does not matter to the answer: every test is pure.
        """
        conjunction = isinstance(node, ir.And)
        decisive = not conjunction
        atoms = {i: Atom.of(item) for i, item in enumerate(node.items) if not isinstance(item, (ir.And, ir.Or))}
        shared: dict[int, list[int]] = {}
        for collection in dict.fromkeys(a.collection for a in atoms.values()):
            members = self.sharing([i for i, a in atoms.items() if a.collection is collection], atoms, decisive)
            if members:
                shared[members[0]] = members
        done = {i for members in shared.values() for i in members}
        lines: list[str] = []
        for i, item in enumerate(node.items):
            if isinstance(item, (ir.And, ir.Or)):
                helper = self.define("_g", "c", self.block(item))
                lines += [f"if {'' if decisive else 'not '}{helper}(c):", f"    return {decisive}"]
            elif i in shared:
                lines += self.shared([atoms[j] for j in shared[i]], decisive)
            elif i not in done:
                lines += self.step(atoms[i], decisive=decisive)
        return [*lines, f"return {conjunction}"]

    def sharing(self, indexes: list[int], atoms: dict[int, Atom], decisive: bool) -> list[int]:
        """Which of these atoms over one collection share a loop (none, or two or more).

        All of them when their conditions share a selective test (tested
        once per row for all). Otherwise the aggregates and the existence
        tests that decide on a row found: each of those reads every row in
        the usual case, so one pass serves them all. An existence test that
        needs a row keeps its own loop, which stops at the first match, and
        when none matches ends the statement before the others read a row.
        """
        if len(indexes) < 2:
            return []
        if shares_selective_test(atoms[indexes[0]].collection,
                                 [row_filter(atoms[i].collection, atoms[i].where) for i in indexes]):
            return indexes
        full_scans = [i for i in indexes if atoms[i].aggregate is not None or atoms[i].decides_on_a_row(decisive)]
        return full_scans if len(full_scans) >= 2 else []

    def step(self, atom: Atom, *, decisive: bool) -> list[str]:
        """Statements that ``return decisive`` when the atom (with its sign) is ``decisive``, else fall through."""
        loop, test = self.scan(atom.collection, atom.where)
        if atom.aggregate is None:
            if atom.decides_on_a_row(decisive):  # finding a row decides
                return [loop, f"    if {test}:", f"        return {decisive}"]
            return [loop, f"    if {test}:", "        break", "else:", f"    return {decisive}"]
        acc = self.accumulate(atom.aggregate)
        return [*acc.init, loop, f"    if {test}:", *_indent(acc.update, 2), *acc.finish,
                *self.verdict(atom, acc, decisive)]

    def shared(self, atoms: list[Atom], decisive: bool) -> list[str]:
        """One loop for several atoms over one collection; the statements ``step`` would give for each.

        Inside the loop, atoms that decide on a row found go first (they can
        return at once), then existence tests that need a row (a flag each;
        when they are all there is, the loop stops once every flag is set),
        then aggregates.
        """
        collection = atoms[0].collection
        plan = share_scan(collection, [row_filter(a.collection, a.where) for a in atoms])
        order = sorted(range(len(atoms)), key=lambda i: (
            0 if atoms[i].decides_on_a_row(decisive) else 1 if atoms[i].aggregate is None else 2))
        seekers = [i for i in order if atoms[i].aggregate is None and not atoms[i].decides_on_a_row(decisive)]
        flags = {i: self.fresh("f") for i in seekers}
        only_seekers = len(seekers) == len(atoms)
        init: list[str] = [f"{flags[i]} = False" for i in seekers]
        body: list[str] = []
        after: list[str] = []
        for i in order:
            atom, test = atoms[i], self.terms(plan.residuals[i], collection)
            if atom.aggregate is None and atom.decides_on_a_row(decisive):
                body += [f"if {test}:", f"    return {decisive}"] if test else [f"return {decisive}"]
            elif atom.aggregate is None:
                flag = flags[i]
                body += [f"if not {flag} and {test}:" if test else f"if not {flag}:", f"    {flag} = True"]
                if only_seekers:
                    body += [f"    if {' and '.join(flags.values())}:", "        break"]
                after += [f"if not {flag}:", f"    return {decisive}"]
            else:
                acc = self.accumulate(atom.aggregate)
                init += acc.init
                body += [f"if {test}:", *_indent(acc.update)] if test else acc.update
                after += [*acc.finish, *self.verdict(atom, acc, decisive)]
        guard = self.terms(plan.guard, collection)
        if guard:
            body = [f"if {guard}:", *_indent(body)]
        return [*init, f"for r in {self.rows(collection)}:", *_indent(body), *after]

    def exists(self, collection: Collection, where: ir.Node | None) -> str:
        loop, test = self.scan(collection, where)
        return self.define("_e", "c", [loop, f"    if {test}:", "        return True", "return False"])

    def aggregate_test(self, atom: Atom) -> str:
        """A helper function that is the (positive) aggregate test's truth for customer ``c``."""
        assert atom.aggregate is not None
        acc = self.accumulate(atom.aggregate)
        loop, test = self.scan(atom.collection, atom.where)
        verdict = self.verdict(replace(atom, positive=True), acc, True)
        return self.define("_a", "c", [*acc.init, loop, f"    if {test}:", *_indent(acc.update, 2), *acc.finish,
                                        *verdict, "return False"])

    # ------------------------------------------------------------ explain probes

    def probe_atom(self, key: str, node: ir.Node) -> None:
        """Export the pieces ``explain`` shows for one segment-level atom."""
        self.export(f"{key}.truth", self.define("_p", "c", [f"return {self.segment(node)}"]))
        atom = Atom.of(node)
        if atom.aggregate is not None:
            assert not isinstance(atom.node, ir.Exists)
            acc = self.accumulate(atom.aggregate)
            loop, test = self.scan(atom.collection, atom.where)
            tail = [f"if {acc.null}:", "    return None"] if acc.null else []
            self.export(f"{key}.value", self.define("_v", "c", [
                *acc.init, loop, f"    if {test}:", *_indent(acc.update, 2), *acc.finish, *tail,
                f"return {acc.value}"]))
            test = self.value_test(atom.node, "v")
            self.export(f"{key}.test", self.define("_t", "v", [f"return v is not None and {test}"]))
        rows = self.rows(atom.collection)
        _loop, scope = self.scan(atom.collection, None)
        self.export(f"{key}.scope", self.define("_s", "c", [f"return [r for r in {rows} if {scope}]"]))
        _loop, test = self.scan(atom.collection, atom.where)
        self.export(f"{key}.matching", self.define("_m", "c", [f"return [r for r in {rows} if {test}]"]))

    def probe_row(self, key: str, node: ir.Node, collection: Collection) -> None:
        """Export TRUE and FALSE tests of one condition node over a row (unknown is neither)."""
        self.export(f"{key}.true", self.define("_x", "r", [f"return {self.row(node, collection, True)}"]))
        self.export(f"{key}.false", self.define("_y", "r", [f"return {self.row(node, collection, False)}"]))

    # ------------------------------------------------------------ assembly

    def build(self) -> Program:
        params = ", ".join((*_CONTEXT_PARAMS, *self.bounds.values(), *self.constants))
        lines = [f"def _factory({params}):", *_indent(self.prelude)]
        for function in self.functions:
            lines.extend(_indent(function))
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


__all__ = ["MAX_INLINE_DEPTH", "Accumulator", "Generator", "PredicateCompileError", "Program"]
