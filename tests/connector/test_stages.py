"""Pure stage moves and their consequences (agreement → partnership, club trial and rules)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connector.errors import IllegalTransition, RecordValidationError
from connector.model import AgreementStatus, MembershipStatus, PartnerStage, ReferralStatus
from connector.rules import (
    ClubRulesConfig,
    agreement_consequence,
    move_agreement,
    move_membership,
    move_partnership,
    move_referral,
)
from tests.connector.factories import T0, agreement, club, membership, partnership, referral


def test_move_returns_a_moved_copy_and_the_change_leaving_the_input_untouched() -> None:
    original = referral("r1", "a", "b")
    moved, change = move_referral(original, ReferralStatus.CONTACTED, at=T0, reason="called")
    assert original.status is ReferralStatus.OPEN
    assert moved.status is ReferralStatus.CONTACTED
    assert (change.kind, change.record_id, change.old, change.new, change.reason) == (
        "referral",
        "r1",
        "open",
        "contacted",
        "called",
    )


def test_full_partner_pipeline_including_the_loop_from_failed_agreement_back_to_contact() -> None:
    p = partnership()
    for stage in (PartnerStage.PROFILE, PartnerStage.CONTACT, PartnerStage.AGREEMENT):
        p, _ = move_partnership(p, stage, at=T0, reason="next step")
    failed, _ = move_agreement(
        agreement(status=AgreementStatus.PROPOSED),
        AgreementStatus.FAILED,
        on=date(2025, 3, 1),
        reason="no common goals",
    )
    consequence = agreement_consequence(failed, p, at=T0)
    assert consequence is not None
    back, change = consequence
    assert back.stage is PartnerStage.CONTACT
    assert change.old == "agreement" and change.new == "contact"
    assert "failed" in change.reason
    # ... and after a second, successful round the partnership reaches optimisation.
    p, _ = move_partnership(back, PartnerStage.AGREEMENT, at=T0, reason="second try")
    signed, _ = move_agreement(
        agreement(id="a-2", status=AgreementStatus.PROPOSED),
        AgreementStatus.SIGNED,
        on=date(2025, 4, 1),
        reason="signed",
    )
    assert signed.signed_on == date(2025, 4, 1)
    consequence = agreement_consequence(signed, p, at=T0)
    assert consequence is not None
    assert consequence[0].stage is PartnerStage.OPTIMISATION


def test_agreement_consequence_leaves_partnerships_outside_step_four_alone() -> None:
    signed = agreement(status=AgreementStatus.SIGNED)
    assert agreement_consequence(signed, partnership(stage=PartnerStage.CONTACT), at=T0) is None


def test_dropping_a_partnership_keeps_the_reason() -> None:
    dropped, _ = move_partnership(partnership(), PartnerStage.DROPPED, at=T0, reason="no fit")
    assert dropped.dropped_reason == "no fit"
    with pytest.raises(IllegalTransition):
        move_partnership(dropped, PartnerStage.ANALYSIS, at=T0, reason="revive")


def test_an_agreement_without_goals_cannot_be_signed() -> None:
    with pytest.raises(RecordValidationError) as caught:
        move_agreement(
            agreement(status=AgreementStatus.PROPOSED, goals=[]),
            AgreementStatus.SIGNED,
            on=date(2025, 2, 1),
            reason="x",
        )
    assert caught.value.field == "goals"
    assert "agreement 'a-1'" in str(caught.value)


def test_trial_sets_its_end_from_the_club_test_phase() -> None:
    config = ClubRulesConfig()
    moved, _ = move_membership(
        membership(),
        MembershipStatus.TRIAL,
        club(),
        on=date(2025, 3, 31),
        reason="x",
        config=config,
    )
    assert moved.trial_started_on == date(2025, 3, 31)
    assert moved.trial_ends_on == date(2026, 3, 31)
    two_years = club(trial_months=24)
    moved, _ = move_membership(
        membership(),
        MembershipStatus.TRIAL,
        two_years,
        on=date(2024, 2, 29),
        reason="x",
        config=config,
    )
    assert moved.trial_ends_on == date(2026, 2, 28)


def test_becoming_a_member_requires_the_current_rules() -> None:
    config = ClubRulesConfig()
    on_trial = membership(status=MembershipStatus.TRIAL, accepted_rules_version=1)
    with pytest.raises(RecordValidationError) as caught:
        move_membership(
            on_trial,
            MembershipStatus.MEMBER,
            club(),
            on=date(2026, 2, 1),
            reason="x",
            config=config,
        )
    assert caught.value.field == "accepted_rules_version"
    assert "version 2" in str(caught.value)
    joined, change = move_membership(
        on_trial,
        MembershipStatus.MEMBER,
        club(),
        on=date(2026, 2, 1),
        reason="accepted v2",
        config=config,
        accepted_rules_version=2,
    )
    assert joined.accepted_rules_version == 2
    assert joined.joined_on == date(2026, 2, 1)
    assert change.new == "member"


def test_rules_acceptance_can_be_switched_off_in_configuration() -> None:
    lenient = ClubRulesConfig(require_accepted_rules=False)
    joined, _ = move_membership(
        membership(status=MembershipStatus.TRIAL),
        MembershipStatus.MEMBER,
        club(),
        on=date(2026, 2, 1),
        reason="x",
        config=lenient,
    )
    assert joined.status is MembershipStatus.MEMBER


def test_expected_progress_follows_the_period() -> None:
    a = agreement()
    assert a.expected_progress(date(2024, 12, 1)) == 0.0
    assert a.expected_progress(date(2026, 1, 1)) == 1.0
    midway = a.period_start + timedelta(days=182)
    assert a.expected_progress(midway) == pytest.approx(0.5, abs=0.01)
    assert a.progress == pytest.approx(0.25)
