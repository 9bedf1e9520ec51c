"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 18:25:42.427425
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.String(length=64), nullable=True),
        sa.Column("new_value", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("event_ref", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_kind_record", ["kind", "record_id"], unique=False)

    op.create_table(
        "clubs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("founded_on", sa.Date(), nullable=False),
        sa.Column("trial_months", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clubs")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("organisation", sa.String(length=255), nullable=True),
        sa.Column("circle", sa.String(length=32), nullable=False),
        sa.Column("ladder_stage", sa.String(length=32), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("crm", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_circle"), ["circle"], unique=False)
        batch_op.create_index(batch_op.f("ix_members_email"), ["email"], unique=False)

    op.create_table(
        "target_profiles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("industries", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("offers", sa.JSON(), nullable=False),
        sa.Column("min_reach", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_profiles")),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("from_id", sa.String(length=64), nullable=False),
        sa.Column("to_id", sa.String(length=64), nullable=False),
        sa.Column("strength", sa.Integer(), nullable=False),
        sa.Column("willing_to_introduce", sa.Boolean(), nullable=False),
        sa.Column("employee_id", sa.String(length=64), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("strength BETWEEN 1 AND 5", name=op.f("ck_connections_strength_range")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["members.id"], name=op.f("fk_connections_employee_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["from_id"], ["members.id"], name=op.f("fk_connections_from_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["to_id"], ["members.id"], name=op.f("fk_connections_to_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("from_id", "to_id", name=op.f("uq_connections_from_id_to_id")),
    )
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connections_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_connections_from_id"), ["from_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_connections_to_id"), ["to_id"], unique=False)

    op.create_table(
        "introductions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("club_id", sa.String(length=64), nullable=True),
        sa.Column("member_a_id", sa.String(length=64), nullable=False),
        sa.Column("member_b_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["club_id"], ["clubs.id"], name=op.f("fk_introductions_club_id_clubs")
        ),
        sa.ForeignKeyConstraint(
            ["member_a_id"], ["members.id"], name=op.f("fk_introductions_member_a_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["member_b_id"], ["members.id"], name=op.f("fk_introductions_member_b_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_introductions")),
    )
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_introductions_club_id"), ["club_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_introductions_member_a_id"), ["member_a_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_introductions_member_b_id"), ["member_b_id"], unique=False
        )

    op.create_table(
        "memberships",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("club_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("invited_on", sa.Date(), nullable=False),
        sa.Column("trial_started_on", sa.Date(), nullable=True),
        sa.Column("trial_ends_on", sa.Date(), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("accepted_rules_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["club_id"], ["clubs.id"], name=op.f("fk_memberships_club_id_clubs")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_memberships_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("club_id", "member_id", name=op.f("uq_memberships_club_id_member_id")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_club_id"), ["club_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_memberships_member_id"), ["member_id"], unique=False)

    op.create_table(
        "partnerships",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("target_profile_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("dropped_reason", sa.Text(), nullable=True),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_partnerships_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["members.id"], name=op.f("fk_partnerships_owner_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["target_profile_id"],
            ["target_profiles.id"],
            name=op.f("fk_partnerships_target_profile_id_target_profiles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnerships")),
    )
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partnerships_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partnerships_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_partnerships_stage"), ["stage"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_partnerships_target_profile_id"), ["target_profile_id"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("referrer_id", sa.String(length=64), nullable=False),
        sa.Column("referred_id", sa.String(length=64), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=True),
        sa.Column("circle", sa.String(length=32), nullable=False),
        sa.Column("sentiment", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("deal_id", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["members.id"], name=op.f("fk_referrals_recipient_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["referred_id"], ["members.id"], name=op.f("fk_referrals_referred_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["members.id"], name=op.f("fk_referrals_referrer_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referrals_referred_id"), ["referred_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_referrer_id"), ["referrer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_status"), ["status"], unique=False)

    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("partnership_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("goals", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("review_dates", sa.JSON(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name=op.f("fk_agreements_partnership_id_partnerships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreements_partnership_id"), ["partnership_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_partnership_id"))

    op.drop_table("agreements")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_status"))
        batch_op.drop_index(batch_op.f("ix_referrals_referrer_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_referred_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_deal_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partnerships_target_profile_id"))
        batch_op.drop_index(batch_op.f("ix_partnerships_stage"))
        batch_op.drop_index(batch_op.f("ix_partnerships_owner_id"))
        batch_op.drop_index(batch_op.f("ix_partnerships_member_id"))

    op.drop_table("partnerships")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_member_id"))
        batch_op.drop_index(batch_op.f("ix_memberships_club_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_introductions_member_b_id"))
        batch_op.drop_index(batch_op.f("ix_introductions_member_a_id"))
        batch_op.drop_index(batch_op.f("ix_introductions_club_id"))

    op.drop_table("introductions")
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connections_to_id"))
        batch_op.drop_index(batch_op.f("ix_connections_from_id"))
        batch_op.drop_index(batch_op.f("ix_connections_employee_id"))

    op.drop_table("connections")
    op.drop_table("target_profiles")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_email"))
        batch_op.drop_index(batch_op.f("ix_members_circle"))

    op.drop_table("members")
    op.drop_table("clubs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_kind_record")

    op.drop_table("audit_log")
