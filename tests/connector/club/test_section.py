"""The club section of the report: business created for members, activity, trials ending."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connector.club import build_club_sections
from connector.model import IntroductionStatus, ReferralStatus
from connector.rules.config import ClubRulesConfig
from connector.store import Store
from tests.connector.club.builders import at, introduction, synthetic_club
from tests.connector.factories import referral


def test_business_for_members_counts_member_to_member_referrals_and_introductions(
    store: Store,
) -> None:
    # 3 won referrals between the two remaining members (m1 → m2, m2 → m3 (left), m3 → m4).
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
    (section,) = build_club_sections(store, ClubRulesConfig(), as_of=date(2025, 9, 1))
    # Members who left still count for the business made while they were in.
    assert section.referrals_between_members == 3
    assert (section.referrals_won, section.referrals_won_value) == (3, Decimal("4500.00"))
    assert section.introductions == {"business_done": 1, "made": 1}
    assert section.introductions_value == Decimal("7000.00")
    assert section.business_value == Decimal("11500.00")
    assert section.memberships == {"left": 2, "member": 2}
    # m1, m2 were active (referrals, introductions) within 6 months of 2025-09-01.
    assert sorted(a.member_id for a in section.active) == ["m1", "m2"]
    assert section.quiet == []
    assert section.pilot is not None and section.pilot.recommendation in {"adjust", "stop"}
