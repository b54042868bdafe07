"""Compiling a segment to SQL, and the result: text, parameters, and a ready statement.

A :class:`CompiledSQL` is independent of when and where it runs. Its
parameter values are computed from an
:class:`~cafehub.compiler.evaluation.EvalContext` each time
(:meth:`CompiledSQL.parameters`), so a query compiled once serves every send.

::

    >>> from datetime import datetime, UTC
    >>> from cafehub.compiler.evaluation import EvalContext
    >>> compiled = compile_sql("order(status = paid).count >= 3", dialect="postgres")
    >>> compiled.parameters(EvalContext(now=datetime(2025, 3, 1, tzinfo=UTC)))["p2"]
    3
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, String, TextClause, bindparam, text
from sqlalchemy.types import TypeEngine, UserDefinedType
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from cafehub.compiler.backends.sql.compiler import SqlCompiler
from cafehub.compiler.backends.sql.dialects import SqlDialect, get_dialect
from cafehub.compiler.backends.sql.mapping import DEFAULT_MAPPING, SchemaMapping
from cafehub.compiler.backends.sql.params import ParamSpec, ParamValue, param_name
from cafehub.compiler.backends.sql.stats import StoreStats
from cafehub.compiler.catalog import FieldDef, FieldType
from cafehub.compiler.check import DEFAULT_OPTIONS, CheckedSegment, check_tree
from cafehub.compiler.evaluation import EvalContext, timestamp_text
from cafehub.compiler.simplify import simplify_negations
from cafehub.grammar.parser import decode, parse


@dataclass(frozen=True, slots=True)
class TableUse:
    """A logical table the query reads, where it is, and which of its columns."""

    logical: str
    physical: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    """(logical, physical) column names."""


@dataclass(frozen=True, slots=True)
class ParamInfo:
    """A parameter for display: its name, how it is computed, and its value in a context."""

    name: str
    computed_as: str
    value: ParamValue | None


@dataclass(frozen=True, slots=True)
class CompiledSQL:
    """A segment compiled for one dialect: SQL text with named placeholders, and its parameters.

    The query selects one column, ``member_id``, of the matching customers,
    in no particular order (sort the ids with :func:`sorted`).
    """

    dialect: str
    sql: str
    params: tuple[ParamSpec, ...]
    tables: tuple[TableUse, ...]
    tree: exp.Select = field(compare=False, repr=False)
    target: SqlDialect = field(compare=False, repr=False)
    """The dialect's full description (shapes included), which may be a variant of a named one."""
    mapping: SchemaMapping = field(default=DEFAULT_MAPPING, compare=False, repr=False)
    """The mapping it was compiled for (names, and what each timestamp column holds)."""

    def parameters(self, ctx: EvalContext) -> dict[str, ParamValue]:
        """Parameter values for ``ctx``: time bounds resolved, typed for the dialect."""
        target = self.target
        return {spec.name: spec.value(ctx, target) for spec in self.params}

    def describe_parameters(self, ctx: EvalContext | None = None) -> list[ParamInfo]:
        """Each parameter with how it is computed, and its value when ``ctx`` is given."""
        values = self.parameters(ctx) if ctx is not None else {}
        return [ParamInfo(s.name, s.describe(), values.get(s.name)) for s in self.params]

    def statement(self, ctx: EvalContext) -> TextClause:
        """A SQLAlchemy statement with typed bind parameters, for a user's own engine or session.

        Only for the dialects SQLAlchemy runs here (sqlite, duckdb, postgres, mysql).
        """
        if self.target.binding != "sqlalchemy":
            raise ValueError(f"{self.dialect} SQL is not run through SQLAlchemy; use .sql and .parameters()")
        binds = [bindparam(name, value, type_=_bind_type(value)) for name, value in self.parameters(ctx).items()]
        return text(self.sql).bindparams(*binds)

    def inline(self, ctx: EvalContext, *, pretty: bool = True, keep: Callable[[ParamValue], bool] | None = None) -> str:
        """The SQL with parameters replaced by literals quoted by sqlglot (except those ``keep`` says to keep).

        For engines that are given SQL text rather than typed parameters (Spark here, for
        timestamps and numbers).
        """
        target = self.target
        values = self.parameters(ctx)

        def replace(node: exp.Expr) -> exp.Expr:
            name = param_name(node)
            if name is not None and not (keep is not None and keep(values[name])):
                return _literal(values[name], target)
            return node

        return render(self.tree.transform(replace), target, pretty=pretty)


class ExactDecimal(UserDefinedType[Decimal]):
    """A ``Decimal`` parameter handed to the driver as it is.

    SQLAlchemy's ``Numeric`` may convert bound values to ``float`` (duckdb-engine does),
    which would make ``price = 999999999999.990001`` true for 999999999999.99.
    """

    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "NUMERIC"

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def _bind_type(value: ParamValue) -> TypeEngine[object]:
    if isinstance(value, str):
        return String()  # type: ignore[return-value]
    if isinstance(value, datetime):
        return DateTime(timezone=value.tzinfo is not None)  # type: ignore[return-value]
    if isinstance(value, Decimal):
        return ExactDecimal()  # type: ignore[return-value]
    return BigInteger()  # type: ignore[return-value]


def _literal(value: ParamValue, target: SqlDialect) -> exp.Expr:
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # an instant: its offset written out, read as such whatever the session zone
            stamp = exp.Literal.string(timestamp_text(value) + "+00:00")
            return exp.Cast(this=stamp, to=exp.DataType.build("TIMESTAMP", dialect=target.printer))
        stamp = exp.Literal.string(timestamp_text(value))
        return exp.Cast(this=stamp, to=exp.DataType.build(target.literal_timestamp_type, dialect=target.printer))
    if isinstance(value, Decimal):
        return exp.Literal.number(format(value, "f"))
    return exp.Literal.number(value)


def render(tree: exp.Expr, target: SqlDialect, *, pretty: bool = True) -> str:
    """Print a tree for a dialect; anything the dialect cannot express is an error, not a guess.

    The tree is printed as it is, not copied first (a copy was a third of the compile
    time): the printers' rewrites (``QUALIFY``, ``DISTINCT ON``, semi-join syntax) touch
    nothing the compiler generates, and ``tests/sql/test_golden.py`` checks that printing
    leaves every tree unchanged.
    """
    return tree.sql(
        dialect=target.printer, identify=True, pretty=pretty, unsupported_level=ErrorLevel.RAISE, copy=False
    )


def checked_segment(segment: str | bytes | CheckedSegment) -> CheckedSegment:
    """``segment`` checked (as :func:`compile_sql` checks it), or as it is when already checked."""
    if isinstance(segment, CheckedSegment):
        return segment
    source = decode(segment)
    return check_tree(parse(source, limits=DEFAULT_OPTIONS.limits), source, DEFAULT_OPTIONS)


class CompileCache:
    """The last compilations, keyed by checked IR, dialect and mapping: a repeated compile costs a lookup.

    The key is the whole IR (:func:`ir_key`), literal values included, so a hit returns exactly
    what compiling again would (the parameters carry the values, and the SQL
    text never holds one). A key that left the values out, one "shape" for
    ``order().count >= 1`` and ``>= 5``, would be wrong: the compiler's plan
    depends on some values (a count compared with zero, the width of a time
    range, a decimal's scale, repeated values in a list, equal time bounds
    sharing one parameter), and the printed SQL with it. Equal IR comes from
    texts that differ only in spacing, comments, case or the order the
    checker normalises, and from a saved segment used by name.

    Printing a 10-atom segment costs about 1 ms with pure-Python sqlglot; a
    hit costs hashing and comparing the IR (microseconds). Bounded (least
    recently used entries go first) and safe to share between threads.
    """

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, CompiledSQL] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> CompiledSQL | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, compiled: CompiledSQL) -> None:
        with self._lock:
            self._entries[key] = compiled
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


#: The process's compile cache (``compile_sql(..., cache=False)`` bypasses it).
COMPILE_CACHE = CompileCache()


def ir_key(node: Any) -> Hashable:
    """The IR as a key that tells apart what ``==`` does not but the SQL or its parameters would.

    Dataclass equality calls ``1 == Decimal("1.0") == Decimal("1.00")`` and
    ``09:00+09:00 == 00:00Z`` equal, yet the compiler scales decimals by
    their places and each parameter's description shows the instant as
    written; so every leaf is keyed with its type, decimals and date-times
    by their exact text too.
    """
    kind = type(node)
    if kind is tuple:
        return tuple(ir_key(item) for item in node)
    names = _KEY_FIELDS.get(kind)
    if names is None:
        names = _KEY_FIELDS[kind] = (
            tuple(f.name for f in fields(kind)) if is_dataclass(kind) and kind not in _LEAF_TYPES else ()
        )
    if names:
        return (kind, *(ir_key(getattr(node, name)) for name in names))
    if isinstance(node, (Decimal, date)):  # datetime is a date
        return (kind, str(node), repr(node))
    return (kind, node)


#: Catalog types are keyed by equality (they hold names and types, no values), not walked.
_LEAF_TYPES: frozenset[type] = frozenset({FieldDef, FieldType})
_KEY_FIELDS: dict[type, tuple[str, ...]] = {}


def _mapping_key(mapping: SchemaMapping) -> Hashable:
    # A mapping is a frozen pydantic model holding dicts (unhashable): its JSON is its identity.
    return "default" if mapping is DEFAULT_MAPPING else mapping.model_dump_json()


def compile_sql(
    segment: str | bytes | CheckedSegment,
    *,
    dialect: str | SqlDialect = "sqlite",
    mapping: SchemaMapping | None = None,
    cache: bool = True,
    stats: StoreStats | None = None,
) -> CompiledSQL:
    """Compile a segment (text, or already checked) to SQL for ``dialect``.

    Raises :class:`~cafehub.diagnostics.SegmentError` for a segment that does
    not check, so a bad segment never reaches a database. A segment compiled
    before for the same dialect, mapping and statistics is taken from :data:`COMPILE_CACHE`
    (``cache=False``: compiled anew); the result is immutable except its
    sqlglot ``tree``, which callers must copy before changing. ``stats``: what is known of the
    store's data (:mod:`~cafehub.compiler.backends.sql.stats`), from which a dialect may choose
    between shapes that return the same rows; the same statistics always give the same SQL.

    >>> print(compile_sql("no order()", dialect="sqlite").sql.splitlines()[0])
    SELECT
    """
    checked = checked_segment(segment)
    target = get_dialect(dialect)
    used_mapping = mapping if mapping is not None else DEFAULT_MAPPING
    if not cache:
        return _compile(checked, target, used_mapping, stats)
    key = (ir_key(checked.ir), target, _mapping_key(used_mapping), stats)
    compiled = COMPILE_CACHE.get(key)
    if compiled is None:
        compiled = _compile(checked, target, used_mapping, stats)
        COMPILE_CACHE.put(key, compiled)
    return compiled


def _compile(
    checked: CheckedSegment, target: SqlDialect, used_mapping: SchemaMapping, stats: StoreStats | None = None
) -> CompiledSQL:
    compiler = SqlCompiler(target, used_mapping, stats)
    tree = compiler.query(simplify_negations(checked.ir))
    tables = tuple(
        TableUse(
            logical=name,
            physical=used_mapping.table(name),
            columns=tuple((c, used_mapping.column(name, c)) for c in sorted(columns)),
        )
        for name, columns in sorted(compiler.rel.used.items())
    )
    return CompiledSQL(
        dialect=target.name,
        sql=render(tree, target),
        params=compiler.params.specs(),
        tables=tables,
        tree=tree,
        target=target,
        mapping=used_mapping,
    )
