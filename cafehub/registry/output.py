"""Audience rows as text: CSV (with a header) or JSON Lines, one chunk of text per batch of rows.

Both the CLI (writing to standard output) and the HTTP API (a streamed
response) send these chunks as they come, so an audience of any size is
written in constant memory.

CSV: a header line (:data:`COLUMNS`), then one
record per member, ``\\n`` line ends. A field is quoted (``"..."``, inner
quotes doubled) when it is empty, contains ``,``, ``"``, CR or LF, or starts
or ends with a space or a tab; an unquoted empty field is a value the store
does not have, so ``""`` and unknown stay apart (as in ``cafehub store
dump``). Consents are ``true``, ``false`` or unknown (empty).

JSON Lines: one compact object per member (``{"member_id":"m1",...}``),
keys in column order, consents ``true``/``false``/``null``.

On DuckDB, :func:`cafehub.registry.audience.audience_text` has the database
write these very CSV and JSON Lines records (:func:`csv_field_sql`,
:func:`jsonl_line_sql`), which is what makes a million-member audience
stream at database speed; tests hold the two writers to the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

#: The fields of an audience row, in order.
COLUMNS = ("member_id", "name", "cellphone", "email", "sms_consent", "email_consent")
#: One audience row: (member_id, name, cellphone, email, sms_consent, email_consent).
Row = tuple[str, str | None, str | None, str | None, bool | None, bool | None]

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
MEDIA_TYPES: dict[Format, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}

#: When a CSV field needs quotes (besides being empty). The same class in Python's re and in RE2 (DuckDB).
NEEDS_QUOTES = r'^[ \t]|[ \t]$|[,"\r\n]'
_NEEDS_QUOTES = re.compile(NEEDS_QUOTES)
CSV_HEADER = ",".join(COLUMNS) + "\n"


def csv_field(value: str | bool | None) -> str:
    """One CSV field (see the module docstring)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value == "" or _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(row: Row) -> str:
    return ",".join(map(csv_field, row)) + "\n"


def csv_field_sql(column: Any) -> Any:
    """The SQL (DuckDB) expression writing ``column`` as :func:`csv_field` does."""
    from sqlalchemy import Boolean, case, func, literal

    if isinstance(column.type, Boolean):
        return case((column.is_(True), literal("true")), (column.is_(False), literal("false")), else_=literal(""))
    quoted = literal('"') + func.replace(column, literal('"'), literal('""')) + literal('"')
    return case(
        (column.is_(None), literal("")),
        ((column == literal("")) | func.regexp_matches(column, literal(NEEDS_QUOTES)), quoted),
        else_=column,
    )


#: A row whose CSV record needs nothing but its fields joined (:func:`csv_line_sql`) has none of these in the
#: ``\x01``-separated, ``\x01``-framed concatenation of its string fields (NULL written as ``x``): a field
#: starting or ending with a space or tab, an empty field, or a character to quote. A field holding ``\x01``
#: itself can only match more, and a match only sends the row to the field-by-field expression.
ROW_NEEDS_QUOTES = r'\x01[ \t]|[ \t]\x01|\x01\x01|[,"\r\n]'


def csv_line_sql(columns: list[Any]) -> Any:
    """The SQL (DuckDB) expression of one CSV record of ``columns``: the bytes of :func:`csv_line` without its
    line end.

    Almost no row needs a quote: one regular expression per row (:data:`ROW_NEEDS_QUOTES`) sends the rare
    row that does to the field-by-field expression (:func:`csv_field_sql`) and joins the others' fields as
    they are (NULL as nothing). Four regular expressions, comparisons and ``CASE`` per row were a third of
    a 1M-customer audience's time in DuckDB (0.3 s of CPU).
    """
    from sqlalchemy import Boolean, case, func, literal

    fields = [csv_field_sql(c) for c in columns]
    slow = fields[0]
    for field_ in fields[1:]:
        slow = slow + literal(",") + field_
    strings = [c for c in columns if not isinstance(c.type, Boolean)]
    framed: list[Any] = [literal("\x01")]
    for c in strings:
        framed += [func.coalesce(c, literal("x")), literal("\x01")]
    fast = func.concat_ws(literal(","), *(field_ if isinstance(c.type, Boolean) else func.coalesce(c, literal(""))
                                          for c, field_ in zip(columns, fields, strict=True)))
    return case((func.regexp_matches(func.concat(*framed), literal(ROW_NEEDS_QUOTES)), slow), else_=fast)


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

#: Python's escape of each character a JSON string cannot hold as is (``json.encoder.ESCAPE_DCT``).
_JSON_ESCAPES = [("\\", "\\\\"), ('"', '\\"'),
                 *((chr(i), json.dumps(chr(i))[1:-1]) for i in range(0x20))]


def _json_string_sql(column: Any) -> Any:
    """The SQL (DuckDB) expression writing string ``column`` as ``json.dumps(..., ensure_ascii=False)`` does
    (``null`` for NULL): every escape replaced one by one, backslashes first. 34 nested replaces: only for the
    rare lines whose ``json_object`` text holds ``\\u`` (:func:`jsonl_line_sql`)."""
    from sqlalchemy import func, literal

    escaped = column
    for raw, written in _JSON_ESCAPES:
        escaped = func.replace(escaped, func.chr(ord(raw)), literal(written))
    return func.coalesce(literal('"') + escaped + literal('"'), literal("null"))


def jsonl_line_sql(columns: list[Any]) -> Any:
    """The SQL (DuckDB) expression of one JSON Lines record of ``columns`` (keys :data:`COLUMNS`): the bytes of
    :func:`jsonl_line` without its line end.

    DuckDB's ``json_object`` writes what Python's encoder does (compact, keys in order, non-ASCII as is,
    ``\\n``, ``\\"``, ``\\u0000``...) except for the upper-case hex digits of nine control characters
    (those with a letter in their hex code, ``\\x0b``, ``\\x0e``, ``\\x0f``, ``\\x1a``-``\\x1f``: ``\\u001B`` where
    Python writes ``\\u001b``);
    a line holding one of those is built field by field by :func:`_json_string_sql` instead. Which lines:
    those whose ``json_object`` text holds ``\\u`` (any ``\\uXXXX`` escape, or a backslash before a ``u``,
    a few more than need it): a substring search in the written line, where a regular expression over
    the fields cost DuckDB as much as writing the line (0.3 s of CPU for 1M lines).
    """
    from sqlalchemy import Boolean, String, case, cast, func, literal

    pairs = [x for key, c in zip(COLUMNS, columns, strict=True) for x in (literal(key), c)]
    built: Any = None
    for key, c in zip(COLUMNS, columns, strict=True):
        value = (case((c.is_(True), literal("true")), (c.is_(False), literal("false")), else_=literal("null"))
                 if isinstance(c.type, Boolean) else _json_string_sql(c))
        part = literal(("{" if built is None else ",") + json.dumps(key) + ":") + value
        built = part if built is None else built + part
    written = cast(func.json_object(*pairs), String)
    return case((func.contains(written, literal("\\u")), built + literal("}")), else_=written)


def jsonl_line(row: Row) -> str:
    return _encode(dict(zip(COLUMNS, row, strict=True))) + "\n"


def csv_chunks(batches: Iterable[list[Row]]) -> Iterator[str]:
    """A header line, then one chunk of CSV records per batch."""
    yield CSV_HEADER
    for batch in batches:
        yield "".join(map(csv_line, batch))


def jsonl_chunks(batches: Iterable[list[Row]]) -> Iterator[str]:
    """One JSON object per row, one chunk of lines per batch."""
    for batch in batches:
        yield "".join(map(jsonl_line, batch))


def chunks(batches: Iterable[list[Row]], fmt: Format) -> Iterator[str]:
    """The rows of ``batches`` as text chunks in format ``fmt``."""
    return csv_chunks(batches) if fmt == "csv" else jsonl_chunks(batches)


__all__ = [
    "COLUMNS",
    "CSV_HEADER",
    "FORMATS",
    "MEDIA_TYPES",
    "Format",
    "Row",
    "chunks",
    "csv_chunks",
    "csv_field",
    "csv_field_sql",
    "csv_line",
    "csv_line_sql",
    "jsonl_chunks",
    "jsonl_line",
    "jsonl_line_sql",
]
