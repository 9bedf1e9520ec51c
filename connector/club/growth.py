"""The club's growth per quarter: invitations sent, accepted, declined, members at the end.

The pull effect the article hopes for shows here: more invitations accepted than declined,
and a membership that grows quarter by quarter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from connector.club.facts import in_club_on, joined_on
from connector.model import Membership, MembershipStatus

__all__ = ["GrowthPeriod", "growth_by_quarter"]


@dataclass(frozen=True)
class GrowthPeriod:
    quarter: str  # "2026-Q1"
    invited: int
    accepted: int
    declined: int
    left: int
    members_at_end: int  # trial, member or paused at the quarter's last day


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def growth_by_quarter(
    memberships: list[Membership], *, as_of: date, quarters: int = 8
) -> list[GrowthPeriod]:
    """The last ``quarters`` quarters up to ``as_of`` (fewer if the club is younger)."""
    dates = [m.invited_on for m in memberships] + [
        d for m in memberships if (d := joined_on(m)) is not None
    ]
    if not dates:
        return []
    first = max(
        _quarter_start(min(dates)), _quarter_start(as_of) - relativedelta(months=3 * (quarters - 1))
    )
    periods: list[GrowthPeriod] = []
    start = first
    while start <= as_of:
        end = min(start + relativedelta(months=3) - relativedelta(days=1), as_of)

        def inside(day: date | None, start: date = start, end: date = end) -> bool:
            return day is not None and start <= day <= end

        periods.append(
            GrowthPeriod(
                quarter=f"{start.year}-Q{(start.month - 1) // 3 + 1}",
                invited=sum(inside(m.invited_on) for m in memberships),
                accepted=sum(inside(joined_on(m)) for m in memberships),
                declined=sum(
                    m.status is MembershipStatus.DECLINED and inside(m.responded_on)
                    for m in memberships
                ),
                left=sum(inside(m.left_on) for m in memberships),
                members_at_end=sum(in_club_on(m, end) for m in memberships),
            )
        )
        start += relativedelta(months=3)
    return periods
