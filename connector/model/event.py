"""Joint events: club evenings and partner events, the way a network lives (issue #18)."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field, model_validator

from connector.model.base import NonEmptyText, Record, RefnetId, utcnow
from connector.model.enums import JointEventKind

__all__ = ["JointEvent"]


class JointEvent(Record):
    """An event the company holds with members: who hosted it, when, and who came.

    The host is the employee who ran it; attending refreshes the relationships between the
    attendees and with the host (:mod:`connector.upkeep`) and counts toward partners'
    ``joint_events`` goals (:mod:`connector.goals`).
    """

    title: NonEmptyText
    held_on: date
    kind: JointEventKind = JointEventKind.CLUB_EVENING
    host_id: RefnetId
    club_id: RefnetId | None = None
    attendee_ids: list[RefnetId] = Field(default_factory=list)
    created_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _attendees_once(self) -> JointEvent:
        if len(set(self.attendee_ids)) != len(self.attendee_ids):
            raise ValueError("an attendee is listed twice")
        if self.host_id in self.attendee_ids:
            raise ValueError("the host is not also an attendee")
        return self
