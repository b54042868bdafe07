"""Dialects as data: what differs between SQL engines, in one table.

The compiler is generic. Everything an engine needs done differently is a
field of :class:`SqlDialect`, read at the one place it matters:

- ``printer``: the sqlglot dialect that prints the tree (function names,
  quoting, placeholder syntax: sqlglot's own, ``@name`` on BigQuery).
- ``colon_placeholders``: parameters written as SQLAlchemy's ``:name`` where
  the printer would write the driver's own syntax (``%(name)s`` on
  PostgreSQL, ``$name`` on DuckDB). They are written by the compiler, not by
  a subclass of the printer: sqlglot's compiled build (``sqlglotc``) cannot
  be subclassed.
- ``binding``: how values reach the engine: SQLAlchemy bind parameters
  (``sqlalchemy``), the engine's own parameters in printed SQL (``native``),
  or, for Spark (``literal``), instants and numbers as literals quoted by
  sqlglot and strings as Spark named parameters.
- ``exact_decimals``: ``False`` where money is stored as floating point
  (SQLite's REAL): money is then compared as integer cents
  (``CAST(ROUND(x * 100) AS INTEGER)``) against thresholds that Python has
  turned into integers, so no comparison is ever made in floating point.
- ``timestamp_params``: ``"text"`` where timestamps are stored as text in
  SQLAlchemy's form (SQLite), so parameters are formatted the same way and
  compared as strings (the format sorts chronologically).
- ``zoned_times``: how a column holding instants (a mapping's ``"zoned"``
  kind: ``timestamptz``) is compared with a bound whatever the session's zone:
  ``aware`` binds the bound as an instant; ``epoch`` compares
  ``UNIX_TIMESTAMP(column)`` with epoch seconds (MySQL, whose ``TIMESTAMP``
  compared with a ``DATETIME`` would go through the session's zone);
  ``iso_text`` rewrites ISO 8601 text with an offset into the store's UTC text
  form (SQLite).
- ``integer_division``: how an exact quotient of integers is written: ``slash``
  where ``/`` of integers is integer (or exact decimal) division, ``operator``
  where ``/`` gives a float and the printer's integer division (``//``,
  ``DIV``) is needed (DuckDB, Spark, BigQuery).
- ``wide_factor_type``: a type a factor of a money product is cast to, so that
  the product is computed wide: DuckDB multiplies ``DECIMAL(18)`` values in 64
  bits and fails beyond them (``(price + option_price) * quantity`` near the
  largest amounts).
- ``exact_string_type``: where the usual collations ignore case and trailing
  spaces (MySQL/MariaDB), string tests are re-checked on the bytes
  (``CAST(x AS BINARY)``), after a plain comparison that can still use an index.
- ``shapes``: the plan shape chosen per construct, by measurement
  (``bench/sql_shapes.py``, results in docs/SQL.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from sqlglot.dialects.dialect import Dialect


class Shape(StrEnum):
    """How a construct becomes SQL.

    - ``correlated``: a subquery per customer, correlated on the member id
      (``EXISTS (SELECT 1 FROM orders o WHERE o.member_id = c.member_id AND ...)``;
      for an aggregate, ``(SELECT COUNT(*) >= :p FROM orders o WHERE o.member_id = c.member_id ...)``).
    - ``semi_join``: membership in an uncorrelated key set
      (``c.member_id IN (SELECT o.member_id FROM orders o WHERE ...)``).
    - ``grouped``: for aggregates, membership in the keys of a grouped query
      (``c.member_id IN (SELECT o.member_id ... GROUP BY o.member_id HAVING COUNT(*) >= :p)``),
      or ``NOT IN`` the complement when the test holds for a customer with no rows.
    """

    CORRELATED = "correlated"
    SEMI_JOIN = "semi_join"
    GROUPED = "grouped"


class Merge(StrEnum):
    """Which tests on one collection, in one conjunction, are answered by one grouped pass.

    - ``never``: each test reads its rows on its own.
    - ``selective``: tests that share their selective conditions (``product = 42`` in both).
    - ``shared``: also tests with no selective condition, which then share one pass over
      the collection's window (``order(status = paid).count >= 3 and no order(ordered_at
      within last 60d)``).

    See :mod:`cafehub.compiler.backends.sql.planning`.
    """

    NEVER = "never"
    SELECTIVE = "selective"
    SHARED = "shared"


class ElementJoin(StrEnum):
    """When a group of presence tests reads a set field's elements through a join.

    - ``never``: a test on the elements stays a per-row subquery (its element shape).
    - ``shared``: a group whose tests share a selective element test (``product = 42`` in
      all of them) joins the rows to those elements instead.
    - ``hull``: also presence tests naming *different* values of one set field
      (``order(product = 42 ...) and no order(product = 43)``) share one pass over the
      elements of all of them (``oi.product_no IN (42, 43)``), each test reading its own
      values from the joined element.
    """

    NEVER = "never"
    SHARED = "shared"
    HULL = "hull"


@dataclass(frozen=True, slots=True, kw_only=True)
class Shapes:
    """The plan shape per construct, and how a conjunction of collection tests is planned."""

    exists: Literal[Shape.CORRELATED, Shape.SEMI_JOIN]
    """``coupon(...)``, ``no order(...)``."""
    aggregate: Literal[Shape.CORRELATED, Shape.GROUPED]
    """``order(...).count >= 3``, ``cart().sum(amount) >= ...``."""
    selective_element: Literal[Shape.CORRELATED, Shape.SEMI_JOIN]
    """A test on a set field with many distinct values, inside an order's condition
    (``product = 42``): one value is usually rare, so the set of matching orders is small."""
    common_element: Literal[Shape.CORRELATED, Shape.SEMI_JOIN]
    """A test on a set field with a handful of values (``payment_method in [card, tcash]``):
    a value usually covers a large share of orders."""
    merge: Merge = Merge.NEVER
    """Which tests on one collection of a conjunction share one grouped pass (``GROUP BY member
    HAVING <one conditional aggregate per test>``), shaped like an aggregate."""
    element_join: ElementJoin = ElementJoin.NEVER
    """When grouped presence tests read a set field's elements through a join."""
    rows_drive: bool = False
    """Whether a segment driven by a selective group (``order(product = 42 and ...) and no
    order(product = 42 and ...)``) is written as that group's pass joined to customers before
    grouping (``SELECT c.member_id FROM orders o JOIN customers c ... GROUP BY c.member_id
    HAVING ...``) rather than as customers in the pass's key set."""
    extremes: bool = False
    """Whether a grouped pass writes "some row" / "no row" with a one-sided bound on a column
    its rows already compare (``no order(ordered_at within last 60d)`` in a pass over the
    window) as that column's extreme (``MAX(o.ordered_at) < :t``) rather than a conditional
    count (``COUNT(CASE WHEN o.ordered_at >= :t THEN 1 END) = 0``). Exact only where the
    column is never null in the pass and every group has a row, which the compiler checks."""
    exists_join: bool = False
    """Whether a presence test whose condition holds a selective set-field test (``order(product
    = 42 ...)``, ``no order(product = 43)``) reads those elements through a join (``FROM orders
    o JOIN order_items el ... WHERE el.product_no = :p1``) rather than a per-order element
    shape; the join repeats an order per matching line, which changes no existence."""
    distinct_last: bool = False
    """Where member references are enforced and a presence test's keys stand for the customers
    (``SELECT c.member_id FROM (SELECT DISTINCT o.member_id ...) AS c WHERE <the other tests>``),
    whether the keys are de-duplicated after the other tests (``SELECT DISTINCT c.member_id FROM
    (SELECT o.member_id ...) AS c WHERE ...``) rather than before."""
    grouped_keys: bool = False
    """Whether such keys, read from one table, are de-duplicated by ``GROUP BY`` rather than
    ``DISTINCT`` (``SELECT cc.member_id ... GROUP BY cc.member_id``), and are the query itself
    when there is no other test (no derived table around them). SQLite, CPU time at 100k
    customers: a day of expiries 0.82-0.87 of the ``DISTINCT`` on the demo, sparse, dense and
    heavy shops; a cart product with no order in 3 days 0.84-0.99. Not through a join: bought A
    in 30 days, never B (order lines joined to orders) was 1.14 on the recent shop."""
    keyed_exists: Literal[Shape.CORRELATED, Shape.SEMI_JOIN] | None = None
    """The shape of a presence test checked against the keys of a driving test (member references
    enforced: ``SELECT c.member_id FROM (<the driver's keys>) AS c WHERE <this test>``), where it
    differs from ``exists``; ``None``: ``exists``."""
    filter: Literal[Shape.CORRELATED] | None = None
    """For engines that do not choose the join order of subqueries themselves: the shape of
    every test of a conjunction but the one that drives it (a positive test, selective
    first), so that they are checked per candidate instead of computed for everyone.
    ``None``: every test keeps its construct's shape."""


Binding = Literal["sqlalchemy", "native", "literal"]


class KeySetTest(StrEnum):
    """How "the customer is in this set of member ids" is written (semi-join and grouped shapes).

    - ``in``: ``c.member_id IN (SELECT ...)``; its negation ``NOT IN``.
    - ``exists``: ``EXISTS (SELECT 1 FROM (SELECT ...) AS k WHERE k.member_id = c.member_id)``,
      which an optimizer turns into a semi-join, and its negation into an anti-join.
      PostgreSQL cannot do that for ``NOT IN`` and falls back to a subplan that, once the set
      outgrows ``work_mem``, is scanned once per customer.
    """

    IN = "in"
    EXISTS = "exists"


@dataclass(frozen=True, slots=True, kw_only=True)
class SqlDialect:
    """One target engine, described by data (see the module docstring for each field)."""

    name: str
    printer: type[Dialect] | str
    binding: Binding
    colon_placeholders: bool = False
    executed: bool
    """Whether the test suite runs this dialect's SQL on a real engine."""
    shapes: Shapes
    key_set_test: KeySetTest = KeySetTest.EXISTS
    exact_decimals: bool = True
    timestamp_params: Literal["text", "datetime"] = "datetime"
    zoned_times: Literal["aware", "epoch", "iso_text"] = "aware"
    integer_division: Literal["slash", "operator"] = "slash"
    wide_factor_type: str | None = None
    exact_string_type: str | None = None
    one_lower_bound: bool = False
    """Whether inclusive lower bounds on one column of a per-customer probe are written as one,
    ``x >= max(:a, :b)``: SQLite ranges an index on one of them only, and took the window's
    (the history start), reading a customer's whole history for ``within last 60d``."""
    is_not_null: bool = False
    """Whether "not null" is written ``x IS NOT NULL`` (SQLite ranges an index over it and skips
    the null keys; ``NOT x IS NULL`` is a filter on every row) rather than sqlglot's ``NOT x IS NULL``."""
    selective_probe: bool = False
    """Whether, when the driving test of a conjunction is selective (its candidates are few), the
    other selective presence tests are checked per candidate too (``no order(product = 43)``
    after ``order(product = 42 and ordered_at within last 30d)``), reading a set field's elements
    through a join and writing each selective column ``+x`` (SQLite's no-op that no index answers),
    so the probe goes through the member index whatever statistics the planner has; and whether
    a selective presence test's key set reads a set field's elements through a join
    (``SELECT DISTINCT o.member_id FROM orders o JOIN order_items el ...``) rather than an
    ``order_id IN (...)`` list. SQLite: cross-sell 2x-5x faster where B's lines are many
    (docs/SQL.md)."""
    probe_first: bool = False
    """Whether a conjunction driven by a pass over a collection's whole history, with a ``no
    order(ordered_at within last Nd)``, may instead probe every customer's window first (through
    the ``(member_id, ordered_at)`` index) and check the rest per remaining customer, where the
    store's statistics say most orders belong to customers that the probe excludes
    (:mod:`~cafehub.compiler.backends.sql.stats`; SQLite: three paid, none in 60 days, 1.3x-2.2x
    faster on the dense, recent and heavy shops, 3x slower on the sparse one)."""
    fenced_probe: bool = False
    """Whether an absence test on one of the store's own tables with no selective condition (``no
    order(ordered_at within last 3d)``), checked against the keys of a driving test on products
    whose rows the store's statistics count few against the probed table's (member references
    enforced; :meth:`~cafehub.compiler.backends.sql.stats.StoreStats.fence_probe`, gathered by
    :mod:`cafehub.execution.pg_stats`), is written with ``OFFSET 0`` in its subquery. PostgreSQL does
    not pull such a subquery up into an anti-join (``OFFSET 0`` is its documented optimization
    fence), so it stays a correlated subplan: one range of the ``(member_id, ordered_at)`` index
    per candidate, after the candidate's other conditions. Unfenced, its cost model (a random
    page read per probe, where every page is cached) preferred hashing the window's rows from a
    sequential scan of every order: cart of product 17, no order in 3 days, dense shop, 36 ms
    against 28 ms for the hand-written ``EXISTS`` from customers (docs/SQL.md). Where the driver's
    rows are many the hash wins (buyers of product 42 on the dense shop: 2.1x slower fenced), hence
    the statistics; without them nothing is fenced. Only the store's own tables, whose member
    column the store indexes: on a mapped table without that index a fenced probe would scan the
    table once per candidate."""
    literal_timestamp_type: str = "TIMESTAMP"
    """The type a timestamp literal is cast to when values are inlined (``binding="literal"``)."""
    engine_names: tuple[str, ...] = ()
    """SQLAlchemy dialect names (``engine.dialect.name``) that run this dialect."""


#: For engines that decorrelate everything and prefer joins over key sets (Spark and the
#: warehouses): semi-joins, grouped aggregates, and uncorrelated element tests, which Spark
#: plans without nested correlation.
_SET_BASED = Shapes(exists=Shape.SEMI_JOIN, aggregate=Shape.GROUPED, selective_element=Shape.SEMI_JOIN,
                    common_element=Shape.SEMI_JOIN)

# Shapes below were chosen with bench/sql_shapes.py (100,000 and 1,000,000 customers); the
# figures and the reasoning are in docs/SQL.md, "Plan shapes".
DIALECTS: dict[str, SqlDialect] = {
    d.name: d
    for d in (
        SqlDialect(
            name="sqlite",
            printer="sqlite",
            binding="sqlalchemy",
            executed=True,
            # SQLite runs subqueries as written: the driving test is a key set it iterates
            # (IN (SELECT ...), computed once), and the other unselective tests are probed per
            # candidate through the member index (filter). Selective tests are never correlated:
            # without ANALYZE statistics SQLite would pick the product_no index inside the
            # subquery and scan it once per customer (20 s instead of 0.1 s). Tests sharing a
            # selective condition share one pass (1.4x-1.8x at 1M); tests sharing only the window do
            # not: the driver's pass keeps only its own rows and the others are probed per candidate
            # (three paid, none in 60 days: 1.1x-1.7x faster on the demo, sparse and dense shops, see
            # docs/SQL.md); grouped aggregates beat correlated ones for sums (1.7x); payment methods
            # are not selective (a primary-key probe per order).
            shapes=Shapes(exists=Shape.SEMI_JOIN, aggregate=Shape.GROUPED, selective_element=Shape.SEMI_JOIN,
                          common_element=Shape.CORRELATED, merge=Merge.SELECTIVE, element_join=ElementJoin.SHARED,
                          filter=Shape.CORRELATED, grouped_keys=True),
            key_set_test=KeySetTest.IN,
            selective_probe=True,
            probe_first=True,
            one_lower_bound=True,
            is_not_null=True,
            exact_decimals=False,
            timestamp_params="text",
            zoned_times="iso_text",
            engine_names=("sqlite",),
        ),
        SqlDialect(
            name="duckdb",
            printer="duckdb",
            colon_placeholders=True,
            binding="sqlalchemy",
            executed=True,
            # DuckDB decorrelates every shape and orders joins itself; what counts is how many
            # times a table is scanned: grouped aggregates (up to 3x faster than correlated),
            # one pass for tests on one collection (1.1x-1.4x). Presence tests checked against a
            # driver's keys are key sets (keyed_exists) and different products are not read in one
            # hull: bought A in 30
            # days, never B, as the hull 615 ms on the heavy shop and 287 ms on the dense one, as
            # A's keys NOT IN B's 311 and 232 ms (the best hand-written 286 and 232 ms); within
            # noise on the other shops (docs/SQL.md).
            shapes=Shapes(exists=Shape.CORRELATED, aggregate=Shape.GROUPED, selective_element=Shape.CORRELATED,
                          common_element=Shape.CORRELATED, merge=Merge.SHARED, element_join=ElementJoin.SHARED,
                          extremes=True, keyed_exists=Shape.SEMI_JOIN),
            key_set_test=KeySetTest.IN,
            integer_division="operator",
            wide_factor_type="DECIMAL(38, 0)",
            engine_names=("duckdb",),
        ),
        SqlDialect(
            name="postgres",
            printer="postgres",
            colon_placeholders=True,
            binding="sqlalchemy",
            executed=True,
            # NOT EXISTS becomes an anti-join (NOT IN does not: 100x slower at 100k customers);
            # grouped aggregates avoid one subplan per customer (3x-5x at 1M); a product's
            # orders are found from the product_no index; tests on one collection share one
            # pass (1.6x at 1M); a selective pass joins customers before grouping (rows_drive)
            # rather than probing them once per key. A hull is slower here (1.2x), but a group
            # sharing one product joins its lines (element_join=shared) and writes "none since"
            # as MAX(ordered_at) < :t (extremes): PostgreSQL then estimates thousands of groups,
            # not 88, and aggregates in parallel (bought 90+ days ago, not since, dense shop:
            # 1.09 s to 0.81 s, as fast as the best hand-written query). A lone product test reads
            # its lines through a join too (exists_join), and a driver's keys are de-duplicated
            # after the other tests (distinct_last): bought A in 30 days, never B, recent shop,
            # 622 to 263 ms, a nested-loop anti-join per A buyer in parallel workers.
            shapes=Shapes(exists=Shape.CORRELATED, aggregate=Shape.GROUPED, selective_element=Shape.SEMI_JOIN,
                          common_element=Shape.CORRELATED, merge=Merge.SHARED, rows_drive=True,
                          element_join=ElementJoin.SHARED, extremes=True, exists_join=True,
                          distinct_last=True),
            fenced_probe=True,
            engine_names=("postgresql",),
        ),
        SqlDialect(
            name="mysql",
            printer="mysql",
            binding="sqlalchemy",
            executed=True,
            # Not benchmarked here. Correlated shapes keep each member-id equality an index
            # lookup that the byte-exact re-check then filters; an IN (SELECT ...) would match
            # keys by collation.
            shapes=Shapes(exists=Shape.CORRELATED, aggregate=Shape.CORRELATED, selective_element=Shape.CORRELATED,
                          common_element=Shape.CORRELATED),
            exact_string_type="BINARY",
            zoned_times="epoch",
            engine_names=("mysql", "mariadb"),
        ),
        SqlDialect(
            name="spark",
            printer="spark",
            binding="literal",
            executed=True,
            shapes=_SET_BASED,
            literal_timestamp_type="TIMESTAMP_NTZ",
            integer_division="operator",
        ),
        SqlDialect(name="bigquery", printer="bigquery", binding="native", executed=False, shapes=_SET_BASED,
                   integer_division="operator"),
        SqlDialect(name="snowflake", printer="snowflake", binding="native", executed=False, shapes=_SET_BASED),
        SqlDialect(name="trino", printer="trino", binding="native", executed=False, shapes=_SET_BASED),
    )
}


class UnknownDialectError(ValueError):
    """A dialect name the SQL backend does not know."""


def get_dialect(name: str | SqlDialect) -> SqlDialect:
    """A dialect by name (``sqlite``, ``postgres``...), with a clear error for an unknown one."""
    if isinstance(name, SqlDialect):
        return name
    dialect = DIALECTS.get(name.lower())
    if dialect is None:
        raise UnknownDialectError(f"unknown SQL dialect '{name}' (known: {', '.join(DIALECTS)})")
    return dialect


def dialect_for_engine(engine_name: str) -> SqlDialect:
    """The dialect for a SQLAlchemy engine's ``dialect.name``."""
    for dialect in DIALECTS.values():
        if engine_name in dialect.engine_names:
            return dialect
    runnable = ", ".join(n for d in DIALECTS.values() for n in d.engine_names)
    raise UnknownDialectError(f"cafehub cannot run segments on '{engine_name}' engines (supported: {runnable})")
