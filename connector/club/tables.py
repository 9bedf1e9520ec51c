"""The club's tables as plain rows, shared by the terminal report and the HTML page.

Each function returns (title, columns, rows); renderers only format, so both outputs always
show the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from connector.club.pilot import PilotReview
from connector.club.section import ClubSection

__all__ = ["ClubTable", "review_tables", "section_tables"]


@dataclass(frozen=True)
class ClubTable:
    title: str
    columns: Sequence[str]
    rows: list[tuple[object, ...]]


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def day(value: date | None) -> str:
    return "-" if value is None else f"{value:%d.%m.%Y}"


def section_tables(section: ClubSection, *, top: int = 10) -> list[ClubTable]:
    """The business the club created, its members' activity and its growth (and the pilot)."""
    tables = [
        ClubTable(
            f"club {section.name} ({section.club_id}): business created for its members",
            [
                "moderator",
                "memberships",
                "referrals between members",
                "won (value)",
                "introductions",
                "introduction value",
                "business value",
            ],
            [
                (
                    section.moderator or "none (set one: refnet club moderator)",
                    ", ".join(f"{k}: {v}" for k, v in section.memberships.items()),
                    section.referrals_between_members,
                    f"{section.referrals_won} ({money(section.referrals_won_value)})",
                    ", ".join(f"{k}: {v}" for k, v in section.introductions.items()),
                    money(section.introductions_value),
                    money(section.business_value),
                )
            ],
        ),
        ClubTable(
            f"club members: {len(section.active)} active, {len(section.quiet)} quiet, "
            f"{len(section.trials_ending)} trial(s) ending (first {top} of each)",
            ["member", "status", "last active", "note"],
            [
                *(
                    (q.name, q.status, day(q.last_active_on), f"quiet since {day(q.quiet_since)}")
                    for q in section.quiet[:top]
                ),
                *(
                    (t.name, t.status, day(t.last_active_on), f"trial ends {day(t.trial_ends_on)}")
                    for t in section.trials_ending[:top]
                ),
                *(
                    (a.name, a.status, day(a.last_active_on), "active")
                    for a in section.active[:top]
                ),
            ],
        ),
        ClubTable(
            "club growth per quarter",
            ["quarter", "invited", "accepted", "declined", "left", "members at end"],
            [
                (g.quarter, g.invited, g.accepted, g.declined, g.left, g.members_at_end)
                for g in section.growth
            ],
        ),
    ]
    if section.pilot is not None:
        tables += review_tables(section.pilot)
    return tables


def review_tables(review: PilotReview) -> list[ClubTable]:
    tables = [
        ClubTable(
            f"pilot review of {review.club_name} on {day(review.as_of)} "
            f"(test phase {day(review.starts_on)} - {day(review.ends_on)})",
            ["goal", "target", "due by now", "actual", "attainment"],
            [
                (
                    g.goal,
                    f"{g.target:,}",
                    f"{g.due_by_now:,}",
                    f"{g.actual:,}",
                    f"{g.attainment:.0%}",
                )
                for g in review.goals
            ],
        )
    ]
    comparison = review.comparison
    if comparison is not None:
        tables.append(
            ClubTable(
                "club members vs comparable customers outside the club "
                f"(same {comparison.matched_by})",
                ["group", "customers", "referrals each", "won value each"],
                [
                    (
                        "members",
                        comparison.members,
                        comparison.member_referrals_each,
                        money(comparison.member_won_value_each),
                    ),
                    (
                        "non-members",
                        comparison.non_members,
                        comparison.non_member_referrals_each,
                        money(comparison.non_member_won_value_each),
                    ),
                ],
            )
        )
    tables.append(
        ClubTable(
            f"pilot recommendation: {review.recommendation.upper()}",
            ["because"],
            [(reason,) for reason in review.reasons],
        )
    )
    return tables
