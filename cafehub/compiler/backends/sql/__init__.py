"""The SQL backend: a checked segment compiled to one query returning member ids.

::

    >>> from cafehub.compiler.backends.sql import compile_sql
    >>> compiled = compile_sql("cart(product = 17) and no order(ordered_at within last 3d)",
    ...                        dialect="postgres")
    >>> sorted(p.name for p in compiled.params)
    ['cart_start', 'history_start', 'now', 'p1', 't1']

The query is a sqlglot expression tree printed per dialect (see
:mod:`cafehub.compiler.backends.sql.dialects`); every user value and every
instant is a named parameter whose value is computed from an
:class:`~cafehub.compiler.evaluation.EvalContext` when the query runs.
Tables and columns can be mapped onto a user's own schema with a
:class:`SchemaMapping`. See docs/SQL.md.
"""

from cafehub.compiler.backends.sql.compiled import CompiledSQL, ParamInfo, TableUse, compile_sql
from cafehub.compiler.backends.sql.compiler import InternalCompileError
from cafehub.compiler.backends.sql.dialects import (
    DIALECTS,
    ElementJoin,
    Merge,
    Shape,
    Shapes,
    SqlDialect,
    UnknownDialectError,
    dialect_for_engine,
    get_dialect,
)
from cafehub.compiler.backends.sql.mapping import DEFAULT_MAPPING, MappingError, SchemaMapping, TableMapping
from cafehub.compiler.backends.sql.params import ParamSpec

__all__ = [
    "DEFAULT_MAPPING",
    "DIALECTS",
    "CompiledSQL",
    "ElementJoin",
    "InternalCompileError",
    "MappingError",
    "Merge",
    "ParamInfo",
    "ParamSpec",
    "SchemaMapping",
    "Shape",
    "Shapes",
    "SqlDialect",
    "TableMapping",
    "TableUse",
    "UnknownDialectError",
    "compile_sql",
    "dialect_for_engine",
    "get_dialect",
]
