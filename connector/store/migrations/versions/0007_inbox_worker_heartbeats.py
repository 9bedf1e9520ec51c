"""inbox worker heartbeats, visible to /readyz across processes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
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


def downgrade() -> None:
    with op.batch_alter_table("inbox_workers", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_workers_last_beat")
    op.drop_table("inbox_workers")
