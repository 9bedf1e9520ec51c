"""club moderation, invitation answers and the pilot (issue #18)

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
    # Every column is nullable: clubs, memberships and introductions recorded before keep
    # working and simply have no moderator, answer date, follow-up or pilot yet.
    with op.batch_alter_table("clubs") as batch:
        batch.add_column(sa.Column("moderator_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("pilot", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_clubs_moderator_id_members"), "members", ["moderator_id"], ["id"]
        )
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("responded_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    with op.batch_alter_table("introductions") as batch:
        batch.add_column(sa.Column("follow_up_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.Text(), nullable=True))
        # Money is stored as integer cents (connector.store.types.Money).
        batch.add_column(sa.Column("value", sa.BigInteger(), nullable=True))
        batch.create_index(op.f("ix_introductions_follow_up_on"), ["follow_up_on"])


def downgrade() -> None:
    with op.batch_alter_table("introductions") as batch:
        batch.drop_index(op.f("ix_introductions_follow_up_on"))
        batch.drop_column("value")
        batch.drop_column("outcome")
        batch.drop_column("follow_up_on")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("left_on")
        batch.drop_column("responded_on")
    with op.batch_alter_table("clubs") as batch:
        batch.drop_constraint(op.f("fk_clubs_moderator_id_members"), type_="foreignkey")
        batch.drop_column("pilot")
        batch.drop_column("moderator_id")
