"""Audience rows as text: CSV (with a header) or JSON Lines, one chunk of text per batch of rows.

Both the CLI (writing to standard output) and the HTTP API (a streamed
response) send these chunks as they come, so an audience of any size is
written in constant memory. Consents are ``true``/``false``, and unknown
(``null`` in JSON, an empty cell in CSV); names and contacts that the store
does not have are ``null`` / empty likewise.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Literal

from cafehub.registry.audience import COLUMNS, Row

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
MEDIA_TYPES: dict[Format, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}

_BOOL = {True: "true", False: "false", None: ""}


def csv_chunks(batches: Iterable[list[Row]]) -> Iterator[str]:
    """A header line, then one chunk of CSV records (RFC 4180, ``\\n`` line ends) per batch."""
    yield ",".join(COLUMNS) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for batch in batches:
        writer.writerows([(m, n, p, e, _BOOL[s], _BOOL[c]) for m, n, p, e, s, c in batch])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def jsonl_chunks(batches: Iterable[list[Row]]) -> Iterator[str]:
    """One JSON object per row (keys :data:`COLUMNS`), one chunk of lines per batch."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for batch in batches:
        yield "".join(dumps(dict(zip(COLUMNS, row, strict=True))) + "\n" for row in batch)


def chunks(batches: Iterable[list[Row]], fmt: Format) -> Iterator[str]:
    """The rows of ``batches`` as text chunks in format ``fmt``."""
    return csv_chunks(batches) if fmt == "csv" else jsonl_chunks(batches)


__all__ = ["FORMATS", "MEDIA_TYPES", "Format", "chunks", "csv_chunks", "jsonl_chunks"]
