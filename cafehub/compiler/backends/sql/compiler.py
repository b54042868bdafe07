"""The SQL compiler: checked IR to one sqlglot ``SELECT`` of member ids.

The query is ``SELECT c.member_id FROM customers c WHERE <segment>``. The
segment level is two-valued: every atom is an ``EXISTS``, an ``IN`` of a key
set, or a test on an aggregate; an atom that can be null (``avg``/``min``/
``max`` over no rows, correlated) is wrapped in ``COALESCE(.., FALSE)`` before
a ``NOT`` so that null counts as false there too. Inside a collection's
condition SQL's own three-valued logic is exactly the language's.

How each construct is shaped (correlated subquery, semi-join on a key set,
grouped aggregate), and how a conjunction is planned (tests sharing one
grouped pass, a driving test, the query driven by a selective pass; see
:mod:`~cafehub.compiler.backends.sql.planning`), is read from the dialect's
:class:`Shapes`; the compiler itself knows no engine. Dispatch is by IR node type, through two tables (the
segment level and the row level) that are checked at import: every node type
has a handler or a stated reason why it cannot occur at that level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from sqlglot import exp

from cafehub.compiler import ir
from cafehub.compiler.backends.sql import planning
from cafehub.compiler.backends.sql.dialects import KeySetTest, Shape, SqlDialect
from cafehub.compiler.backends.sql.mapping import SchemaMapping
from cafehub.compiler.backends.sql.params import ParamSet, param_name
from cafehub.compiler.backends.sql.relations import (
    ELEMENT_JOIN_ALIAS,
    SOURCES,
    Relations,
    is_narrow_range,
    is_selective,
)
from cafehub.compiler.backends.sql.stats import PROBE_FIRST_BELOW, StoreStats
from cafehub.compiler.backends.sql.values import (
    Exact,
    Mean,
    Predicates,
    Rep,
    Scaled,
    Text,
    Time,
    and_,
    condition_key,
    fresh,
    having,
    in_query,
    not_,
    or_,
    where,
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


@dataclass(frozen=True, slots=True)
class GroupRows:
    """A group's pass: its table, joins and row conditions, its tests, and the member column."""

    table: exp.Table
    joins: list[exp.Join]
    conditions: list[exp.Expr]
    tests: list[Pred]
    member: exp.Column


def _fields_in(node: object) -> Iterator[FieldDef]:
    """Every field an IR subtree reads (a generic walk over dataclass fields)."""
    if isinstance(node, FieldDef):
        yield node
    elif isinstance(node, tuple):
        for item in node:
            yield from _fields_in(item)
    else:
        for name in _field_names(type(node)):
            yield from _fields_in(getattr(node, name))


def _field_names(kind: type) -> tuple[str, ...]:
    """The fields of an IR node type (none for values such as strings and numbers)."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else ()
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


class SqlCompiler:
    """One compilation of one segment for one dialect and mapping."""

    def __init__(self, dialect: SqlDialect, mapping: SchemaMapping, stats: StoreStats | None = None) -> None:
        self.dialect = dialect
        self.stats = stats
        self.params = ParamSet(colon=dialect.colon_placeholders)
        self.preds = Predicates(self.params, dialect)
        self.rel = Relations(mapping, dialect, self.preds)
        self.filtering = False
        """Whether the node being compiled is checked per candidate of a driving test."""
        self.negated = False
        """Whether the node being compiled is under an odd number of ``Not`` (segment level)."""
        self.few_candidates = False
        """Whether the driving test is selective, so the tests checked per candidate run for few."""
        self.driver_products: tuple[object, ...] = ()
        """The products the driving test names (``order(product = 42 ...)``), for the statistics."""
        self._keys_wanted = False
        """Whether the next key set is the query's source (:meth:`_driven_by_keys`), not a test."""
        self._keys: exp.Select | None = None
        self._keyed = False
        """Whether the tests being compiled are checked against a driver's keys (``keyed_exists``)."""
        self._key_driver: planning.Unit | None = None
        """The driving test whose keys they are (the dialect's ``fenced_probe``)."""

    def query(self, node: ir.Node) -> exp.Select:
        """``SELECT c.member_id FROM customers c WHERE <segment>``, or a grouped pass that drives it, or,
        where member references are enforced, the driving test's own keys in place of ``customers``."""
        if self.stats is not None and self.dialect.probe_first and self.dialect.shapes.filter is not None:
            probed = self._probed_first(node, self.stats)
            if probed is None:
                probed = self._probed_rather_than_range(node, self.stats)
            if probed is not None:
                return probed
        if self._trusts_references():
            keyed = self._driven_by_keys(node)
            if keyed is not None:
                return keyed
        if self.dialect.shapes.rows_drive:
            driven = self._driven_by_rows(node)
            if driven is not None:
                return driven
        pred = self.segment(node)
        member = exp.alias_(self.rel.customer_id(), "member_id", quoted=True)
        return where(exp.select(member, copy=False).from_(self.rel.table("customers"), copy=False), pred.expr)

    def _trusts_references(self) -> bool:
        """Whether the keys of a collection's rows can stand for customers.

        Only where the mapping declares member references enforced, and not where string
        equality follows a collation (MySQL): a ``DISTINCT`` over member ids there would merge
        ``Alice`` and ``alice`` on a user's case-insensitive table.
        """
        return self.rel.mapping.member_references == "enforced" and self.dialect.exact_string_type is None

    def _driven_by_keys(self, node: ir.Node) -> exp.Select | None:
        """The segment over the keys of its driving test, with no ``customers`` read.

        ``SELECT c.member_id FROM (SELECT DISTINCT cc.member_id AS member_id FROM customer_coupons cc
        WHERE <rows> AND cc.member_id IS NOT NULL) AS c WHERE <the other tests>``: the driver is a
        positive test (a customer it holds for has rows), so its keys are exactly the customers
        it holds for once every member reference names a customer; the other tests keep their
        shapes, correlated on the derived table, which takes the alias and column name of
        ``customers``. The planner reads the driver from its rows' index range instead of
        joining and de-duplicating against every customer (the demo's ``coupon(expires_at within
        next 1d)``: measured in docs/SQL.md). ``None`` when no positive test can drive.

        With the dialect's ``distinct_last``, a driver's rows are de-duplicated after the other
        tests (``SELECT DISTINCT c.member_id FROM (SELECT o.member_id ...) AS c WHERE NOT
        EXISTS ...``): the derived table is then merged into the query, and PostgreSQL checks
        the other tests per row inside its parallel workers, as the hand-written ``DISTINCT``
        with a ``NOT EXISTS`` does.
        """
        shapes = self.dialect.shapes
        units = planning.plan(node.items if isinstance(node, ir.And) else (node,), shapes.merge, shapes.element_join)
        lead = planning.key_driver(units)
        if lead is None:
            return None
        self._keys_wanted, self._keys = True, None
        try:
            self.unit(units[lead])
        finally:
            self._keys_wanted = False
        keys = self._captured_keys()
        if keys is None:
            raise InternalCompileError(f"the driving test gave no key set: {units[lead]}")
        others = []
        self._keyed, self._key_driver = True, units[lead]
        try:
            for i, unit in enumerate(units):
                if i != lead:
                    with self._filtering(shapes.filter is not None, few=_selective(units[lead]), driver=units[lead]):
                        others.append(self.unit(unit))
        finally:
            self._keyed, self._key_driver = False, None
        late = self.dialect.shapes.distinct_last and others and keys.args.get("distinct") is not None
        if late:
            keys.set("distinct", None)
        if not others and self.dialect.shapes.grouped_keys:
            # The keys are the whole query: not read again through a derived table (SQLite runs
            # it as a co-routine: 3-7% of a day of expiries).
            key = keys.selects[0]
            key = key.this if isinstance(key, exp.Alias) else key
            return keys.select(exp.alias_(fresh(key), "member_id", quoted=True), append=False, copy=False)
        customer = self.rel.customer_id()
        source = exp.Subquery(this=keys, alias=exp.TableAlias(this=exp.Identifier(this=customer.table, quoted=True)))
        member = exp.alias_(customer, "member_id", quoted=True)
        query = exp.select(member, copy=False).from_(source, copy=False)
        if late:
            query = query.distinct(copy=False)
        self.rel.used.pop("customers", None)  # ``c`` is the derived table: customers is not read
        return where(query, and_([o.expr for o in self._bounded(others, and_)])) if others else query

    def _probed_first(self, node: ir.Node, stats: StoreStats) -> exp.Select | None:
        """The conjunction from ``customers``, its recent-window probe first and every test correlated.

        ``SELECT c.member_id FROM customers c WHERE NOT EXISTS (<the customer's orders in the last
        60 days>) AND (SELECT COUNT(*) >= :p FROM orders o WHERE o.member_id = c.member_id ...)``:
        the probe is one index range per customer, and the other tests then run only for the
        customers it keeps. Chosen over the driving pass (which reads every order of the history
        once) where the statistics estimate it cheaper
        (:meth:`~cafehub.compiler.backends.sql.stats.StoreStats.probe_first_ratio`); ``None``
        otherwise. Only when the driver would be an unselective pass: a selective one reads few rows.
        """
        if not isinstance(node, ir.And):
            return None
        shapes = self.dialect.shapes
        units = planning.plan(node.items, shapes.merge, shapes.element_join)
        lead = planning.key_driver(units)
        found = planning.recent_probe(units)
        if lead is None or found is None or _selective(units[lead]):
            return None
        probe, window = found
        ratio = stats.probe_first_ratio(window)
        if ratio is None or ratio >= PROBE_FIRST_BELOW:
            return None
        items = []
        with self._filtering(True):
            for i in [probe, *(i for i in range(len(units)) if i != probe)]:
                items.append(self.unit(units[i]))
        member = exp.alias_(self.rel.customer_id(), "member_id", quoted=True)
        query = exp.select(member, copy=False).from_(self.rel.table("customers"), copy=False)
        return where(query, and_([i.expr for i in items]))

    def _probed_rather_than_range(self, node: ir.Node, stats: StoreStats) -> exp.Select | None:
        """A lone presence test on a short range (``coupon(expires_at within next 1d)``) as ``EXISTS``
        per customer from ``customers``, where the statistics say the range holds so many rows that
        probing every customer through the member index is cheaper than reading the range from
        the column's index (:meth:`~cafehub.compiler.backends.sql.stats.StoreStats.exists_rather_than_range`;
        the recent shop: a day of expiries is 13% of the coupon rows, 41% of the customers).
        ``None`` otherwise. The same rows: the test is asked of every customer instead of read
        from the range's keys.
        """
        found = planning.atom(node)
        if found is None or found.negated or found.test is not None:
            return None
        ranges = [c for c in found.conjuncts if is_narrow_range(c)]
        if not ranges or not all(self._range_probed(c, stats) for c in ranges):
            return None
        with self._filtering(True):
            pred = self.segment(node)
        member = exp.alias_(self.rel.customer_id(), "member_id", quoted=True)
        return where(exp.select(member, copy=False).from_(self.rel.table("customers"), copy=False), pred.expr)

    @staticmethod
    def _range_probed(condition: ir.Node, stats: StoreStats) -> bool:
        if not isinstance(condition, ir.TimeRange) or not isinstance(field := condition.operand, FieldDef):
            return False
        lower, upper = condition.lower, condition.upper
        if lower is None or upper is None:
            return False
        if not isinstance(lower.point, ir.NowOffset) or not isinstance(upper.point, ir.NowOffset):
            return False
        return stats.exists_rather_than_range(field.collection.value, field.name, lower.point.seconds,
                                              upper.point.seconds)

    def _captured_keys(self) -> exp.Select | None:
        """The key set :meth:`_member_of` kept for :meth:`_driven_by_keys` (``None``: none was built)."""
        return self._keys

    def _driven_by_rows(self, node: ir.Node) -> exp.Select | None:
        """The segment as its driving group's pass, joined to customers before grouping.

        ``SELECT c.member_id FROM orders o JOIN customers c ON c.member_id = o.member_id
        WHERE <rows> GROUP BY c.member_id HAVING <the group's tests> AND <the other tests>``.
        When and why: :func:`~cafehub.compiler.backends.sql.planning.row_pass`; ``None``
        when no pass can be the query.
        """
        shapes = self.dialect.shapes
        units = planning.plan(node.items if isinstance(node, ir.And) else (node,), shapes.merge, shapes.element_join)
        chosen = planning.row_pass(units)
        if chosen is None:
            return None
        group, lead = chosen.group, chosen.lead
        rows = self._group_rows(group, correlated=False)
        others = []
        for i, unit in enumerate(units):
            if i != lead:
                with self._filtering(True):
                    others.append(self.unit(unit))
        on = self.rel.key_equal(self.rel.customer_id(), rows.member)
        customers = exp.Join(this=self.rel.table("customers"), on=on)
        key = fresh(rows.member) if chosen.own_key else self.rel.customer_id()
        member = exp.alias_(key, "member_id", quoted=True)
        query = self._joined(exp.select(member, copy=False).from_(rows.table, copy=False), [*rows.joins, customers])
        query = where(query, and_(rows.conditions)).group_by(fresh(key), copy=False)
        tests = [t.expr for t in rows.tests] + [o.expr for o in self._bounded(others, and_)]
        return having(query, and_(tests)) if tests else query

    # ------------------------------------------------------------ dispatch

    def segment(self, node: ir.Node) -> Pred:
        result: Pred = SEGMENT_HANDLERS[type(node)](self, node)
        return result

    def row(self, node: ir.Node) -> exp.Expr:
        result: exp.Expr = ROW_HANDLERS[type(node)](self, node)
        return result

    # ------------------------------------------------------------ segment level

    def seg_and(self, node: ir.And) -> Pred:
        """A conjunction, planned as a whole (:mod:`~cafehub.compiler.backends.sql.planning`).

        Tests on one collection may share one grouped pass; where the dialect asks for it,
        one positive test drives (it comes first, in its own shape) and every other is
        checked per candidate (correlated).
        """
        shapes = self.dialect.shapes
        units = planning.plan_many(planning.plan(node.items, shapes.merge, shapes.element_join))
        lead = planning.driver(units) if shapes.filter is not None and not self.filtering else None
        order = list(range(len(units)))
        if lead is not None:
            order = [lead, *(i for i in order if i != lead)]
        items = []
        few = lead is not None and _selective(units[lead])
        for i in order:
            with self._filtering(lead is not None and i != lead, few=few,
                                 driver=units[lead] if lead is not None else None):
                items.append(self.unit(units[i]))
        items = self._bounded(items, and_)
        return Pred(and_([i.expr for i in items]), any(i.nullable for i in items))

    def unit(self, unit: planning.Unit) -> Pred:
        if isinstance(unit, planning.Group):
            return self.seg_group(unit)
        if isinstance(unit, planning.Atom):
            return self.segment(unit.node)
        return self.segment(unit)

    @contextmanager
    def _filtering(self, on: bool, *, few: bool = False, driver: planning.Unit | None = None) -> Iterator[None]:
        saved, saved_few, saved_products = self.filtering, self.few_candidates, self.driver_products
        self.filtering = saved or on
        if on and not saved:
            self.few_candidates = few
            self.driver_products = _products(driver)
        try:
            yield
        finally:
            self.filtering, self.few_candidates, self.driver_products = saved, saved_few, saved_products

    def _shape(self, own: Shape, selective: bool) -> Shape:
        """A collection test's shape: its construct's own, or the filter shape when it is checked per
        candidate of a driving test, unless it is selective (its rows are then few and found from
        an index, once: cheaper as a set than per candidate, and an index a per-candidate
        subquery must not be planned around)."""
        shapes = self.dialect.shapes
        if self._keys_wanted:
            return Shape.GROUPED  # the driver of _driven_by_keys: a key set, never correlated
        return shapes.filter if self.filtering and shapes.filter is not None and not selective else own

    def seg_or(self, node: ir.Or) -> Pred:
        """A disjunction; many positive tests on one collection are asked in one grouped pass
        (:func:`~cafehub.compiler.backends.sql.planning.plan_or`)."""
        items = [self.seg_group(u, any_test=True) if isinstance(u, planning.Group) else self.unit(u)
                 for u in planning.plan_or(node.items)]
        items = self._bounded(items, or_)
        return Pred(or_([i.expr for i in items]), any(i.nullable for i in items))

    def _bounded(self, items: list[Pred], joined: Callable[[Sequence[exp.Expr]], exp.Expr]) -> list[Pred]:
        """The items of a segment-level chain (``joined``: ``and_`` or ``or_``), asked in parts of at most
        :data:`SUBQUERY_PART` subqueries when they hold more than :data:`SUBQUERIES_OVER`.

        DuckDB plans each subquery of one ``WHERE`` as a join on top of the last: past a thousand
        it exceeds its expression depth (``(order().count >= k and cart().count >= k) or ...``),
        and hundreds take tens of seconds. A part is ``c.member_id IN (SELECT c.member_id FROM
        customers c WHERE <its items>)``, itself one subquery, so no ``WHERE`` holds many. Exact:
        the part's condition is two-valued there (null reads as false in a ``WHERE``), which is
        what a nullable item is read as at segment level (``COALESCE(.., FALSE)`` under ``NOT``),
        and ``and``/``or`` of items read so are the same as read after the chain.
        """
        sizes = [_subqueries(i.expr) for i in items]
        if sum(sizes) <= SUBQUERIES_OVER:
            return items
        while sum(sizes) > SUBQUERY_PART and len(items) > 1:
            parts: list[list[Pred]] = [[]]
            held = 0
            for item, size in zip(items, sizes, strict=True):
                if parts[-1] and held + size > SUBQUERY_PART:
                    parts.append([])
                    held = 0
                parts[-1].append(item)
                held += size
            if len(parts) == len(items):
                break  # every item is a part of its own: nothing to gain
            items = [part[0] if len(part) == 1 else self._customers_where(joined([i.expr for i in part]))
                     for part in parts]
            sizes = [_subqueries(i.expr) for i in items]
        return items

    def _customers_where(self, condition: exp.Expr) -> Pred:
        """The customer is one of those for which ``condition`` holds: one key set over ``customers``."""
        customers = exp.select(self.rel.customer_id(), copy=False).from_(self.rel.table("customers"), copy=False)
        wanted, self._keys_wanted = self._keys_wanted, False
        try:
            return Pred(self._member_of(customers, [condition], negated=self.negated), False)
        finally:
            self._keys_wanted = wanted

    def seg_not(self, node: ir.Not) -> Pred:
        self.negated = not self.negated
        try:
            inner = self.segment(node.operand)
        finally:
            self.negated = not self.negated
        e = exp.Coalesce(this=inner.expr, expressions=[exp.false()]) if inner.nullable else inner.expr
        return Pred(not_(e), False)

    def seg_exists(self, node: ir.Exists) -> Pred:
        collection = node.collection
        needed = set(_fields_in(node.where))
        selective = planning.is_selective_where(node.where)
        keyed = self.dialect.shapes.keyed_exists if self._keyed else None
        shape = self._shape(keyed or self.dialect.shapes.exists, selective)
        probe = False
        if selective and self.dialect.selective_probe and self.filtering and self.few_candidates and (
                self.stats is None or self.stats.probe_rather_than_key_set(self.driver_products, _products(node))):
            shape, probe = Shape.CORRELATED, True
        conditions = self.rel.window(collection)
        joins = self.rel.joins(collection, needed)
        rest = planning.conjuncts(node.where)
        element = None
        joined = self.dialect.selective_probe and (probe or shape is not Shape.CORRELATED)
        if joined or self.dialect.shapes.exists_join:
            element = self._exists_elements(node.where)
        if element is not None:
            # The order's lines of those products, joined (one row per line: presence is kept).
            rest = tuple(c for c in rest if c is not element)
            joins.append(self._element_join(element.field))
            found = self.preds.in_values(self.rel.rep(element.field, ELEMENT_JOIN_ALIAS), element.values, negated=False)
            conditions.append(_unindexed(found) if probe else found)
        for conjunct in rest:
            compiled = self.row(conjunct)
            conditions.append(_unindexed(compiled) if probe and is_selective(conjunct) else compiled)
        member = self.rel.member(collection)
        table = self.rel.table(SOURCES[collection].table)
        base = exp.select(exp.Literal.number(1), copy=False).from_(table, copy=False)
        if shape is Shape.CORRELATED:
            correlation = self.rel.key_equal(member, self.rel.customer_id())
            if self.dialect.one_lower_bound:
                conditions = _one_lower_bound(conditions)
            query = where(self._joined(base, joins), and_([correlation, *conditions]))
            if self._fenced(collection, selective, joins):
                query = query.offset(0, copy=False)
            return Pred(exp.Exists(this=query), False)
        query = self._joined(base.select(member, append=False, copy=False), joins)
        return Pred(self._member_of(query, conditions, negated=self.negated), False)

    def _fenced(self, collection: Collection, selective: bool, joins: list[exp.Join]) -> bool:
        """Whether a correlated presence test is fenced into a per-candidate probe (the dialect's
        ``fenced_probe``): an absence test on one of the store's own tables, no selective condition
        and no join, checked against the keys of a driver on products whose rows the statistics
        count few against the probed table's
        (:meth:`~cafehub.compiler.backends.sql.stats.StoreStats.fence_probe`)."""
        table = SOURCES[collection].table
        driver = self._key_driver
        if not (self.dialect.fenced_probe and self.stats is not None and isinstance(driver, planning.Atom)
                and self._keyed and self.negated and not selective and not joins
                and self.rel.mapping.table(table) == (table,)):
            return False
        return self.stats.fence_probe(driver.collection.value, _product_values(driver), table)

    def _exists_elements(self, where: ir.Node | None) -> ir.AnyOf | None:
        """The selective set-field conjunct (``product = 42``) a presence test reads through a join
        (the dialect's ``exists_join``, SQLite's ``selective_probe``), or ``None``.

        ``EXISTS (SELECT 1 FROM orders o JOIN order_items el ON el.order_id = o.order_id WHERE ...
        AND el.product_no = :p1)``: the join repeats an order once per matching line, which
        changes no existence, and the conjunct is two-valued, so the test is the same.
        PostgreSQL plans a ``NOT EXISTS`` written so as a nested-loop anti-join probing each
        candidate's orders, where the per-order ``IN`` made it hash every order of the
        product (bought A in 30 days, never B, recent shop: see docs/SQL.md).
        """
        return next((c for c in planning.conjuncts(where) if isinstance(c, ir.AnyOf) and is_selective(c)), None)

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
        base = exp.select(test, copy=False).from_(self.rel.table(SOURCES[collection].table), copy=False)
        shape = self._shape(self.dialect.shapes.aggregate, planning.is_selective_where(aggregate.where))
        if shape is Shape.CORRELATED:
            correlation = self.rel.key_equal(member, self.rel.customer_id())
            query = where(self._joined(base, joins), and_([correlation, *conditions]))
            return Pred(exp.Subquery(this=query), aggregate.func.empty_is_null)
        # Grouped: the customers whose rows pass the test, or, when a customer with no rows
        # passes it (count < 3), everyone but those whose rows fail it.
        holds_on_empty = planning.holds_on_empty(node)
        grouped = self._joined(base.select(member, append=False, copy=False), joins)
        grouped = grouped.group_by(fresh(member), copy=False)
        grouped = having(grouped, not_(test.copy()) if holds_on_empty else test.copy())
        inside = self._member_of(grouped, conditions, negated=self.negated != holds_on_empty)
        return Pred(not_(inside) if holds_on_empty else inside, False)

    def seg_group(self, group: planning.Group, *, any_test: bool = False) -> Pred:
        """Several tests on one collection in one pass: one conditional aggregate per test.

        Grouped: the members whose rows pass every test (the group holds a positive test,
        so a customer without rows is rightly absent). Correlated: the same aggregates over
        one customer's rows, where an empty collection must still fail the positive test.
        ``any_test``: the members whose rows pass one of the tests (an ``or``'s group; a
        presence test without a condition of its own passes for every member of the pass).
        When one of its tests holds without rows, a customer absent from the pass passes, so
        the group is the complement: not among the members whose rows fail every test.
        """
        correlated = self._shape(self.dialect.shapes.aggregate, group.selective) is Shape.CORRELATED
        rows = self._group_rows(group, correlated, any_test=any_test)
        every = any_test and len(rows.tests) < len(group.atoms)
        joined = or_ if any_test else and_
        if group.holds_on_empty and not correlated:
            # ``every``: no member of the pass fails them all, the group is true for every
            # customer (the tests stay in the query, for the parameters they bound).
            tested = (or_([*([exp.true()] if every else []), *(t.expr for t in rows.tests)]) if any_test
                      else and_([t.expr for t in rows.tests]))
            if any(t.nullable for t in rows.tests):
                tested = exp.Coalesce(this=tested, expressions=[exp.false()])
            grouped = self._joined(exp.select(rows.member, copy=False).from_(rows.table, copy=False), rows.joins)
            grouped = having(grouped.group_by(fresh(rows.member), copy=False), not_(tested))
            return Pred(not_(self._member_of(grouped, rows.conditions, negated=not self.negated)), False)
        if correlated:
            correlation = self.rel.key_equal(rows.member, self.rel.customer_id())
            tested = joined([t.expr for t in rows.tests])
            query = self._joined(exp.select(tested, copy=False).from_(rows.table, copy=False), rows.joins)
            query = where(query, and_([correlation, *rows.conditions]))
            nullable = any(t.nullable for t in rows.tests)
            if any_test or group.holds_on_empty or len(group.atoms) > planning.OR_GROUP_OVER:
                # Over no rows, MariaDB 10.11 reads an OR of COUNT(DISTINCT ...) tests as true (and
                # its NOT as false): the aggregates are asked only of a customer with rows (one
                # row or none, without GROUP BY), and a customer without is what the group is
                # without rows.
                query = having(query, exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)))
                empty = exp.true() if group.holds_on_empty else exp.false()
                return Pred(exp.Coalesce(this=exp.Subquery(this=query), expressions=[empty]), nullable)
            return Pred(exp.Subquery(this=query), nullable)
        grouped = self._joined(exp.select(rows.member, copy=False).from_(rows.table, copy=False), rows.joins)
        grouped = grouped.group_by(fresh(rows.member), copy=False)
        if rows.tests and not every:
            grouped = having(grouped, joined([t.expr for t in rows.tests]))
        return Pred(self._member_of(grouped, rows.conditions, negated=self.negated), False)

    def _group_rows(self, group: planning.Group, correlated: bool, *, any_test: bool = False) -> GroupRows:
        """What a group reads (table, joins, row conditions) and its tests, for either shape.

        In a conjunction's grouped pass, a presence test that another of its tests implies
        is left out (:func:`_implied`): ``order(product = 42 and ordered_at < 90d ago) and no
        order(product = 42 and ordered_at within last 90d)`` is ``MAX(o.ordered_at) < :t1``
        alone, which PostgreSQL estimates as one condition rather than two.
        """
        collection = group.collection
        needed = set(_fields_in(tuple(a.node for a in group.atoms)))
        conditions = self.rel.window(collection) + [self.row(c) for c in group.common]
        joins = self.rel.joins(collection, needed)
        elements = group.elements
        if elements is not None:
            joins.append(self._element_join(elements.field))
            if elements.values is not None:
                element = self.rel.rep(elements.field, ELEMENT_JOIN_ALIAS)
                conditions.append(self.preds.in_values(element, elements.values, negated=False))
        found: list[tuple[planning.Atom, Pred]] = []
        extremes: list[tuple[planning.Atom, exp.Expr]] = []
        for atom, residual in zip(group.atoms, group.residuals, strict=True):
            when = self._residual(residual, elements, conditions)
            test = None if correlated else self._extreme_test(atom, when, conditions)
            if test is not None and when is not None:
                extremes.append((atom, when))
            test = test or self._group_test(atom, when, correlated)
            if test is not None:
                found.append((atom, test))
        implied = set() if any_test else {id(a) for a, when in extremes if not a.negated and _implied(when, extremes)}
        tests = [test for atom, test in found if id(atom) not in implied]
        member = self.rel.member(collection)
        return GroupRows(self.rel.table(SOURCES[collection].table), joins, conditions, tests, member)

    def _residual(
        self, residual: tuple[ir.Node, ...], elements: planning.ElementRows | None, rows: list[exp.Expr]
    ) -> exp.Expr | None:
        """A test's own condition within its group; in a hull, its ``AnyOf`` reads the joined element.

        Parts that the row filter ``rows`` already imposes (``ordered_at <= :now`` of a
        "within last" next to the window's) are left out.
        """
        imposed = {condition_key(p) for r in rows for p in _flat_and(r)}
        parts: list[exp.Expr] = []
        for conjunct in residual:
            if elements is not None and isinstance(conjunct, ir.AnyOf) and conjunct in elements.reads:
                element = self.rel.rep(elements.field, ELEMENT_JOIN_ALIAS)
                part = self.preds.in_values(element, conjunct.values, negated=False)
            else:
                part = self.row(conjunct)
            parts.extend(p for p in _flat_and(part) if condition_key(p) not in imposed)
        return and_(parts) if parts else None

    def _extreme_test(self, atom: planning.Atom, when: exp.Expr | None, rows: list[exp.Expr]) -> Pred | None:
        """A presence test of a grouped pass as an extreme (the dialect's ``extremes``), or ``None``.

        "No row with ``x >= :t``" is ``MAX(x) < :t`` and "some row with ``x < :t``" is
        ``MIN(x) < :t`` (and so on for each one-sided bound), when ``when`` is that one
        comparison and ``x`` is compared with a value in the pass's row filter ``rows`` (the
        window: ``o.ordered_at >= :history_start``), so that ``x`` is never null on the rows
        grouped. Every group of the pass has a row, so the extreme is a value, never null:
        the two forms agree on every group, negated or not (an ``or``'s complement). DuckDB
        aggregates the extreme without a ``CASE`` per row (three paid orders, none in 60
        days: see docs/SQL.md). Not for correlated shapes, where a customer may have no rows.
        """
        if not self.dialect.shapes.extremes or atom.test is not None or when is None:
            return None
        if not isinstance(when, _BOUNDS) or param_name(when.expression) is None:  # a parameter: never null
            return None
        column = when.this
        if not _compared(column, rows):
            return None
        upward = isinstance(when, (exp.GTE, exp.GT))
        extreme = (exp.Max if upward else exp.Min)(this=column.copy())
        kind: type[exp.Expr] = _NEGATED_BOUND[type(when)] if atom.negated else type(when)
        return Pred(kind(this=extreme, expression=when.expression.copy()), False)

    def _group_test(self, atom: planning.Atom, when: exp.Expr | None, correlated: bool) -> Pred | None:
        """One test of a group, over the rows where its own condition ``when`` holds."""
        if atom.test is None:
            if when is None and not atom.negated and not correlated:
                return None  # every member of a grouped pass has a row
            count = exp.Count(this=exp.Star() if when is None else _only(when, exp.Literal.number(1)))
            zero = exp.Literal.number(0)
            return Pred(exp.EQ(this=count, expression=zero) if atom.negated else exp.GT(this=count, expression=zero),
                        False)
        aggregate = atom.test.operand
        assert isinstance(aggregate, ir.Aggregate)
        test = self.test(atom.test, self.aggregate_rep(aggregate, when))
        nullable = aggregate.func.empty_is_null
        if atom.negated:
            return Pred(not_(exp.Coalesce(this=test, expressions=[exp.false()]) if nullable else test), False)
        return Pred(test, nullable)

    def _member_of(self, keys: exp.Select, conditions: list[exp.Expr], *, negated: bool) -> exp.Expr:
        """The customer's id is one of those ``keys`` selects (one column) where ``conditions`` hold.

        With ``IN`` read under a negation (``negated``), null keys are filtered out: one null
        would make ``NOT IN`` unknown for every customer (guest orders have a null member
        id). Elsewhere a null key only makes ``IN`` unknown for customers it does not hold,
        which reads as false, as it should; and the filter can cost (DuckDB: 1.4x).
        """
        if self._keys_wanted:
            self._keys_wanted = False
            key = keys.selects[0]
            conditions = [*conditions, self.rel.not_null(fresh(key))]
            name = self.rel.mapping.column("customers", "member_id")
            keys = keys.select(exp.alias_(fresh(key), name, quoted=True), append=False, copy=False)
            if keys.args.get("group"):
                pass
            elif self.dialect.shapes.grouped_keys and not keys.args.get("joins"):
                keys = keys.group_by(fresh(key), copy=False)
            else:
                keys = keys.distinct(copy=False)
            self._keys = where(keys, and_(conditions))
            return exp.true()
        if self.dialect.key_set_test is KeySetTest.IN:
            if negated:
                conditions = [*conditions, self.rel.not_null(fresh(keys.selects[0]))]
            return in_query(self.rel.customer_id(), where(keys, and_(conditions)))
        keys = where(keys, and_(conditions))
        key = keys.selects[0]
        keys = keys.select(exp.alias_(fresh(key), KEY_ALIAS, quoted=True), append=False, copy=False)
        found = exp.Column(this=exp.Identifier(this=KEY_ALIAS, quoted=True),
                           table=exp.Identifier(this=KEY_ALIAS, quoted=True))
        keyset = exp.Subquery(this=keys, alias=exp.TableAlias(this=exp.Identifier(this=KEY_ALIAS, quoted=True)))
        query = exp.select(exp.Literal.number(1), copy=False).from_(keyset, copy=False)
        query = where(query, self.rel.key_equal(found, self.rel.customer_id()))
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

    def aggregate_rep(self, aggregate: ir.Aggregate, when: exp.Expr | None = None) -> Rep:
        """The aggregate over the rows at hand, or only over those where ``when`` holds."""
        func = aggregate.func
        if func is AggregateFunc.COUNT:
            return Scaled(exp.Count(this=exp.Star() if when is None else _only(when, exp.Literal.number(1))), 0)
        field = aggregate.field
        if field is None:
            raise InternalCompileError(f"{func.value} without a field")
        summed = func is AggregateFunc.SUM or func is AggregateFunc.AVG
        rep = self.rel.rep(field, ELEMENT_JOIN_ALIAS if field.type.is_set else None, summed=summed)
        if isinstance(rep, Mean):
            raise InternalCompileError("an aggregate of an aggregate")
        if when is not None:
            rep = _restricted(rep, when)
        if func is AggregateFunc.COUNT_DISTINCT:
            key = self.preds.exact_text(rep.expr) if isinstance(rep, Text) else rep.expr
            return Scaled(exp.Count(this=exp.Distinct(expressions=[key])), 0)
        if isinstance(rep, (Text, Time)) and func is not AggregateFunc.MIN and func is not AggregateFunc.MAX:
            raise InternalCompileError(f"{func.value} of {field}")
        if func is AggregateFunc.SUM:
            summed_total = self.rel.checked_sum(field, exp.Sum(this=rep.expr))
            total = exp.Coalesce(this=summed_total, expressions=[exp.Literal.number(0)])
            return Scaled(total, rep.scale) if isinstance(rep, Scaled) else Exact(total)
        if func is AggregateFunc.AVG:
            count = exp.Count(this=fresh(rep.expr))
            summed_total = self.rel.checked_sum(field, exp.Sum(this=rep.expr))
            if isinstance(rep, Scaled):
                return Mean(Scaled(summed_total, rep.scale), count)
            return Mean(Exact(summed_total), count)
        agg_type = exp.Min if func is AggregateFunc.MIN else exp.Max
        value = agg_type(this=rep.expr)
        if isinstance(rep, Scaled):
            return Scaled(value, rep.scale)
        if isinstance(rep, Exact):
            return Exact(value)
        if isinstance(rep, Time):
            return Time(value, rep.form)
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
            query = exp.select(exp.Literal.number(1), copy=False).from_(table, copy=False)
            query = where(query, and_([self.rel.key_equal(key, order_key), member_test]))
            found: exp.Expr = exp.Exists(this=query)
        else:
            query = exp.select(key, copy=False).from_(table, copy=False)
            query = where(query, and_([member_test, self.rel.not_null(fresh(key))]))
            found = in_query(order_key, query)
        return not_(found) if node.negated else found


#: One-sided bounds, and the bound that holds where each does not (on a value that is not null).
_BOUNDS = (exp.GTE, exp.GT, exp.LT, exp.LTE)
_NEGATED_BOUND: dict[type[exp.Expr], type[exp.Expr]] = {exp.GTE: exp.LT, exp.GT: exp.LTE, exp.LT: exp.GTE,
                                                        exp.LTE: exp.GT}


def _implied(when: exp.Expr, extremes: list[tuple[planning.Atom, exp.Expr]]) -> bool:
    """Whether "some row where ``when``" (a bound on a column never null in the pass) follows from a
    "no row" test of ``extremes`` with the complementary bound on the same column and parameter:
    no row with ``x >= :t`` means every row has ``x < :t``, and every group has a row."""
    assert isinstance(when, _BOUNDS)
    opposite = _NEGATED_BOUND[type(when)]
    key = (when.this.sql(), param_name(when.expression))
    return any(a.negated and isinstance(other, opposite) and (other.this.sql(), param_name(other.expression)) == key
               for a, other in extremes)


def _compared(column: exp.Expr, rows: list[exp.Expr]) -> bool:
    """Whether a conjunct of ``rows`` compares ``column`` (a column) with something: a row where that
    comparison is true has ``column`` not null."""
    if not isinstance(column, exp.Column):
        return False
    key = (column.table, column.name)
    return any(isinstance(part, (*_BOUNDS, exp.EQ)) and isinstance(part.this, exp.Column)
               and (part.this.table, part.this.name) == key
               for r in rows for part in _flat_and(r))


def _products(unit: planning.Unit | ir.Node | None) -> tuple[object, ...]:
    """The products a test's selective conditions name (``product = 42``): empty when none does."""
    where = unit.where if isinstance(unit, (planning.Atom, ir.Exists)) else None
    return tuple(v for c in planning.conjuncts(where) if isinstance(c, ir.AnyOf) and is_selective(c)
                 and c.field.name == "product" for v in c.values)


def _product_values(atom: planning.Atom) -> tuple[object, ...]:
    """The products a test's condition names, of an order's lines (``order(product = 42)``) or of a
    cart row (``cart(product in [17, 18])``): empty when none does."""
    found: list[object] = []
    for c in atom.conjuncts:
        if isinstance(c, ir.AnyOf) and not c.negated and c.field.name == "product":
            found.extend(c.values)
        elif (isinstance(c, ir.Compare) and c.op is CmpOp.EQ and isinstance(c.operand, FieldDef)
              and c.operand.name == "product"):
            found.append(c.value)
        elif (isinstance(c, ir.InValues) and not c.negated and isinstance(c.operand, FieldDef)
              and c.operand.name == "product"):
            found.extend(c.values)
    return tuple(found)


def _selective(unit: planning.Unit) -> bool:
    if isinstance(unit, planning.Atom):
        return bool(unit.selective)
    return isinstance(unit, planning.Group) and unit.selective


def _unindexed(condition: exp.Expr) -> exp.Expr:
    """``CASE WHEN condition THEN TRUE END``: true exactly where ``condition`` is, and no index term, so
    a per-candidate probe is not planned around the index of a selective column (without
    statistics SQLite may range ``product_no`` inside the probe, once per candidate). The
    comparison inside keeps the column's affinity, which SQLite's ``+x`` would drop."""
    return exp.Case(ifs=[exp.If(this=condition, true=exp.true())])


#: A segment-level chain with more subqueries than this is asked in parts (:meth:`SqlCompiler._bounded`).
SUBQUERIES_OVER = 64
#: The most subqueries in one part of such a chain.
SUBQUERY_PART = 32


def _subqueries(e: exp.Expr) -> int:
    """How many subqueries ``e`` holds directly (not counting those inside them)."""
    count = 0
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Select):
            count += 1
        else:
            stack.extend(node.iter_expressions())
    return count


def _flat_and(e: exp.Expr) -> list[exp.Expr]:
    if isinstance(e, exp.And):
        return [*_flat_and(e.this), *_flat_and(e.expression)]
    return [e]


def _one_lower_bound(conditions: list[exp.Expr]) -> list[exp.Expr]:
    """The conjuncts of ``conditions`` with every inclusive lower bound (a parameter) on one column
    written as one: ``x >= :a AND x >= :b`` is ``x >= max(:a, :b)`` (SQLite's scalar ``max``; the
    bounds are values of one form, text timestamps that sort as time does, so the larger is the
    tighter), which an index on ``x`` ranges over; one parameter twice (the held coupons' ``expires_at
    >= :now`` and ``within next 1d``'s) is written once. Exclusive bounds are left as they are."""
    parts: list[exp.Expr | None] = [p for c in conditions for p in _flat_and(c)]
    lowers: dict[str, list[int]] = {}
    for i, part in enumerate(parts):
        if isinstance(part, exp.GTE) and isinstance(part.expression, exp.Placeholder):
            lowers.setdefault(part.this.sql(), []).append(i)
    for found in lowers.values():
        if len(found) < 2:
            continue
        distinct = {b.sql(): b for i in found if (p := parts[i]) is not None and (b := p.expression) is not None}
        bounds = [b.copy() for b in distinct.values()]
        first = parts[found[0]]
        assert first is not None
        bound = bounds[0] if len(bounds) == 1 else exp.Anonymous(this="max", expressions=bounds)
        parts[found[0]] = exp.GTE(this=first.this.copy(), expression=bound)
        for i in found[1:]:
            parts[i] = None
    return [p for p in parts if p is not None]


def _only(when: exp.Expr, value: exp.Expr) -> exp.Expr:
    """``CASE WHEN when THEN value END``: the value on rows where ``when`` is true, null elsewhere
    (aggregates ignore nulls, so a conditional aggregate sees exactly those rows)."""
    return exp.Case(ifs=[exp.If(this=when.copy(), true=value)])


def _restricted(rep: Scaled | Exact | Text | Time, when: exp.Expr) -> Scaled | Exact | Text | Time:
    """A field's representation, null on the rows where ``when`` does not hold."""
    if isinstance(rep, Scaled):
        return Scaled(_only(when, rep.expr), rep.scale)
    if isinstance(rep, Time):
        return Time(_only(when, rep.expr), rep.form)
    return type(rep)(_only(when, rep.expr))


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
