"""Logging and correcting referrals by hand: the same rules and audit as imports and events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connector.amounts import parse_amount, parse_currency
from connector.errors import (
    IllegalTransition,
    InputError,
    NotFoundError,
    RecordValidationError,
)
from connector.model import Circle, LadderStage, Member, Referral, ReferralStatus
from connector.referrals import NewProspect, log_referral, reopen, update_referral
from connector.rules import RulesConfig
from connector.services import Actor, advance, demotion_proposals
from connector.store import Store
from tests.connector.factories import member, referral

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def network(store: Store) -> Store:
    """A referrer one won referral short of partner (threshold 3), and a known prospect."""
    with store.transaction() as tx:
        tx.put_many(
            [
                Member(
                    id="c1",
                    name="Uwe Schäfer",
                    organisation="Schäfer Maschinenbau GmbH",
                    email="uwe@schaefer.example",
                    circle=Circle.CUSTOMER,
                    ladder_stage=LadderStage.REFERRER,
                ),
                member("c2"),
                Member(id="p1", name="Eva Roth", email="eva@roth.example", circle="prospect"),
                *(member(f"x{i}", circle="prospect") for i in range(2)),
                *(
                    referral(f"won-{i}", "c1", f"x{i}", status=ReferralStatus.WON, amount="100")
                    for i in range(2)
                ),
            ]
        )
    return store


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.500,00", "12500.00"),
        ("12500,5", "12500.50"),
        ("12.500", "12500.00"),  # a German reads the dot as thousands
        ("12500.50", "12500.50"),
        ("12,500.00", "12500.00"),
        ("1.5", "1.50"),  # not a German number (the dot groups no three digits): English
        ("€ 7.000,10", "7000.10"),
    ],
)
def test_amounts_are_read_as_german_first_then_english(text: str, expected: str) -> None:
    assert parse_amount(text, record="referral 'r1'") == Decimal(expected)


@pytest.mark.parametrize("text", ["zwölf", "12,50,0", "-5", ""])
def test_an_unreadable_amount_names_the_record_and_field(text: str) -> None:
    with pytest.raises(RecordValidationError, match=r"referral 'r1': field 'amount'"):
        parse_amount(text, record="referral 'r1'")


def test_currencies_are_iso_codes() -> None:
    assert parse_currency(" chf ", record="referral 'r1'") == "CHF"
    with pytest.raises(RecordValidationError, match="field 'currency'"):
        parse_currency("EURO", record="referral 'r1'")
    with pytest.raises(RecordValidationError, match="field 'currency'"):
        parse_currency("XYZ", record="referral 'r1'")


def test_a_referral_for_a_new_prospect_creates_the_prospect_and_audits_both(
    network: Store, rules: RulesConfig
) -> None:
    logged = log_referral(
        network,
        referrer="Uwe Schaefer",
        prospect=NewProspect("Jonas Vogel", "Vogel Sondermaschinen GmbH", "jonas@vogel.example"),
        recipient="c2",
        note="Sondermaschine",
        deal_id="006XYZ",
        actor=Actor("sales:anna"),
        rules=rules,
        at=WHEN,
    )
    assert logged.referred_created
    with network.reading() as tx:
        stored = tx.get(Referral, logged.referral.id)
        prospect = tx.get(Member, stored.referred_id)
        trail = tx.audit_trail(stored.id) + tx.audit_trail(prospect.id)
    assert (stored.referrer_id, stored.recipient_id, stored.status) == ("c1", "c2", "open")
    assert (stored.circle, stored.note, stored.deal_id) == (
        Circle.CUSTOMER,
        "Sondermaschine",
        "006XYZ",
    )
    assert (prospect.name, prospect.organisation, prospect.email, prospect.circle) == (
        "Jonas Vogel",
        "Vogel Sondermaschinen GmbH",
        "jonas@vogel.example",
        Circle.PROSPECT,
    )
    assert [(e.kind, e.field, e.old_value, e.new_value, e.actor) for e in trail] == [
        ("referral", "status", None, "open", "sales:anna"),
        ("member", "circle", None, "prospect", "sales:anna"),
    ]
    # The same person logged again (other spelling of the name, same e-mail) is no twin.
    again = log_referral(
        network,
        referrer="c2",
        prospect=NewProspect("J. Vogel", None, "JONAS@vogel.example"),
        actor=Actor("sales:anna"),
        rules=rules,
    )
    assert not again.referred_created and again.referred.id == prospect.id
    # Known by name and company, without an e-mail, too.
    by_company = log_referral(
        network,
        referrer="c2",
        prospect=NewProspect("jonas vogel", "VOGEL SONDERMASCHINEN", None),
        actor=Actor("sales:anna"),
        rules=rules,
    )
    assert by_company.referred.id == prospect.id


def test_logging_refuses_unclear_input_and_writes_nothing(
    network: Store, rules: RulesConfig, actor: Actor
) -> None:
    with pytest.raises(InputError, match="either as a member"):
        log_referral(network, referrer="c1", actor=actor, rules=rules)
    with pytest.raises(InputError, match="either as a member"):
        log_referral(
            network,
            referrer="c1",
            referred="p1",
            prospect=NewProspect("X"),
            actor=actor,
            rules=rules,
        )
    with pytest.raises(RecordValidationError, match="new prospect 'Jo': field 'email'"):
        log_referral(
            network,
            referrer="c1",
            prospect=NewProspect("Jo", None, "not-an-address"),
            actor=actor,
            rules=rules,
        )
    with pytest.raises(NotFoundError, match="member 'Nobody Known' not found"):
        log_referral(network, referrer="Nobody Known", referred="p1", actor=actor, rules=rules)
    with pytest.raises(RecordValidationError, match="field 'currency'"):
        log_referral(
            network, referrer="c1", referred="p1", currency="eur", actor=actor, rules=rules
        )
    with network.reading() as tx:
        assert tx.count(Referral) == 2
        assert tx.count(Member) == 5


def test_winning_with_an_amount_then_reopening_keeps_both_in_the_audit_and_proposes_the_demotion(
    network: Store, rules: RulesConfig, actor: Actor
) -> None:
    logged = log_referral(
        network, referrer="uwe@schaefer.example", referred="Eva Roth", actor=actor, rules=rules
    )
    referral_id = logged.referral.id
    won = advance(
        network,
        "referral",
        referral_id,
        "won",
        reason="Auftrag erteilt",
        actor=actor,
        rules=rules,
        amount=Decimal("12500.00"),
        currency="CHF",
    )
    assert [(c.kind, c.field, c.old, c.new) for c in won] == [
        ("referral", "status", "open", "won"),
        ("referral", "amount", None, "12500.00"),
        ("referral", "currency", "EUR", "CHF"),
        ("ladder", "ladder_stage", "referrer", "partner"),
    ]

    done = reopen(network, referral_id, reason="falscher Deal verknüpft", actor=actor, rules=rules)

    assert [(c.field, c.old, c.new, c.reason) for c in done.changes] == [
        ("status", "won", "open", "reopened: falscher Deal verknüpft")
    ]
    with network.reading() as tx:
        reopened = tx.get(Referral, referral_id)
        assert reopened.status is ReferralStatus.OPEN and reopened.amount == Decimal("12500.00")
        # Never silent: the rung stays until a person decides ...
        assert tx.get(Member, "c1").ladder_stage is LadderStage.PARTNER
        statuses = [
            (e.old_value, e.new_value) for e in tx.audit_trail(referral_id) if e.field == "status"
        ]
    assert statuses == [(None, "open"), ("open", "won"), ("won", "open")]
    # ... and the rules propose it, here and in the report.
    assert done.proposal is not None
    assert (done.proposal.member_id, done.proposal.proposed) == ("c1", LadderStage.REFERRER)
    assert "credit withdrawn: 2 won referral(s)" in done.proposal.reason
    assert [(p.member_id, p.proposed) for p in demotion_proposals(network, rules)] == [
        ("c1", LadderStage.REFERRER)
    ]
    # Reopening what is open is refused; winning it again is a normal move.
    with pytest.raises(InputError, match="nothing to reopen"):
        reopen(network, referral_id, reason="again", actor=actor, rules=rules)
    with pytest.raises(InputError, match="--reason must not be empty"):
        reopen(network, "won-0", reason=" ", actor=actor, rules=rules)


def test_a_referral_imported_won_reopens_to_qualified_or_where_the_user_says(
    network: Store, rules: RulesConfig, actor: Actor
) -> None:
    # No audit entry says where won-0 was before: a won deal was at least qualified.
    assert (
        reopen(network, "won-0", reason="x", actor=actor, rules=rules).changes[0].new == "qualified"
    )
    done = reopen(
        network, "won-1", reason="x", to=ReferralStatus.CONTACTED, actor=actor, rules=rules
    )
    assert done.changes[0].new == "contacted"
    # Qualified referrals still count for the referrer rung; won ones for partner.
    assert done.proposal is None
    advance(network, "referral", "won-1", "lost", reason="y", actor=actor, rules=rules)
    with pytest.raises(IllegalTransition):
        reopen(network, "won-1", reason="z", to=ReferralStatus.WON, actor=actor, rules=rules)


def test_update_corrects_amount_deal_and_note_with_one_audit_entry_each(
    network: Store, actor: Actor
) -> None:
    changes = update_referral(
        network,
        "won-0",
        amount=Decimal("12500.5"),
        deal_id="006A",
        note="x" * 100,
        reason="Betrag laut Auftrag",
        actor=actor,
    )
    assert [(c.field, c.old, c.new) for c in changes] == [
        ("amount", "100.00", "12500.5"),
        ("deal_id", None, "006A"),
        ("note", None, "x" * 63 + "…"),  # the audit holds 64 characters of a long note
    ]
    assert update_referral(network, "won-0", deal_id="006A", reason="x", actor=actor) == []
    cleared = update_referral(network, "won-0", deal_id="", note="", reason="y", actor=actor)
    assert [(c.field, c.new) for c in cleared] == [("deal_id", "(cleared)"), ("note", "(cleared)")]
    with network.reading() as tx:
        stored = tx.get(Referral, "won-0")
        assert (stored.amount, stored.deal_id, stored.note) == (Decimal("12500.50"), None, None)
        assert len(tx.audit_trail("won-0")) == 5
    with pytest.raises(RecordValidationError, match="referral 'won-0': field 'amount'"):
        update_referral(network, "won-0", amount=Decimal("1e20"), reason="x", actor=actor)
    with pytest.raises(InputError, match="only a referral has an amount"):
        advance(
            network,
            "member",
            "c1",
            "partner",
            reason="x",
            actor=actor,
            rules=RulesConfig(),
            amount=Decimal(1),
        )
