"""The relational schema of the store (SQLAlchemy Core).

One table per record type, columns named after the model's fields so rows and records
convert generically. Nested values (profile, goals, rules, lists) are JSON columns. Changes
to this file need a new Alembic revision under ``migrations/versions``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

from connector.store.types import Money, UtcDateTime

__all__ = [
    "agreements",
    "audit_log",
    "clubs",
    "connections",
    "contributions",
    "introductions",
    "joint_events",
    "members",
    "memberships",
    "metadata",
    "partnerships",
    "referrals",
    "target_profiles",
]

# Deterministic constraint names, so migrations can address them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(64)
STATE = String(32)


def _member_fk(name: str, *, nullable: bool = False) -> Column[str]:
    return Column(name, ID, ForeignKey("members.id"), nullable=nullable, index=True)


members = Table(
    "members",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("email", String(320), nullable=True, index=True),
    Column("organisation", String(255)),
    Column("circle", STATE, nullable=False, index=True),
    Column("ladder_stage", STATE),
    Column("profile", JSON, nullable=False),
    Column("crm", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
# Every webhook about a contact looks its member up by CRM contact id (a JSON key); without
# these expression indexes each lookup reads the whole table.
_CRM_CONTACT_INDEXES = tuple(
    Index(f"ix_members_{key}", members.c.crm[key].as_string())
    for key in ("hubspot_contact_id", "salesforce_contact_id")
)
# Migration 0009: members are found by e-mail case-insensitively (a webhook's referrer or
# referred contact, an import); the index on the plain column cannot serve lower(email).
_EMAIL_LOWER_INDEX = Index("ix_members_email_lower", func.lower(members.c.email))


class CrmKeyText(ColumnElement[str]):
    """``members.crm[key]`` as text, with the key written into the SQL.

    SQLAlchemy binds a JSON path as a parameter (``JSON_EXTRACT(crm, ?)``), and SQLite
    never matches a parameterised expression to an expression index, so every lookup read
    the whole members table. Rendered with the key inline, the expression is the index's
    own, and both SQLite and PostgreSQL plan an index search.
    """

    inherit_cache = True
    type = String()
    # SQLAlchemy's own declaration style (a list it reads, never mutates); the key is part of
    # the statement's cache key, so two keys never share a cached statement.
    _traverse_internals: _TraverseInternalsType = [("key", InternalTraversal.dp_string)]  # noqa: RUF012

    def __init__(self, key: str) -> None:
        self.key = key


@compiles(CrmKeyText)
def _compile_crm_key_text(element: CrmKeyText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(members.c.crm[element.key].as_string(), **{**kw, "literal_binds": True})


connections = Table(
    "connections",
    metadata,
    Column("id", ID, primary_key=True),
    _member_fk("from_id"),
    _member_fk("to_id"),
    Column("strength", Integer, nullable=False),
    Column("willing_to_introduce", Boolean, nullable=False),
    _member_fk("employee_id", nullable=True),
    Column("context", Text),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("from_id", "to_id"),
    CheckConstraint("strength BETWEEN 1 AND 5", name="strength_range"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("id", ID, primary_key=True),
    _member_fk("referrer_id"),
    _member_fk("referred_id"),
    _member_fk("recipient_id", nullable=True),
    Column("circle", STATE, nullable=False),
    Column("sentiment", STATE, nullable=False),
    Column("status", STATE, nullable=False, index=True),
    Column("deal_id", String(64), index=True),
    Column("amount", Money),
    Column("currency", String(3), nullable=False),
    Column("note", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status_changed_at", UtcDateTime, nullable=False),
)

target_profiles = Table(
    "target_profiles",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("industries", JSON, nullable=False),
    Column("regions", JSON, nullable=False),
    Column("offers", JSON, nullable=False),
    Column("min_reach", Integer, nullable=False),
    Column("notes", Text),
)

partnerships = Table(
    "partnerships",
    metadata,
    Column("id", ID, primary_key=True),
    _member_fk("member_id"),
    Column("target_profile_id", ID, ForeignKey("target_profiles.id"), index=True),
    _member_fk("owner_id", nullable=True),
    Column("stage", STATE, nullable=False, index=True),
    Column("dropped_reason", Text),
    Column("stage_changed_at", UtcDateTime, nullable=False),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", ID, primary_key=True),
    Column("partnership_id", ID, ForeignKey("partnerships.id"), nullable=False, index=True),
    Column("status", STATE, nullable=False),
    Column("goals", JSON, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("review_dates", JSON, nullable=False),
    Column("signed_on", Date),
    Column("notes", Text),
)

clubs = Table(
    "clubs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("founded_on", Date, nullable=False),
    Column("trial_months", Integer, nullable=False),
    Column("rules", JSON, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", ID, primary_key=True),
    Column("club_id", ID, ForeignKey("clubs.id"), nullable=False, index=True),
    _member_fk("member_id"),
    Column("status", STATE, nullable=False),
    Column("invited_on", Date, nullable=False),
    Column("trial_started_on", Date),
    Column("trial_ends_on", Date),
    Column("joined_on", Date),
    Column("accepted_rules_version", Integer),
    UniqueConstraint("club_id", "member_id"),
)

introductions = Table(
    "introductions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("club_id", ID, ForeignKey("clubs.id"), index=True),
    _member_fk("member_a_id"),
    _member_fk("member_b_id"),
    Column("status", STATE, nullable=False),
    Column("reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status_changed_at", UtcDateTime, nullable=False),
)

# -- club: moderation, invitations and the pilot (issue #18, migration 0007) --
clubs.append_column(Column("moderator_id", ID, ForeignKey("members.id"), nullable=True))
clubs.append_column(Column("pilot", JSON, nullable=True))
memberships.append_column(Column("responded_on", Date, nullable=True))
memberships.append_column(Column("left_on", Date, nullable=True))
introductions.append_column(Column("follow_up_on", Date, nullable=True, index=True))
introductions.append_column(Column("outcome", Text, nullable=True))
introductions.append_column(Column("value", Money, nullable=True))

# -- joint events and relationship upkeep (issue #18, migration 0013) --
connections.append_column(Column("last_contact_on", Date, nullable=True, index=True))
members.append_column(Column("crm_last_activity_on", Date, nullable=True))

joint_events = Table(
    "joint_events",
    metadata,
    Column("id", ID, primary_key=True),
    Column("title", String(255), nullable=False),
    Column("held_on", Date, nullable=False, index=True),
    Column("kind", STATE, nullable=False),
    _member_fk("host_id"),
    Column("club_id", ID, ForeignKey("clubs.id"), nullable=True, index=True),
    # Member ids; a list because an event is read and written whole (a few dozen guests).
    Column("attendee_ids", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# -- the contributions ledger (issue #18, item 5; migration 0012) --
# An empty giver or receiver is the company itself, so both member keys are nullable.
contributions = Table(
    "contributions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", STATE, nullable=False, index=True),
    _member_fk("giver_id", nullable=True),
    _member_fk("receiver_id", nullable=True),
    Column("description", String(255), nullable=False),
    Column("status", STATE, nullable=False, index=True),
    Column("given_on", Date),
    Column("value", Money),
    Column("currency", String(3)),
    Column("event_ref", String(64)),
    Column("referral_id", ID, ForeignKey("referrals.id"), index=True),
    Column("created_at", UtcDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("record_id", ID, nullable=False),
    Column("field", String(64), nullable=False),
    Column("old_value", String(64)),
    Column("new_value", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("event_ref", String(255)),
    Index("ix_audit_log_kind_record", "kind", "record_id"),
)
