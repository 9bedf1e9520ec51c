"""joint events and relationship upkeep: last contacts on connections, CRM activity (#18)

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-03 11:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Additive only: connections recorded before simply have no last contact yet.
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("last_contact_on", sa.Date(), nullable=True))
        batch.create_index(op.f("ix_connections_last_contact_on"), ["last_contact_on"])
    # The last activity the CRM logged with a member (read back by the sync).
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("crm_last_activity_on", sa.Date(), nullable=True))
    op.create_table(
        "joint_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("host_id", sa.String(length=64), nullable=False),
        sa.Column("club_id", sa.String(length=64), nullable=True),
        sa.Column("attendee_ids", sa.JSON(), nullable=False),
        # connector.store.types.UtcDateTime stores an aware UTC timestamp.
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["host_id"], ["members.id"], name=op.f("fk_joint_events_host_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["club_id"], ["clubs.id"], name=op.f("fk_joint_events_club_id_clubs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_events")),
    )
    op.create_index(op.f("ix_joint_events_held_on"), "joint_events", ["held_on"])
    op.create_index(op.f("ix_joint_events_host_id"), "joint_events", ["host_id"])
    op.create_index(op.f("ix_joint_events_club_id"), "joint_events", ["club_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_joint_events_club_id"), table_name="joint_events")
    op.drop_index(op.f("ix_joint_events_host_id"), table_name="joint_events")
    op.drop_index(op.f("ix_joint_events_held_on"), table_name="joint_events")
    op.drop_table("joint_events")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("crm_last_activity_on")
    with op.batch_alter_table("connections") as batch:
        batch.drop_index(op.f("ix_connections_last_contact_on"))
        batch.drop_column("last_contact_on")
