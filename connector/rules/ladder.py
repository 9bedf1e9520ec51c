"""The customer ladder: customer → referrer → partner, advanced by facts about a member.

The rules are pure: the member and the facts about its referrals and agreements go in, the
moved member and one :class:`StageChange` per rung climbed come out. Each rung has its own
condition and is climbed (and audited) on its own, so no rung is ever skipped. Rules never
move a member down; they only *propose* a demotion for a person to decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.i18n import gettext as _
from connector.i18n import ngettext
from connector.model import AgreementStatus, LadderStage, Member, Referral, ReferralStatus
from connector.rules.config import LadderThresholds
from connector.rules.stages import StageChange, move_ladder

__all__ = [
    "CREDITED_STATUSES",
    "DemotionProposal",
    "LadderFacts",
    "ReferralTally",
    "advance_ladder",
    "can_climb",
    "earliest_needed",
    "facts_from_tally",
    "ladder_facts",
    "propose_demotion",
    "rung_earned_at",
    "tally_referrals",
]


@dataclass(frozen=True)
class LadderFacts:
    """What the ladder rules look at for one member."""

    qualified_or_won: int = 0
    won: int = 0
    signed_agreements: int = 0
    last_referral_at: datetime | None = None
    # When each fact came about, oldest first: a referral's ``status_changed_at``, an
    # agreement's ``signed_on``. They date a rung to the fact that earned it, so a ladder
    # derived later (by an import) is audited when it was earned, not when it was computed.
    qualified_or_won_at: tuple[datetime, ...] = ()
    won_at: tuple[datetime, ...] = ()
    signed_at: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class ReferralTally:
    """What the ladder counts of one member's referrals: counts, and the earliest times.

    The times may be cut to the earliest few: a rung is dated by the n-th earliest fact
    (:func:`rung_earned_at`), so the earliest n (n the largest threshold) date it exactly
    as all of them would. A store can then answer with an aggregate (counts per referrer)
    instead of every referral of a referrer with tens of thousands.
    """

    qualified_or_won: int = 0
    won: int = 0
    last_referral_at: datetime | None = None
    qualified_or_won_at: tuple[datetime, ...] = ()
    won_at: tuple[datetime, ...] = ()


# The referrals the ladder credits a referrer with; a store counting them in SQL
# (connector.store.cached) uses the same set.
CREDITED_STATUSES = frozenset({ReferralStatus.QUALIFIED, ReferralStatus.WON})


def tally_referrals(member_id: str, referrals: Iterable[Referral]) -> ReferralTally:
    """Count the ladder's facts from the member's referrals (any given; others skipped)."""
    qualified_or_won: list[datetime] = []
    won: list[datetime] = []
    last: datetime | None = None
    for referral in referrals:
        if referral.referrer_id != member_id:
            continue
        if referral.status in CREDITED_STATUSES:
            qualified_or_won.append(referral.status_changed_at)
        if referral.status is ReferralStatus.WON:
            won.append(referral.status_changed_at)
        if last is None or referral.created_at > last:
            last = referral.created_at
    return ReferralTally(
        len(qualified_or_won), len(won), last, tuple(sorted(qualified_or_won)), tuple(sorted(won))
    )


def facts_from_tally(
    tally: ReferralTally,
    agreement_statuses: Iterable[AgreementStatus],
    signed_at: Iterable[datetime] = (),
) -> LadderFacts:
    """The ladder's facts from a member's referral tally and its agreements' statuses."""
    signed = sum(1 for status in agreement_statuses if status is AgreementStatus.SIGNED)
    return LadderFacts(
        tally.qualified_or_won,
        tally.won,
        signed,
        tally.last_referral_at,
        tally.qualified_or_won_at,
        tally.won_at,
        tuple(sorted(signed_at)),
    )


def ladder_facts(
    member_id: str,
    referrals: Iterable[Referral],
    agreement_statuses: Iterable[AgreementStatus],
    signed_at: Iterable[datetime] = (),
) -> LadderFacts:
    """Count the facts from the member's referrals (any given) and its agreements' statuses.

    ``signed_at`` are the days its signed agreements were signed (as datetimes), if known.
    """
    return facts_from_tally(tally_referrals(member_id, referrals), agreement_statuses, signed_at)


def earliest_needed(limits: LadderThresholds) -> int:
    """How many of the earliest times :func:`rung_earned_at` can look at (the thresholds)."""
    return max(limits.referrer_min_qualified, limits.partner_min_won, 0)


def rung_earned_at(
    stage: LadderStage, facts: LadderFacts, limits: LadderThresholds
) -> datetime | None:
    """When the facts first earned ``stage``: the moment its threshold was reached.

    None when the facts do not say (no times known, or a threshold of zero).
    """
    candidates: list[datetime] = []
    if stage is LadderStage.REFERRER:
        candidates += _nth(facts.qualified_or_won_at, limits.referrer_min_qualified)
    elif stage is LadderStage.PARTNER:
        candidates += _nth(facts.won_at, limits.partner_min_won)
        if limits.partner_on_signed_agreement:
            candidates += facts.signed_at[:1]
    return min(candidates, default=None)


def _nth(times: tuple[datetime, ...], needed: int) -> list[datetime]:
    return [times[needed - 1]] if 0 < needed <= len(times) else []


def can_climb(stage: LadderStage | None) -> bool:
    """Whether any facts could move a member on ``stage`` up (:func:`_next_rung`): not on
    the top rung nor off the ladder, so its facts need not be counted at all."""
    return stage in (LadderStage.CUSTOMER, LadderStage.REFERRER)


def _next_rung(
    stage: LadderStage, facts: LadderFacts, limits: LadderThresholds
) -> tuple[LadderStage, str] | None:
    if stage is LadderStage.CUSTOMER and facts.qualified_or_won >= limits.referrer_min_qualified:
        return (
            LadderStage.REFERRER,
            _qualified_or_won(facts.qualified_or_won, limits.referrer_min_qualified),
        )
    if stage is LadderStage.REFERRER:
        if facts.won >= limits.partner_min_won:
            return (
                LadderStage.PARTNER,
                ngettext(
                    "{count} won referral (threshold {threshold})",
                    "{count} won referral(s) (threshold {threshold})",
                    facts.won,
                ).format(count=facts.won, threshold=limits.partner_min_won),
            )
        if limits.partner_on_signed_agreement and facts.signed_agreements > 0:
            return LadderStage.PARTNER, _("signed goal agreement")
    return None


# The reasons are written to the audit trail in the language of the process that applies the
# rules (an import, a sync, a CLI command). The English plurals keep their "(s)": the audit
# trail and its tests already read that way; German gets real plural forms via ngettext.
def _qualified_or_won(count: int, threshold: int) -> str:
    return ngettext(
        "{count} referral qualified or won (threshold {threshold})",
        "{count} referral(s) qualified or won (threshold {threshold})",
        count,
    ).format(count=count, threshold=threshold)


def advance_ladder(
    member: Member, facts: LadderFacts, limits: LadderThresholds, *, cause: str
) -> tuple[Member, list[StageChange]]:
    """Climb every rung whose condition holds, one audited step per rung.

    ``cause`` names the event that triggered the evaluation and is part of each reason.
    """
    changes: list[StageChange] = []
    while member.ladder_stage is not None:
        step = _next_rung(member.ladder_stage, facts, limits)
        if step is None:
            break
        target, why = step
        member, change = move_ladder(
            member, target, reason=_("{why}; {cause}").format(why=why, cause=cause)
        )
        changes.append(change)
    return member, changes


@dataclass(frozen=True)
class DemotionProposal:
    """A suggested move one rung down; never applied automatically."""

    member_id: str
    current: LadderStage
    proposed: LadderStage
    reason: str


def _stage_supported(stage: LadderStage, facts: LadderFacts, limits: LadderThresholds) -> bool:
    """Whether the facts still earn ``stage`` (a signed agreement always holds a partner)."""
    if stage is LadderStage.REFERRER:
        return facts.qualified_or_won >= limits.referrer_min_qualified
    if stage is LadderStage.PARTNER:
        return facts.won >= limits.partner_min_won or facts.signed_agreements > 0
    return True


def propose_demotion(
    member: Member, facts: LadderFacts, limits: LadderThresholds, *, as_of: datetime
) -> DemotionProposal | None:
    """Propose one rung down for a referrer/partner the facts no longer carry.

    Two reasons: the credit for the rung was withdrawn (a won or qualified referral was
    reopened, so the count is below the rung's threshold), or the member has been inactive
    for longer than ``demotion_inactive_days``. A partner with a signed agreement in force
    is never proposed for demotion.
    """
    stage = member.ladder_stage
    if stage not in (LadderStage.REFERRER, LadderStage.PARTNER):
        return None
    if stage is LadderStage.PARTNER and facts.signed_agreements > 0:
        return None
    lower = LadderStage.CUSTOMER if stage is LadderStage.REFERRER else LadderStage.REFERRER
    if not _stage_supported(stage, facts, limits):
        if stage is LadderStage.REFERRER:
            why = _qualified_or_won(facts.qualified_or_won, limits.referrer_min_qualified)
        else:
            why = ngettext(
                "{count} won referral and no signed agreement (threshold {threshold})",
                "{count} won referral(s) and no signed agreement (threshold {threshold})",
                facts.won,
            ).format(count=facts.won, threshold=limits.partner_min_won)
        return DemotionProposal(
            member.id, stage, lower, _("credit withdrawn: {why}").format(why=why)
        )
    horizon = timedelta(days=limits.demotion_inactive_days)
    if facts.last_referral_at is not None and as_of - facts.last_referral_at <= horizon:
        return None
    days = limits.demotion_inactive_days
    if facts.last_referral_at is None:
        inactive = ngettext(
            "no referral ever (more than {days} day)",
            "no referral ever (more than {days} days)",
            days,
        ).format(days=days)
    else:
        inactive = ngettext(
            "no referral since {day} (more than {days} day)",
            "no referral since {day} (more than {days} days)",
            days,
        ).format(day=facts.last_referral_at.date().isoformat(), days=days)
    return DemotionProposal(member.id, stage, lower, inactive)
