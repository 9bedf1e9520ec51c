"""deal outcomes keyed by account (HubSpot portal / Salesforce org) and deal

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 04:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows recorded before keep account "" (unknown): a later event of a named portal is a
    # different deal, so an old outcome never decides a new portal's deal.
    with op.batch_alter_table("deal_outcomes", schema=None, recreate="always") as batch_op:
        batch_op.add_column(
            sa.Column("account_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.drop_constraint("pk_deal_outcomes", type_="primary")
        batch_op.create_primary_key("pk_deal_outcomes", ["provider", "account_id", "deal_id"])


def downgrade() -> None:
    with op.batch_alter_table("deal_outcomes", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("pk_deal_outcomes", type_="primary")
        batch_op.create_primary_key("pk_deal_outcomes", ["provider", "deal_id"])
        batch_op.drop_column("account_id")
