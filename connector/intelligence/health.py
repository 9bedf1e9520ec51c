"""Win-win health per strategic partner (step 5: continuous optimisation, win-win).

For every partnership in one of :attr:`HealthConfig.stages` (by default ``agreement`` and
``optimisation``), over a window of the last ``q =`` :attr:`HealthConfig.quarters` calendar
quarters up to and including the quarter of ``as_of``:

* **given** — referrals the partner gave (``referrer_id`` = partner), to us or to anyone;
* **received** — referrals given *to* the partner (``recipient_id`` = partner);

both counted per quarter by the referral's ``created_at``, and summed over the window.
Given contributions (:class:`~connector.model.Contribution`: introductions, joint events,
favours, rewards) count too, by ``given_on``: one the partner gave as given, one the
partner received (from us or anyone) as received, so giving back without a referral shows. The
**give share** is ``given / (given + received)``; 0.5 is a perfectly balanced relationship.

Flags, each a sentence saying what to act on:

* **quiet** — ``given + received < min_activity``: the relationship has gone silent;
* **one-sided** (only when not quiet) — ``give share ≥ one_sided_share`` (the partner gives,
  we do not give back) or ``≤ 1 − one_sided_share`` (the partner only takes);
* **behind** — per signed agreement whose period contains ``as_of``: a goal whose progress
  (measured from the data by :mod:`connector.goals`, capped at 1) is more than
  ``behind_margin`` below the share of the period elapsed
  (:meth:`~connector.model.Agreement.expected_progress`). A goal refnet cannot measure (no
  value) is never "behind"; it is listed with its measurement in the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from connector.goals import AgreementProgress, GoalProgress, JointEventSource, measure_agreement
from connector.i18n import gettext as _
from connector.i18n import ngettext
from connector.intelligence.config import HealthConfig
from connector.model import (
    Agreement,
    AgreementStatus,
    Contribution,
    Introduction,
    Partnership,
    Referral,
)
from connector.money import MoneyConfig
from connector.report_format import number, percent

__all__ = ["AgreementCheck", "PartnerHealth", "QuarterTally", "partner_health", "quarter_of"]


@dataclass(frozen=True)
class QuarterTally:
    quarter: str  # "2026-Q3"
    given: int
    received: int


@dataclass(frozen=True)
class AgreementCheck:
    """A running signed agreement: its mean progress, where it should be, and lagging goals."""

    agreement_id: str
    progress: float | None  # None: no goal could be measured
    expected: float
    behind_goals: tuple[tuple[str, float], ...]  # (goal, its progress)
    goals: tuple[GoalProgress, ...] = ()

    @property
    def behind(self) -> bool:
        return bool(self.behind_goals)


@dataclass(frozen=True)
class PartnerHealth:
    partnership_id: str
    member_id: str
    name: str
    stage: str
    quarters: tuple[QuarterTally, ...]  # oldest first
    given: int
    received: int
    agreements: tuple[AgreementCheck, ...]
    flags: tuple[str, ...]

    @property
    def give_share(self) -> float | None:
        total = self.given + self.received
        return self.given / total if total else None

    @property
    def healthy(self) -> bool:
        return not self.flags


def quarter_of(day: date) -> tuple[int, int]:
    """``(year, quarter)`` of a day, quarter 1–4."""
    return day.year, (day.month - 1) // 3 + 1


def _window(as_of: date, quarters: int) -> list[tuple[int, int]]:
    year, quarter = quarter_of(as_of)
    index = year * 4 + quarter - 1
    return [(i // 4, i % 4 + 1) for i in range(index - quarters + 1, index + 1)]


def _check(
    agreement: Agreement, measured: AgreementProgress, on: date, margin: float
) -> AgreementCheck:
    expected = agreement.expected_progress(on)
    behind = tuple(
        (goal.label, goal.progress)
        for goal in measured.goals
        if goal.progress is not None and goal.progress < expected - margin
    )
    return AgreementCheck(agreement.id, measured.progress, expected, behind, measured.goals)


def _flags(
    given: int, received: int, checks: Sequence[AgreementCheck], config: HealthConfig
) -> tuple[str, ...]:
    flags: list[str] = []
    total = given + received
    if total < config.min_activity:
        flags.append(
            # English keeps "(s)" in both forms; German gets true plurals for both counts.
            _("quiet: {activity} in {period}, fewer than {minimum}").format(
                activity=ngettext(
                    "{total} referral(s) or contribution(s)",
                    "{total} referral(s) or contribution(s)",
                    total,
                ).format(total=number(total)),
                period=ngettext(
                    "{quarters} quarter(s)", "{quarters} quarter(s)", config.quarters
                ).format(quarters=config.quarters),
                minimum=number(config.min_activity),
            )
        )
    elif given / total >= config.one_sided_share:
        flags.append(
            _("one-sided: gives {given}, receives {received}; give something back").format(
                given=number(given), received=number(received)
            )
        )
    elif given / total <= 1 - config.one_sided_share:
        flags.append(
            _("one-sided: receives {received}, gives {given}; ask for referrals").format(
                given=number(given), received=number(received)
            )
        )
    for check in checks:
        if check.behind:
            goals = "; ".join(
                _("{goal} at {progress}").format(goal=goal, progress=percent(progress))
                for goal, progress in check.behind_goals
            )
            flags.append(
                _("agreement {agreement} behind, {expected} of its period gone: {goals}").format(
                    agreement=check.agreement_id, expected=percent(check.expected), goals=goals
                )
            )
    return tuple(flags)


def partner_health(
    partnerships: Iterable[Partnership],
    names: Mapping[str, str],
    referrals: Iterable[Referral],
    agreements: Iterable[Agreement],
    config: HealthConfig,
    *,
    as_of: datetime,
    introductions: Iterable[Introduction] = (),
    money: MoneyConfig | None = None,
    events: JointEventSource | None = None,
    contributions: Iterable[Contribution] = (),
) -> list[PartnerHealth]:
    """Health of every checked partnership, flagged ones first, then by member name."""
    referrals = list(referrals)
    introductions = list(introductions)
    contributions = list(contributions)
    checked = [p for p in partnerships if p.stage in config.stages]
    partners = {p.member_id for p in checked}
    window = _window(as_of.date(), config.quarters)
    slots = {quarter: i for i, quarter in enumerate(window)}
    given: dict[str, list[int]] = {m: [0] * len(window) for m in partners}
    received: dict[str, list[int]] = {m: [0] * len(window) for m in partners}
    for referral in referrals:
        slot = slots.get(quarter_of(referral.created_at.date()))
        if slot is None or referral.created_at > as_of:
            continue
        if referral.referrer_id in partners:
            given[referral.referrer_id][slot] += 1
        if referral.recipient_id in partners:
            received[referral.recipient_id][slot] += 1
    for contribution in contributions:
        if not contribution.counts or contribution.given_on is None:
            continue
        slot = slots.get(quarter_of(contribution.given_on))
        if slot is None or contribution.given_on > as_of.date():
            continue
        if contribution.giver_id in partners:
            given[contribution.giver_id][slot] += 1
        if contribution.receiver_id in partners:
            received[contribution.receiver_id][slot] += 1
    running: dict[str, list[Agreement]] = {}
    today = as_of.date()
    for agreement in agreements:
        if (
            agreement.status is AgreementStatus.SIGNED
            and agreement.period_start <= today <= agreement.period_end
        ):
            running.setdefault(agreement.partnership_id, []).append(agreement)
    results: list[PartnerHealth] = []
    for partnership in checked:
        member = partnership.member_id
        quarters = tuple(
            QuarterTally(f"{year}-Q{quarter}", given[member][i], received[member][i])
            for i, (year, quarter) in enumerate(window)
        )
        checks = tuple(
            _check(
                a,
                measure_agreement(
                    a,
                    member,
                    referrals,
                    introductions,
                    as_of=as_of,
                    money=money,
                    events=events,
                    contributions=contributions,
                ),
                today,
                config.behind_margin,
            )
            for a in sorted(running.get(partnership.id, []), key=lambda a: a.id)
        )
        total_given, total_received = sum(given[member]), sum(received[member])
        results.append(
            PartnerHealth(
                partnership.id,
                member,
                names.get(member, member),
                partnership.stage.value,
                quarters,
                total_given,
                total_received,
                checks,
                _flags(total_given, total_received, checks, config),
            )
        )
    return sorted(results, key=lambda h: (h.healthy, h.name, h.partnership_id))
