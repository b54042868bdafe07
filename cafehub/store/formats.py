"""Table files: JSON Lines and CSV, read into checked values and written back exactly.

One file holds one table (``orders.jsonl`` or ``orders.csv``). This module
knows the *format*: how a line becomes a mapping of column name to raw value,
how a raw value becomes a typed, checked value (:class:`ColumnSpec.parse`),
and how a record is written back so that reading it again gives the same
record. What the rows mean together (keys, references, transactions) is
:mod:`cafehub.store.load`'s job.

Column rules come from the schema (:mod:`cafehub.store.schema`) and the
language's enums (:data:`cafehub.compiler.catalog.ENUMS`), so a file is held
to exactly what the tables can store on every engine: text no longer than
its column and free of NUL, 32-bit integers (64-bit for Cafe24 numbers), money within NUMERIC(14, 2) with
at most two decimal places, ISO 8601 timestamps between the years 1000 and
9999 (MySQL's range), stored as UTC. A timestamp needs an offset (``Z``,
``+09:00``): one without is refused, unless the load is given the shop's zone,
in which it is then read as wall-clock time (as ``--now`` is). Reading it as
UTC, as before, put a Seoul shop's orders nine hours late without a word.

CSV follows RFC 4180 with one addition that the ``csv`` module cannot read in
Python 3.11: an *unquoted* empty cell is NULL and a quoted one (``""``) is the
empty string, as in PostgreSQL's ``COPY ... CSV``. That keeps NULL and ``""``
apart, so CSV round-trips as exactly as JSON Lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, Numeric, String, Table

from cafehub.compiler.catalog import ENUMS
from cafehub.store import records as r
from cafehub.store.schema import STORE_TABLES

Format = Literal["jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv")
Kind = Literal["text", "int", "money", "timestamp", "bool"]

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MONEY_LIMIT = Decimal(10) ** 12  # NUMERIC(14, 2): twelve digits before the point
CENT = Decimal("0.01")
MIN_YEAR, MAX_YEAR = 1000, 9999

#: Columns holding enum values, by (table, column).
ENUM_COLUMNS = {
    ("coupons", "issue_type"): "issue_type",
    ("orders", "status"): "status",
    ("order_payments", "payment_method"): "payment_method",
}
#: Identifier columns: an empty id names nothing.
ID_COLUMNS = frozenset({"member_id", "coupon_no", "order_id", "order_item_code"})
#: Integer columns that must be at least 1.
POSITIVE_COLUMNS = frozenset({"quantity"})

_BAD_CHARS = re.compile(r"[\x00\ud800-\udfff]")
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class ValueProblem(ValueError):
    """A raw value that does not fit its column; the message says why."""


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _closest(value: str, choices: tuple[str, ...]) -> str | None:
    import difflib

    lowered = value.lower()
    if lowered in choices:
        return lowered
    found = difflib.get_close_matches(lowered, choices, n=1, cutoff=0.6)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """What one column accepts, derived from the schema."""

    name: str
    kind: Kind
    nullable: bool
    length: int | None = None
    enum: tuple[str, ...] | None = None
    enum_name: str | None = None
    #: An integer column holding Cafe24 numbers (64-bit).
    wide: bool = False

    def parse(self, raw: object, *, from_csv: bool, zone: ZoneInfo | None = None) -> Any:
        """The checked value of ``raw`` (a JSON value, or CSV text / ``None`` for an unquoted empty cell).

        ``zone``: where a timestamp without an offset is wall-clock time; without it such a timestamp
        is refused.
        """
        if raw is None:
            if self.nullable:
                return None
            if from_csv and self.kind == "text":
                raw = ""  # an empty cell in a required text column can only be the empty string
            else:
                raise ValueProblem("required, but the cell is empty" if from_csv else "required, but null was given")
        if self.kind == "text":
            return self._text(raw)
        if self.kind == "int":
            return self._int(raw, from_csv)
        if self.kind == "money":
            return self._money(raw, from_csv)
        if self.kind == "bool":
            return self._bool(raw, from_csv)
        return self._timestamp(raw, zone)

    def _bool(self, raw: object, from_csv: bool) -> bool:
        if from_csv:
            assert isinstance(raw, str)
            if raw not in ("true", "false"):
                raise ValueProblem(f"expected true or false, got '{_clip(raw)}'")
            return raw == "true"
        if not isinstance(raw, bool):
            raise ValueProblem(f"expected true or false, got {_json_type(raw)}")
        return raw

    def _text(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise ValueProblem(f"expected a string, got {_json_type(raw)}")
        if self.enum is not None:
            if raw not in self.enum:
                close = _closest(raw, self.enum)
                hint = f"; did you mean '{close}'?" if close else f" (one of: {', '.join(self.enum)})"
                raise ValueProblem(f"unknown {self.enum_name} '{raw}'{hint}")
            return raw
        bad = _BAD_CHARS.search(raw)
        if bad:
            what = "a NUL character" if bad.group() == "\x00" else "an unpaired surrogate (not valid Unicode)"
            raise ValueProblem(f"{what} at position {bad.start() + 1}")
        if self.length is not None and len(raw) > self.length:
            raise ValueProblem(f"{len(raw)} characters long; at most {self.length} fit")
        if self.name in ID_COLUMNS and raw == "":
            raise ValueProblem("empty (an id must not be empty)")
        return raw

    def _int(self, raw: object, from_csv: bool) -> int:
        if from_csv:
            assert isinstance(raw, str)
            if not _INT_TEXT.fullmatch(raw):
                raise ValueProblem(f"expected a whole number, got '{_clip(raw)}'")
            value = int(raw)
        elif isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        else:
            raise ValueProblem(f"expected a whole number, got {_json_type(raw)}")
        low, high, bits = (INT64_MIN, INT64_MAX, 64) if self.wide else (INT32_MIN, INT32_MAX, 32)
        if not low <= value <= high:
            raise ValueProblem(f"{value} is out of range (a {bits}-bit integer)")
        if self.name in POSITIVE_COLUMNS and value < 1:
            raise ValueProblem(f"must be at least 1, got {value}")
        return value

    def _money(self, raw: object, from_csv: bool) -> Decimal:
        if isinstance(raw, str):
            if not _DECIMAL_TEXT.fullmatch(raw):
                raise ValueProblem(f"expected an amount such as 12500 or 12500.50, got '{_clip(raw)}'")
            value = Decimal(raw)
        elif isinstance(raw, Decimal) or (isinstance(raw, int) and not isinstance(raw, bool)):
            value = Decimal(raw)
        else:
            raise ValueProblem(f"expected an amount, got {_json_type(raw)}")
        if not value.is_finite():
            raise ValueProblem("expected a finite amount")
        if abs(value) >= MONEY_LIMIT:
            raise ValueProblem(f"{value} is out of range (NUMERIC(14, 2) holds less than 10^12)")
        try:
            cents = value.quantize(CENT)
        except InvalidOperation:  # pragma: no cover - the range check keeps quantize in bounds
            raise ValueProblem(f"{value} is not a valid amount") from None
        if cents != value:
            raise ValueProblem(f"{value} has more than two decimal places")
        return cents

    def _timestamp(self, raw: object, zone: ZoneInfo | None) -> datetime:
        if not isinstance(raw, str):
            raise ValueProblem(f"expected an ISO 8601 timestamp string, got {_json_type(raw)}")
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueProblem(f"'{_clip(raw)}' is not an ISO 8601 timestamp (e.g. 2025-01-31T09:30:00Z)") from None
        if value.tzinfo is None:
            if zone is None:
                raise ValueProblem(NO_OFFSET)
            value = value.replace(tzinfo=zone)
        if value.tzinfo is not None:
            try:
                value = value.astimezone(UTC).replace(tzinfo=None)
            except OverflowError:
                raise ValueProblem(f"'{_clip(raw)}' is out of range in UTC") from None
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueProblem(f"year {value.year} is out of range ({MIN_YEAR}-{MAX_YEAR})")
        return value


#: Why a timestamp without an offset is refused, and the two ways out.
NO_OFFSET = (
    "a timestamp without an offset: write the offset (2025-01-31T09:30:00+09:00, or Z for UTC), "
    "or load with --tz ZONE to read such times as wall-clock time in the shop's zone"
)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(table: Table, column: str) -> Kind:
    col_type = table.c[column].type
    if isinstance(col_type, DateTime) or isinstance(getattr(col_type, "impl", None), DateTime):
        return "timestamp"
    if isinstance(col_type, Numeric):
        return "money"
    if isinstance(col_type, Integer):
        return "int"
    if isinstance(col_type, Boolean):
        return "bool"
    return "text"


def _length(table: Table, column: str) -> int | None:
    col_type = table.c[column].type
    length = getattr(col_type, "length", None)
    if length is None and isinstance(getattr(col_type, "impl", None), String):
        length = getattr(col_type.impl, "length", None)  # type: ignore[attr-defined]
    return length if isinstance(length, int) else None


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table as files see it: its columns in order, its key, and its record type."""

    name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    record: type[Any]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def key_of(self, record: Any) -> tuple[Any, ...]:
        return tuple(getattr(record, name) for name in self.key)


def _spec(table: Table) -> TableSpec:
    columns = []
    for column in table.columns:
        enum_name = ENUM_COLUMNS.get((table.name, column.name))
        columns.append(
            ColumnSpec(
                name=column.name,
                kind=_kind(table, column.name),
                nullable=bool(column.nullable),
                length=_length(table, column.name),
                enum=ENUMS[enum_name] if enum_name else None,
                enum_name=enum_name,
                wide=isinstance(column.type, BigInteger),
            )
        )
    key = tuple(c.name for c in table.primary_key.columns)
    return TableSpec(name=table.name, columns=tuple(columns), key=key, record=r.RECORD_BY_TABLE[table.name])


#: Every table's file layout, in load order (parents before children).
SPECS: tuple[TableSpec, ...] = tuple(_spec(t) for t in STORE_TABLES)
SPEC_BY_NAME = {s.name: s for s in SPECS}


# ---------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class RawRow:
    """One row of a file before checking: where it is and its raw cells (``None`` = absent/NULL)."""

    line: int
    cells: dict[str, object]


class FileProblem(ValueError):
    """A line that is not a row at all (bad JSON, broken CSV quoting, wrong field count)."""

    def __init__(self, line: int, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, str | FileProblem]]:
    """Decoded lines with their numbers, terminators kept; a UTF-8 byte-order mark is dropped.

    A line that is not UTF-8 comes as a :class:`FileProblem`, and reading goes on.
    """
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, FileProblem(number, f"not UTF-8 text (byte {exc.start + 1} of the line)")
            continue
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        yield number, line


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


def read_jsonl(stream: IO[bytes]) -> Iterator[RawRow | FileProblem]:
    """Rows of a JSON Lines file (one object per line; blank lines are skipped).

    Problems with a line are yielded, not raised, so the caller can go on and
    report every bad line. Numbers keep their exact decimal value.
    """
    for number, line in _lines(stream):
        if isinstance(line, FileProblem):
            yield line
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_float=Decimal, parse_constant=_reject_constant)
        except ValueError as exc:
            yield FileProblem(number, f"not valid JSON ({exc})")
            continue
        if not isinstance(value, dict):
            yield FileProblem(number, f"expected a JSON object, got {_json_type(value)}")
            continue
        yield RawRow(number, value)


_QUOTED = r'"([^"]*(?:""[^"]*)*)"'
_CSV_FIELD = re.compile(_QUOTED + r'|([^,"]*)')


def split_csv_record(record: str) -> list[str | None]:
    """The cells of one CSV record: quoted cells unescaped, unquoted empty cells ``None``."""
    cells: list[str | None] = []
    position, end = 0, len(record)
    while True:
        match = _CSV_FIELD.match(record, position)
        assert match is not None  # the second alternative matches the empty string
        quoted, plain = match.group(1), match.group(2)
        if quoted is not None:
            cells.append(quoted.replace('""', '"'))
        else:
            cells.append(plain or None)
        position = match.end()
        if position == end:
            return cells
        if record[position] != ",":
            found = record[position]
            if quoted is not None:
                what = f"unexpected {found!r} after the closing quote"
            else:
                what = "a quote inside an unquoted cell"
            raise ValueError(f"cell {len(cells)}: {what} (quote the whole cell and double the quotes inside)")
        position += 1


def _csv_records(stream: IO[bytes]) -> Iterator[tuple[int, str | FileProblem]]:
    """Logical CSV records (a quoted cell may span lines) with their first line number."""
    pending: list[str] = []
    start = 0
    quotes = 0
    for number, line in _lines(stream):
        if isinstance(line, FileProblem):
            yield number, line  # the record it belongs to is lost; go on with the next line
            pending, quotes = [], 0
            continue
        if not pending:
            start = number
        pending.append(line)
        quotes += line.count('"')
        if quotes % 2:
            continue  # inside a quoted cell: the newline belongs to it
        record = "".join(pending)
        pending, quotes = [], 0
        if record.endswith("\n"):
            record = record[:-1]
        if record.endswith("\r"):
            record = record[:-1]
        yield start, record
    if pending:
        raise FileProblem(start, "a quoted cell is never closed")


def read_csv(stream: IO[bytes], spec: TableSpec) -> Iterator[RawRow | FileProblem]:
    """Rows of a CSV file whose first record names the columns; blank lines are skipped."""
    header: list[str] | None = None
    try:
        for number, record in _csv_records(stream):
            if isinstance(record, FileProblem):
                if header is None:
                    raise record
                yield record
                continue
            if header is None:
                if not record.strip():
                    continue
                try:
                    cells = split_csv_record(record)
                except ValueError as exc:
                    raise FileProblem(number, f"header: {exc}") from None
                header = [c or "" for c in cells]
                problem = _check_header(header, spec, number)
                if problem:
                    raise problem
                continue
            if record == "":
                continue
            try:
                values = split_csv_record(record)
            except ValueError as exc:
                yield FileProblem(number, str(exc))
                continue
            if len(values) != len(header):
                yield FileProblem(number, f"{len(values)} cells, but the header has {len(header)}")
                continue
            yield RawRow(number, dict(zip(header, values, strict=True)))
    except FileProblem as problem:
        yield problem


def _check_header(header: list[str], spec: TableSpec, line: int) -> FileProblem | None:
    known = set(spec.column_names)
    seen: set[str] = set()
    for name in header:
        if name not in known:
            return FileProblem(line, f"header names unknown column '{name}' (columns: {', '.join(spec.column_names)})")
        if name in seen:
            return FileProblem(line, f"header names column '{name}' twice")
        seen.add(name)
    missing = [c.name for c in spec.columns if not c.nullable and c.name not in seen]
    if missing:
        return FileProblem(line, "header lacks required column(s) " + ", ".join(f"'{m}'" for m in missing))
    return None


def read_rows(path: Path, spec: TableSpec, stream: IO[bytes]) -> Iterator[RawRow | FileProblem]:
    """Raw rows of a table file, by its extension."""
    if path.suffix == ".csv":
        return read_csv(stream, spec)
    return read_jsonl(stream)


def check_row(
    spec: TableSpec, row: RawRow, *, from_csv: bool, zone: ZoneInfo | None = None
) -> tuple[Any | None, list[tuple[str | None, str]]]:
    """The record for ``row``, or ``None`` with every (column, message) problem in it (``zone``: see
    :meth:`ColumnSpec.parse`)."""
    problems: list[tuple[str | None, str]] = []
    known = spec.column_names
    for name in row.cells:
        if name not in known:
            problems.append((name, f"not a column of {spec.name} (columns: {', '.join(known)})"))
    values: dict[str, Any] = {}
    for column in spec.columns:
        if column.name not in row.cells and not column.nullable:
            problems.append((column.name, "missing (the column is required)"))
            continue
        try:
            values[column.name] = column.parse(row.cells.get(column.name), from_csv=from_csv, zone=zone)
        except ValueProblem as exc:
            problems.append((column.name, str(exc)))
    if problems:
        return None, problems
    return spec.record(**values), problems


# ---------------------------------------------------------------- writing


def _money_text(value: Decimal) -> str:
    return format(value.quantize(CENT), "f")


def _timestamp_text(value: datetime) -> str:
    return value.isoformat(timespec="auto") + "Z"


def jsonl_line(spec: TableSpec, record: Any) -> str:
    """One record as a JSON Lines line (without the newline); money is written as an exact number."""
    parts = []
    for column in spec.columns:
        value = getattr(record, column.name)
        if value is None:
            encoded = "null"
        elif column.kind == "money":
            encoded = _money_text(value)
        elif column.kind == "timestamp":
            encoded = '"' + _timestamp_text(value) + '"'
        elif column.kind == "int":
            encoded = str(value)
        elif column.kind == "bool":
            encoded = "true" if value else "false"
        else:
            encoded = json.dumps(value, ensure_ascii=False)
        parts.append(f'"{column.name}": {encoded}')
    return "{" + ", ".join(parts) + "}"


_NEEDS_QUOTES = re.compile(r'[,"\r\n]|^\s|\s$')


def _csv_text(value: str) -> str:
    if value == "" or _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_header(spec: TableSpec) -> str:
    return ",".join(spec.column_names)


def csv_line(spec: TableSpec, record: Any) -> str:
    """One record as a CSV record (without the newline); NULL is an unquoted empty cell."""
    cells = []
    for column in spec.columns:
        value = getattr(record, column.name)
        if value is None:
            cells.append("")
        elif column.kind == "money":
            cells.append(_money_text(value))
        elif column.kind == "timestamp":
            cells.append(_timestamp_text(value))
        elif column.kind == "int":
            cells.append(str(value))
        elif column.kind == "bool":
            cells.append("true" if value else "false")
        else:
            cells.append(_csv_text(value))
    return ",".join(cells)


def table_file(directory: Path, table: str, fmt: Format) -> Path:
    return directory / f"{table}.{fmt}"
