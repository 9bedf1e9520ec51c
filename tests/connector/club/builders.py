"""A synthetic club with known outcomes, written to a real store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from connector.model import (
    Circle,
    Introduction,
    IntroductionStatus,
    Membership,
    MembershipStatus,
    Pilot,
    PilotGoals,
    Profile,
    Record,
    ReferralStatus,
)
from connector.store import Store
from tests.connector.factories import club, member, referral

PILOT = Pilot(
    starts_on=date(2025, 1, 1),
    ends_on=date(2025, 12, 31),
    goals=PilotGoals(members=4, referrals=6, business_value=Decimal("10000.00")),
)
METAL = Profile(industry="metal", region="Göppingen")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def synthetic_club(
    store: Store,
    *,
    active: int,
    referrals_between: int,
    won_value_each: str,
    non_member_referrals: int,
    pilot: Pilot | None = PILOT,
) -> None:
    """Four metal customers invited to the club (``active`` of them in it, the rest left),
    four comparable metal customers outside it, and a food customer outside it who refers a
    lot but is not comparable.

    Members give ``referrals_between`` won referrals to each other in 2025, each worth
    ``won_value_each``; the comparable non-members give ``non_member_referrals`` between them.
    """
    # Everyone is in the network before the club starts, so a report as of any day of the
    # pilot (which copies only what existed then) still holds them.
    known = {"created_at": datetime(2024, 6, 1, tzinfo=UTC)}
    records: list[Record] = [
        club(pilot=pilot),
        member("emp", Circle.EMPLOYEE, **known),
        member("prospect", Circle.PROSPECT, **known),
        *(member(f"m{i}", profile=METAL, **known) for i in range(1, 5)),
        *(member(f"n{i}", profile=METAL, **known) for i in range(1, 5)),
        member("food", profile=Profile(industry="food"), **known),
    ]
    for i in range(1, 5):
        status = MembershipStatus.MEMBER if i <= active else MembershipStatus.LEFT
        records.append(
            Membership(
                id=f"ms-{i}",
                club_id="club-1",
                member_id=f"m{i}",
                status=status,
                invited_on=date(2024, 12, 1),
                responded_on=date(2024, 12, 15),
                trial_started_on=date(2025, 1, 1),
                trial_ends_on=date(2026, 1, 1),
                left_on=None if i <= active else date(2025, 3, 1),
            )
        )
    for n in range(referrals_between):
        giver, taker = f"m{n % 4 + 1}", f"m{(n + 1) % 4 + 1}"
        records.append(
            referral(
                f"rb-{n}",
                giver,
                "prospect",
                recipient=taker,
                status=ReferralStatus.WON,
                amount=won_value_each,
                created=at(date(2025, 2 + n % 10, 10)),
            )
        )
    for n in range(non_member_referrals):
        records.append(
            referral(f"rn-{n}", f"n{n % 4 + 1}", "prospect", created=at(date(2025, 3, 1 + n)))
        )
    # Not comparable (another industry): must not move the comparison.
    records += [
        referral(f"rf-{n}", "food", "prospect", created=at(date(2025, 4, 1 + n))) for n in range(9)
    ]
    with store.transaction() as tx:
        tx.put_many(records)


def introduction(intro_id: str, a: str, b: str, **extra: object) -> Introduction:
    fields: dict[str, object] = {
        "id": intro_id,
        "club_id": "club-1",
        "member_a_id": a,
        "member_b_id": b,
        "status": IntroductionStatus.MADE,
        "created_at": at(date(2025, 5, 1)),
        "status_changed_at": at(date(2025, 5, 1)),
    }
    return Introduction.model_validate({**fields, **extra})
