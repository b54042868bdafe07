"""The predicate backend's entry points: compile once, bind per evaluation context, call per customer.

Three phases, each done as rarely as possible:

1. :func:`compile_predicate` (once per segment) generates and compiles the
   Python code (:mod:`.codegen`).
2. :meth:`Predicate.bind` (once per :class:`EvalContext`) resolves every
   symbolic time bound through :func:`cafehub.compiler.evaluation.resolve`,
   converts it to the stored naive-UTC form, and closes over the results.
3. The bound function (once per customer) only loops over rows and compares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cafehub.compiler import ir
from cafehub.compiler.backends.python.codegen import Generator, PredicateCompileError, Program
from cafehub.compiler.backends.python.data import CustomerData, Row, TupleLayout
from cafehub.compiler.catalog import Collection
from cafehub.compiler.check import CheckedSegment
from cafehub.compiler.evaluation import EvalContext

BoundPredicate = Callable[[CustomerData], bool]


def _ir_of(segment: CheckedSegment | ir.Node) -> ir.Node:
    if isinstance(segment, CheckedSegment):
        return segment.ir
    if isinstance(segment, ir.NODE_TYPES):
        return segment
    raise TypeError(f"compile_predicate takes a CheckedSegment or an IR node, not {type(segment).__name__}")


@dataclass(frozen=True, slots=True)
class Predicate:
    """A compiled segment. ``bind(ctx)`` gives the per-customer function for one evaluation context.

    >>> from datetime import datetime, UTC
    >>> import cafehub
    >>> from cafehub.compiler.evaluation import EvalContext
    >>> predicate = compile_predicate(cafehub.check("no order()"))
    >>> matches = predicate.bind(EvalContext(now=datetime(2025, 1, 1, tzinfo=UTC)))
    >>> matches(CustomerData(member_id="m1"))
    True
    """

    program: Program

    @property
    def source(self) -> str:
        """The generated Python code (values appear as ``_k`` names, never as text)."""
        return self.program.source

    def bind(self, ctx: EvalContext) -> BoundPredicate:
        """The predicate for ``ctx``: every time bound resolved once, here."""
        function: BoundPredicate = self.program.bind(ctx)["pred"]
        return function

    def evaluate(self, customer: CustomerData, ctx: EvalContext) -> bool:
        """One customer, one context (binds each time: use :meth:`bind` in loops)."""
        return self.bind(ctx)(customer)

    def select(self, customers: Iterable[CustomerData], ctx: EvalContext) -> list[str]:
        """Member ids of the matching customers, sorted by code point like every backend's result."""
        matches = self.bind(ctx)
        return sorted(c.member_id for c in customers if matches(c))


def compile_predicate(segment: CheckedSegment | ir.Node, *, layout: TupleLayout | None = None) -> Predicate:
    """Compile a checked segment (or its IR) to a :class:`Predicate`.

    With ``layout``, the predicate takes customers and rows as tuples laid
    out so (the bulk reader's form) instead of :class:`CustomerData`; the
    generated loops are the same. Raises :class:`PredicateCompileError` for
    an IR the checker could not have produced (a field of another
    collection, an aggregate in a condition), and :class:`LayoutError` when
    ``layout`` lacks a collection or attribute the segment reads.
    """
    node = _ir_of(segment)
    gen = Generator(layout)
    gen.export("pred", gen.predicate(node))
    return Predicate(gen.build())


# ---------------------------------------------------------------- probes (for explain)


@dataclass(frozen=True, slots=True)
class AtomProbe:
    """What explain shows of one segment-level atom (an existence test or an aggregate test)."""

    truth: Callable[[CustomerData], bool]
    scope: Callable[[CustomerData], list[Row]]
    matching: Callable[[CustomerData], list[Row]]
    value: Callable[[CustomerData], object] | None
    test: Callable[[object], bool] | None


@dataclass(frozen=True, slots=True)
class RowProbe:
    """A condition node over one row: TRUE, FALSE, or neither (unknown)."""

    is_true: Callable[[Row], bool]
    is_false: Callable[[Row], bool]

    def __call__(self, row: Row) -> bool | None:
        if self.is_true(row):
            return True
        return False if self.is_false(row) else None


@dataclass(frozen=True, slots=True)
class BoundProbes:
    """Every probe of a segment, bound to one context."""

    atoms: dict[ir.Node, AtomProbe]
    rows: dict[tuple[Collection, ir.Node], RowProbe]


@dataclass(frozen=True, slots=True)
class Probes:
    """The pieces of a segment compiled separately, so explain can show each one's evidence.

    Built by the same generator as the predicate, so the pieces cannot
    disagree with it in semantics.
    """

    program: Program
    atom_keys: dict[ir.Node, str]
    row_keys: dict[tuple[Collection, ir.Node], str]

    def bind(self, ctx: EvalContext) -> BoundProbes:
        made = self.program.bind(ctx)
        atoms = {
            node: AtomProbe(
                truth=made[f"{key}.truth"],
                scope=made[f"{key}.scope"],
                matching=made[f"{key}.matching"],
                value=made.get(f"{key}.value"),
                test=made.get(f"{key}.test"),
            )
            for node, key in self.atom_keys.items()
        }
        rows = {
            node: RowProbe(is_true=made[f"{key}.true"], is_false=made[f"{key}.false"])
            for node, key in self.row_keys.items()
        }
        return BoundProbes(atoms=atoms, rows=rows)


def segment_atoms(node: ir.Node) -> Iterable[ir.Node]:
    """The segment-level atoms under ``node`` (existence tests and aggregate tests)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (ir.And, ir.Or)):
            stack.extend(reversed(current.items))
        elif isinstance(current, ir.Not):
            stack.append(current.operand)
        else:
            yield current


def condition_nodes(node: ir.Node) -> Iterable[ir.Node]:
    """Every node of a condition, itself included."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (ir.And, ir.Or)):
            stack.extend(reversed(current.items))
        elif isinstance(current, ir.Not):
            stack.append(current.operand)


def _where_of(atom: ir.Node) -> tuple[Collection, ir.Node | None]:
    if isinstance(atom, ir.Exists):
        return atom.collection, atom.where
    operand = getattr(atom, "operand", None)
    if not isinstance(operand, ir.Aggregate):
        raise PredicateCompileError(f"{type(atom).__name__} is not a segment-level atom")
    return operand.collection, operand.where


def compile_probes(segment: CheckedSegment | ir.Node) -> Probes:
    """Compile every atom and every condition node of a segment separately (for explain)."""
    node = _ir_of(segment)
    gen = Generator()
    atom_keys: dict[ir.Node, str] = {}
    row_keys: dict[tuple[Collection, ir.Node], str] = {}
    for atom in segment_atoms(node):
        if atom in atom_keys:
            continue
        key = atom_keys[atom] = f"atom{len(atom_keys)}"
        gen.probe_atom(key, atom)
        collection, where = _where_of(atom)
        if where is None:
            continue
        for part in condition_nodes(where):
            if (collection, part) not in row_keys:
                row_key = row_keys[(collection, part)] = f"row{len(row_keys)}"
                gen.probe_row(row_key, part, collection)
    return Probes(gen.build(), atom_keys, row_keys)


__all__ = [
    "AtomProbe",
    "BoundPredicate",
    "BoundProbes",
    "Predicate",
    "PredicateCompileError",
    "Probes",
    "RowProbe",
    "compile_predicate",
    "compile_probes",
    "condition_nodes",
    "segment_atoms",
]
