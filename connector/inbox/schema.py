"""Tables of the webhook path: the inbox, the write-back outbox and the deal outcomes.

They live on the store's metadata (like the sync tables), so the migrations and the schema
test cover them; :mod:`connector.store.all_tables` imports this module to register them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from connector.store.schema import ID, metadata
from connector.store.types import UtcDateTime

__all__ = ["deal_outcomes", "inbox_workers", "webhook_inbox", "writeback_outbox"]

# Every event a CRM delivered, stored before the delivery is acknowledged. The unique
# constraint on (provider, event_id) is what makes a redelivery a no-op.
webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(16), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("object_type", String(64), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    # The normalised event (connector.events.InboundEvent as JSON), never request headers.
    Column("payload", JSON, nullable=False),
    # pending → done | ignored | rejected | failed
    Column("status", String(16), nullable=False),
    Column("outcome", Text),
    Column("attempts", Integer, nullable=False),
    # Not claimable before this time: retry back-off after a transient failure.
    Column("available_at", UtcDateTime, nullable=False),
    # A claim is a lease: a worker that dies loses its rows when the lease runs out.
    Column("lease_token", String(32)),
    Column("lease_until", UtcDateTime),
    Column("processed_at", UtcDateTime),
    UniqueConstraint("provider", "event_id"),
    Index("ix_webhook_inbox_claimable", "status", "available_at"),
    Index("ix_webhook_inbox_object", "provider", "object_type", "object_id"),
)

# Records changed by the rules that the sync engine still has to write back to the CRMs.
writeback_outbox = Table(
    "writeback_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("record_id", ID, nullable=False),
    Column("reason", Text, nullable=False),
    Column("event_ref", String(255)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("processed_at", UtcDateTime),
    Index("ix_writeback_outbox_pending", "processed_at", "id"),
)

# The latest known outcome (won / lost) of each CRM deal, by occurrence time. It decides
# whether a late event is stale, keeps a won deal's credit parked during the hold period,
# and lets a referral linked to a deal after it closed pick the outcome up.
deal_outcomes = Table(
    "deal_outcomes",
    metadata,
    Column("provider", String(16), nullable=False),
    # The HubSpot portal / Salesforce org: deal ids are only unique within one.
    Column("account_id", String(64), nullable=False, server_default=""),
    Column("deal_id", String(64), nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("event_ref", String(255), nullable=False),
    # When the outcome may be applied to the deal's referrals (won + hold period).
    Column("due_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime),
    PrimaryKeyConstraint("provider", "account_id", "deal_id"),
    Index("ix_deal_outcomes_due", "settled_at", "due_at"),
)

# --- worker heartbeats (migration 0009) ---------------------------------------------------
# One row per inbox worker (a thread in a web process or a `refnet worker` process), beaten
# while its loop turns: /readyz and `refnet inbox workers` see workers of every process.
inbox_workers = Table(
    "inbox_workers",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("last_beat_at", UtcDateTime, nullable=False),
    # Events finished as done or ignored by this worker since it started.
    Column("events_applied", Integer, nullable=False, server_default="0"),
    Index("ix_inbox_workers_last_beat", "last_beat_at"),
)
