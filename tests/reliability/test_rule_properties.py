"""Properties of the stage rules that must hold for any input, found by hypothesis.

The example tests (tests/connector/test_state_machines.py, test_ladder.py) pin the tables
and thresholds; these walk random sequences of requested moves and random facts and check
what no table edit may break: a refused move changes nothing, terminal states stay
terminal, referrals never go back, the ladder climbs one rung per audited step and never
down, and advancing twice is the same as advancing once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.errors import IllegalTransition, RecordValidationError
from connector.model import (
    AgreementStatus,
    Circle,
    IntroductionStatus,
    LadderStage,
    MembershipStatus,
    PartnerStage,
    ReferralStatus,
)
from connector.rules import (
    AGREEMENT,
    INTRODUCTION,
    LADDER,
    MEMBERSHIP,
    PARTNER_PIPELINE,
    REFERRAL,
    ClubRulesConfig,
    LadderFacts,
    LadderThresholds,
    StateMachine,
    advance_ladder,
    move_membership,
    move_referral,
    propose_demotion,
)
from tests.connector import factories

MACHINES: list[tuple[StateMachine[Any], type[StrEnum]]] = [
    (REFERRAL, ReferralStatus),
    (LADDER, LadderStage),
    (PARTNER_PIPELINE, PartnerStage),
    (AGREEMENT, AgreementStatus),
    (MEMBERSHIP, MembershipStatus),
    (INTRODUCTION, IntroductionStatus),
]
RUNGS = [LadderStage.CUSTOMER, LadderStage.REFERRER, LadderStage.PARTNER]
# How far along a referral is; won and lost are both the end.
REFERRAL_PROGRESS = {"open": 0, "contacted": 1, "qualified": 2, "won": 3, "lost": 3}
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("machine", "states"), MACHINES, ids=[m.kind for m, _ in MACHINES])
@given(data=st.data())
def test_a_walk_of_requested_moves_only_takes_legal_steps(
    machine: StateMachine[Any], states: type[StrEnum], data: st.DataObject
) -> None:
    current = data.draw(st.sampled_from(list(states)))
    requests = data.draw(st.lists(st.sampled_from(list(states)), max_size=12))
    for requested in requests:
        allowed_before = machine.allowed(current)
        try:
            machine.check("rec-1", current, requested)
        except IllegalTransition as refused:
            # Refused: the state stays, and the error names what would have been allowed.
            assert requested not in allowed_before
            assert refused.allowed == [s.value for s in allowed_before]
            continue
        assert requested in allowed_before
        current = requested
    # A state without moves out is terminal: every request from it is refused.
    if not machine.allowed(current):
        for requested in states:
            assert not machine.can(current, requested)


@given(requests=st.lists(st.sampled_from(list(ReferralStatus)), max_size=10))
def test_a_referral_never_moves_back_and_never_leaves_won_or_lost(
    requests: list[ReferralStatus],
) -> None:
    referral = factories.referral("r1", "c1", "p1")
    at = T0
    for requested in requests:
        before = referral
        at += timedelta(hours=1)
        try:
            referral, change = move_referral(referral, requested, at=at, reason="test")
        except IllegalTransition:
            assert referral == before
            continue
        assert before.status not in (ReferralStatus.WON, ReferralStatus.LOST)
        assert REFERRAL_PROGRESS[referral.status] > REFERRAL_PROGRESS[before.status]
        assert (change.old, change.new) == (before.status.value, requested.value)
        assert referral.status_changed_at == at


facts_strategy = st.builds(
    LadderFacts,
    qualified_or_won=st.integers(0, 20),
    won=st.integers(0, 20),
    signed_agreements=st.integers(0, 3),
    last_referral_at=st.none() | st.datetimes(timezones=st.just(UTC)),
)
thresholds_strategy = st.builds(
    LadderThresholds,
    referrer_min_qualified=st.integers(1, 10),
    partner_min_won=st.integers(1, 10),
    partner_on_signed_agreement=st.booleans(),
    demotion_inactive_days=st.integers(1, 2000),
)


@given(
    start=st.sampled_from(RUNGS),
    facts=facts_strategy,
    limits=thresholds_strategy,
)
def test_the_ladder_climbs_one_audited_rung_at_a_time_and_never_down(
    start: LadderStage, facts: LadderFacts, limits: LadderThresholds
) -> None:
    member = factories.member("c1", Circle.CUSTOMER, ladder_stage=start)
    moved, changes = advance_ladder(member, facts, limits, cause="event e1")
    assert moved.ladder_stage is not None
    assert RUNGS.index(moved.ladder_stage) >= RUNGS.index(start)
    assert len(changes) == RUNGS.index(moved.ladder_stage) - RUNGS.index(start)
    for step, change in enumerate(changes):
        assert change.old == RUNGS[RUNGS.index(start) + step].value
        assert change.new == RUNGS[RUNGS.index(start) + step + 1].value
        assert change.reason.endswith("; event e1")
    # Advancing again with the same facts is a no-op: rules are idempotent.
    again, more = advance_ladder(moved, facts, limits, cause="event e1")
    assert (again, more) == (moved, [])


@given(facts=facts_strategy, limits=thresholds_strategy, extra=st.integers(0, 5))
def test_more_successful_referrals_never_leave_a_member_lower(
    facts: LadderFacts, limits: LadderThresholds, extra: int
) -> None:
    richer = LadderFacts(
        facts.qualified_or_won + extra,
        facts.won + extra,
        facts.signed_agreements,
        facts.last_referral_at,
    )
    member = factories.member("c1", Circle.CUSTOMER, ladder_stage=LadderStage.CUSTOMER)
    poorer_stage = advance_ladder(member, facts, limits, cause="x")[0].ladder_stage
    richer_stage = advance_ladder(member, richer, limits, cause="x")[0].ladder_stage
    assert poorer_stage is not None and richer_stage is not None
    assert RUNGS.index(richer_stage) >= RUNGS.index(poorer_stage)


@given(
    stage=st.sampled_from(RUNGS),
    facts=facts_strategy,
    limits=thresholds_strategy,
    as_of=st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
)
def test_a_demotion_is_only_ever_proposed_one_rung_down(
    stage: LadderStage, facts: LadderFacts, limits: LadderThresholds, as_of: datetime
) -> None:
    member = factories.member("c1", Circle.CUSTOMER, ladder_stage=stage)
    proposal = propose_demotion(member, facts, limits, as_of=as_of)
    if proposal is None:
        return
    assert proposal.current is stage
    assert RUNGS.index(proposal.proposed) == RUNGS.index(stage) - 1
    assert not (stage is LadderStage.PARTNER and facts.signed_agreements > 0)
    # Either the facts no longer earn the rung, or the member has been inactive too long.
    earned = (
        facts.qualified_or_won >= limits.referrer_min_qualified
        if stage is LadderStage.REFERRER
        else facts.won >= limits.partner_min_won
    )
    if earned and facts.last_referral_at is not None:
        assert as_of - facts.last_referral_at > timedelta(days=limits.demotion_inactive_days)
    # A proposal is only a proposal: the member is untouched.
    assert member.ladder_stage is stage


@given(
    requests=st.lists(st.sampled_from(list(MembershipStatus)), max_size=10),
    accepted=st.none() | st.integers(1, 3),
    trial_months=st.integers(1, 36),
)
def test_a_membership_walk_keeps_its_dates_and_rules_consistent(
    requests: list[MembershipStatus], accepted: int | None, trial_months: int
) -> None:
    club = factories.club(trial_months=trial_months)
    membership = factories.membership()
    config = ClubRulesConfig()
    on = date(2025, 3, 1)
    for requested in requests:
        before = membership
        on += timedelta(days=30)
        try:
            membership, _ = move_membership(
                membership,
                requested,
                club,
                on=on,
                reason="test",
                config=config,
                accepted_rules_version=accepted,
            )
        except IllegalTransition:
            assert membership == before
            continue
        except RecordValidationError as refused:  # a legal move refused for the rules
            assert requested is MembershipStatus.MEMBER
            assert "current rules" in str(refused)
            assert membership == before
            continue
        if requested is MembershipStatus.TRIAL:
            assert membership.trial_started_on == on
            assert membership.trial_ends_on is not None and membership.trial_ends_on > on
        if requested is MembershipStatus.MEMBER:
            assert membership.accepted_rules_version == club.current_rules_version
            assert membership.joined_on is not None and membership.joined_on <= on
