"""The canonical formatter: syntax tree to text, stable and round-tripping.

Canonical text: keywords, collections, aggregates and enum values in lower
case; one space around operators; parentheses only where precedence needs
them; numbers without ``_``; strings with the escapes of
:func:`~cafehub.grammar.literals.quote_string`. A segment that fits in
``width`` columns is one line. A longer one breaks before each ``and``/``or``
of the outermost chain that does not fit (continuation lines indented two
spaces), and a collection whose condition does not fit opens onto its own
indented lines::

    order(status = paid).count >= 3
      and no order(
        payment_method in [card, tcash]
        and ordered_at between 2025-01-01 and 2025-01-31
      )

Layout uses a small Wadler-style document printer: a group is printed flat if
it fits in the remaining width, otherwise its line breaks are taken.

Laws (tested): ``parse(format(t)) == t``; ``format(parse(format(t))) == format(t)``.
Comments are not part of the tree; :func:`format_text` keeps a leading
comment block, and drops comments inside the segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cafehub.grammar import syntax as s
from cafehub.grammar.literals import format_datetime, quote_string

DEFAULT_WIDTH = 88
#: The narrowest line width accepted (the CLI's ``--width``, the API's ``width``): below it
#: nearly every condition breaks onto lines of its own, and 0 or less means nothing.
MIN_WIDTH = 20


# ---------------------------------------------------------------- documents


@dataclass(frozen=True, slots=True)
class _Line:
    """A space when its group is flat, a newline plus indentation when broken."""

    flat: str = " "


@dataclass(frozen=True, slots=True)
class _Nest:
    indent: int
    doc: Doc


@dataclass(frozen=True, slots=True)
class _Group:
    doc: Doc


Doc = str | _Line | _Nest | _Group | tuple["Doc", ...]

LINE = _Line(" ")
SOFTLINE = _Line("")


def _fits(width: int, items: list[tuple[int, bool, Doc]]) -> bool:
    """Whether the docs, printed flat, reach a forced break or the end within ``width``."""
    stack = list(items)
    while width >= 0 and stack:
        indent, flat, doc = stack.pop()
        if isinstance(doc, str):
            width -= len(doc)
        elif isinstance(doc, _Line):
            if not flat:
                return True
            width -= len(doc.flat)
        elif isinstance(doc, _Nest):
            stack.append((indent + doc.indent, flat, doc.doc))
        elif isinstance(doc, _Group):
            stack.append((indent, flat, doc.doc))
        else:
            stack.extend((indent, flat, d) for d in reversed(doc))
    return width >= 0


def render(doc: Doc, width: int = DEFAULT_WIDTH) -> str:
    """Lay out a document in ``width`` columns."""
    out: list[str] = []
    column = 0
    stack: list[tuple[int, bool, Doc]] = [(0, False, doc)]
    while stack:
        indent, flat, d = stack.pop()
        if isinstance(d, str):
            out.append(d)
            column += len(d)
        elif isinstance(d, _Line):
            if flat:
                out.append(d.flat)
                column += len(d.flat)
            else:
                out.append("\n" + " " * indent)
                column = indent
        elif isinstance(d, _Nest):
            stack.append((indent + d.indent, flat, d.doc))
        elif isinstance(d, _Group):
            fits = flat or _fits(width - column, [(indent, True, d.doc)])
            stack.append((indent, fits, d.doc))
        else:
            stack.extend((indent, flat, item) for item in reversed(d))
    return "".join(out)


# ---------------------------------------------------------------- tree to document


def value_text(value: s.Value) -> str:
    """Canonical text of one value."""
    if isinstance(value, s.IntLit):
        return str(value.value)
    if isinstance(value, s.DecimalLit):
        return _decimal_text(value.value)
    if isinstance(value, s.StringLit):
        return quote_string(value.value)
    if isinstance(value, s.EnumLit):
        return value.name
    if isinstance(value, s.DateLit):
        return value.value.isoformat()
    if isinstance(value, s.DateTimeLit):
        return format_datetime(value.value, value.offset_minutes)
    if isinstance(value, s.Now):
        return "now"
    if isinstance(value, s.Today):
        return "today"
    if isinstance(value, s.Yesterday):
        return "yesterday"
    if isinstance(value, s.Ago):
        return f"{duration_text(value.duration)} ago"
    return f"{duration_text(value.duration)} from now"


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text if "." in text else text + ".0"


def duration_text(duration: s.Duration) -> str:
    return f"{duration.amount}{duration.unit}"


def _subject(subject: s.Subject) -> Doc:
    if isinstance(subject, s.FieldRef):
        return subject.name
    agg = f".{subject.aggregate.name}" + (f"({subject.field.name})" if subject.field is not None else "")
    return (_collection(subject.collection.name, subject.condition), agg)


def _collection(name: str, condition: s.Node | None) -> Doc:
    if condition is None:
        return f"{name}()"
    return _Group((f"{name}(", _Nest(2, (SOFTLINE, _node(condition, top=False))), SOFTLINE, ")"))


def _predicate(node: s.Predicate) -> Doc:
    subject = _subject(node.subject)
    if isinstance(node, s.Compare):
        return (subject, f" {node.op.value} {value_text(node.value)}")
    if isinstance(node, s.InList):
        keyword = " not in [" if node.negated else " in ["
        items: list[Doc] = []
        for i, v in enumerate(node.values):
            if i:
                items.extend((",", LINE))
            items.append(value_text(v))
        return (subject, _Group((keyword, _Nest(2, (SOFTLINE, tuple(items))), SOFTLINE, "]")))
    if isinstance(node, s.Within):
        return (subject, f" within {node.direction} {duration_text(node.duration)}")
    if isinstance(node, s.Between):
        return (subject, f" between {value_text(node.low)} and {value_text(node.high)}")
    keyword = " not contains " if node.negated else " contains "
    return (subject, keyword + quote_string(node.needle.value))


_PRECEDENCE = {s.Or: 1, s.And: 2, s.Not: 3}


def _operand(node: s.Node, parent: int) -> Doc:
    doc = _node(node, top=False)
    if _PRECEDENCE.get(type(node), 4) <= parent and not isinstance(node, s.Not):
        return _Group(("(", _Nest(2, (SOFTLINE, doc)), SOFTLINE, ")"))
    return doc


def _node(node: s.Node, top: bool) -> Doc:
    if isinstance(node, (s.And, s.Or)):
        word = "and " if isinstance(node, s.And) else "or "
        level = _PRECEDENCE[type(node)]
        first, *rest = node.items
        tail: list[Doc] = []
        for item in rest:
            tail.extend((LINE, word, _operand(item, level)))
        body: Doc = (_operand(first, level), _Nest(2, tuple(tail)) if top else tuple(tail))
        return _Group(body)
    if isinstance(node, s.Not):
        return ("not ", _operand(node.operand, 2))
    if isinstance(node, s.Exists):
        return ("no " if node.negated else "", _collection(node.collection.name, node.condition))
    if isinstance(node, s.SegmentRef):
        return segment_ref_text(node)
    return _predicate(node)


def segment_ref_text(node: s.SegmentRef) -> str:
    """``segment("name")`` or ``segment("name", version = N)``."""
    version = f", version = {node.version.value}" if node.version is not None else ""
    return f"segment({quote_string(node.name.value)}{version})"


def format_segment(tree: s.Segment, width: int = DEFAULT_WIDTH) -> str:
    """The canonical text of a syntax tree; ``ValueError`` for a width below :data:`MIN_WIDTH`."""
    if width < MIN_WIDTH:
        raise ValueError(f"the line width must be at least {MIN_WIDTH} columns, not {width}")
    return render(_node(tree, top=True), width)


def leading_comments(text: str) -> str:
    """The comment block (and blank lines) before the first token of ``text``."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        kept.append(line.rstrip())
    while kept and not kept[-1]:
        kept.pop()
    while kept and not kept[0]:
        kept.pop(0)
    return "\n".join(kept)
