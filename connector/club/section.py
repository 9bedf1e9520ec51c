"""The club section of ``refnet report``: does the club create business for its members?

Plain data, one :class:`ClubSection` per club; the terminal and HTML renderers only format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from connector.club.facts import ClubFacts, load_club_facts
from connector.club.growth import GrowthPeriod, growth_by_quarter
from connector.club.pilot import PilotReview, review_pilot
from connector.errors import RecordValidationError
from connector.model import Club, MembershipStatus, ReferralStatus
from connector.rules.config import ClubRulesConfig
from connector.store import Store

__all__ = ["ClubSection", "MemberActivity", "build_club_sections", "club_section"]


@dataclass(frozen=True)
class MemberActivity:
    member_id: str
    name: str
    status: str
    last_active_on: date | None  # the last referral or introduction, also before joining
    trial_ends_on: date | None = None
    quiet_since: date | None = None  # the later of that and the day the member joined


@dataclass(frozen=True)
class ClubSection:
    club_id: str
    name: str
    moderator: str | None
    memberships: dict[str, int]  # by status
    referrals_between_members: int
    referrals_won: int
    referrals_won_value: Decimal
    introductions: dict[str, int]  # by status
    introductions_value: Decimal
    business_value: Decimal
    active: list[MemberActivity]
    quiet: list[MemberActivity]
    trials_ending: list[MemberActivity]
    growth: list[GrowthPeriod]
    pilot: PilotReview | None


def club_section(facts: ClubFacts, config: ClubRulesConfig, *, as_of: date) -> ClubSection:
    club = facts.club
    between = facts.between_members(until=as_of)
    won = [r for r in between if r.status is ReferralStatus.WON]
    business_intros = facts.business_introductions(until=as_of)
    last = facts.last_activity()
    quiet = facts.quiet(as_of, config.quiet_after_months)
    quiet_ids = {m.id for m, _ in quiet}
    statuses: dict[str, int] = {}
    for membership in facts.memberships:
        statuses[membership.status.value] = statuses.get(membership.status.value, 0) + 1
    intro_statuses: dict[str, int] = {}
    for intro in facts.introductions:
        intro_statuses[intro.status.value] = intro_statuses.get(intro.status.value, 0) + 1
    horizon = as_of + timedelta(days=config.trial_ending_within_days)
    pilot: PilotReview | None = None
    if club.pilot is not None and as_of > club.pilot.starts_on:
        try:
            pilot = review_pilot(facts, config, as_of=as_of)
        except RecordValidationError:
            pilot = None  # a pilot without goals has nothing to review; the CLI says why
    return ClubSection(
        club_id=club.id,
        name=club.name,
        moderator=facts.name(club.moderator_id) if club.moderator_id else None,
        memberships=dict(sorted(statuses.items())),
        referrals_between_members=len(between),
        referrals_won=len(won),
        referrals_won_value=sum((r.amount or Decimal(0) for r in won), Decimal(0)),
        introductions=dict(sorted(intro_statuses.items())),
        introductions_value=sum((i.value or Decimal(0) for i in business_intros), Decimal(0)),
        business_value=facts.business_value(until=as_of),
        active=sorted(
            (
                MemberActivity(
                    m.member_id, facts.name(m.member_id), m.status.value, last.get(m.member_id)
                )
                for m in facts.active
                if m.id not in quiet_ids
            ),
            key=lambda a: (a.last_active_on or date.min, a.member_id),
            reverse=True,
        ),
        quiet=[
            MemberActivity(
                m.member_id,
                facts.name(m.member_id),
                m.status.value,
                last.get(m.member_id),
                quiet_since=since,
            )
            for m, since in quiet
        ],
        trials_ending=[
            MemberActivity(
                m.member_id,
                facts.name(m.member_id),
                m.status.value,
                last.get(m.member_id),
                m.trial_ends_on,
            )
            for m in sorted(facts.memberships, key=lambda m: (m.trial_ends_on or date.max, m.id))
            if m.status is MembershipStatus.TRIAL
            and m.trial_ends_on is not None
            and m.trial_ends_on <= horizon
        ],
        growth=growth_by_quarter(facts.memberships, as_of=as_of),
        pilot=pilot,
    )


def build_club_sections(store: Store, config: ClubRulesConfig, *, as_of: date) -> list[ClubSection]:
    with store.reading() as tx:
        # Only a test phase's review compares with the rest of the network.
        facts = [
            load_club_facts(tx, club, everyone=club.pilot is not None) for club in tx.find(Club)
        ]
    return [club_section(f, config, as_of=as_of) for f in facts]
