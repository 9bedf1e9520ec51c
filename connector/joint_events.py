"""Joint events (issue #18, item 6): record them, record who came, and what that refreshes.

Every write is one transaction with its audit entries, like every other change
(:mod:`connector.services`): the event itself, each attendee added, and each connection whose
last contact the event moved forward (:func:`connector.upkeep.refreshed_by_event`).

:class:`EventAttendance` is the :class:`connector.goals.JointEventSource` the report, the
partner health check and the sync use, so a partner's ``joint_events`` goal measures itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from connector.errors import RecordValidationError
from connector.i18n import gettext as _
from connector.model import Circle, Club, Connection, JointEvent, JointEventKind, Member, new_id
from connector.rules import StageChange
from connector.services import Actor
from connector.store import Store, Tx
from connector.upkeep import refreshed_by_event

__all__ = [
    "EventAttendance",
    "EventChanges",
    "add_event",
    "attend",
    "list_events",
    "load_attendance",
    "refresh_ties",
]

_AUDIT_VALUE = 64  # the audit trail's value columns hold 64 characters


@dataclass(frozen=True)
class EventChanges:
    event: JointEvent
    changes: list[StageChange] = field(default_factory=list)

    @property
    def refreshed(self) -> int:
        """Connections whose last contact this change moved forward."""
        return sum(1 for c in self.changes if c.kind == "connection")


def _audit(tx: Tx, change: StageChange, actor: Actor) -> StageChange:
    tx.audit(change, actor=actor.name, event_ref=actor.event_ref)
    return change


def _members(tx: Tx, ids: Sequence[str]) -> dict[str, Member]:
    found = {m.id: m for m in tx.find_in(Member, {"id": list(ids)})} if ids else {}
    for member_id in ids:
        if member_id not in found:
            raise RecordValidationError(
                _("joint event"), "attendee_ids", _("no member '{id}'").format(id=member_id)
            )
    return found


def refresh_ties(tx: Tx, event: JointEvent, reason: str, actor: Actor) -> list[StageChange]:
    """Move the last contact of every tie among those present forward to the event's day.

    Audited per connection; also called by the importer for imported events, so an event
    read from a file refreshes the same ties as one recorded with ``refnet events add``.
    """
    present = [event.host_id, *event.attendee_ids]
    # Every tie among those present starts at one of them: one read of their outgoing ties.
    around = {c.id: c for c in tx.find_in(Connection, {"from_id": present})}
    changes = []
    for refreshed in refreshed_by_event(around.values(), present, event.held_on):
        old = around[refreshed.id].last_contact_on
        tx.put(refreshed)
        changes.append(
            _audit(
                tx,
                StageChange(
                    "connection",
                    refreshed.id,
                    "last_contact_on",
                    None if old is None else old.isoformat(),
                    event.held_on.isoformat(),
                    f"{reason} ({event.id})"[:255],
                ),
                actor,
            )
        )
    return changes


def add_event(
    store: Store,
    *,
    title: str,
    held_on: date,
    host_id: str,
    kind: JointEventKind = JointEventKind.CLUB_EVENING,
    club_id: str | None = None,
    attendee_ids: Sequence[str] = (),
    reason: str,
    actor: Actor,
) -> EventChanges:
    """Record an event hosted by an employee; its attendees' relationships are refreshed."""
    with store.transaction() as tx:
        host = tx.get(Member, host_id)
        if host.circle is not Circle.EMPLOYEE:
            raise RecordValidationError(
                _("joint event '{title}'").format(title=title),
                "host_id",
                _("the host must be an employee; {name} is '{circle}'").format(
                    name=host.name, circle=host.circle.value
                ),
            )
        if club_id is not None:
            tx.get(Club, club_id)
        _members(tx, list(attendee_ids))
        try:
            event = JointEvent(
                id=new_id("evt"),
                title=title,
                held_on=held_on,
                kind=kind,
                host_id=host_id,
                club_id=club_id,
                attendee_ids=list(attendee_ids),
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            raise RecordValidationError(
                _("joint event '{title}'").format(title=title),
                ".".join(str(p) for p in error["loc"]) or "attendee_ids",
                str(error["msg"]),
            ) from None
        tx.put(event)
        changes = [
            _audit(
                tx,
                StageChange("joint_event", event.id, "held_on", None, held_on.isoformat(), reason),
                actor,
            )
        ]
        changes += refresh_ties(tx, event, reason, actor)
    return EventChanges(event, changes)


def attend(
    store: Store, event_id: str, member_ids: Sequence[str], *, reason: str, actor: Actor
) -> EventChanges:
    """Add attendees to an event; each one refreshes their ties to the others and the host."""
    with store.transaction() as tx:
        event = tx.get(JointEvent, event_id)
        _members(tx, list(member_ids))
        for member_id in member_ids:
            if member_id == event.host_id or member_id in event.attendee_ids:
                raise RecordValidationError(
                    _("joint event '{id}'").format(id=event.id),
                    "attendee_ids",
                    _("'{member}' is already there").format(member=member_id),
                )
        if len(set(member_ids)) != len(member_ids):
            raise RecordValidationError(
                _("joint event '{id}'").format(id=event.id),
                "attendee_ids",
                _("a member is named twice"),
            )
        updated = event.model_copy(update={"attendee_ids": [*event.attendee_ids, *member_ids]})
        tx.put(updated)
        changes = [
            _audit(
                tx,
                StageChange("joint_event", event.id, "attendee_ids", None, m, reason),
                actor,
            )
            for m in member_ids
        ]
        changes += refresh_ties(tx, updated, reason, actor)
    return EventChanges(updated, changes)


def list_events(tx: Tx, *, start: date | None = None, end: date | None = None) -> list[JointEvent]:
    """Events held in ``[start, end]`` (either open), oldest first."""
    events = [
        e
        for e in tx.find(JointEvent)
        if (start is None or e.held_on >= start) and (end is None or e.held_on <= end)
    ]
    return sorted(events, key=lambda e: (e.held_on, e.id))


class EventAttendance:
    """Joint events per member (hosted or attended): the store's :class:`JointEventSource`."""

    def __init__(self, events: Iterable[JointEvent]) -> None:
        self._days: dict[str, list[date]] = defaultdict(list)
        for event in events:
            for member_id in (event.host_id, *event.attendee_ids):
                self._days[member_id].append(event.held_on)

    def joint_events(self, member_id: str, start: date, end: date) -> int | None:
        return sum(1 for day in self._days.get(member_id, ()) if start <= day <= end)


def load_attendance(tx: Tx) -> EventAttendance:
    return EventAttendance(tx.find(JointEvent))
