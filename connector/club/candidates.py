"""Whom to invite next: customers ranked by the article's three qualities plus their ties.

The customer network needs customers who are *loyal*, *speak well of us* and are *willing*
to take part (seed 002); precondition 3 asks to keep filling the club with valuable
contacts. Each criterion gets a share of 0..1 and a reason a sales user can check:

- loyal: years as a customer and won deals of their own,
- positive: the share of their referrals given with positive sentiment,
- willing: referrals they already give (someone who refers is willing to cooperate),
- connected: members of the club they already know (the pull effect works through them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from connector.club.facts import ACTIVE, ClubFacts
from connector.i18n import gettext as _
from connector.i18n import ngettext
from connector.model import Circle, ReferralStatus, Sentiment
from connector.report_format import fixed, number
from connector.rules.config import InviteWeights

__all__ = ["CriterionScore", "InviteCandidate", "rank_invite_candidates"]


@dataclass(frozen=True)
class CriterionScore:
    criterion: str
    share: float  # 0..1
    reason: str


@dataclass(frozen=True)
class InviteCandidate:
    rank: int
    member_id: str
    name: str
    score: float  # 0..100
    criteria: list[CriterionScore]


def rank_invite_candidates(
    facts: ClubFacts, weights: InviteWeights, *, as_of: date, top: int = 10
) -> list[InviteCandidate]:
    """Customers without a membership in the club, best first (ties by id)."""
    in_club = {m.member_id for m in facts.memberships}
    active_ids = {m.member_id for m in facts.memberships if m.status in ACTIVE}
    given: dict[str, list[ReferralStatus]] = defaultdict(list)
    positive: dict[str, int] = defaultdict(int)
    deals: dict[str, int] = defaultdict(int)
    for referral in facts.referrals:
        given[referral.referrer_id].append(referral.status)
        positive[referral.referrer_id] += referral.sentiment is Sentiment.POSITIVE
        if referral.status is ReferralStatus.WON:
            deals[referral.referred_id] += 1  # they became (or stayed) a buying customer
    knows: dict[str, set[str]] = defaultdict(set)
    for connection in facts.connections:
        if connection.to_id in active_ids:
            knows[connection.from_id].add(connection.to_id)
        if connection.from_id in active_ids:
            knows[connection.to_id].add(connection.from_id)

    scored: list[tuple[float, str, list[CriterionScore]]] = []
    for member in facts.members.values():
        if member.circle is not Circle.CUSTOMER or member.id in in_club:
            continue
        years = max(0.0, (as_of - member.created_at.date()).days / 365.25)
        won_deals = deals[member.id]
        loyal = 0.5 * min(1.0, years / weights.loyal_years) + 0.5 * min(
            1.0, won_deals / weights.loyal_deals
        )
        statuses = given[member.id]
        advanced = sum(s in (ReferralStatus.QUALIFIED, ReferralStatus.WON) for s in statuses)
        positive_share = positive[member.id] / len(statuses) if statuses else 0.0
        known = sorted(knows[member.id])
        shown = ", ".join(facts.name(k) for k in known[:3]) + (" ..." if len(known) > 3 else "")
        criteria = [
            CriterionScore(
                "loyal",
                loyal,
                ngettext(
                    "customer since {since} ({years} years), {deals} won deal(s)",
                    "customer since {since} ({years} years), {deals} won deal(s)",
                    won_deals,
                ).format(
                    since=f"{member.created_at.date():%m/%Y}",
                    years=fixed(years, 1),
                    deals=number(won_deals),
                ),
            ),
            CriterionScore(
                "positive",
                positive_share,
                _("{positive} of {given} referrals positive").format(
                    positive=number(positive[member.id]), given=number(len(statuses))
                )
                if statuses
                else _("no referral yet: how they speak of us is unknown"),
            ),
            CriterionScore(
                "willing",
                min(1.0, len(statuses) / weights.willing_referrals),
                ngettext(
                    "already refers: {given} referral(s), {advanced} qualified or won",
                    "already refers: {given} referral(s), {advanced} qualified or won",
                    len(statuses),
                ).format(given=number(len(statuses)), advanced=number(advanced))
                if statuses
                else _("has not referred anyone yet"),
            ),
            CriterionScore(
                "connected",
                min(1.0, len(known) / weights.connected_members),
                ngettext(
                    "knows {count} member(s): {names}",
                    "knows {count} member(s): {names}",
                    len(known),
                ).format(count=number(len(known)), names=shown)
                if known
                else _("knows no member yet"),
            ),
        ]
        total = 100.0 * sum(getattr(weights, c.criterion) * c.share for c in criteria)
        scored.append((total, member.id, criteria))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [
        InviteCandidate(rank, member_id, facts.name(member_id), round(total, 1), criteria)
        for rank, (total, member_id, criteria) in enumerate(scored[:top], start=1)
    ]
