"""Sync cursors: where each resource's last run stopped, one JSON document per resource.

A cursor is written in the same transaction as the page of rows it covers,
so after a crash the store and the cursor always agree: the next run starts
exactly after the last committed page (nothing lost), and rows are upserted
by primary key (nothing duplicated even if a page is read twice).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Engine, MetaData, String, Table, Text, delete, insert, select

sync_metadata = MetaData()

sync_state = Table(
    "sync_state",
    sync_metadata,
    Column("mall_id", String(64), primary_key=True),
    Column("resource", String(32), primary_key=True),
    Column("cursor", Text, nullable=False),
    Column("updated_at", DateTime(timezone=False), nullable=False),
)


def create_state(engine: Engine) -> None:
    sync_metadata.create_all(engine)


def load_cursor(conn: Connection, mall_id: str, resource: str) -> dict[str, Any]:
    text = conn.execute(
        select(sync_state.c.cursor).where(sync_state.c.mall_id == mall_id, sync_state.c.resource == resource)
    ).scalar_one_or_none()
    return json.loads(text) if text else {}


def save_cursor(conn: Connection, mall_id: str, resource: str, cursor: dict[str, Any]) -> None:
    """Replace the cursor (inside the caller's transaction)."""
    where = (sync_state.c.mall_id == mall_id) & (sync_state.c.resource == resource)
    conn.execute(delete(sync_state).where(where))
    conn.execute(
        insert(sync_state).values(
            mall_id=mall_id,
            resource=resource,
            cursor=json.dumps(cursor, sort_keys=True),
            updated_at=datetime.now(UTC).replace(tzinfo=None),
        )
    )


def all_cursors(engine: Engine, mall_id: str) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(sync_state.c.resource, sync_state.c.cursor).where(sync_state.c.mall_id == mall_id))
        return {resource: json.loads(text) for resource, text in rows}
