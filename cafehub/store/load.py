"""Loading a directory of table files into a store, all or nothing; dumping one back out.

A load reads one file per table (``customers.jsonl`` or ``customers.csv``,
...; a missing file means no rows), checks every row, and inserts in batches
while it streams, all inside one transaction. The first bad row stops the
inserting but not the reading: every further problem (up to ``max_errors``)
is collected so the user can fix the files in one go. Any problem rolls the
transaction back, so a failed load leaves the store exactly as it was (with
``replace`` too: the tables are emptied inside the same transaction).

Checks, in order:

1. each value against its column (:mod:`cafehub.store.formats`);
2. primary keys unique within the file (a per-table set, freed after the
   table) and, when appending, not already in the store;
3. references (a coupon holder is a customer, an order item's order exists,
   ...), checked in the database once every row is in, so memory does not
   grow with the number of parent keys. Only when rows are clean: a bad
   customer would otherwise cascade into errors for each of their orders.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Connection, Engine, Table, exists, select

from cafehub.store import formats
from cafehub.store import schema as sc
from cafehub.store.engines import StoreError, store_errors
from cafehub.store.formats import Format, TableSpec
from cafehub.store.io import BATCH_ROWS, analyze, clear_tables, count_rows, read_table, write_rows

DEFAULT_MAX_ERRORS = 50
_KEY_QUERY_CHUNK = 500

#: (child table, child column, parent table, parent column): what must exist for a row to make sense.
REFERENCES: tuple[tuple[Table, str, Table, str], ...] = (
    (sc.customer_coupons, "member_id", sc.customers, "member_id"),
    (sc.customer_coupons, "coupon_no", sc.coupons, "coupon_no"),
    (sc.cart_items, "member_id", sc.customers, "member_id"),
    (sc.orders, "member_id", sc.customers, "member_id"),
    (sc.order_items, "order_id", sc.orders, "order_id"),
    (sc.order_payments, "order_id", sc.orders, "order_id"),
    (sc.customer_consents, "member_id", sc.customers, "member_id"),
)

Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: where (file, line, column) and what."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        column = f" column '{self.column}':" if self.column else ""
        return f"{where}:{column} {self.message}"


class LoadError(StoreError):
    """Files that cannot be loaded; nothing was written. ``problems`` lists what is wrong."""

    def __init__(self, problems: list[Problem], *, truncated: bool = False) -> None:
        self.problems = tuple(problems)
        self.truncated = truncated
        count = f"{len(problems)}{'+' if truncated else ''}"
        lines = [f"cannot load: {count} problem(s); nothing was loaded", *(f"  {p}" for p in problems)]
        if truncated:
            lines.append("  (stopped listing problems; fix these and load again)")
        super().__init__("\n".join(lines))


@dataclass(slots=True)
class LoadSummary:
    """What a load did: the file read per table and the rows inserted."""

    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class _Collector:
    """Problems so far, up to a limit; past it the load stops reading."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.items: list[Problem] = []
        self.truncated = False

    def add(self, problem: Problem) -> None:
        if len(self.items) >= self.limit:
            self.truncated = True
        else:
            self.items.append(problem)

    @property
    def full(self) -> bool:
        """True once a problem past the limit was seen: there is no point reading on."""
        return self.truncated

    def __bool__(self) -> bool:
        return bool(self.items)


def find_table_files(directory: Path) -> dict[str, Path]:
    """The file for each table found in ``directory`` (tables without a file are left out)."""
    if not directory.is_dir():
        raise StoreError(f"{directory} is not a directory")
    found: dict[str, Path] = {}
    problems: list[str] = []
    for spec in formats.SPECS:
        candidates = [formats.table_file(directory, spec.name, fmt) for fmt in formats.FORMATS]
        present = [p for p in candidates if p.is_file()]
        if len(present) > 1:
            problems.append(f"both {present[0].name} and {present[1].name} are in {directory}; keep one")
        elif present:
            found[spec.name] = present[0]
        else:
            strays = sorted(p.name for p in directory.glob(f"{spec.name}.*") if p.is_file())
            if strays:
                problems.append(f"{strays[0]}: unsupported file type (use {spec.name}.jsonl or {spec.name}.csv)")
    if problems:
        raise StoreError("; ".join(problems))
    if not found:
        names = ", ".join(f"{s.name}.jsonl" for s in formats.SPECS)
        raise StoreError(f"{directory} holds no table files (expected some of {names}, or the same names in .csv)")
    return found


def _records(path: Path, spec: TableSpec, errors: _Collector, zone: ZoneInfo | None) -> Iterator[tuple[int, Any]]:
    """The checked records of one file with their line numbers; problems go to ``errors``."""
    from_csv = path.suffix == ".csv"
    try:
        stream = path.open("rb")
    except OSError as exc:
        errors.add(Problem(path.name, None, None, f"cannot be read ({exc.strerror})"))
        return
    with stream:
        try:
            for item in formats.read_rows(path, spec, stream):
                if isinstance(item, formats.FileProblem):
                    errors.add(Problem(path.name, item.line, item.column, str(item)))
                else:
                    record, found = formats.check_row(spec, item, from_csv=from_csv, zone=zone)
                    for column, message in found:
                        errors.add(Problem(path.name, item.line, column, message))
                    if record is not None:
                        yield item.line, record
                if errors.full:
                    return
        except formats.FileProblem as problem:
            errors.add(Problem(path.name, problem.line, problem.column, str(problem)))
        except OSError as exc:
            errors.add(Problem(path.name, None, None, f"cannot be read ({exc.strerror})"))


Key = tuple[Any, ...]


def _describe_key(spec: TableSpec, key: Key) -> str:
    return ", ".join(f"{name} {value!r}" for name, value in zip(spec.key, key, strict=True))


def _existing_keys(conn: Connection, table: Table, spec: TableSpec, keys: list[Key]) -> set[Key]:
    """Which of ``keys`` are already in ``table`` (queried by the key's first column)."""
    first = table.c[spec.key[0]]
    columns = [table.c[name] for name in spec.key]
    wanted = set(keys)
    found: set[Key] = set()
    firsts = sorted({k[0] for k in keys})
    for start in range(0, len(firsts), _KEY_QUERY_CHUNK):
        chunk = firsts[start : start + _KEY_QUERY_CHUNK]
        for row in conn.execute(select(*columns).where(first.in_(chunk))):
            if tuple(row) in wanted:
                found.add(tuple(row))
    return found


class _TableLoad:
    """Streams one file into its table: checks keys, inserts batches while the input is clean."""

    def __init__(
        self, conn: Connection, spec: TableSpec, path: Path, errors: _Collector, *, appending: bool, batch: int,
        zone: ZoneInfo | None = None,
    ) -> None:
        self.conn = conn
        self.zone = zone
        self.spec = spec
        self.path = path
        self.errors = errors
        self.table = next(t for t in sc.STORE_TABLES if t.name == spec.name)
        self.batch = batch
        self.appending = appending
        self.pending: list[Any] = []
        self.pending_lines: list[int] = []
        self.rows = 0

    def run(self, progress: Progress | None) -> int:
        seen: dict[Key, int] = {}
        for line, record in _records(self.path, self.spec, self.errors, self.zone):
            key = self.spec.key_of(record)
            first = seen.setdefault(key, line)
            if first != line:
                message = f"duplicate key ({_describe_key(self.spec, key)}), first on line {first}"
                self.errors.add(Problem(self.path.name, line, None, message))
                continue
            if self.errors:
                continue  # keep checking, stop writing
            self.pending.append(record)
            self.pending_lines.append(line)
            if len(self.pending) >= self.batch:
                self._flush()
                if progress:
                    progress(self.spec.name, self.rows)
        if not self.errors:
            self._flush()
            if progress:
                progress(self.spec.name, self.rows)
        return self.rows

    def _flush(self) -> None:
        if not self.pending:
            return
        if self.appending:
            keys = [self.spec.key_of(r) for r in self.pending]
            clashes = _existing_keys(self.conn, self.table, self.spec, keys)
            if clashes:
                for key, line in zip(keys, self.pending_lines, strict=True):
                    if key in clashes:
                        message = f"key ({_describe_key(self.spec, key)}) is already in the store (use --replace?)"
                        self.errors.add(Problem(self.path.name, line, None, message))
                self.pending, self.pending_lines = [], []
                return
        write_rows(self.conn, self.table, self.pending, self.batch)
        self.rows += len(self.pending)
        self.pending, self.pending_lines = [], []


def _key_columns(table: Table) -> list[Column[Any]]:
    return list(table.primary_key.columns)


def _locate(path: Path, spec: TableSpec, keys: set[Key], zone: ZoneInfo | None) -> dict[Key, int]:
    """Line numbers of the rows with ``keys`` (re-reading the file: only on the error path)."""
    lines: dict[Key, int] = {}
    scratch = _Collector(1)
    for line, record in _records(path, spec, scratch, zone):
        key = spec.key_of(record)
        if key in keys and key not in lines:
            lines[key] = line
    return lines


def _check_references(conn: Connection, files: dict[str, Path], errors: _Collector, zone: ZoneInfo | None) -> None:
    """Rows whose referenced parent row does not exist (checked in the database)."""
    for child, column, parent, parent_column in REFERENCES:
        path = files.get(child.name)
        if path is None or errors.full:
            continue
        spec = formats.SPEC_BY_NAME[child.name]
        keys = _key_columns(child)
        orphan = ~exists().where(parent.c[parent_column] == child.c[column])
        query = (
            select(*keys, child.c[column])
            .where(child.c[column].is_not(None), orphan)
            .order_by(*keys)
            .limit(max(1, errors.limit - len(errors.items) + 1))
        )
        bad = [(tuple(row[:-1]), row[-1]) for row in conn.execute(query)]
        if not bad:
            continue
        where = _locate(path, spec, {key for key, _ in bad}, zone)
        for key, value in bad:
            line = where.get(key)
            note = "" if line is not None else f" (row {_describe_key(spec, key)}, already in the store)"
            message = f"{value!r} is not in {parent.name}{note}"
            errors.add(Problem(path.name, line, column, message))


def load_directory(
    engine: Engine,
    directory: Path,
    *,
    replace: bool = False,
    max_errors: int = DEFAULT_MAX_ERRORS,
    batch: int = BATCH_ROWS,
    progress: Progress | None = None,
    zone: ZoneInfo | None = None,
) -> LoadSummary:
    """Load the table files in ``directory`` into the store, in one transaction.

    A timestamp without an offset is refused (a located problem), unless ``zone`` is
    given: then it is wall-clock time there, as ``--now`` is in the shop's zone.
    Raises :class:`LoadError` listing the problems (nothing is written) or
    :class:`StoreError` for a store that cannot be used.
    """
    started = time.perf_counter()
    files = find_table_files(directory)
    summary = LoadSummary(files=files)
    errors = _Collector(max_errors)
    with store_errors(engine), engine.begin() as conn:
        if replace:
            clear_tables(conn)
        filled = {name for name, count in count_rows(conn).items() if count} if not replace else set()
        for spec in formats.SPECS:
            path = files.get(spec.name)
            if path is None:
                continue
            loader = _TableLoad(conn, spec, path, errors, appending=spec.name in filled, batch=batch, zone=zone)
            summary.rows[spec.name] = loader.run(progress)
            if errors.full:
                break
        if not errors:
            _check_references(conn, files, errors, zone)
        if errors:
            raise LoadError(errors.items, truncated=errors.truncated)
    with store_errors(engine):
        analyze(engine)
    summary.seconds = time.perf_counter() - started
    return summary


def dump_directory(engine: Engine, directory: Path, *, fmt: Format = "jsonl") -> dict[str, int]:
    """Write every table to ``directory/<table>.<fmt>`` in primary-key order; rows written per table.

    The output loads back (:func:`load_directory`) to exactly the same rows.
    """
    if fmt not in formats.FORMATS:
        raise StoreError(f"unknown format '{fmt}' (use jsonl or csv)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {directory}: {exc.strerror}") from None
    others = [
        formats.table_file(directory, spec.name, other).name
        for spec in formats.SPECS
        for other in formats.FORMATS
        if other != fmt and formats.table_file(directory, spec.name, other).exists()
    ]
    if others:
        raise StoreError(
            f"{directory} already holds {', '.join(others)}; dump into another directory "
            f"(a directory with both {fmt} and other table files would not load back)"
        )
    counts: dict[str, int] = {}
    with store_errors(engine), engine.connect() as conn:
        for spec in formats.SPECS:
            path = formats.table_file(directory, spec.name, fmt)
            count = 0
            try:
                with path.open("w", encoding="utf-8", newline="") as out:
                    if fmt == "csv":
                        out.write(formats.csv_header(spec) + "\n")
                    line = formats.csv_line if fmt == "csv" else formats.jsonl_line
                    for record in read_table(conn, spec.record, ordered=True):
                        out.write(line(spec, record) + "\n")
                        count += 1
            except OSError as exc:
                raise StoreError(f"cannot write {path}: {exc.strerror}") from None
            counts[spec.name] = count
    return counts
