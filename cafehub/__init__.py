"""cafehub: customer segments and chat commands for Cafe24 shops.

The segment front end::

    >>> import cafehub
    >>> checked = cafehub.check("order(status = paid).count >= 3")
    >>> cafehub.format("ORDER( status=Paid ).count>=3")
    'order(status = paid).count >= 3'

Every function raises :class:`SegmentError` (and nothing else) for a bad segment.
"""

from cafehub.api import check, check_json, format, from_json, json_schema, parse, to_json
from cafehub.compiler.check import CheckedSegment, CheckOptions
from cafehub.diagnostics import Diagnostic, SegmentError, Severity, Span
from cafehub.grammar.limits import Limits

__all__ = [
    "CheckOptions",
    "CheckedSegment",
    "Diagnostic",
    "Limits",
    "SegmentError",
    "Severity",
    "Span",
    "check",
    "check_json",
    "format",
    "from_json",
    "json_schema",
    "parse",
    "to_json",
]
__version__ = "0.1.0"
