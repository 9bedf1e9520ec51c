"""Relationship upkeep (issue #18, item 7): pure rules on connections' last-contact dates.

* :func:`refreshed_by_event` — a joint event refreshes every known connection *between* the
  people who were there (the attendees and the hosting employee): both were in the room, so
  their last contact is the event's day, unless a later contact is already known. Nothing
  is created: an event does not make strangers into connections.
* :func:`is_cooling` — a *strong* connection (strength ≥ ``strong_tie``) whose last contact
  lies more than ``months`` calendar months before ``as_of``. A connection with no known last
  contact is not called cooling (nothing says it is); the analysis counts those apart, as
  "no contact date", so the gap in the data stays visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from dateutil.relativedelta import relativedelta

from connector.model import Connection

__all__ = ["cooling_cutoff", "is_cooling", "refreshed_by_event"]


def refreshed_by_event(
    connections: Iterable[Connection], present: Iterable[str], day: date
) -> list[Connection]:
    """The connections among ``present`` whose last contact moves forward to ``day``."""
    people = set(present)
    return [
        c.model_copy(update={"last_contact_on": day})
        for c in connections
        if c.from_id in people
        and c.to_id in people
        and (c.last_contact_on is None or c.last_contact_on < day)
    ]


def cooling_cutoff(as_of: date, months: int) -> date:
    """Contacts before this day are older than ``months`` calendar months."""
    return as_of - relativedelta(months=months)


def is_cooling(connection: Connection, *, strong_tie: int, cutoff: date) -> bool:
    return (
        connection.strength >= strong_tie
        and connection.last_contact_on is not None
        and connection.last_contact_on < cutoff
    )
