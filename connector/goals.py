"""Goals that measure themselves: an agreement's progress computed from the data.

For a goal of an agreement with partner ``p`` over its period ``[start, end]`` (the goal's own
period if it has one, else the agreement's), counted up to ``as_of`` (a goal cannot have
reached on 1 June what happened on 2 June):

* ``referrals_given`` — referrals with ``referrer_id = p`` created in the period;
* ``referrals_won`` — referrals of ``p`` won in the period (``status = won``, won on
  ``status_changed_at``);
* ``won_value`` — the amounts of those won referrals in the base currency of ``[money]``;
  amounts in a currency without a rate are left out and the goal says so;
* ``introductions`` — introductions with ``p`` as one side that were made (or led to
  business) in the period;
* ``joint_events`` — from a :class:`JointEventSource`: the events ``p`` hosted or attended in
  the period (the store's is :class:`connector.joint_events.EventAttendance`; the report,
  the health check and the sync pass it); without a source the goal says "not measured";
* ``contributions`` — contributions the partner gave (favours, introductions, joint events,
  rewards; :class:`~connector.model.Contribution`) with ``given_on`` in the period;
* ``custom`` — not measurable: the hand-entered ``achieved`` counts and the goal says so.

``progress = min(actual / target, 1)``; an agreement's progress is the mean over the goals
that have a value (measured or entered).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from connector.i18n import gettext as _
from connector.model import (
    Agreement,
    Contribution,
    Goal,
    GoalMetric,
    Introduction,
    IntroductionStatus,
    Referral,
    ReferralStatus,
)
from connector.money import MoneyConfig, MoneyTotals
from connector.report_format import number, percent
from connector.report_words import value_label

__all__ = [
    "AgreementProgress",
    "GoalProgress",
    "JointEventSource",
    "NoJointEvents",
    "measure_agreement",
    "measure_agreements",
]


class JointEventSource(Protocol):
    """Where joint events come from; ``None`` means this source cannot say."""

    def joint_events(self, member_id: str, start: date, end: date) -> int | None: ...


class NoJointEvents:
    """No source given: joint-event goals are not measured (pure callers and old tests)."""

    def joint_events(self, member_id: str, start: date, end: date) -> int | None:
        return None


@dataclass(frozen=True)
class GoalProgress:
    metric: str
    description: str | None
    target: float
    actual: float | None  # None: not measured
    period_start: date
    period_end: date
    note: str | None = None  # how the figure came about when it is not a plain count

    @property
    def progress(self) -> float | None:
        if self.actual is None:
            return None
        return min(self.actual / self.target, 1.0)

    @property
    def label(self) -> str:
        return self.description or self.metric

    def describe(self) -> str:
        """``referrals_given: 3 of 12 (25 %)`` or ``joint_events: not measured (…)``."""
        metric, target = value_label(self.metric), number(self.target)
        if self.actual is None:
            text = _("{metric}: not measured of {target}").format(metric=metric, target=target)
        else:
            text = _("{metric}: {actual} of {target} ({progress})").format(
                metric=metric,
                actual=number(self.actual),
                target=target,
                progress=percent(self.progress or 0.0),
            )
        if self.description:
            text += f" – {self.description}"
        if self.note:
            text += f" [{self.note}]"
        return text


@dataclass(frozen=True)
class AgreementProgress:
    agreement_id: str
    partnership_id: str
    goals: tuple[GoalProgress, ...]

    @property
    def progress(self) -> float | None:
        """Mean progress over the goals with a value; None when none has one."""
        known = [g.progress for g in self.goals if g.progress is not None]
        return sum(known) / len(known) if known else None

    @property
    def target_total(self) -> float:
        return sum(g.target for g in self.goals)

    @property
    def actual_total(self) -> float:
        return sum(g.actual for g in self.goals if g.actual is not None)

    def summary(self) -> str:
        return "\n".join(goal.describe() for goal in self.goals)


def _in(moment: datetime, start: date, end: date, as_of: datetime) -> bool:
    return moment <= as_of and start <= moment.date() <= end


def _measure(
    goal: Goal,
    start: date,
    end: date,
    partner_id: str,
    given: Sequence[Referral],
    introductions: Sequence[Introduction],
    *,
    as_of: datetime,
    money: MoneyConfig,
    events: JointEventSource,
    contributions: Sequence[Contribution] = (),
) -> GoalProgress:
    def result(actual: float | None, note: str | None = None) -> GoalProgress:
        return GoalProgress(
            goal.metric.value, goal.description, goal.target, actual, start, end, note
        )

    won = [
        r
        for r in given
        if r.status is ReferralStatus.WON and _in(r.status_changed_at, start, end, as_of)
    ]
    match goal.metric:
        case GoalMetric.REFERRALS_GIVEN:
            return result(sum(1 for r in given if _in(r.created_at, start, end, as_of)))
        case GoalMetric.REFERRALS_WON:
            return result(len(won))
        case GoalMetric.WON_VALUE:
            totals = MoneyTotals.of((r.amount, r.currency) for r in won)
            missing = totals.unconverted(money)
            converted = MoneyTotals(
                {c: a for c, a in totals.by_currency.items() if c not in missing}
            ).in_base(money)
            note = _("in {currency}").format(currency=money.base_currency)
            if missing:
                note += _("; left out, no rate for {currencies}").format(
                    currencies=", ".join(missing)
                )
            return result(float(converted or Decimal(0)), note)
        case GoalMetric.INTRODUCTIONS:
            done = (IntroductionStatus.MADE, IntroductionStatus.BUSINESS_DONE)
            return result(
                sum(
                    1
                    for i in introductions
                    if partner_id in (i.member_a_id, i.member_b_id)
                    and i.status in done
                    and _in(i.status_changed_at, start, end, as_of)
                )
            )
        case GoalMetric.JOINT_EVENTS:
            counted = events.joint_events(partner_id, start, min(end, as_of.date()))
            if counted is None:
                return result(None, _("not measured: no joint events source"))
            return result(counted)
        case GoalMetric.CONTRIBUTIONS:
            last = min(end, as_of.date())
            return result(
                sum(
                    1
                    for c in contributions
                    if c.counts
                    and c.giver_id == partner_id
                    and c.given_on is not None
                    and start <= c.given_on <= last
                )
            )
        case GoalMetric.CUSTOM:
            return result(goal.achieved, _("entered by hand, not measured"))


def measure_agreement(
    agreement: Agreement,
    partner_id: str,
    referrals: Iterable[Referral],
    introductions: Iterable[Introduction] = (),
    *,
    as_of: datetime,
    money: MoneyConfig | None = None,
    events: JointEventSource | None = None,
    contributions: Iterable[Contribution] = (),
) -> AgreementProgress:
    """Every goal of ``agreement`` (partner ``partner_id``) measured as of ``as_of``."""
    given = [r for r in referrals if r.referrer_id == partner_id]
    meetings = list(introductions)
    gave = [c for c in contributions if c.giver_id == partner_id]
    return AgreementProgress(
        agreement.id,
        agreement.partnership_id,
        tuple(
            _measure(
                goal,
                goal.period_start or agreement.period_start,
                goal.period_end or agreement.period_end,
                partner_id,
                given,
                meetings,
                as_of=as_of,
                money=money or MoneyConfig(),
                events=events or NoJointEvents(),
                contributions=gave,
            )
            for goal in agreement.goals
        ),
    )


def measure_agreements(
    agreements: Iterable[Agreement],
    partners: Mapping[str, str],
    referrals: Iterable[Referral],
    introductions: Iterable[Introduction] = (),
    *,
    as_of: datetime,
    money: MoneyConfig | None = None,
    events: JointEventSource | None = None,
    contributions: Iterable[Contribution] = (),
) -> dict[str, AgreementProgress]:
    """Progress per agreement id; ``partners`` maps partnership id → partner member id.

    Referrals and introductions are grouped by partner once, so this is one pass over each.
    """
    chosen = [a for a in agreements if a.partnership_id in partners]
    wanted = {partners[a.partnership_id] for a in chosen}
    by_partner: dict[str, list[Referral]] = {p: [] for p in wanted}
    for referral in referrals:
        if referral.referrer_id in by_partner:
            by_partner[referral.referrer_id].append(referral)
    meetings = [i for i in introductions if {i.member_a_id, i.member_b_id} & wanted]
    gave = [c for c in contributions if c.giver_id in wanted]
    return {
        a.id: measure_agreement(
            a,
            partners[a.partnership_id],
            by_partner[partners[a.partnership_id]],
            meetings,
            as_of=as_of,
            money=money,
            events=events,
            contributions=gave,
        )
        for a in chosen
    }
