"""index members by CRM contact id (webhook lookups)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_KEYS = ("hubspot_contact_id", "salesforce_contact_id")
# The same expression the lookups use (crm ->> 'key' on PostgreSQL, JSON_EXTRACT on SQLite),
# so the planners can use the index.
_members = sa.table("members", sa.column("crm", sa.JSON))


def upgrade() -> None:
    for key in _KEYS:
        op.create_index(f"ix_members_{key}", "members", [_members.c.crm[key].as_string()])


def downgrade() -> None:
    for key in _KEYS:
        op.drop_index(f"ix_members_{key}", table_name="members")
