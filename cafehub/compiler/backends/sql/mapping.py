"""The schema mapping: which physical tables and columns the logical store lives in.

The compiler speaks the logical names of the canonical store (STORE.md:
``orders.ordered_at``...). A shop whose data sits elsewhere (a warehouse
table ``shop.orders_v2`` with a column ``order_ts``) describes where each
logical table and column is, and the compiler emits SQL against those names.
Only the tables and columns the compiler reads can be mapped; anything not
mentioned keeps its logical name.

Example (JSON, as given to ``--mapping``)::

    {
      "default_schema": "shop",
      "tables": {
        "orders": {"table": "shop.orders_v2", "columns": {"ordered_at": "order_ts"}},
        "customers": {"table": "crm.members", "columns": {"member_id": "id"}}
      }
    }

Names are identifiers, never SQL: every part is quoted by sqlglot for the
target dialect, so a mapping cannot inject anything. Whether the mapped names
exist is checked against the database before a query runs
(:func:`cafehub.execution.sql.verify_tables`).

A mapping also says whether the data guarantees its member references
(``member_references``): ``"enforced"`` when every member id of a coupon,
cart item or order names a customer, as the store's loader guarantees.
Queries may then take a segment's customers from the rows that qualify them
(``SELECT DISTINCT cc.member_id FROM customer_coupons cc WHERE ...``)
without checking each against ``customers``. Declared, never assumed: the
default, ``"unchecked"``, keeps rows of unknown members out.

A timestamp column holds one of two kinds of value, and a time bound is only
right when it is written for the column's kind (``times``):

- ``"utc"``: a zone-less timestamp holding UTC (PostgreSQL and DuckDB
  ``timestamp``, MySQL ``DATETIME``, Spark ``TIMESTAMP_NTZ``; on SQLite, text
  in the store's form ``YYYY-MM-DD HH:MM:SS.ffffff``). The store's own kind,
  and the default.
- ``"zoned"``: a type that holds an instant and converts it with the session's
  time zone (PostgreSQL ``timestamptz``, DuckDB ``TIMESTAMPTZ``, MySQL and
  MariaDB ``TIMESTAMP``, Spark ``TIMESTAMP``); on SQLite, ISO 8601 text with an
  offset (``2025-03-01T09:00:00+09:00``, ``...Z``; read as UTC without one).

Running a segment reads each column's kind from the database where its types
tell (everything but SQLite), so ``times`` is needed only on SQLite and for
SQL compiled without a database at hand (``segment sql``, ``compile_sql``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The logical tables and the columns of each that compiled SQL reads.
LOGICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("member_id",),
    "coupons": ("coupon_no", "name", "issue_type"),
    "customer_coupons": ("member_id", "coupon_no", "issued_at", "expires_at", "used_at"),
    "cart_items": ("member_id", "product_no", "quantity", "price", "option_price", "added_at"),
    "orders": ("order_id", "member_id", "ordered_at", "status", "paid_amount", "order_amount"),
    "order_items": ("order_id", "product_no"),
    "order_payments": ("order_id", "payment_method"),
}

#: The logical timestamp columns that compiled SQL compares with time bounds.
TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_coupons": ("issued_at", "expires_at"),
    "cart_items": ("added_at",),
    "orders": ("ordered_at",),
}

TimeKind = Literal["utc", "zoned"]
"""What a timestamp column holds: zone-less UTC, or an instant shown in the session's zone."""

MemberReferences = Literal["unchecked", "enforced"]
"""Whether every member id in ``customer_coupons``, ``cart_items`` and ``orders`` names a customer."""

MAX_NAME_LENGTH = 255


class MappingError(ValueError):
    """A schema mapping that cannot be used (unknown logical name, bad file, bad identifier)."""


def _check_identifier(name: str, what: str) -> str:
    if not name or not name.strip():
        raise ValueError(f"{what} is empty")
    if "\x00" in name:
        raise ValueError(f"{what} contains a NUL character")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{what} is longer than {MAX_NAME_LENGTH} characters")
    return name


class TableMapping(BaseModel):
    """Where one logical table is: its physical name and renamed columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str | list[str] | None = Field(
        default=None,
        description="Physical table: 'name', 'schema.name' or 'catalog.schema.name' "
        "(a list of parts when a part itself contains a dot). Default: the logical name.",
    )
    columns: dict[str, str] = Field(default_factory=dict, description="Logical column name -> physical name.")
    times: dict[str, TimeKind] = Field(
        default_factory=dict,
        description="Logical timestamp column -> what it holds: 'utc' (a zone-less timestamp holding UTC, "
        "the default) or 'zoned' (timestamptz, MySQL TIMESTAMP; ISO 8601 text with an offset on SQLite).",
    )

    @field_validator("table")
    @classmethod
    def _parts_ok(cls, value: str | list[str] | None) -> str | list[str] | None:
        if value is None:
            return None
        parts = value.split(".") if isinstance(value, str) else value
        if not 1 <= len(parts) <= 3:
            raise ValueError("a table name has one to three parts (catalog.schema.table)")
        for part in parts:
            _check_identifier(part, "a part of the table name")
        return value

    @field_validator("columns")
    @classmethod
    def _columns_ok(cls, value: dict[str, str]) -> dict[str, str]:
        for logical, physical in value.items():
            _check_identifier(physical, f"the column name for '{logical}'")
        return value

    def parts(self) -> tuple[str, ...] | None:
        if self.table is None:
            return None
        return tuple(self.table.split(".")) if isinstance(self.table, str) else tuple(self.table)


class SchemaMapping(BaseModel):
    """Logical store names to a user's physical names; the default maps every name to itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_schema: str | None = Field(
        default=None, description="Schema for tables whose physical name has no schema part."
    )
    tables: dict[str, TableMapping] = Field(default_factory=dict)
    member_references: MemberReferences = Field(
        default="unchecked",
        description="'enforced' when every non-null member_id of customer_coupons, cart_items and orders is the "
        "member_id of a row of customers (the store's loader enforces it): a segment whose customers all come "
        "from such rows is then answered from those rows alone, without reading customers. 'unchecked' (the "
        "default): rows whose member is not a customer are never selected.",
    )

    @field_validator("default_schema")
    @classmethod
    def _schema_ok(cls, value: str | None) -> str | None:
        return _check_identifier(value, "default_schema") if value is not None else None

    @model_validator(mode="after")
    def _known_names(self) -> SchemaMapping:
        for table, spec in self.tables.items():
            if table not in LOGICAL_COLUMNS:
                known = ", ".join(LOGICAL_COLUMNS)
                raise ValueError(f"unknown logical table '{table}' (known: {known})")
            for column in spec.columns:
                if column not in LOGICAL_COLUMNS[table]:
                    known = ", ".join(LOGICAL_COLUMNS[table])
                    raise ValueError(f"unknown column '{column}' of logical table '{table}' (known: {known})")
            for column in spec.times:
                if column not in TIME_COLUMNS.get(table, ()):
                    known = ", ".join(TIME_COLUMNS.get(table, ())) or "none"
                    raise ValueError(f"'{column}' is not a timestamp column of logical table '{table}' "
                                     f"(timestamp columns: {known})")
        return self

    def table(self, logical: str) -> tuple[str, ...]:
        """The physical name of a logical table, as identifier parts (``("shop", "orders_v2")``)."""
        spec = self.tables.get(logical)
        parts = spec.parts() if spec is not None else None
        if parts is None:
            parts = (logical,)
        if len(parts) == 1 and self.default_schema is not None:
            parts = (self.default_schema, *parts)
        return parts

    def column(self, logical_table: str, logical_column: str) -> str:
        """The physical name of a logical column."""
        spec = self.tables.get(logical_table)
        if spec is not None:
            return spec.columns.get(logical_column, logical_column)
        return logical_column

    def declared_time_kind(self, logical_table: str, logical_column: str) -> TimeKind | None:
        """The kind the mapping declares for a timestamp column, ``None`` when it says nothing."""
        spec = self.tables.get(logical_table)
        return spec.times.get(logical_column) if spec is not None else None

    def time_kind(self, logical_table: str, logical_column: str) -> TimeKind:
        """What a timestamp column holds (``"utc"`` unless declared otherwise)."""
        return self.declared_time_kind(logical_table, logical_column) or "utc"

    def with_time_kinds(self, kinds: dict[tuple[str, str], TimeKind]) -> SchemaMapping:
        """This mapping with the given (logical table, column) kinds declared (read from a database)."""
        tables = dict(self.tables)
        for (table, column), kind in kinds.items():
            spec = tables.get(table, TableMapping())
            tables[table] = spec.model_copy(update={"times": {**spec.times, column: kind}})
        return self.model_copy(update={"tables": tables})

    def describe(self, logical_table: str, logical_column: str | None = None) -> str:
        """``shop.orders_v2.order_ts`` style name for messages."""
        name = ".".join(self.table(logical_table))
        return f"{name}.{self.column(logical_table, logical_column)}" if logical_column else name

    @classmethod
    def from_json(cls, document: str | bytes | dict[str, Any], origin: str = "the mapping") -> SchemaMapping:
        """Read a mapping from JSON text or a parsed document; :class:`MappingError` if invalid."""
        try:
            data = json.loads(document) if isinstance(document, (str, bytes)) else document
        except json.JSONDecodeError as exc:
            raise MappingError(f"{origin} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") \
                from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "top level"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise MappingError(f"{origin} is invalid at {where}: {message}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> SchemaMapping:
        """Read a mapping from a JSON file; :class:`MappingError` if it cannot be read or is invalid."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise MappingError(f"cannot read the mapping file {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise MappingError(f"the mapping file {path} is not UTF-8 text") from None
        return cls.from_json(text, origin=f"the mapping file {path}")


#: The canonical store's own names.
DEFAULT_MAPPING = SchemaMapping()
