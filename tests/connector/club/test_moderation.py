"""Moderation: the moderator, introductions' follow-up, outcome and value, and the to-do list
(follow-ups due, trials ending, members quiet for N months with N a setting)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connector.club import club_todo, load_club_facts, resolve_club
from connector.club.service import IntroductionFollowUp, set_follow_up, set_moderator
from connector.club.todo import TodoItem
from connector.errors import RecordValidationError
from connector.model import Club, Introduction, Membership, MembershipStatus
from connector.rules.config import ClubRulesConfig
from connector.services import Actor
from connector.store import Store
from tests.connector.club.builders import introduction, synthetic_club


def _todo(store: Store, as_of: date, **config: int) -> list[TodoItem]:
    with store.reading() as tx:
        facts = load_club_facts(tx, resolve_club(tx, None))
    return club_todo(facts, ClubRulesConfig(**config), as_of=as_of)  # type: ignore[arg-type]


@pytest.fixture
def club_store(store: Store) -> Store:
    # Members m1..m4 in the club; m1 gives its last referral (to m2) on 2025-02-10.
    synthetic_club(
        store, active=4, referrals_between=1, won_value_each="1000.00", non_member_referrals=0
    )
    return store


def test_the_moderator_must_be_an_employee_and_is_audited(club_store: Store, actor: Actor) -> None:
    with pytest.raises(RecordValidationError) as caught:
        set_moderator(club_store, "m1", club_id=None, reason="x", actor=actor)
    assert (caught.value.record, caught.value.field) == ("club 'club-1'", "moderator_id")
    club, _ = set_moderator(club_store, "emp", club_id=None, reason="runs it", actor=actor)
    assert club.moderator_id == "emp"
    with club_store.reading() as tx:
        assert tx.get(Club, "club-1").moderator_id == "emp"
        trail = tx.audit_trail("club-1")
    assert [(e.field, e.old_value, e.new_value) for e in trail] == [("moderator_id", None, "emp")]


def test_an_introduction_records_follow_up_outcome_and_value(
    club_store: Store, actor: Actor
) -> None:
    with club_store.transaction() as tx:
        tx.put(introduction("int-1", "m1", "m2"))
    update = IntroductionFollowUp(date(2025, 6, 1), "met twice, offer sent", Decimal("8500.00"))
    moved, changes = set_follow_up(club_store, "int-1", update, reason="call", actor=actor)
    assert (moved.follow_up_on, moved.outcome, moved.value) == (
        date(2025, 6, 1),
        "met twice, offer sent",
        Decimal("8500.00"),
    )
    assert [c.field for c in changes] == ["follow_up_on", "outcome", "value"]
    with club_store.reading() as tx:
        assert tx.get(Introduction, "int-1").value == Decimal("8500.00")
    with pytest.raises(RecordValidationError) as caught:
        set_follow_up(
            club_store, "int-1", IntroductionFollowUp(value=Decimal("-1")), reason="x", actor=actor
        )
    assert (caught.value.record, caught.value.field) == ("introduction 'int-1'", "value")


def test_follow_ups_are_due_on_their_date_or_a_month_after_the_introduction(
    club_store: Store,
) -> None:
    with club_store.transaction() as tx:
        tx.put_many(
            [
                introduction("int-dated", "m1", "m2", follow_up_on=date(2025, 5, 20)),
                introduction("int-undated", "m2", "m3"),  # made 2025-05-01: due 2025-05-31
                introduction("int-later", "m3", "m4", follow_up_on=date(2025, 9, 1)),
                introduction("int-done", "m1", "m4", status="business_done"),
            ]
        )
    follow_ups = [i for i in _todo(club_store, date(2025, 5, 25)) if i.what == "follow_up"]
    assert [(i.record_id, i.due_on, i.overdue) for i in follow_ups] == [
        ("int-dated", date(2025, 5, 20), True),
        ("int-undated", date(2025, 5, 31), False),  # within the 7-day horizon
    ]


def test_trials_ending_soon_are_due(club_store: Store) -> None:
    with club_store.transaction() as tx:
        trial = tx.get(Membership, "ms-1").model_copy(update={"status": MembershipStatus.TRIAL})
        tx.put(trial)
    before = [i for i in _todo(club_store, date(2025, 11, 1)) if i.what == "trial_ending"]
    due = [i for i in _todo(club_store, date(2025, 12, 5)) if i.what == "trial_ending"]
    assert before == []
    assert [(i.record_id, i.due_on) for i in due] == [("ms-1", date(2026, 1, 1))]


@pytest.mark.parametrize(
    ("months", "quiet"),
    [(3, ["ms-1", "ms-2", "ms-3", "ms-4"]), (6, ["ms-3", "ms-4"]), (12, [])],
)
def test_members_quiet_for_n_months_follow_the_setting(
    club_store: Store, months: int, quiet: list[str]
) -> None:
    # On 2025-08-01, m1 and m2 were last active on 2025-02-10 (the one referral between
    # them), m3 and m4 never since their trial started on 2025-01-01.
    items = _todo(club_store, date(2025, 8, 1), quiet_after_months=months)
    assert sorted(i.record_id for i in items if i.what == "quiet_member") == quiet


def test_the_pilots_end_is_due_a_month_ahead(club_store: Store) -> None:
    # The synthetic pilot ends on 31.12.2025; trials end on 01.01.2026 as well.
    assert [i for i in _todo(club_store, date(2025, 11, 1)) if i.what == "pilot_ending"] == []
    (item,) = [i for i in _todo(club_store, date(2025, 12, 10)) if i.what == "pilot_ending"]
    assert (item.record_id, item.due_on) == ("club-1", date(2025, 12, 31))
    assert "refnet club review" in item.detail


def test_an_undated_follow_up_is_due_after_follow_up_days(club_store: Store) -> None:
    with club_store.transaction() as tx:
        tx.put(introduction("int-undated", "m2", "m3"))  # made 2025-05-01
    for days, due in [(30, date(2025, 5, 31)), (1, date(2025, 5, 2))]:
        items = _todo(club_store, date(2025, 5, 25), follow_up_days=days, todo_horizon_days=30)
        assert [(i.record_id, i.due_on) for i in items if i.what == "follow_up"] == [
            ("int-undated", due)
        ]
