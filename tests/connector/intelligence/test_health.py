"""Win-win health per strategic partner: quarters, one-sided and quiet partners, lagging goals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connector.intelligence import HealthConfig, partner_health
from connector.intelligence.health import quarter_of
from connector.model import (
    AgreementStatus,
    Goal,
    GoalMetric,
    Introduction,
    IntroductionStatus,
    PartnerStage,
)
from tests.connector import factories

AS_OF = datetime(2026, 5, 15, tzinfo=UTC)  # Q2 2026; four quarters back is Q3 2025
CONFIG = HealthConfig()  # 4 quarters, 3 referrals to be active, one-sided from 80 %


def _on(day: date):  # type: ignore[no-untyped-def]
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_quarters_are_calendar_quarters() -> None:
    assert quarter_of(date(2026, 1, 1)) == (2026, 1)
    assert quarter_of(date(2026, 6, 30)) == (2026, 2)
    assert quarter_of(date(2025, 12, 31)) == (2025, 4)


def test_given_and_received_are_counted_per_quarter_in_the_window() -> None:
    partnerships = [factories.partnership(id="pn-1", member_id="p1", stage=PartnerStage.AGREEMENT)]
    referrals = [
        factories.referral("r1", "p1", "x1", created=_on(date(2025, 8, 1))),  # Q3 2025
        factories.referral("r2", "p1", "x2", created=_on(date(2026, 4, 2))),  # Q2 2026
        factories.referral("r3", "c1", "x3", recipient="p1", created=_on(date(2026, 1, 5))),
        factories.referral("r4", "p1", "x4", created=_on(date(2025, 6, 30))),  # before window
        factories.referral("r5", "p1", "x5", created=_on(date(2026, 5, 20))),  # after as_of
    ]
    (health,) = partner_health(partnerships, {"p1": "Bank"}, referrals, [], CONFIG, as_of=AS_OF)
    assert [(q.quarter, q.given, q.received) for q in health.quarters] == [
        ("2025-Q3", 1, 0),
        ("2025-Q4", 0, 0),
        ("2026-Q1", 0, 1),
        ("2026-Q2", 1, 0),
    ]
    assert (health.given, health.received, health.give_share) == (2, 1, pytest.approx(2 / 3))
    assert health.flags == ()  # 3 referrals, 2 : 1 is balanced enough
    assert health.healthy


def test_one_sided_and_quiet_partners_are_flagged_and_come_first() -> None:
    partnerships = [
        factories.partnership(id="pn-1", member_id="p1", stage=PartnerStage.OPTIMISATION),
        factories.partnership(id="pn-2", member_id="p2", stage=PartnerStage.AGREEMENT),
        factories.partnership(id="pn-3", member_id="p3", stage=PartnerStage.AGREEMENT),
        factories.partnership(id="pn-4", member_id="p4", stage=PartnerStage.CONTACT),
    ]
    day = _on(date(2026, 4, 1))
    referrals = [
        *(factories.referral(f"g{i}", "p1", f"x{i}", created=day) for i in range(4)),
        *(
            factories.referral(f"t{i}", "c1", f"y{i}", recipient="p2", created=day)
            for i in range(5)
        ),
        factories.referral("h1", "p3", "z1", created=day),
        factories.referral("h2", "p3", "z2", created=day),
        factories.referral("h3", "c1", "z3", recipient="p3", created=day),
    ]
    names = {"p1": "A Gives", "p2": "B Takes", "p3": "C Balanced", "p4": "D Contact"}
    result = partner_health(partnerships, names, referrals, [], CONFIG, as_of=AS_OF)
    assert [h.name for h in result] == ["A Gives", "B Takes", "C Balanced"]  # not in contact
    assert result[0].flags == ("one-sided: gives 4, receives 0; give something back",)
    assert result[1].flags == ("one-sided: receives 5, gives 0; ask for referrals",)
    assert result[2].healthy
    quiet = partner_health(partnerships[:1], names, [], [], CONFIG, as_of=AS_OF)
    assert quiet[0].flags == (
        "quiet: 0 referral(s) or contribution(s) in 4 quarter(s), fewer than 3",
    )


def test_a_running_agreement_is_behind_when_a_goal_lags_the_elapsed_period() -> None:
    partnerships = [factories.partnership(id="p-1", member_id="p1", stage=PartnerStage.AGREEMENT)]
    agreement = factories.agreement(
        status=AgreementStatus.SIGNED,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        goals=[
            # The hand-entered 11 is ignored: referrals given are measured from the data.
            Goal(
                metric=GoalMetric.REFERRALS_GIVEN,
                description="12 referrals",
                target=12,
                achieved=11,
            ),
            Goal(metric=GoalMetric.INTRODUCTIONS, target=4),
        ],
    )
    ended = agreement.model_copy(update={"id": "a-old", "status": AgreementStatus.ENDED})
    referrals = [
        factories.referral("r1", "p1", "x1", created=_on(date(2026, 2, 1))),
        factories.referral("r2", "p1", "x2", created=_on(date(2026, 4, 1))),
        factories.referral("r3", "p1", "x3", created=_on(date(2025, 12, 31))),  # before period
        factories.referral("r4", "p1", "x4", created=_on(date(2026, 6, 1))),  # after as_of
    ]
    made = [
        Introduction(
            id=f"i{n}",
            member_a_id="p1",
            member_b_id=f"m{n}",
            status=IntroductionStatus.MADE,
            created_at=_on(date(2026, 2, n)),
            status_changed_at=_on(date(2026, 3, n)),
        )
        for n in (1, 2)
    ]
    # 134 of 364 days gone (37 %): 2 of 12 (17 %) lags by more than the 15 % margin; 2 of 4
    # (50 %) is ahead. The ended agreement is not checked.
    (health,) = partner_health(
        partnerships, {}, referrals, [agreement, ended], CONFIG, as_of=AS_OF, introductions=made
    )
    (check,) = health.agreements
    assert check.expected == pytest.approx(134 / 364)
    assert [g.actual for g in check.goals] == [2, 2]
    assert check.behind_goals == (("12 referrals", pytest.approx(2 / 12)),)
    assert health.flags[-1] == "agreement a-1 behind, 37% of its period gone: 12 referrals at 17%"
    assert health.name == "p1"  # no name known: the member id stands in
