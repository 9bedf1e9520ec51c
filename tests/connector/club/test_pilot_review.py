"""The pilot review on a synthetic club whose outcome is known: each recommendation is
reached by a case built for it, and the reasons name what decided it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connector.club import load_club_facts, resolve_club, review_pilot
from connector.club.pilot import PilotReview
from connector.errors import RecordValidationError
from connector.model import Pilot, PilotGoals
from connector.rules.config import ClubRulesConfig
from connector.store import Store
from tests.connector.club.builders import synthetic_club

AFTER_THE_PHASE = date(2026, 1, 15)


def _review(store: Store, as_of: date = AFTER_THE_PHASE) -> PilotReview:
    with store.reading() as tx:
        facts = load_club_facts(tx, resolve_club(tx, None))
    return review_pilot(facts, ClubRulesConfig(), as_of=as_of)


def test_every_goal_met_and_members_ahead_of_comparable_customers_continues(store: Store) -> None:
    # 4 members, 6 referrals between them worth 6 × 2,000 = 12,000 (goal 10,000);
    # comparable non-members gave 2 referrals between 4 of them.
    synthetic_club(
        store, active=4, referrals_between=6, won_value_each="2000.00", non_member_referrals=2
    )
    review = _review(store)
    assert review.recommendation == "continue"
    assert [(g.goal, g.actual, g.attainment) for g in review.goals] == [
        ("members", Decimal(4), 1.0),
        ("referrals", Decimal(6), 1.0),
        ("business_value", Decimal("12000.00"), 1.2),
    ]
    comparison = review.comparison
    assert comparison is not None
    # The food customer refers most but is no comparable customer: only the 4 metal ones.
    assert (comparison.members, comparison.non_members) == (4, 4)
    assert (comparison.member_referrals_each, comparison.non_member_referrals_each) == (1.5, 0.5)
    assert comparison.matched_by == "industry"
    assert "every goal is on track" in review.reasons[-1]


def test_goals_far_missed_and_members_no_better_than_non_members_stops(store: Store) -> None:
    # One member left of four, one referral worth 500; non-members refer twice as much.
    synthetic_club(
        store, active=1, referrals_between=1, won_value_each="500.00", non_member_referrals=8
    )
    review = _review(store)
    assert review.recommendation == "stop"
    attainment = {g.goal: g.attainment for g in review.goals}
    assert attainment == {"members": 0.25, "referrals": 0.167, "business_value": 0.05}
    assert review.comparison is not None
    assert review.comparison.member_referrals_each < review.comparison.non_member_referrals_each
    assert "the club adds nothing" in review.reasons[-1]


def test_some_goals_missed_while_members_refer_more_adjusts_and_names_them(store: Store) -> None:
    synthetic_club(
        store, active=4, referrals_between=3, won_value_each="4000.00", non_member_referrals=1
    )
    review = _review(store)
    assert review.recommendation == "adjust"
    assert {g.goal: g.attainment for g in review.goals}["referrals"] == 0.5
    assert any(reason.startswith("behind on: referrals;") for reason in review.reasons)


def test_members_behind_comparable_customers_adjust_even_with_goals_met(store: Store) -> None:
    synthetic_club(
        store, active=4, referrals_between=6, won_value_each="2000.00", non_member_referrals=12
    )
    review = _review(store)
    assert review.recommendation == "adjust"
    assert "members refer less than comparable non-members" in review.reasons[-1]


def test_goals_are_judged_pro_rata_within_the_phase(store: Store) -> None:
    # Half-way through the year three of six referrals are on track, not behind.
    synthetic_club(
        store, active=4, referrals_between=3, won_value_each="2000.00", non_member_referrals=1
    )
    review = _review(store, as_of=date(2025, 7, 2))
    referrals = {g.goal: g for g in review.goals}["referrals"]
    assert review.share_passed == pytest.approx(0.5, abs=0.01)
    assert referrals.due_by_now == Decimal("3.00")
    assert referrals.attainment == 1.0


def test_a_club_without_a_pilot_or_goals_is_refused_naming_the_field(store: Store) -> None:
    synthetic_club(
        store,
        active=4,
        referrals_between=1,
        won_value_each="1.00",
        non_member_referrals=0,
        pilot=None,
    )
    with pytest.raises(RecordValidationError) as caught:
        _review(store)
    assert (caught.value.record, caught.value.field) == ("club 'club-1'", "pilot")
    with store.transaction() as tx:
        club = resolve_club(tx, None)
        pilot = Pilot(starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31), goals=PilotGoals())
        tx.put(club.model_copy(update={"pilot": pilot}))
    with pytest.raises(RecordValidationError) as caught:
        _review(store)
    assert caught.value.field == "pilot.goals"
    with pytest.raises(RecordValidationError) as caught:
        _review(store, as_of=date(2024, 12, 1))
    assert caught.value.field == "pilot.starts_on"


def test_the_stop_threshold_decides_between_stop_and_adjust(store: Store) -> None:
    # The "stop" club above: mean attainment about 0.16 and members behind non-members.
    synthetic_club(
        store, active=1, referrals_between=1, won_value_each="500.00", non_member_referrals=8
    )
    with store.reading() as tx:
        facts = load_club_facts(tx, resolve_club(tx, None))
    default = review_pilot(facts, ClubRulesConfig(), as_of=AFTER_THE_PHASE)
    lenient = review_pilot(facts, ClubRulesConfig(review_stop_below=0.1), as_of=AFTER_THE_PHASE)
    assert (default.recommendation, lenient.recommendation) == ("stop", "adjust")
