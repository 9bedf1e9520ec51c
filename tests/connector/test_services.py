"""Manual moves through services.advance: same rules and audit as automatic ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector.errors import IllegalTransition, InputError, NotFoundError, RecordValidationError
from connector.model import (
    AgreementStatus,
    LadderStage,
    Member,
    Membership,
    MembershipStatus,
    Partnership,
    PartnerStage,
    Referral,
    ReferralStatus,
)
from connector.rules import LadderThresholds, RulesConfig
from connector.services import Actor, advance, demotion_proposals
from connector.store import Store
from tests.connector.factories import agreement, club, member, membership, partnership, referral

WHEN = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def network(store: Store) -> Store:
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                *(member(f"x{i}", circle="prospect") for i in range(4)),
                *(
                    referral(f"r{i}", "c1", f"x{i}", status=ReferralStatus.QUALIFIED)
                    for i in range(3)
                ),
                partnership(stage=PartnerStage.AGREEMENT),
                agreement(status=AgreementStatus.PROPOSED),
                club(),
                membership(status=MembershipStatus.TRIAL),
            ]
        )
    return store


def test_winning_referrals_promotes_the_referrer_with_audit(
    network: Store, rules: RulesConfig
) -> None:
    bot = Actor("webhook", event_ref="hubspot:evt-1")
    for i in range(3):
        changes = advance(
            network, "referral", f"r{i}", "won", reason="deal won", actor=bot, rules=rules, at=WHEN
        )
    assert [(c.kind, c.new) for c in changes] == [("referral", "won"), ("ladder", "partner")]
    with network.reading() as tx:
        assert tx.get(Member, "c1").ladder_stage is LadderStage.PARTNER
        assert tx.get(Referral, "r2").status_changed_at == WHEN
        trail = tx.audit_trail("c1")
    assert [e.new_value for e in trail] == ["referrer", "partner"]
    assert {e.actor for e in trail} == {"webhook"} and trail[-1].event_ref == "hubspot:evt-1"


def test_signing_an_agreement_moves_the_partnership_and_the_ladder(
    network: Store, rules: RulesConfig, actor: Actor
) -> None:
    advance(network, "referral", "r0", "won", reason="x", actor=actor, rules=rules, at=WHEN)
    changes = advance(
        network,
        "agreement",
        "a-1",
        "signed",
        reason="signed in person",
        actor=actor,
        rules=rules,
        at=WHEN,
    )
    assert [(c.kind, c.old, c.new) for c in changes] == [
        ("agreement", "proposed", "signed"),
        ("partnership", "agreement", "optimisation"),
        ("ladder", "referrer", "partner"),
    ]
    with network.reading() as tx:
        assert tx.get(Partnership, "p-1").stage is PartnerStage.OPTIMISATION
        # r0 won, customer → referrer, then the three changes above.
        assert len(tx.audit_trail()) == 5


def test_failed_agreement_sends_the_partnership_back_to_contact(
    network: Store, rules: RulesConfig, actor: Actor
) -> None:
    advance(network, "agreement", "a-1", "failed", reason="no deal", actor=actor, rules=rules)
    with network.reading() as tx:
        assert tx.get(Partnership, "p-1").stage is PartnerStage.CONTACT


def test_membership_needs_current_rules_through_advance_too(
    network: Store, rules: RulesConfig, actor: Actor
) -> None:
    with pytest.raises(RecordValidationError):
        advance(network, "membership", "ms-1", "member", reason="x", actor=actor, rules=rules)
    advance(
        network,
        "membership",
        "ms-1",
        "member",
        reason="x",
        actor=actor,
        rules=rules,
        accepted_rules_version=2,
        at=WHEN,
    )
    with network.reading() as tx:
        joined = tx.get(Membership, "ms-1")
    assert joined.status is MembershipStatus.MEMBER and joined.joined_on == WHEN.date()


def test_a_refused_move_changes_nothing(network: Store, rules: RulesConfig, actor: Actor) -> None:
    with pytest.raises(IllegalTransition):
        advance(network, "partnership", "p-1", "analysis", reason="x", actor=actor, rules=rules)
    with network.reading() as tx:
        assert tx.get(Partnership, "p-1").stage is PartnerStage.AGREEMENT
        assert tx.audit_trail() == []


def test_bad_kind_state_or_id_are_clear_input_errors(
    network: Store, rules: RulesConfig, actor: Actor
) -> None:
    with pytest.raises(InputError, match="'club' has no stages"):
        advance(network, "club", "club-1", "open", reason="x", actor=actor, rules=rules)
    with pytest.raises(InputError, match="'finished' is not a referral state"):
        advance(network, "referral", "r0", "finished", reason="x", actor=actor, rules=rules)
    with pytest.raises(NotFoundError):
        advance(network, "referral", "nope", "won", reason="x", actor=actor, rules=rules)


def test_demotions_are_proposed_not_applied(network: Store, actor: Actor) -> None:
    rules = RulesConfig(ladder=LadderThresholds(demotion_inactive_days=30))
    advance(network, "referral", "r0", "won", reason="x", actor=actor, rules=rules)
    proposals = demotion_proposals(network, rules, as_of=datetime(2026, 1, 1, tzinfo=UTC))
    assert [(p.member_id, p.proposed) for p in proposals] == [("c1", LadderStage.CUSTOMER)]
    with network.reading() as tx:
        assert tx.get(Member, "c1").ladder_stage is LadderStage.REFERRER
