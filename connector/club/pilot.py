"""``refnet club review``: the club as a pilot, judged against its goals and against customers
outside it.

The article asks for a test phase of one to two years. At any day of it (or after it) the
review compares each goal with what was reached, pro rata for the share of the phase that
has passed, and compares what club members did with what *comparable* customers outside the
club did in the same time (same industry, else same region: a club of machine builders is
not compared with bakeries). It then recommends:

- **continue**: every goal reached to at least ``review_continue_at`` of its due share, and
  members refer at least as much as comparable non-members (when there are any);
- **stop**: mean attainment below ``review_stop_below`` and members refer no more than
  comparable non-members: the club adds nothing a customer does not do anyway;
- **adjust** otherwise (some goals missed, or members ahead while goals lag), naming what.

The recommendation stays the neutral value (``continue``, ``adjust``, ``stop``; ``--json``
prints it); the reasons are sentences for the reader, written in their language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from connector.club.facts import ClubFacts, in_club_on
from connector.errors import RecordValidationError
from connector.i18n import gettext as _
from connector.model import Circle, Member, Pilot, ReferralStatus
from connector.report_format import amount, number, percent
from connector.report_words import value_label
from connector.rules.config import ClubRulesConfig

__all__ = ["Comparison", "GoalResult", "PilotReview", "matched_by", "review_pilot"]


@dataclass(frozen=True)
class GoalResult:
    goal: str  # members, referrals, business_value
    target: Decimal
    due_by_now: Decimal  # target × share of the phase passed
    actual: Decimal
    attainment: float  # actual / due_by_now


@dataclass(frozen=True)
class Comparison:
    members: int
    non_members: int
    member_referrals_each: float
    non_member_referrals_each: float
    member_won_value_each: Decimal
    non_member_won_value_each: Decimal
    matched_by: str


@dataclass(frozen=True)
class PilotReview:
    club_id: str
    club_name: str
    as_of: date
    starts_on: date
    ends_on: date
    share_passed: float
    goals: list[GoalResult]
    comparison: Comparison | None
    recommendation: str  # continue, adjust, stop
    reasons: list[str]


def _pilot_of(facts: ClubFacts, as_of: date) -> Pilot:
    pilot = facts.club.pilot
    record = f"club '{facts.club.id}'"
    if pilot is None:
        raise RecordValidationError(
            record, "pilot", "has no test phase; set one with `refnet club pilot`"
        )
    if as_of <= pilot.starts_on:
        raise RecordValidationError(
            record, "pilot.starts_on", f"the test phase starts {pilot.starts_on}: nothing to review"
        )
    if (
        pilot.goals.members is None
        and pilot.goals.referrals is None
        and (pilot.goals.business_value is None)
    ):
        raise RecordValidationError(record, "pilot.goals", "the test phase has no goals")
    return pilot


def _goal(goal: str, target: Decimal, share: float, actual: Decimal) -> GoalResult:
    due = (target * Decimal(str(share))).quantize(Decimal("0.01"))
    attainment = float(actual / due) if due > 0 else 1.0
    return GoalResult(goal, target, due, actual, round(attainment, 3))


def _comparable(member: Member, pool: list[Member]) -> tuple[list[Member], str]:
    industry = member.profile.industry
    same = [m for m in pool if industry and m.profile.industry == industry]
    if same:
        return same, "industry"
    region = member.profile.region
    return [m for m in pool if region and m.profile.region == region], "region"


def _compare(facts: ClubFacts, since: date, until: date) -> Comparison | None:
    joined = facts.joined_ids
    members = [
        facts.members[i] for i in sorted(joined) if facts.members[i].circle is Circle.CUSTOMER
    ]
    pool = [
        m
        for m in facts.members.values()
        if m.circle is Circle.CUSTOMER and m.id not in {ms.member_id for ms in facts.memberships}
    ]
    matched: dict[str, Member] = {}
    how: set[str] = set()
    for member in members:
        similar, by = _comparable(member, pool)
        if similar:
            how.add(by)
        matched.update((m.id, m) for m in similar)
    if not members or not matched:
        return None
    given: dict[str, int] = {}
    won: dict[str, Decimal] = {}
    for r in facts.referrals:
        if since <= r.created_at.date() <= until:
            given[r.referrer_id] = given.get(r.referrer_id, 0) + 1
            if r.status is ReferralStatus.WON:
                won[r.referrer_id] = won.get(r.referrer_id, Decimal(0)) + (r.amount or Decimal(0))

    def each(ids: list[str]) -> tuple[float, Decimal]:
        count = sum(given.get(i, 0) for i in ids) / len(ids)
        value = sum((won.get(i, Decimal(0)) for i in ids), Decimal(0)) / len(ids)
        return round(count, 2), value.quantize(Decimal("0.01"))

    member_count, member_value = each([m.id for m in members])
    other_count, other_value = each(sorted(matched))
    return Comparison(
        len(members),
        len(matched),
        member_count,
        other_count,
        member_value,
        other_value,
        " or ".join(sorted(how)),
    )


def review_pilot(facts: ClubFacts, config: ClubRulesConfig, *, as_of: date) -> PilotReview:
    pilot = _pilot_of(facts, as_of)
    until = min(as_of, pilot.ends_on)
    share = min(1.0, (until - pilot.starts_on).days / (pilot.ends_on - pilot.starts_on).days)
    goals: list[GoalResult] = []
    if pilot.goals.members is not None:
        # Members are a level, not a sum: who is in the club on the review day (or at the
        # phase's end), counted as the growth table counts them.
        current = sum(in_club_on(m, until) for m in facts.memberships)
        goals.append(_goal("members", Decimal(pilot.goals.members), share, Decimal(current)))
    if pilot.goals.referrals is not None:
        made = len(facts.between_members(pilot.starts_on, until))
        goals.append(_goal("referrals", Decimal(pilot.goals.referrals), share, Decimal(made)))
    if pilot.goals.business_value is not None:
        value = facts.business_value(pilot.starts_on, until)
        goals.append(_goal("business_value", pilot.goals.business_value, share, value))
    comparison = _compare(facts, pilot.starts_on, until)
    recommendation, reasons = _recommend(goals, comparison, config, share)
    return PilotReview(
        facts.club.id,
        facts.club.name,
        as_of,
        pilot.starts_on,
        pilot.ends_on,
        round(share, 3),
        goals,
        comparison,
        recommendation,
        reasons,
    )


def matched_by(how: str) -> str:
    """``industry or region`` in the reader's words."""
    parts = [value_label(part) for part in how.split(" or ")]
    if len(parts) == 2:
        return _("{first} or {second}").format(first=parts[0], second=parts[1])
    return ", ".join(parts)


def _recommend(
    goals: list[GoalResult], comparison: Comparison | None, config: ClubRulesConfig, share: float
) -> tuple[str, list[str]]:
    reasons = [
        _("{goal}: {actual} of {due} due by now ({attainment}; goal {target} by the end)").format(
            goal=value_label(g.goal),
            actual=number(g.actual),
            due=number(g.due_by_now),
            attainment=percent(g.attainment),
            target=number(g.target),
        )
        for g in goals
    ]
    reasons.insert(0, _("{share} of the test phase has passed").format(share=percent(share)))
    if comparison is None:
        reasons.append(_("no comparable customers outside the club: goals alone decide"))
        at_least, better = True, False
    else:
        at_least = comparison.member_referrals_each >= comparison.non_member_referrals_each
        better = comparison.member_referrals_each > comparison.non_member_referrals_each
        reasons.append(
            _(
                "members gave {member_referrals} referrals each, {non_members} comparable "
                "non-members (same {matched_by}) {non_member_referrals} each; won value each "
                "{member_value} vs {non_member_value}"
            ).format(
                member_referrals=number(comparison.member_referrals_each),
                non_members=number(comparison.non_members),
                matched_by=matched_by(comparison.matched_by),
                non_member_referrals=number(comparison.non_member_referrals_each),
                member_value=amount(comparison.member_won_value_each),
                non_member_value=amount(comparison.non_member_won_value_each),
            )
        )
    lowest = min((g.attainment for g in goals), default=1.0)
    mean = sum(g.attainment for g in goals) / len(goals) if goals else 1.0
    missed = [value_label(g.goal) for g in goals if g.attainment < config.review_continue_at]
    if lowest >= config.review_continue_at and at_least:
        reasons.append(_("every goal is on track and members do at least as well as non-members"))
        return "continue", reasons
    if mean < config.review_stop_below and not better:
        reasons.append(
            _(
                "goals reached on average {mean} (below {threshold}) and members do no better "
                "than comparable customers: the club adds nothing"
            ).format(mean=percent(mean), threshold=percent(config.review_stop_below))
        )
        return "stop", reasons
    if missed:
        reasons.append(
            _("behind on: {goals}; adjust goals, invitations or moderation").format(
                goals=", ".join(missed)
            )
        )
    if not at_least:
        reasons.append(_("members refer less than comparable non-members: revisit the rules"))
    return "adjust", reasons
