"""inbox worker heartbeats (visible to /readyz across processes); lookups by e-mail and CRM id

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_workers",
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events_applied", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_inbox_workers")),
    )
    with op.batch_alter_table("inbox_workers", schema=None) as batch_op:
        batch_op.create_index("ix_inbox_workers_last_beat", ["last_beat_at"], unique=False)
    # Members by e-mail, case-insensitively (webhook referrers, imports): a search, not a scan.
    op.create_index("ix_members_email_lower", "members", [sa.text("lower(email)")], unique=False)
    # The worker's lookup of a partner-board card by its CRM id (a search, not a scan).
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.create_index("ix_sync_state_crm_id", ["crm_id", "object_name"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_members_email_lower", table_name="members")
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_state_crm_id")
    with op.batch_alter_table("inbox_workers", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_workers_last_beat")
    op.drop_table("inbox_workers")
