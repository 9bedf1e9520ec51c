"""sync pull watermarks and removal counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 00:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("pulled", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("removed", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "sync_watermarks",
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("object_name", sa.String(length=64), nullable=False),
        sa.Column("pulled_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("target", "object_name", name=op.f("pk_sync_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("sync_watermarks")
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("removed")
        batch.drop_column("pulled")
