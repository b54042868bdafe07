"""The registry's tables, kept in the store database beside the canonical seven.

Every row carries the shop it belongs to (``shop_id``), and every key starts
with it: one store database can serve several shops, and no query of the
registry runs without a shop in its ``WHERE`` clause (see
:class:`~cafehub.registry.registry.SegmentRegistry`). Keys are natural
(shop, name, version; shop, campaign), so no engine needs a sequence.

Timestamps are naive UTC like the canonical tables'. Segment text and its
JSON AST are long text (``MEDIUMTEXT`` on MySQL/MariaDB, whose ``TEXT`` holds
only 64 KB: a segment may be 100,000 characters).
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UnicodeText,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import DBAPIError

from cafehub.store.schema import MARIADB_EXACT_COLLATION, Text, Timestamp

#: Long text: a segment, its JSON AST, a description.
LongText = UnicodeText().with_variant(mysql.MEDIUMTEXT(collation=MARIADB_EXACT_COLLATION), "mysql", "mariadb")

registry_metadata = MetaData()

segments = Table(
    "segments",
    registry_metadata,
    Column("shop_id", Text(64), nullable=False),
    Column("name", Text(64), nullable=False),
    Column("description", LongText, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("created_by", Text(255), nullable=False),
    Column("deleted_at", Timestamp, nullable=True),
    Column("deleted_by", Text(255), nullable=True),
    PrimaryKeyConstraint("shop_id", "name"),
)

segment_versions = Table(
    "segment_versions",
    registry_metadata,
    Column("shop_id", Text(64), nullable=False),
    Column("name", Text(64), nullable=False),
    Column("version", Integer, nullable=False, autoincrement=False),
    Column("text", LongText, nullable=False),
    Column("ast", LongText, nullable=False),
    Column("saved_at", Timestamp, nullable=False),
    Column("saved_by", Text(255), nullable=False),
    PrimaryKeyConstraint("shop_id", "name", "version"),
    ForeignKeyConstraint(["shop_id", "name"], ["segments.shop_id", "segments.name"]),
)

#: One row per campaign whose audience was recorded (``segment audience --snapshot``).
audience_snapshots = Table(
    "audience_snapshots",
    registry_metadata,
    Column("shop_id", Text(64), nullable=False),
    Column("campaign", Text(128), nullable=False),
    Column("segment", Text(64), nullable=False),
    Column("version", Integer, nullable=False, autoincrement=False),
    #: The saved segments it used, as JSON ``{"name": version, ...}`` (with the segment itself).
    Column("versions", LongText, nullable=False),
    #: The segment's text at that version, so the snapshot explains itself without the registry.
    Column("text", LongText, nullable=False),
    Column("send_time", Timestamp, nullable=False),
    Column("zone", Text(64), nullable=False),
    Column("cart_retention_days", Integer, nullable=False),
    Column("history_start", Text(10), nullable=False),
    Column("members", Integer, nullable=False),
    Column("taken_at", Timestamp, nullable=False),
    Column("taken_by", Text(255), nullable=False),
    PrimaryKeyConstraint("shop_id", "campaign"),
)

#: The members of a recorded audience with their contact fields and consents as they were at the send time.
audience_members = Table(
    "audience_members",
    registry_metadata,
    Column("shop_id", Text(64), nullable=False),
    Column("campaign", Text(128), nullable=False),
    Column("member_id", Text(64), nullable=False),
    Column("name", Text(255), nullable=True),
    Column("cellphone", Text(32), nullable=True),
    Column("email", Text(255), nullable=True),
    Column("sms_consent", Boolean, nullable=True),
    Column("email_consent", Boolean, nullable=True),
    PrimaryKeyConstraint("shop_id", "campaign", "member_id"),
    ForeignKeyConstraint(["shop_id", "campaign"], ["audience_snapshots.shop_id", "audience_snapshots.campaign"]),
    Index("ix_audience_members_member", "shop_id", "member_id"),
)

_created: weakref.WeakSet[Engine] = weakref.WeakSet()


_creating = threading.Lock()


def create_registry_tables(engine: Engine) -> None:
    """Create the registry's tables where missing (once per engine object).

    Threads of one process take turns; another process creating them at the
    same moment makes one ``CREATE TABLE`` fail, so a failure is retried
    once, when the tables are then found to exist.
    """
    if engine in _created:
        return
    with _creating:
        if engine in _created:
            return
        try:
            registry_metadata.create_all(engine)
        except DBAPIError:
            registry_metadata.create_all(engine)
        _created.add(engine)


__all__ = [
    "audience_members",
    "audience_snapshots",
    "create_registry_tables",
    "registry_metadata",
    "segment_versions",
    "segments",
]
