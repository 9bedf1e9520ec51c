"""ids read at each pull watermark, so the next pull skips them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 07:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a watermark from before knows no ids and re-reads its last second once.
    with op.batch_alter_table("sync_watermarks") as batch:
        batch.add_column(sa.Column("ids_at_mark", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_watermarks") as batch:
        batch.drop_column("ids_at_mark")
