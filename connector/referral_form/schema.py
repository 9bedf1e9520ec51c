"""Tables of the referral form: issued links, submissions with their consent, rate counters.

They live on the store's metadata (like the inbox tables), so the migrations and the schema
test cover them; :mod:`connector.store.all_tables` imports this module to register them.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table, Text

from connector.store.schema import ID, metadata
from connector.store.types import UtcDateTime

__all__ = ["rate_limit_counters", "referral_form_submissions", "referral_links"]

# Every link `refnet members link` issued. The signature proves a link is ours; this row
# is what lets an admin revoke it (the revocation list) and see who holds one.
referral_links = Table(
    "referral_links",
    metadata,
    Column("id", ID, primary_key=True),
    Column("member_id", ID, nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("revoked_reason", Text),
)

# What a form submission left beside the referral: the consent as the person saw it (the
# text is stored verbatim, so a later wording change never rewrites what was agreed to)
# and the phone number, which the member model has no field for.
referral_form_submissions = Table(
    "referral_form_submissions",
    metadata,
    Column("event_ref", String(255), primary_key=True),
    Column("link_id", ID, nullable=False),
    Column("referrer_id", ID, nullable=False, index=True),
    Column("referred_id", ID, nullable=False),
    Column("referral_id", ID),
    Column("phone", String(64)),
    Column("consent_text", Text, nullable=False),
    Column("consented_at", UtcDateTime, nullable=False),
)

# Fixed-window counters of the `limits` library, kept in the store so that every gunicorn
# worker (and every host sharing a PostgreSQL store) counts the same requests.
rate_limit_counters = Table(
    "rate_limit_counters",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("hits", Integer, nullable=False),
    # Unix seconds: compared with the time of the request in one SQL statement.
    Column("expires_at", Float, nullable=False),
)
