"""The customer ladder: thresholds from configuration, one audited step per rung, no demotion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.model import AgreementStatus, Circle, LadderStage, ReferralStatus
from connector.rules import (
    LadderFacts,
    LadderThresholds,
    advance_ladder,
    ladder_facts,
    propose_demotion,
    rung_earned_at,
)
from tests.connector.factories import T0, member, referral

DEFAULT = LadderThresholds()


def test_first_qualified_referral_makes_a_customer_a_referrer() -> None:
    moved, changes = advance_ladder(
        member("c1"), LadderFacts(qualified_or_won=1), DEFAULT, cause="e"
    )
    assert moved.ladder_stage is LadderStage.REFERRER
    assert [(c.old, c.new) for c in changes] == [("customer", "referrer")]


def test_open_referrals_alone_do_not_promote() -> None:
    moved, changes = advance_ladder(member("c1"), LadderFacts(), DEFAULT, cause="e")
    assert moved.ladder_stage is LadderStage.CUSTOMER
    assert changes == []


def test_three_won_referrals_climb_both_rungs_each_audited_on_its_own() -> None:
    facts = LadderFacts(qualified_or_won=3, won=3)
    moved, changes = advance_ladder(member("c1"), facts, DEFAULT, cause="deal 7 won")
    assert moved.ladder_stage is LadderStage.PARTNER
    assert [(c.old, c.new) for c in changes] == [("customer", "referrer"), ("referrer", "partner")]
    assert all(c.reason.endswith("deal 7 won") for c in changes)
    assert "3 won referral(s) (threshold 3)" in changes[1].reason


def test_two_won_referrals_stay_referrer() -> None:
    facts = LadderFacts(qualified_or_won=2, won=2)
    moved, _ = advance_ladder(member("c1"), facts, DEFAULT, cause="e")
    assert moved.ladder_stage is LadderStage.REFERRER


def test_signed_agreement_makes_a_referrer_a_partner_but_does_not_skip_referrer() -> None:
    referrer = member("c1", ladder_stage=LadderStage.REFERRER)
    moved, changes = advance_ladder(referrer, LadderFacts(signed_agreements=1), DEFAULT, cause="e")
    assert moved.ladder_stage is LadderStage.PARTNER
    assert changes[0].reason.startswith("signed goal agreement")
    # A customer with an agreement but no qualified referral has not earned the first rung.
    stays, none = advance_ladder(member("c2"), LadderFacts(signed_agreements=1), DEFAULT, cause="e")
    assert stays.ladder_stage is LadderStage.CUSTOMER
    assert none == []


def test_thresholds_come_from_configuration() -> None:
    strict = LadderThresholds(
        referrer_min_qualified=2, partner_min_won=5, partner_on_signed_agreement=False
    )
    moved, _ = advance_ladder(member("c1"), LadderFacts(qualified_or_won=1), strict, cause="e")
    assert moved.ladder_stage is LadderStage.CUSTOMER
    facts = LadderFacts(qualified_or_won=4, won=4, signed_agreements=1)
    moved, _ = advance_ladder(member("c1"), facts, strict, cause="e")
    assert moved.ladder_stage is LadderStage.REFERRER


def test_members_outside_the_customer_circle_have_no_ladder() -> None:
    employee = member("e1", circle=Circle.EMPLOYEE)
    moved, changes = advance_ladder(
        employee, LadderFacts(won=9, qualified_or_won=9), DEFAULT, cause="e"
    )
    assert moved.ladder_stage is None and changes == []


def test_ladder_facts_count_only_the_members_own_referrals() -> None:
    refs = [
        referral("r1", "c1", "x", status=ReferralStatus.WON),
        referral("r2", "c1", "y", status=ReferralStatus.QUALIFIED, created=T0 + timedelta(days=3)),
        referral("r3", "c1", "z", status=ReferralStatus.LOST),
        referral("r4", "c2", "x", status=ReferralStatus.WON),
    ]
    facts = ladder_facts("c1", refs, [AgreementStatus.SIGNED, AgreementStatus.FAILED])
    counted = (facts.qualified_or_won, facts.won, facts.signed_agreements, facts.last_referral_at)
    assert counted == (2, 1, 1, T0 + timedelta(days=3))
    assert facts.won_at == (refs[0].status_changed_at,)
    assert facts.qualified_or_won_at == tuple(sorted(r.status_changed_at for r in refs[:2]))


def test_a_rung_is_dated_by_the_fact_that_reached_its_threshold() -> None:
    day = [T0 + timedelta(days=n) for n in range(4)]
    facts = LadderFacts(
        qualified_or_won=3, won=2, qualified_or_won_at=(day[0], day[1], day[3]), won_at=day[1:3]
    )
    two = LadderThresholds(referrer_min_qualified=2, partner_min_won=2)
    assert rung_earned_at(LadderStage.REFERRER, facts, two) == day[1]
    assert rung_earned_at(LadderStage.PARTNER, facts, two) == day[2]
    three = LadderThresholds(partner_min_won=3)
    assert rung_earned_at(LadderStage.PARTNER, facts, three) is None  # not earned
    signed = LadderFacts(signed_agreements=1, signed_at=(day[0],))
    assert rung_earned_at(LadderStage.PARTNER, signed, three) == day[0]


def test_inactive_referrer_is_proposed_one_rung_down_never_moved() -> None:
    as_of = datetime(2027, 6, 1, tzinfo=UTC)
    referrer = member("c1", ladder_stage=LadderStage.REFERRER)
    facts = LadderFacts(qualified_or_won=1, last_referral_at=datetime(2025, 1, 1, tzinfo=UTC))
    proposal = propose_demotion(referrer, facts, DEFAULT, as_of=as_of)
    assert proposal is not None
    assert (proposal.current, proposal.proposed) == (LadderStage.REFERRER, LadderStage.CUSTOMER)
    assert "since 2025-01-01" in proposal.reason
    assert referrer.ladder_stage is LadderStage.REFERRER


def test_no_demotion_for_active_members_or_partners_with_a_signed_agreement() -> None:
    as_of = datetime(2027, 6, 1, tzinfo=UTC)
    # Active, and with the qualified referral that earned the rung (else: credit withdrawn).
    recent = LadderFacts(qualified_or_won=1, last_referral_at=as_of - timedelta(days=10))
    assert (
        propose_demotion(
            member("c1", ladder_stage=LadderStage.REFERRER), recent, DEFAULT, as_of=as_of
        )
        is None
    )
    partner = member("c2", ladder_stage=LadderStage.PARTNER)
    assert propose_demotion(partner, LadderFacts(signed_agreements=1), DEFAULT, as_of=as_of) is None
    proposal = propose_demotion(partner, LadderFacts(), DEFAULT, as_of=as_of)
    assert proposal is not None and proposal.proposed is LadderStage.REFERRER


def test_a_rung_whose_credit_was_withdrawn_is_proposed_down_never_moved() -> None:
    as_of = datetime(2027, 6, 1, tzinfo=UTC)
    active = as_of - timedelta(days=3)
    # A partner by 3 won referrals; one of them was reopened: 2 left, threshold 3.
    partner = member("c3", ladder_stage=LadderStage.PARTNER)
    facts = LadderFacts(qualified_or_won=3, won=2, last_referral_at=active)
    proposal = propose_demotion(partner, facts, DEFAULT, as_of=as_of)
    assert proposal is not None
    assert (proposal.current, proposal.proposed) == (LadderStage.PARTNER, LadderStage.REFERRER)
    assert proposal.reason == (
        "credit withdrawn: 2 won referral(s) and no signed agreement (threshold 3)"
    )
    assert partner.ladder_stage is LadderStage.PARTNER
    # The same partner with a signed agreement keeps the rung without a proposal.
    assert (
        propose_demotion(
            partner,
            LadderFacts(qualified_or_won=3, won=2, signed_agreements=1, last_referral_at=active),
            DEFAULT,
            as_of=as_of,
        )
        is None
    )
    referrer = member("c4", ladder_stage=LadderStage.REFERRER)
    withdrawn = propose_demotion(
        referrer, LadderFacts(last_referral_at=active), DEFAULT, as_of=as_of
    )
    assert withdrawn is not None and withdrawn.proposed is LadderStage.CUSTOMER
    assert "credit withdrawn: 0 referral(s) qualified or won (threshold 1)" in withdrawn.reason
