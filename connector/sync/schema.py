"""Tables of the sync engine: per-record sync state, runs and their failures.

They live on the store's metadata, so migrations and the schema test cover them too.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from connector.store.schema import ID, metadata
from connector.store.types import UtcDateTime

__all__ = ["sync_failures", "sync_runs", "sync_state", "sync_watermarks"]

HASH = String(64)

sync_state = Table(
    "sync_state",
    metadata,
    Column("target", String(32), nullable=False),
    Column("object_name", String(64), nullable=False),
    Column("record_id", ID, nullable=False),
    # The hash and fields of the last write the CRM confirmed: the diff baseline.
    Column("content_hash", HASH),
    Column("fields", JSON),
    Column("crm_id", String(64)),
    Column("status", String(16), nullable=False),
    # The content that failed, so a record is retried when it changes and given up on
    # after ``max_attempts`` tries of the same content.
    Column("failed_hash", HASH),
    Column("attempts", Integer, nullable=False),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("target", "object_name", "record_id"),
    # Migration 0009: the webhook worker finds a record by the id its CRM gave it (a card
    # moved on the partner board names only that id).
    Index("ix_sync_state_crm_id", "crm_id", "object_name"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target", String(32), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("status", String(16), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("full", Boolean, nullable=False),
    Column("objects", JSON, nullable=False),
    Column("planned", Integer, nullable=False),
    Column("sent", Integer, nullable=False),
    Column("succeeded", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
    Column("api_calls", Integer, nullable=False),
    Column("stop_reason", Text),
    # Records applied from the CRM, and records no longer in refnet archived or deleted.
    Column("pulled", Integer, nullable=False, server_default="0"),
    Column("removed", Integer, nullable=False, server_default="0"),
)

sync_failures = Table(
    "sync_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("sync_runs.id"), nullable=False),
    Column("object_name", String(64), nullable=False),
    Column("record_id", ID, nullable=False),
    Column("code", String(64)),
    Column("message", Text),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_sync_failures_run", "run_id"),
)

# How far each object's CRM-owned fields have been read: the next pull starts here.
sync_watermarks = Table(
    "sync_watermarks",
    metadata,
    Column("target", String(32), nullable=False),
    Column("object_name", String(64), nullable=False),
    Column("pulled_until", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # -- sync-calls (migration 0010) --
    # CRM ids of the records read at exactly ``pulled_until``: the CRMs' filters are
    # inclusive (``>=``), so the next pull meets them again and skips them.
    Column("ids_at_mark", JSON, nullable=True),
    PrimaryKeyConstraint("target", "object_name"),
)
