"""Every table refnet stores, gathered on one metadata for migrations and schema checks.

Table definitions live next to the code that owns them (the store, the sync engine, the
webhook inbox); importing this module registers them all.
"""

from __future__ import annotations

import connector.inbox.schema  # registers the webhook inbox, outbox and deal outcomes
import connector.referral_form.schema  # registers referral links, submissions, rate counters
import connector.sync.schema  # noqa: F401 - registers the sync tables
from connector.store.schema import metadata

__all__ = ["metadata"]
