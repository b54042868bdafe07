"""Planning a conjunction: which collection tests share one pass, and which one drives.

A segment is mostly a conjunction of *collection tests*: ``order(...)``,
``no cart(...)``, ``order(...).count >= 3``. Compiled one by one, each test
reads its table again. This module looks at the conjunction as a whole, on
the IR only (no SQL), and says:

- which tests on the same collection are answered by **one grouped pass**
  over its rows, with one conditional aggregate per test
  (``GROUP BY member HAVING COUNT(CASE WHEN <test's own condition> THEN 1 END) > 0 AND ...``):
  a :class:`Group`, which may read a set field's elements through a join
  (:class:`ElementRows`);
- which test should **drive** the conjunction (:func:`driver`): be computed
  first, as a set of member ids, the other tests being checked for those
  members only, for engines that do not order subqueries themselves; or,
  when it is a selective group, be the query's own pass.

Merging is exact because a group always holds a test that is false for a
customer without rows (a *positive* test: ``order(...)``, ``count >= 3``):
the grouped pass never sees such a customer, and need not. The row filter is
the conjuncts the tests' conditions share (plus the collection's window),
and every test keeps the rest of its condition inside its aggregate, so
each aggregate is computed over exactly the rows it would see alone.

Whether a group pays off depends on what the tests share, which is why the
dialect chooses (:class:`~cafehub.compiler.backends.sql.dialects.Merge`,
:class:`~cafehub.compiler.backends.sql.dialects.ElementJoin`): tests that
share a *selective* condition (``product = 42`` in both) read few rows once
instead of twice; tests that share only the window (``order(status =
paid).count >= 3 and no order(ordered_at within last 60d)``) read all of a
customer's rows once instead of twice, which a row store gains from and a
column store, scanning one column per test, may not. A *hull* groups
presence tests whose selective conditions are different values of one set
field (``order(product = 42 ...) and no order(product = 43)``): one pass
over the order lines of both products.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from cafehub.compiler import ir
from cafehub.compiler.backends.sql.dialects import ElementJoin, Merge
from cafehub.compiler.backends.sql.relations import is_narrow_range, is_selective
from cafehub.compiler.catalog import Collection, FieldDef
from cafehub.compiler.simplify import MERGE_OVER
from cafehub.grammar.syntax import CmpOp

SegmentTest = ir.Compare | ir.InValues | ir.TimeRange


@dataclass(frozen=True, slots=True)
class Atom:
    """A collection test at segment level: ``Exists`` or a test on an aggregate, maybe under ``Not``."""

    node: ir.Node
    """The item of the conjunction, as written (compiled as it is when not merged)."""
    collection: Collection
    where: ir.Node | None
    test: SegmentTest | None
    """The aggregate test, or ``None`` for a presence test (``Exists``)."""
    negated: bool

    @property
    def conjuncts(self) -> tuple[ir.Node, ...]:
        return conjuncts(self.where)

    @property
    def holds_on_empty(self) -> bool:
        """Whether the test is true for a customer with no rows in the collection."""
        return holds_on_empty(self.test) != self.negated if self.test is not None else self.negated

    @property
    def positive(self) -> bool:
        return not self.holds_on_empty

    @property
    def mergeable(self) -> bool:
        """Tests on a set field's elements read a join that multiplies rows: never merged."""
        if self.test is None:
            return True
        aggregate = self.test.operand
        return isinstance(aggregate, ir.Aggregate) and (aggregate.field is None or not aggregate.field.type.is_set)

    @property
    def element_field(self) -> FieldDef | None:
        """The set field whose distinct elements the test counts (``count_distinct(product)``), if any."""
        if self.test is None or not isinstance(aggregate := self.test.operand, ir.Aggregate):
            return None
        field = aggregate.field
        return field if field is not None and field.type.is_set else None

    @property
    def selective(self) -> tuple[ir.Node, ...]:
        """The selective conjuncts of the test's condition."""
        return tuple(c for c in self.conjuncts if is_selective(c))


@dataclass(frozen=True, slots=True)
class ElementRows:
    """A group's rows joined to the elements of one set field: one row per element in ``values``
    (``None``: per element, whatever its value).

    ``reads`` are the tests' own ``AnyOf`` conditions on the field, read from the
    joined element (a hull of different values); empty when the tests share the
    condition, which the join then imposes. Only presence tests are grouped this
    way, or, with every element (``values`` ``None``), tests that count the
    field's distinct elements: the join repeats an order once per matching
    element, which changes counts and sums but not whether a row exists nor
    which distinct elements there are.
    """

    field: FieldDef
    values: tuple[ir.Scalar, ...] | None
    reads: tuple[ir.AnyOf, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    """Tests on one collection answered by one grouped pass over its rows.

    ``common`` are the conjuncts every test's condition has (they filter the
    rows); ``residuals`` are each test's remaining conjuncts (they go inside
    its aggregate).
    """

    collection: Collection
    atoms: tuple[Atom, ...]
    common: tuple[ir.Node, ...]
    residuals: tuple[tuple[ir.Node, ...], ...]
    elements: ElementRows | None = None
    disjunctive: bool = False
    """An ``or``'s group (true when one test is), not a conjunction's (true when every test is)."""

    @property
    def selective(self) -> bool:
        """Whether few rows pass its filter: a selective common condition, or elements of given values
        (every element of a set field is no filter)."""
        return (self.elements is not None and self.elements.values is not None) or any(
            is_selective(c) for c in self.common)

    @property
    def holds_on_empty(self) -> bool:
        """Whether the group is true for a customer without rows: one of its tests is (an ``or``'s
        group), or every one is (a conjunction's; :func:`plan` groups hold a positive one, only
        :func:`plan_many` groups may not)."""
        if self.disjunctive:
            return any(a.holds_on_empty for a in self.atoms)
        return all(a.holds_on_empty for a in self.atoms)


Unit = Atom | Group | ir.Node
"""One conjunct of a planned conjunction: a test alone, a group, or any other node."""


def conjuncts(node: ir.Node | None) -> tuple[ir.Node, ...]:
    """The top-level conjuncts of a row condition (none for no condition)."""
    if node is None:
        return ()
    if isinstance(node, ir.And):
        return tuple(c for item in node.items for c in conjuncts(item))
    return (node,)


def is_selective_where(where: ir.Node | None) -> bool:
    """Whether a collection test's condition has a selective conjunct (``product = 42 and ...``)."""
    return any(is_selective(c) for c in conjuncts(where))


def holds_on_empty(node: SegmentTest) -> bool:
    """Whether an aggregate test is true for a customer with no rows.

    ``count``, ``count_distinct`` and ``sum`` are 0 over no rows; ``avg``,
    ``min`` and ``max`` are null, which makes any test false.
    """
    aggregate = node.operand
    if not isinstance(aggregate, ir.Aggregate) or aggregate.func.empty_is_null or isinstance(node, ir.TimeRange):
        return False
    if isinstance(node, ir.Compare):
        return not isinstance(node.value, str) and _OPERATORS[node.op](Decimal(0), Decimal(node.value))
    found = any(not isinstance(v, str) and Decimal(v) == 0 for v in node.values)
    return found != node.negated


_OPERATORS: dict[CmpOp, Callable[[Decimal, Decimal], bool]] = {
    CmpOp.EQ: operator.eq,
    CmpOp.NE: operator.ne,
    CmpOp.LT: operator.lt,
    CmpOp.LE: operator.le,
    CmpOp.GT: operator.gt,
    CmpOp.GE: operator.ge,
}


def atom(node: ir.Node) -> Atom | None:
    """``node`` as a collection test, or ``None`` when it is something else (``Or``, ``Not(Not(..))``)."""
    negated = False
    inner = node
    if isinstance(node, ir.Not):
        negated, inner = True, node.operand
    if isinstance(inner, ir.Exists):
        return Atom(node, inner.collection, inner.where, None, negated)
    if isinstance(inner, (ir.Compare, ir.InValues, ir.TimeRange)) and isinstance(inner.operand, ir.Aggregate):
        aggregate = inner.operand
        return Atom(node, aggregate.collection, aggregate.where, inner, negated)
    return None


def plan(items: Sequence[ir.Node], merge: Merge, elements: ElementJoin) -> list[Unit]:
    """The conjuncts of ``items`` with mergeable tests grouped (a group stands where its first test stood)."""
    found = [atom(item) for item in items]
    atoms = {i: a for i, a in enumerate(found) if a is not None}
    taken: dict[int, Group] = {}
    for collection in Collection:
        indexes = [i for i, a in atoms.items() if a.collection is collection and a.mergeable]
        for members in _same_selective(atoms, indexes, merge):
            group = _group(collection, [atoms[i] for i in members])
            _take(taken, members, _joined(group) if elements is not ElementJoin.NEVER else group)
        if elements is ElementJoin.HULL:
            hull = _hull_members(atoms, [i for i in indexes if i not in taken])
            if hull:
                group = _hull_group(collection, [(atoms[i], condition) for i, condition in hull])
                _take(taken, [i for i, _ in hull], group)
    units: list[Unit] = []
    placed: set[int] = set()
    for i, item in enumerate(items):
        if i not in taken:
            units.append(atoms.get(i, item))
        elif id(taken[i]) not in placed:
            placed.add(id(taken[i]))
            units.append(taken[i])
    return units


#: An ``or`` with more tests than this on one collection asks them in one grouped pass
#: (:func:`plan_or`); fewer keep their own shapes (and the SQL they had).
OR_GROUP_OVER = MERGE_OVER


def plan_or(items: Sequence[ir.Node]) -> list[Unit]:
    """The disjuncts of ``items``, where more than :data:`OR_GROUP_OVER` tests on one collection
    are grouped: one pass over its rows, ``HAVING <test> OR <test> ...``.

    Each test is its own subquery otherwise, and DuckDB binds each a level deeper than the
    last: a thousand (``order().count >= 1 or order().count >= 2 or ...``) exceeded its
    expression depth of 1,000, and hundreds took tens of seconds there. Every test keeps its
    own condition inside its aggregate, as in a conjunction's group, so within the pass each
    sees exactly its own rows. A customer absent from the pass (no rows that pass the common
    filter) has none of them: each test is then what it is without rows, so the group holds
    for such a customer exactly when one of its tests holds without rows
    (:attr:`Group.holds_on_empty`, which the compiler answers by the complement).

    Tests counting a set field's distinct elements (``order().count_distinct(product) >= 3``)
    are grouped per field, over the orders joined to every element of that field
    (:class:`ElementRows` without values): the join repeats an order once per element, which
    changes no count of distinct elements; an order without elements drops out of the pass,
    and it adds no element, so the customer's counts are what they would be without it.
    """
    found = [atom(item) for item in items]
    taken: dict[int, Group] = {}
    for collection in Collection:
        mine = [i for i, a in enumerate(found) if a is not None and a.collection is collection]
        members = [i for i in mine if (a := found[i]) is not None and a.mergeable]
        if len(members) > OR_GROUP_OVER:
            group = _group(collection, [a for i in members if (a := found[i]) is not None])
            _take(taken, members, replace(group, disjunctive=True))
        by_field: dict[FieldDef, list[int]] = {}
        for i in mine:
            if (a := found[i]) is not None and (field := a.element_field) is not None:
                by_field.setdefault(field, []).append(i)
        for field, members in by_field.items():
            if len(members) > OR_GROUP_OVER:
                group = _group(collection, [a for i in members if (a := found[i]) is not None])
                _take(taken, members, replace(group, elements=ElementRows(field, None), disjunctive=True))
    return _with_groups(items, taken)


def plan_many(units: Sequence[Unit]) -> list[Unit]:
    """A planned conjunction's units, where more than :data:`OR_GROUP_OVER` tests of one collection
    that :func:`plan` left apart are asked in one grouped pass (``HAVING <test> AND <test> ...``).

    :func:`plan` groups only around a positive test, and only as the dialect's merge policy says;
    a thousand tests true without rows (``order().count_distinct(product) < k``, ``order().count
    < k``) stayed a thousand subqueries, which DuckDB answers in a minute. Such a group is the
    complement (not among the members whose rows fail a test: :attr:`Group.holds_on_empty`);
    tests of a set field's distinct elements are grouped per field, over every element, as in
    :func:`plan_or`.
    """
    taken: dict[int, Group] = {}
    for collection in Collection:
        mine = [i for i, u in enumerate(units) if isinstance(u, Atom) and u.collection is collection]
        members = [i for i in mine if (a := units[i]) is not None and isinstance(a, Atom) and a.mergeable]
        if len(members) > OR_GROUP_OVER:
            _take(taken, members, _group(collection, [a for i in members if isinstance(a := units[i], Atom)]))
        by_field: dict[FieldDef, list[int]] = {}
        for i in mine:
            if isinstance(a := units[i], Atom) and (field := a.element_field) is not None:
                by_field.setdefault(field, []).append(i)
        for field, members in by_field.items():
            if len(members) > OR_GROUP_OVER:
                group = _group(collection, [a for i in members if isinstance(a := units[i], Atom)])
                _take(taken, members, replace(group, elements=ElementRows(field, None)))
    return _with_groups(units, taken)


def _with_groups(units: Sequence[Unit], taken: dict[int, Group]) -> list[Unit]:
    """``units`` in order, each taken one replaced by its group, placed once where its first member was."""
    result: list[Unit] = []
    placed: set[int] = set()
    for i, unit in enumerate(units):
        if i not in taken:
            result.append(unit)
        elif id(taken[i]) not in placed:
            placed.add(id(taken[i]))
            result.append(taken[i])
    return result


def _take(taken: dict[int, Group], members: list[int], group: Group) -> None:
    for i in members:
        taken[i] = group


def _same_selective(atoms: dict[int, Atom], indexes: list[int], merge: Merge) -> list[list[int]]:
    """Indexes of tests that read the same rows, per merge policy (two or more, one positive).

    Tests with the same selective conditions, or, without one, the same whole
    condition (``avg between``: two tests on one aggregate), or under ``shared``
    any tests without a selective condition.
    """
    if merge is Merge.NEVER:
        return []
    by_key: dict[tuple[frozenset[ir.Node], ir.Node | None], list[int]] = {}
    for i in indexes:
        selective = frozenset(atoms[i].selective)
        same_rows = None if selective or merge is Merge.SHARED else atoms[i].where
        by_key.setdefault((selective, same_rows), []).append(i)
    return [members for members in by_key.values() if _worth_grouping(atoms, members)]


def _worth_grouping(atoms: dict[int, Atom], members: list[int]) -> bool:
    return len(members) >= 2 and any(atoms[i].positive for i in members)


def _hull_members(atoms: dict[int, Atom], indexes: list[int]) -> list[tuple[int, ir.AnyOf]]:
    """Presence tests whose one selective condition is ``AnyOf`` on the same set field, with that condition."""
    by_field: dict[FieldDef, list[tuple[int, ir.AnyOf]]] = {}
    for i in indexes:
        selective = atoms[i].selective
        if atoms[i].test is None and len(selective) == 1 and isinstance(condition := selective[0], ir.AnyOf):
            by_field.setdefault(condition.field, []).append((i, condition))
    for members in by_field.values():
        if _worth_grouping(atoms, [i for i, _ in members]):
            return members
    return []


def _common(atoms: Sequence[Atom]) -> tuple[ir.Node, ...]:
    first, *rest = (a.conjuncts for a in atoms)
    return tuple(dict.fromkeys(c for c in first if all(c in other for other in rest)))


def _group(collection: Collection, atoms: Sequence[Atom]) -> Group:
    common = _common(atoms)
    residuals = tuple(tuple(c for c in a.conjuncts if c not in common) for a in atoms)
    return Group(collection, tuple(atoms), common, residuals)


def _joined(group: Group) -> Group:
    """A group of presence tests sharing a selective ``AnyOf``: read through a join on its elements."""
    if any(a.test is not None for a in group.atoms):
        return group
    shared = next((c for c in group.common if isinstance(c, ir.AnyOf) and is_selective(c)), None)
    if shared is None:
        return group
    common = tuple(c for c in group.common if c != shared)
    return replace(group, common=common, elements=ElementRows(shared.field, shared.values))


def _hull_group(collection: Collection, members: Sequence[tuple[Atom, ir.AnyOf]]) -> Group:
    """Presence tests on values of one set field: one pass over the elements of all those values."""
    atoms = [a for a, _ in members]
    anys = [c for _, c in members]
    same = all(c == anys[0] for c in anys)
    common = tuple(c for c in _common(atoms) if c not in anys)
    dropped = set(common) | (set(anys) if same else set())
    residuals = tuple(tuple(c for c in a.conjuncts if c not in dropped) for a in atoms)
    values = tuple(dict.fromkeys(v for c in anys for v in c.values))
    reads = () if same else tuple(dict.fromkeys(anys))
    return Group(collection, tuple(atoms), common, residuals, ElementRows(anys[0].field, values, reads))


def driver(units: Sequence[Unit]) -> int | None:
    """The index of the unit to compute first: a positive test, selective ones first, else the earliest.

    ``None`` when no unit is a positive collection test (nothing narrows the customers).
    """
    best: tuple[int, int] | None = None
    for i, unit in enumerate(units):
        if not ((isinstance(unit, Group) and not unit.holds_on_empty) or (isinstance(unit, Atom) and unit.positive)):
            continue
        rank = 0 if unit.selective else 1
        if best is None or rank < best[0]:
            best = (rank, i)
    return best[1] if best is not None else None


def key_driver(units: Sequence[Unit]) -> int | None:
    """The unit whose key set can replace ``customers`` (member references enforced), or ``None``.

    A group, or a positive test written as it is (not under ``not``, not an aggregate test
    that holds without rows): its key set holds exactly the customers it is true for.
    Selective ones first, else the earliest, as :func:`driver`.
    """
    best: tuple[int, int] | None = None
    for i, unit in enumerate(units):
        if isinstance(unit, Atom) and (unit.negated or not unit.positive):
            continue
        if not isinstance(unit, (Atom, Group)) or (isinstance(unit, Group) and unit.holds_on_empty):
            continue
        rank = 0 if unit.selective else 1
        if best is None or rank < best[0]:
            best = (rank, i)
    return best[1] if best is not None else None


@dataclass(frozen=True, slots=True)
class RowPass:
    """A grouped pass that is the query itself (PostgreSQL's ``rows_drive``).

    ``lead`` is its index among the units (the others are checked in ``HAVING``);
    ``own_key`` says to group by the collection's member key rather than the customer's.
    """

    group: Group
    lead: int
    own_key: bool = False


def row_pass(units: Sequence[Unit]) -> RowPass | None:
    """The pass that can be the whole query, or ``None``. Three cases, each measured on
    PostgreSQL (docs/SQL.md, "Rows drive"):

    - the driving unit is a *selective* group: few rows to join, whatever else the
      conjunction holds;
    - the segment is one presence test with a narrow range on an indexed column
      (``coupon(expires_at within next 1d)``), as a group of one. The ``EXISTS`` was a
      hash join over every customer; joined from the range's index it probes customers
      only for the rows found (100k customers: 10.3 ms to 2.5 ms). Not for an equality
      alone (``cart(product = 17)``: 12 ms to 19 ms; ``coupon_no``, ``product in [...]``
      slower too);
    - the segment is one group and nothing else (``order(status = paid).count >= 3 and
      no order(ordered_at within last 60d)``), grouped by the collection's own member key:
      PostgreSQL aggregates that join in parallel. As a key set it estimated the
      ``HAVING`` at a few hundred groups and aggregated serially (1.9 s against 1.3 s at
      1M customers); grouped by the customer's key it chose a merge join (2.5 s).

    The last two only alone: other tests would sit in ``HAVING``, where PostgreSQL cannot
    turn a ``NOT EXISTS`` into an anti-join and runs it once per group.
    """
    lead = driver(units)
    if lead is not None and isinstance(unit := units[lead], Group) and unit.selective:
        return RowPass(unit, lead)
    if len(units) != 1:
        return None
    alone = units[0]
    if isinstance(alone, Group) and not alone.holds_on_empty:
        return RowPass(alone, 0, own_key=True)
    if (isinstance(alone, Atom) and alone.test is None and not alone.negated
            and any(is_narrow_range(c) for c in alone.conjuncts)):
        return RowPass(_group(alone.collection, [alone]), 0)
    return None


def recent_probe(units: Sequence[Unit]) -> tuple[int, int] | None:
    """A ``no order(ordered_at within last Nd)`` among ``units``: its index and N days in seconds.

    Exactly that: a negated presence test on orders whose whole condition is the order time
    from a time before now up to now, which one index range per customer answers
    (``(member_id, ordered_at)``). ``None`` when there is none.
    """
    for i, unit in enumerate(units):
        if not isinstance(unit, Atom) or not unit.negated or unit.test is not None:
            continue
        if unit.collection is not Collection.ORDER or len(unit.conjuncts) != 1:
            continue
        window = unit.conjuncts[0]
        if not isinstance(window, ir.TimeRange) or window.negated or not isinstance(window.operand, FieldDef):
            continue
        if window.operand.name != "ordered_at" or window.lower is None or window.upper is None:
            continue
        lower, upper = window.lower.point, window.upper.point
        if not isinstance(lower, ir.NowOffset) or not isinstance(upper, ir.NowOffset):
            continue
        if lower.seconds < 0 and upper.seconds == 0:
            return i, -lower.seconds
    return None
