"""cafehub: customer segments and chat commands for Cafe24 shops.

The segment front end::

    >>> import cafehub
    >>> checked = cafehub.check("order(status = paid).count >= 3")
    >>> cafehub.format("ORDER( status=Paid ).count>=3")
    'order(status = paid).count >= 3'

Backends (imported on first use, since they pull in sqlglot and SQLAlchemy):
``compile_sql`` / ``CompiledSQL`` / ``SchemaMapping`` and ``run_sql`` for SQL,
``compile_predicate`` and ``run_predicate`` for in-memory predicates,
``explain`` for why a customer is or is not in a segment; ``EvalContext``
says when and where a segment is evaluated.

Every function raises :class:`SegmentError` (and nothing else) for a bad segment.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from cafehub.api import check, check_json, format, from_json, json_schema, parse, to_json
from cafehub.compiler.check import CheckedSegment, CheckOptions
from cafehub.compiler.evaluation import EvalContext
from cafehub.diagnostics import Diagnostic, SegmentError, Severity, Span
from cafehub.grammar.limits import Limits

if TYPE_CHECKING:
    from cafehub.compiler.backends.python import Predicate, compile_predicate
    from cafehub.compiler.backends.sql import CompiledSQL, SchemaMapping, compile_sql
    from cafehub.execution.explain import explain
    from cafehub.execution.python import run_predicate
    from cafehub.execution.sql import run_sql

_LAZY = {
    "compile_sql": "cafehub.compiler.backends.sql",
    "CompiledSQL": "cafehub.compiler.backends.sql",
    "SchemaMapping": "cafehub.compiler.backends.sql",
    "run_sql": "cafehub.execution.sql",
    "compile_predicate": "cafehub.compiler.backends.python",
    "Predicate": "cafehub.compiler.backends.python",
    "run_predicate": "cafehub.execution.python",
    "explain": "cafehub.execution.explain",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cafehub' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CheckOptions",
    "CheckedSegment",
    "CompiledSQL",
    "Diagnostic",
    "EvalContext",
    "Limits",
    "Predicate",
    "SchemaMapping",
    "SegmentError",
    "Severity",
    "Span",
    "check",
    "check_json",
    "compile_predicate",
    "compile_sql",
    "explain",
    "format",
    "from_json",
    "json_schema",
    "parse",
    "run_predicate",
    "run_sql",
    "to_json",
]
__version__ = "0.1.0"
