"""The public Python API of the segment front end: parse, check, format, JSON.

Every function accepts segment text (``str`` or UTF-8 ``bytes``) or a syntax
tree, and raises :class:`~cafehub.diagnostics.SegmentError` (never anything
else) for a bad segment.
"""

from __future__ import annotations

from typing import Any

from cafehub.compiler.check import DEFAULT_OPTIONS, CheckedSegment, CheckOptions, check_tree
from cafehub.compiler.references import SegmentResolver
from cafehub.grammar import syntax as s
from cafehub.grammar.format import DEFAULT_WIDTH, format_segment, leading_comments
from cafehub.grammar.limits import DEFAULT_LIMITS, Limits
from cafehub.grammar.parser import decode
from cafehub.grammar.parser import parse as _parse

SegmentInput = str | bytes | s.Node


def parse(text: str | bytes, *, limits: Limits = DEFAULT_LIMITS) -> s.Segment:
    """Parse segment text into a syntax tree (spans included, no name checks)."""
    return _parse(text, limits=limits)


def _source_and_tree(segment: SegmentInput, limits: Limits) -> tuple[str, s.Segment]:
    if isinstance(segment, (str, bytes)):
        source = decode(segment)
        return source, _parse(source, limits=limits)
    # A tree built in code or read from JSON has no spans: print it canonically and
    # parse that, so diagnostics can point at a line and column of real text.
    source = format_segment(segment)
    return source, _parse(source, limits=limits)


def check(
    segment: SegmentInput, *, options: CheckOptions = DEFAULT_OPTIONS, resolver: SegmentResolver | None = None
) -> CheckedSegment:
    """Parse (if given text) and check a segment; return its IR and warnings.

    ``resolver`` finds the saved segments the text uses by name
    (``segment("vip")``): a :class:`~cafehub.registry.SegmentRegistry`'s
    ``resolver()``, or a :class:`~cafehub.compiler.references.MappingResolver`.
    Raises :class:`SegmentError` listing every error found. Warnings do not
    raise; they are in ``CheckedSegment.warnings``.
    """
    source, tree = _source_and_tree(segment, options.limits)
    return check_tree(tree, source, options, resolver=resolver)


def format(segment: SegmentInput, *, width: int = DEFAULT_WIDTH, limits: Limits = DEFAULT_LIMITS) -> str:
    """The canonical text of a segment. Text input keeps its leading comment block."""
    if isinstance(segment, (str, bytes)):
        source = decode(segment)
        body = format_segment(_parse(source, limits=limits), width)
        header = leading_comments(source)
        return f"{header}\n{body}" if header else body
    return format_segment(segment, width)


def to_json(segment: SegmentInput, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The JSON AST document of a segment."""
    from cafehub.grammar import json_ast  # pydantic: imported by the JSON functions only

    tree = _parse(decode(segment), limits=limits) if isinstance(segment, (str, bytes)) else segment
    return json_ast.to_json(tree)


def from_json(document: str | bytes | dict[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> s.Segment:
    """Read a JSON AST document into a syntax tree (structure is validated, names are not)."""
    from cafehub.grammar import json_ast

    return json_ast.from_json(document, limits=limits)


def check_json(
    document: str | bytes | dict[str, Any],
    *,
    options: CheckOptions = DEFAULT_OPTIONS,
    resolver: SegmentResolver | None = None,
) -> CheckedSegment:
    """Read and check a JSON AST document; diagnostics point into its canonical text."""
    from cafehub.grammar import json_ast

    return check(json_ast.from_json(document, limits=options.limits), options=options, resolver=resolver)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of JSON AST documents."""
    from cafehub.grammar import json_ast

    return json_ast.json_schema()
