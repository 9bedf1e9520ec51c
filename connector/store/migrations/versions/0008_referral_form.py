"""referral form: issued links (revocation list), submissions with consent, rate counters

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_links",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_links")),
    )
    with op.batch_alter_table("referral_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_links_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "referral_form_submissions",
        sa.Column("event_ref", sa.String(length=255), nullable=False),
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("referrer_id", sa.String(length=64), nullable=False),
        sa.Column("referred_id", sa.String(length=64), nullable=False),
        sa.Column("referral_id", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_ref", name=op.f("pk_referral_form_submissions")),
    )
    with op.batch_alter_table("referral_form_submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_form_submissions_referrer_id"), ["referrer_id"], unique=False
        )

    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
    with op.batch_alter_table("referral_form_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_form_submissions_referrer_id"))
    op.drop_table("referral_form_submissions")
    with op.batch_alter_table("referral_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_links_member_id"))
    op.drop_table("referral_links")
