"""connector.events: what an event means, as pure functions of the event and the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.events import (
    ContactReferred,
    DealClosed,
    DealLinked,
    EventRules,
    InboundEvent,
    club_of_referral,
    interpret,
    is_newer,
    outcome_due_at,
)
from connector.model import MembershipStatus
from tests.connector.factories import membership, referral
from tests.webhooks.conftest import T0

RULES = EventRules()


def _event(object_type: str, **properties: str | None) -> InboundEvent:
    return InboundEvent(
        provider="salesforce",
        event_id="om:1",
        event_type=f"{object_type}.outbound",
        object_type=object_type,
        object_id="X1",
        occurred_at=T0,
        properties=properties,
    )


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"StageName": "Closed Won"}, [DealClosed("X1", won=True)]),
        ({"stagename": "closed lost"}, [DealClosed("X1", won=False)]),
        ({"IsWon": "true", "StageName": "Custom Won Stage"}, [DealClosed("X1", won=True)]),
        ({"IsWon": "false", "IsClosed": "true"}, [DealClosed("X1", won=False)]),
        ({"IsWon": "false", "IsClosed": "false"}, []),
        ({"StageName": "Negotiation"}, []),
        (
            {"Refnet_Referral_Id__c": "r1", "StageName": "Closed Won"},
            [DealLinked("X1", "r1"), DealClosed("X1", won=True)],
        ),
        ({"Referred_By__c": "a@b.example"}, [DealLinked("X1", referrer="a@b.example")]),
        ({"Referred_By__c": "  "}, []),
    ],
)
def test_deal_events(properties: dict[str, str | None], expected: list[object]) -> None:
    assert interpret(_event("opportunity", **properties), RULES) == expected


def test_contact_events_need_a_referrer() -> None:
    assert interpret(_event("contact", Email="x@y.example"), RULES) == []
    assert interpret(
        _event("contact", Referred_By__c="c1", Email="x@y.example", FirstName="Jo", LastName="W"),
        RULES,
    ) == [ContactReferred("X1", "c1", email="x@y.example", name="Jo W")]


def test_unknown_object_types_mean_nothing_and_rules_are_configuration() -> None:
    assert interpret(_event("case", StageName="Closed Won"), RULES) == []
    custom = EventRules(won_stages=("signed",), deal_types=("2-123",))
    assert interpret(_event("2-123", dealstage="Signed"), custom) == [DealClosed("X1", won=True)]


def test_outcome_timing() -> None:
    hold = timedelta(days=7)
    assert outcome_due_at(T0, won=True, hold_period=hold, now=T0) == T0 + hold
    assert outcome_due_at(T0, won=False, hold_period=hold, now=T0) == T0
    ahead = T0 + timedelta(minutes=2)  # the CRM's clock runs ahead of ours
    assert outcome_due_at(ahead, won=True, hold_period=timedelta(0), now=T0) == T0
    assert is_newer(T0, None) and is_newer(ahead, T0)
    assert not is_newer(T0, T0) and not is_newer(T0, ahead)


def test_a_club_referral_needs_both_parties_in_the_same_club() -> None:
    given = referral("r1", "c1", "p1", recipient="c2")
    mine = [membership(id="a", member_id="c1", status=MembershipStatus.MEMBER)]
    theirs = [membership(id="b", member_id="c2", status=MembershipStatus.TRIAL)]
    statuses = RULES.club_statuses
    assert club_of_referral(given, mine, theirs, statuses) == "club-1"
    left = [membership(id="b", member_id="c2", status=MembershipStatus.LEFT)]
    assert club_of_referral(given, mine, left, statuses) is None
    elsewhere = [
        membership(id="b", club_id="club-2", member_id="c2", status=MembershipStatus.MEMBER)
    ]
    assert club_of_referral(given, mine, elsewhere, statuses) is None
    assert club_of_referral(referral("r2", "c1", "p1"), mine, theirs, statuses) is None
