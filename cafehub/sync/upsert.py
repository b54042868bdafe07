"""Portable upserts by primary key that report what actually changed.

``INSERT ... ON CONFLICT`` differs on every engine; reading the existing
rows by key and then inserting the new and updating the changed ones works on
all of them (SQLite, PostgreSQL, MySQL/MariaDB, DuckDB) inside the caller's
transaction, and tells us exactly how many rows changed, which is how a
second sync proves it changed nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, select, tuple_, update

CHUNK = 500


@dataclass(slots=True)
class Changes:
    """Rows inserted, updated and deleted (mutable tally)."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    def __iadd__(self, other: Changes) -> Changes:
        self.inserted += other.inserted
        self.updated += other.updated
        self.deleted += other.deleted
        return self

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.deleted


def _norm(value: Any) -> Any:
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def _key(row: dict[str, Any], names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(row[n] for n in names)


def _as_rows(records: Iterable[Any]) -> list[dict[str, Any]]:
    """Records as column dicts (field names looked up once per type, not once per record)."""
    out: list[dict[str, Any]] = []
    names: tuple[str, ...] = ()
    kind: type[Any] | None = None
    for record in records:
        if type(record) is not kind:
            kind = type(record)
            names = tuple(f.name for f in fields(record))
        out.append({n: getattr(record, n) for n in names})
    return out


def upsert(conn: Connection, table: Table, records: Iterable[Any]) -> Changes:
    """Insert new and update changed ``records`` (store dataclasses) by ``table``'s primary key."""
    names = [c.name for c in table.primary_key.columns]
    rows = {_key(row, names): row for row in _as_rows(records)}
    changes = Changes()
    keys = list(rows)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        pk = [table.c[n] for n in names]
        where = pk[0].in_([k[0] for k in chunk]) if len(pk) == 1 else tuple_(*pk).in_(chunk)
        existing = {_key(dict(row), names): dict(row) for row in conn.execute(select(table).where(where)).mappings()}
        new = [rows[k] for k in chunk if k not in existing]
        if new:
            conn.execute(insert(table), new)
            changes.inserted += len(new)
        for k in chunk:
            old = existing.get(k)
            if old is None:
                continue
            fresh = rows[k]
            if any(_norm(old[c]) != _norm(fresh[c]) for c in fresh):
                condition = and_(*(table.c[n] == v for n, v in zip(names, k, strict=True)))
                values = {c: v for c, v in fresh.items() if c not in names}
                conn.execute(update(table).where(condition).values(**values))
                changes.updated += 1
    return changes


def delete_missing(conn: Connection, table: Table, owner_column: str, owners: Sequence[Any], keep: Iterable[Any],
                   key_column: str) -> int:
    """Delete rows of ``owners`` (e.g. an order's items) whose ``key_column`` is not in ``keep``."""
    if not owners:
        return 0
    kept = set(keep)
    owner, key = table.c[owner_column], table.c[key_column]
    stale = [row[0] for row in conn.execute(select(key).where(owner.in_(list(owners)))) if row[0] not in kept]
    for start in range(0, len(stale), CHUNK):
        conn.execute(delete(table).where(owner.in_(list(owners)), key.in_(stale[start : start + CHUNK])))
    return len(stale)


def delete_pairs_missing(conn: Connection, table: Table, owner_column: str, owners: Sequence[Any],
                         keep: set[tuple[Any, Any]], other_column: str) -> int:
    """Delete ``(owner, other)`` rows of ``owners`` that are not in ``keep`` (composite keys)."""
    if not owners:
        return 0
    owner, other = table.c[owner_column], table.c[other_column]
    stale = [(a, b) for a, b in conn.execute(select(owner, other).where(owner.in_(list(owners))))
             if (a, b) not in keep]
    for a, b in stale:
        conn.execute(delete(table).where(owner == a, other == b))
    return len(stale)


def forget_members(conn: Connection, member_ids: Sequence[str]) -> int:
    """Remove members who left the mall: their row, cart and issued coupons (their orders stay).

    The retention choice (docs/CONNECTORS.md, "Members who leave"): what
    describes the person goes; the sales history, which Cafe24 keeps too,
    stays. On SQLite the freed pages are overwritten (``secure_delete``), so
    the names, phones and e-mails do not linger in the file.
    """
    from cafehub.store import schema as s

    if not member_ids:
        return 0
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    removed = 0
    for table in (s.cart_items, s.customer_coupons, s.customers):
        for start in range(0, len(member_ids), CHUNK):
            chunk = list(member_ids[start : start + CHUNK])
            removed += conn.execute(delete(table).where(table.c.member_id.in_(chunk))).rowcount
    return removed
