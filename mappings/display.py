"""Readable record names for the CRM: "Anna Weber → Vogel GmbH" instead of a refnet id.

HubSpot shows a custom object's primary display property as the record's name on boards,
in associations and in search; refnet fills it (``computed.display_name``) from the names
of the members a record connects, read for a whole page of records at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.model import (
    Agreement,
    Club,
    Connection,
    Contribution,
    Introduction,
    JointEvent,
    Member,
    Membership,
    Partnership,
    Record,
    Referral,
)
from connector.store import Tx

__all__ = ["ATTENDEE_VALUES", "MAX_DISPLAY_NAME", "attendee_values", "display_names"]

MAX_DISPLAY_NAME = 255  # the mappings' Text length of the name property
MAX_ATTENDEE_NAMES = 4000  # the mappings' LongTextArea length of the attendee list
ATTENDEE_VALUES = frozenset({"attendee_names", "attendee_count"})


def _member_ids(record: Record) -> list[str]:
    if isinstance(record, Referral):
        return [record.referrer_id, record.referred_id]
    if isinstance(record, Partnership | Membership):
        return [record.member_id]
    if isinstance(record, Connection):
        return [record.from_id, record.to_id]
    if isinstance(record, Introduction):
        return [record.member_a_id, record.member_b_id]
    if isinstance(record, JointEvent):
        return [record.host_id]
    if isinstance(record, Contribution):
        return [m for m in (record.giver_id, record.receiver_id) if m is not None]
    return []


def _name(names: dict[str, str], member_id: str) -> str:
    return names.get(member_id, member_id)


def display_names(tx: Tx, records: Sequence[Record]) -> dict[str, dict[str, Any]]:
    """``{record id: {"display_name": …}}`` for a page of records (a few reads per page)."""
    partnerships: dict[str, Partnership] = {}
    agreements = [r for r in records if isinstance(r, Agreement)]
    if agreements:
        ids = sorted({a.partnership_id for a in agreements})
        partnerships = {p.id: p for p in tx.find_in(Partnership, {"id": ids})}
    wanted = {m for r in records for m in _member_ids(r)}
    wanted |= {p.member_id for p in partnerships.values()}
    names = {m.id: m.name for m in tx.find_in(Member, {"id": sorted(wanted)})} if wanted else {}
    club_ids = sorted({r.club_id for r in records if isinstance(r, Membership)})
    clubs = {c.id: c.name for c in tx.find_in(Club, {"id": club_ids})} if club_ids else {}
    out: dict[str, dict[str, Any]] = {}
    for record in records:
        text = _display(record, names, clubs, partnerships)
        out[record.id] = {"display_name": text[:MAX_DISPLAY_NAME]}
    return out


def _display(
    record: Record,
    names: dict[str, str],
    clubs: dict[str, str],
    partnerships: dict[str, Partnership],
) -> str:
    if isinstance(record, Referral):
        return f"{_name(names, record.referrer_id)} → {_name(names, record.referred_id)}"
    if isinstance(record, Partnership):
        return _name(names, record.member_id)
    if isinstance(record, Membership):
        club = clubs.get(record.club_id, record.club_id)
        return f"{_name(names, record.member_id)} · {club}"
    if isinstance(record, Connection):
        return f"{_name(names, record.from_id)} ↔ {_name(names, record.to_id)}"
    if isinstance(record, Introduction):
        return f"{_name(names, record.member_a_id)} ↔ {_name(names, record.member_b_id)}"
    if isinstance(record, Agreement):
        partner = partnerships.get(record.partnership_id)
        who = _name(names, partner.member_id) if partner else record.partnership_id
        return f"Zielvereinbarung {who}"
    if isinstance(record, Club):
        return record.name
    if isinstance(record, JointEvent):
        return f"{record.title} · {record.held_on.strftime('%d.%m.%Y')}"
    if isinstance(record, Contribution):
        # The company has no member record: "Weber" would need a setting, "us" reads anywhere.
        giver = _name(names, record.giver_id) if record.giver_id else "us"
        receiver = _name(names, record.receiver_id) if record.receiver_id else "us"
        return f"{record.kind.value}: {giver} → {receiver}"
    return record.id


def attendee_values(tx: Tx, records: Sequence[Record]) -> dict[str, dict[str, Any]]:
    """``{event id: {"attendee_names": "Anna Weber, …", "attendee_count": n}}`` for a page of
    joint events, so a sales user sees who came without opening each contact (issue #18)."""
    events = [r for r in records if isinstance(r, JointEvent)]
    wanted = sorted({a for e in events for a in e.attendee_ids})
    names = {m.id: m.name for m in tx.find_in(Member, {"id": wanted})} if wanted else {}
    return {
        e.id: {
            "attendee_names": ", ".join(_name(names, a) for a in e.attendee_ids)[
                :MAX_ATTENDEE_NAMES
            ]
            or None,
            "attendee_count": len(e.attendee_ids),
        }
        for e in events
    }
