"""webhook inbox, write-back outbox and deal outcomes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_inbox")),
        sa.UniqueConstraint(
            "provider", "event_id", name=op.f("uq_webhook_inbox_provider_event_id")
        ),
    )
    with op.batch_alter_table("webhook_inbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_inbox_claimable", ["status", "available_at"], unique=False
        )
        batch_op.create_index(
            "ix_webhook_inbox_object", ["provider", "object_type", "object_id"], unique=False
        )

    op.create_table(
        "writeback_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("event_ref", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_writeback_outbox")),
    )
    with op.batch_alter_table("writeback_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_writeback_outbox_pending", ["processed_at", "id"], unique=False)

    op.create_table(
        "deal_outcomes",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("deal_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_ref", sa.String(length=255), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("provider", "deal_id", name=op.f("pk_deal_outcomes")),
    )
    with op.batch_alter_table("deal_outcomes", schema=None) as batch_op:
        batch_op.create_index("ix_deal_outcomes_due", ["settled_at", "due_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("deal_outcomes", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_outcomes_due")

    op.drop_table("deal_outcomes")
    with op.batch_alter_table("writeback_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_writeback_outbox_pending")

    op.drop_table("writeback_outbox")
    with op.batch_alter_table("webhook_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_inbox_object")
        batch_op.drop_index("ix_webhook_inbox_claimable")

    op.drop_table("webhook_inbox")
