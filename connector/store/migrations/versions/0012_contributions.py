"""the contributions ledger: introductions, joint events, favours and rewards (issue #18)

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 11:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: nothing stored before changes meaning.
    op.create_table(
        "contributions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("giver_id", sa.String(length=64), nullable=True),
        sa.Column("receiver_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=True),
        # Money is stored as integer cents (connector.store.types.Money).
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("event_ref", sa.String(length=64), nullable=True),
        sa.Column("referral_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["members.id"], name=op.f("fk_contributions_giver_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"], ["members.id"], name=op.f("fk_contributions_receiver_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_contributions_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributions")),
    )
    for column in ("kind", "giver_id", "receiver_id", "status", "referral_id"):
        op.create_index(op.f(f"ix_contributions_{column}"), "contributions", [column])


def downgrade() -> None:
    for column in ("kind", "giver_id", "receiver_id", "status", "referral_id"):
        op.drop_index(op.f(f"ix_contributions_{column}"), table_name="contributions")
    op.drop_table("contributions")
