"""The club section of the report: business created for members, activity, trials ending."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connector.club import build_club_sections, club_section, load_club_facts
from connector.model import Club, IntroductionStatus, ReferralStatus
from connector.rules.config import ClubRulesConfig
from connector.store import Store
from tests.connector.club.builders import at, introduction, synthetic_club
from tests.connector.factories import referral


def test_business_for_members_counts_member_to_member_referrals_and_introductions(
    store: Store,
) -> None:
    # 3 won referrals: m1 → m2 (10.02.2025), m2 → m3 and m3 → m4 (March, April), after
    # m3 and m4 had left on 01.03.2025. Everyone came in on 15.12.2024.
    synthetic_club(
        store, active=2, referrals_between=3, won_value_each="1500.00", non_member_referrals=2
    )
    with store.transaction() as tx:
        tx.put_many(
            [
                # To us, not to a member: not the club's business.
                referral("to-us", "m1", "prospect", status=ReferralStatus.WON, amount="99999"),
                # To a non-member: neither.
                referral("to-n1", "m1", "prospect", recipient="n1", status=ReferralStatus.WON),
                # Before either had joined: not the club's doing.
                referral(
                    "before",
                    "m1",
                    "prospect",
                    recipient="m2",
                    status=ReferralStatus.WON,
                    amount="5000",
                    created=at(date(2024, 11, 1)),
                ),
                introduction(
                    "int-1",
                    "m1",
                    "m2",
                    status=IntroductionStatus.BUSINESS_DONE,
                    value=Decimal("7000.00"),
                    status_changed_at=at(date(2025, 6, 1)),
                ),
                introduction("int-2", "m2", "m4"),
            ]
        )
    config = ClubRulesConfig(quiet_after_months=6)
    (section,) = build_club_sections(store, config, as_of=date(2025, 9, 1))
    # Only what members did for each other while both were in the club counts.
    assert section.referrals_between_members == 1
    assert (section.referrals_won, section.referrals_won_value) == (1, Decimal("1500.00"))
    assert section.introductions == {"business_done": 1, "made": 1}
    assert section.introductions_value == Decimal("7000.00")
    assert section.business_value == Decimal("8500.00")
    assert section.memberships == {"left": 2, "member": 2}
    # m1, m2 were active (referrals, introductions) within 6 months of 2025-09-01.
    assert sorted(a.member_id for a in section.active) == ["m1", "m2"]
    assert section.quiet == []
    assert section.pilot is not None and section.pilot.recommendation in {"adjust", "stop"}


def test_without_a_test_phase_the_section_reads_only_the_club_and_counts_the_same(
    store: Store,
) -> None:
    # The report reads only the club's members and the referrals touching them when no
    # test phase compares with the rest of the network; every figure must stay the same.
    synthetic_club(
        store,
        active=3,
        referrals_between=6,
        won_value_each="800.00",
        non_member_referrals=5,
        pilot=None,
    )
    with store.transaction() as tx:
        tx.put_many(
            [
                referral("to-n1", "m1", "prospect", recipient="n1", created=at(date(2025, 8, 1))),
                referral("from-n2", "n2", "prospect", recipient="m2", created=at(date(2025, 8, 2))),
            ]
        )
    config = ClubRulesConfig(quiet_after_months=12)
    (section,) = build_club_sections(store, config, as_of=date(2025, 12, 1))
    with store.reading() as tx:
        (club,) = tx.find(Club)
        everyone = load_club_facts(tx, club, everyone=True)
        own = load_club_facts(tx, club, everyone=False)
    assert section == club_section(everyone, config, as_of=date(2025, 12, 1))
    assert set(own.members) == {"m1", "m2", "m3", "m4"}
    assert len(own.referrals) < len(everyone.referrals)
    # A member's last activity counts referrals with non-members too (m1 → n1, n2 → m2).
    assert (section.active[0].member_id, section.active[0].last_active_on) == (
        "m2",
        date(2025, 8, 2),
    )
