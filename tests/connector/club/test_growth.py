"""Growth: whom to invite (reasons per criterion), invitations and their answers, and the
club's growth per quarter."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connector.club import growth_by_quarter, load_club_facts, rank_invite_candidates, resolve_club
from connector.club.service import answer_invitation, invite
from connector.errors import IllegalTransition, RecordValidationError
from connector.model import Connection, Membership, MembershipStatus, ReferralStatus, Sentiment
from connector.rules import RulesConfig
from connector.rules.config import InviteWeights
from connector.services import Actor, advance
from connector.store import Store
from tests.connector.club.builders import synthetic_club
from tests.connector.factories import member, referral


@pytest.fixture
def club_store(store: Store) -> Store:
    synthetic_club(
        store, active=2, referrals_between=1, won_value_each="1000.00", non_member_referrals=0
    )
    return store


def test_candidates_are_ranked_by_the_criteria_with_a_reason_each(club_store: Store) -> None:
    old = datetime(2019, 1, 1, tzinfo=UTC)
    with club_store.transaction() as tx:
        tx.put_many(
            [
                # Loyal, positive, refers, knows two members: the best candidate.
                member("best", created_at=old),
                # A long customer who never referred anyone and knows nobody.
                member("silent", created_at=old),
                # Refers, but spoke badly of us twice out of three times.
                member("grumbler", created_at=datetime(2025, 1, 1, tzinfo=UTC)),
                referral("b1", "best", "prospect", status=ReferralStatus.WON),
                referral("b2", "best", "prospect", status=ReferralStatus.QUALIFIED),
                referral("b3", "best", "prospect"),
                referral("won-deal", "m1", "best", status=ReferralStatus.WON),
                *(
                    referral(f"g{n}", "grumbler", "prospect", sentiment=s)
                    for n, s in enumerate(
                        [Sentiment.NEGATIVE, Sentiment.NEGATIVE, Sentiment.POSITIVE]
                    )
                ),
                Connection(id="k1", from_id="best", to_id="m1", strength=4),
                Connection(id="k2", from_id="m2", to_id="best", strength=3),
                Connection(id="k3", from_id="grumbler", to_id="m3", strength=3),  # m3 left
            ]
        )
    with club_store.reading() as tx:
        facts = load_club_facts(tx, resolve_club(tx, None), with_connections=True)
    ranked = rank_invite_candidates(facts, InviteWeights(), as_of=date(2026, 1, 1), top=20)
    ids = [c.member_id for c in ranked]
    # Members (also the one who left) are never candidates; employees and prospects neither.
    assert not {"m1", "m2", "m3", "m4", "emp", "prospect"} & set(ids)
    assert ids.index("best") == 0
    assert ids.index("grumbler") < ids.index("silent")
    best = {c.criterion: c for c in ranked[0].criteria}
    assert best["loyal"].reason == "customer since 01/2019 (7.0 years), 1 won deal(s)"
    assert best["positive"].reason == "3 of 3 referrals positive"
    assert best["willing"].reason == "already refers: 3 referral(s), 2 qualified or won"
    assert best["connected"].reason == "knows 2 member(s): Member m1, Member m2"
    grumbler = {c.criterion: c for c in ranked[ids.index("grumbler")].criteria}
    assert grumbler["positive"].share == pytest.approx(1 / 3)
    assert grumbler["connected"].reason == "knows no member yet"  # m3 is no longer active


def test_invite_accept_and_decline_track_the_answer_and_its_day(
    club_store: Store, actor: Actor, rules: RulesConfig
) -> None:
    with club_store.transaction() as tx:
        tx.put_many([member("c-yes"), member("c-no")])
    for member_id in ("c-yes", "c-no"):
        invited, changes = invite(
            club_store,
            member_id,
            club_id=None,
            on=date(2026, 1, 5),
            reason="top",
            actor=actor,
            rules=rules,
        )
        assert (invited.status, invited.invited_on) == (MembershipStatus.INVITED, date(2026, 1, 5))
        assert [(c.field, c.old, c.new) for c in changes] == [("status", None, "invited")]
    yes, _ = answer_invitation(
        club_store,
        "c-yes",
        accept=True,
        club_id=None,
        on=date(2026, 1, 20),
        reason="r",
        actor=actor,
        rules=rules,
    )
    assert (yes.status, yes.responded_on) == (MembershipStatus.TRIAL, date(2026, 1, 20))
    assert yes.trial_ends_on == date(2027, 1, 20)  # the club's 12 trial months
    no, _ = answer_invitation(
        club_store,
        "c-no",
        accept=False,
        club_id=None,
        on=date(2026, 2, 1),
        reason="r",
        actor=actor,
        rules=rules,
    )
    assert (no.status, no.responded_on) == (MembershipStatus.DECLINED, date(2026, 2, 1))
    # A declined invitation may be renewed; an accepted one may not be sent again.
    again, _ = invite(
        club_store,
        "c-no",
        club_id=None,
        on=date(2026, 9, 1),
        reason="r",
        actor=actor,
        rules=rules,
    )
    assert (again.status, again.invited_on, again.responded_on) == (
        MembershipStatus.INVITED,
        date(2026, 9, 1),
        None,
    )
    with pytest.raises(RecordValidationError) as caught:
        invite(
            club_store,
            "c-yes",
            club_id=None,
            on=date(2026, 9, 1),
            reason="r",
            actor=actor,
            rules=rules,
        )
    assert caught.value.field == "status"
    assert caught.value.record == f"membership '{yes.id}'"
    with pytest.raises(IllegalTransition):
        answer_invitation(
            club_store,
            "c-yes",
            accept=False,
            club_id=None,
            on=date(2026, 9, 2),
            reason="r",
            actor=actor,
            rules=rules,
        )
    with club_store.reading() as tx:
        trail = [(e.old_value, e.new_value) for e in tx.audit_trail(yes.id)]
    assert trail == [(None, "invited"), ("invited", "trial")]


def test_only_customers_are_invited_and_only_invited_ones_answer(
    club_store: Store, actor: Actor, rules: RulesConfig
) -> None:
    with pytest.raises(RecordValidationError) as caught:
        invite(
            club_store,
            "emp",
            club_id=None,
            on=date(2026, 1, 1),
            reason="r",
            actor=actor,
            rules=rules,
        )
    assert (caught.value.record, caught.value.field) == ("member 'emp'", "circle")
    with pytest.raises(RecordValidationError) as caught:
        answer_invitation(
            club_store,
            "n1",
            accept=True,
            club_id=None,
            on=date(2026, 1, 1),
            reason="r",
            actor=actor,
            rules=rules,
        )
    assert (caught.value.record, caught.value.field) == ("member 'n1'", "membership")


def test_growth_per_quarter_counts_invitations_answers_and_members() -> None:
    def ms(n: int, status: MembershipStatus, invited: date, **days: date) -> Membership:
        return Membership(
            id=f"ms-{n}", club_id="c", member_id=f"m{n}", status=status, invited_on=invited, **days
        )

    memberships = [
        ms(
            1,
            MembershipStatus.MEMBER,
            date(2025, 1, 10),
            responded_on=date(2025, 2, 1),
            trial_started_on=date(2025, 2, 1),
        ),
        ms(
            2,
            MembershipStatus.TRIAL,
            date(2025, 3, 1),
            responded_on=date(2025, 4, 2),
            trial_started_on=date(2025, 4, 2),
        ),
        ms(3, MembershipStatus.DECLINED, date(2025, 3, 5), responded_on=date(2025, 3, 20)),
        ms(
            4,
            MembershipStatus.LEFT,
            date(2025, 1, 2),
            responded_on=date(2025, 1, 3),
            trial_started_on=date(2025, 1, 3),
            left_on=date(2025, 5, 1),
        ),
        ms(5, MembershipStatus.INVITED, date(2025, 6, 30)),
    ]
    growth = growth_by_quarter(memberships, as_of=date(2025, 8, 15))
    assert [
        (g.quarter, g.invited, g.accepted, g.declined, g.left, g.members_at_end) for g in growth
    ] == [
        ("2025-Q1", 4, 2, 1, 0, 2),
        ("2025-Q2", 1, 1, 0, 1, 2),
        ("2025-Q3", 0, 0, 0, 0, 2),
    ]


def test_leaving_records_the_day_for_the_growth_table(
    club_store: Store, actor: Actor, rules: RulesConfig
) -> None:
    advance(
        club_store,
        "membership",
        "ms-1",
        "left",
        reason="moved away",
        actor=actor,
        rules=rules,
        at=datetime(2025, 8, 20, tzinfo=UTC),
    )
    with club_store.reading() as tx:
        left = tx.get(Membership, "ms-1")
        facts = load_club_facts(tx, resolve_club(tx, None))
    assert (left.status, left.left_on) == (MembershipStatus.LEFT, date(2025, 8, 20))
    growth = {g.quarter: g for g in growth_by_quarter(facts.memberships, as_of=date(2025, 9, 30))}
    assert growth["2025-Q3"].left == 1
    assert (growth["2025-Q2"].members_at_end, growth["2025-Q3"].members_at_end) == (2, 1)
