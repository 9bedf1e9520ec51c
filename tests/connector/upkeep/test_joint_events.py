"""Joint events (issue #18, item 6): attending refreshes relationships and counts toward goals."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connector.errors import ImportRejected, NotFoundError, RecordValidationError
from connector.importing import import_file
from connector.joint_events import add_event, attend, list_events
from connector.model import (
    AgreementStatus,
    Connection,
    Goal,
    GoalMetric,
    JointEvent,
    JointEventKind,
    PartnerStage,
)
from connector.report import build_report
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store
from tests.connector import factories
from tests.connector.upkeep.network import small_network

ACTOR = Actor("test")
EVENING = date(2025, 11, 20)


def _last_contacts(store: Store) -> dict[str, date | None]:
    with store.reading() as tx:
        return {c.id: c.last_contact_on for c in tx.find(Connection)}


def test_an_event_refreshes_ties_between_those_present_and_with_the_host_only(
    store: Store,
) -> None:
    small_network(store)
    result = add_event(
        store,
        title="Kundenabend",
        held_on=EVENING,
        host_id="emp",
        attendee_ids=["c1", "c2", "p1"],
        reason="Kundenabend im Werk",
        actor=ACTOR,
    )
    contacts = _last_contacts(store)
    # emp–c1, emp–c2 (host and attendees), c1–c2 (two attendees) move to the evening;
    # emp–p1 already had a later contact (01.12.2025) and keeps it.
    assert contacts["con-emp-c1"] == EVENING
    assert contacts["con-emp-c2"] == EVENING
    assert contacts["con-c1-c2"] == EVENING
    assert contacts["con-emp-p1"] == date(2025, 12, 1)
    # c3 was not there; emp2 did not host: their ties are untouched.
    assert contacts["con-c2-c3"] is None
    assert contacts["con-emp2-c3"] == date(2025, 1, 10)
    assert result.refreshed == 3
    with store.reading() as tx:
        trail = tx.audit_trail("con-emp-c2")
    assert [(e.field, e.old_value, e.new_value) for e in trail] == [
        ("last_contact_on", None, "2025-11-20")
    ]
    assert result.event.id in trail[0].reason


def test_attending_later_adds_the_member_and_refreshes_their_ties(store: Store) -> None:
    small_network(store)
    created = add_event(
        store,
        title="Partnertag",
        held_on=EVENING,
        host_id="emp",
        kind=JointEventKind.PARTNER_EVENT,
        attendee_ids=["c2"],
        reason="Partnertag",
        actor=ACTOR,
    )
    assert _last_contacts(store)["con-c2-c3"] is None
    result = attend(store, created.event.id, ["c3"], reason="kam dazu", actor=ACTOR)
    assert result.event.attendee_ids == ["c2", "c3"]
    assert _last_contacts(store)["con-c2-c3"] == EVENING
    with store.reading() as tx:
        stored = tx.get(JointEvent, created.event.id)
        assert stored.attendee_ids == ["c2", "c3"]
        assert [e.new_value for e in tx.audit_trail(created.event.id)] == ["2025-11-20", "c3"]


def test_bad_attendance_is_refused_naming_the_event_and_field_and_nothing_is_written(
    store: Store,
) -> None:
    small_network(store)
    event = add_event(
        store, title="Abend", held_on=EVENING, host_id="emp", attendee_ids=["c1"],
        reason="x", actor=ACTOR,
    ).event  # fmt: skip
    with pytest.raises(RecordValidationError, match=r"attendee_ids.*already there"):
        attend(store, event.id, ["c1"], reason="twice", actor=ACTOR)
    with pytest.raises(RecordValidationError, match=r"attendee_ids.*no member 'ghost'"):
        attend(store, event.id, ["c2", "ghost"], reason="x", actor=ACTOR)
    with pytest.raises(RecordValidationError, match=r"host_id.*must be an employee"):
        add_event(store, title="Abend", held_on=EVENING, host_id="c1", reason="x", actor=ACTOR)
    with pytest.raises(NotFoundError):
        attend(store, "evt-404", ["c2"], reason="x", actor=ACTOR)
    with store.reading() as tx:
        assert tx.get(JointEvent, event.id).attendee_ids == ["c1"]
        assert list_events(tx) == [tx.get(JointEvent, event.id)]
    assert _last_contacts(store)["con-emp-c2"] is None


def test_a_partners_joint_events_goal_measures_itself_in_the_report(store: Store) -> None:
    small_network(store)
    with store.transaction() as tx:
        tx.put(factories.partnership(member_id="p1", stage=PartnerStage.AGREEMENT))
        tx.put(
            factories.agreement(
                status=AgreementStatus.SIGNED,
                goals=[Goal(metric=GoalMetric.JOINT_EVENTS, target=4)],
            )
        )
    for day in (date(2025, 3, 5), date(2025, 9, 9), date(2026, 2, 2)):  # the last is after
        add_event(
            store, title="Partnerabend", held_on=day, host_id="emp", attendee_ids=["p1"],
            reason="x", actor=ACTOR,
        )  # fmt: skip
    # An event p1 did not attend does not count.
    add_event(store, title="Ohne Partner", held_on=date(2025, 5, 5), host_id="emp",
              attendee_ids=["c1"], reason="x", actor=ACTOR)  # fmt: skip
    report = build_report(store, RulesConfig(), as_of=datetime(2025, 12, 31, 12, tzinfo=UTC))
    (progress,) = report.goals
    (goal,) = progress.goals
    assert (goal.metric, goal.actual, goal.progress) == ("joint_events", 2, 0.5)
    health = {h.name: h for h in report.intelligence.health}
    described = "\n".join(g.describe() for c in health["Vogel GmbH"].agreements for g in c.goals)
    assert "joint_events: 2 of 4" in described


def test_events_import_from_json_and_an_unknown_attendee_is_a_record_error(
    store: Store, tmp_path: Path
) -> None:
    small_network(store)
    event = {
        "id": "evt-1",
        "title": "Kundenabend",
        "held_on": "2025-11-20",
        "kind": "club_evening",
        "host_id": "emp",
        "attendee_ids": ["c1", "c2"],
    }
    programme = tmp_path / "programme.json"
    programme.write_text(json.dumps({"joint_events": [event]}), encoding="utf-8")
    import_file(store, programme, rules=RulesConfig(), actor=ACTOR)
    with store.reading() as tx:
        assert tx.get(JointEvent, "evt-1").attendee_ids == ["c1", "c2"]
    event = {**event, "id": "evt-2", "attendee_ids": ["c1", "ghost"]}
    programme.write_text(json.dumps({"joint_events": [event]}), encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        import_file(store, programme, rules=RulesConfig(), actor=ACTOR)
    (error,) = rejected.value.errors
    assert "attendee_ids" in str(error) and "unknown member 'ghost'" in str(error)
    with store.reading() as tx:
        assert tx.maybe(JointEvent, "evt-2") is None


def test_an_imported_event_refreshes_the_ties_of_those_present_as_events_add_does(
    store: Store, tmp_path: Path
) -> None:
    small_network(store)
    event = {
        "id": "evt-import",
        "title": "Kundenabend",
        "held_on": EVENING.isoformat(),
        "kind": "club_evening",
        "host_id": "emp",
        "attendee_ids": ["c1", "c2", "p1"],
    }
    programme = tmp_path / "programme.json"
    programme.write_text(json.dumps({"joint_events": [event]}), encoding="utf-8")
    before = _last_contacts(store)
    assert before["con-emp-c1"] != EVENING

    report = import_file(store, programme, rules=RulesConfig(), actor=ACTOR)

    contacts = _last_contacts(store)
    assert contacts["con-emp-c1"] == EVENING
    assert contacts["con-emp-c2"] == EVENING
    assert contacts["con-c1-c2"] == EVENING
    assert contacts["con-emp-p1"] == date(2025, 12, 1)  # a later contact is kept
    assert contacts["con-c2-c3"] is None  # c3 was not there
    refreshed = {c.record_id for c in report.changes if c.kind == "connection"}
    assert refreshed == {"con-emp-c1", "con-emp-c2", "con-c1-c2"}
    # Importing the same file again moves nothing: the ties are already at the evening.
    again = import_file(store, programme, rules=RulesConfig(), actor=ACTOR)
    assert [c for c in again.changes if c.kind == "connection"] == []


def test_a_dry_run_import_of_an_event_refreshes_nothing(store: Store, tmp_path: Path) -> None:
    small_network(store)
    event = {
        "id": "evt-dry",
        "title": "Kundenabend",
        "held_on": EVENING.isoformat(),
        "kind": "club_evening",
        "host_id": "emp",
        "attendee_ids": ["c1", "c2"],
    }
    programme = tmp_path / "programme.json"
    programme.write_text(json.dumps({"joint_events": [event]}), encoding="utf-8")
    before = _last_contacts(store)

    report = import_file(store, programme, rules=RulesConfig(), actor=ACTOR, dry_run=True)

    assert {c.record_id for c in report.changes if c.kind == "connection"} >= {"con-emp-c1"}
    assert _last_contacts(store) == before
