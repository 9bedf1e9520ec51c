"""Goals measured from the data (#17 item 3) and money never summed across currencies (item 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector.errors import ConfigError
from connector.goals import measure_agreement
from connector.intelligence import IntelligenceConfig
from connector.model import (
    AgreementStatus,
    Circle,
    Goal,
    GoalMetric,
    PartnerStage,
    Referral,
    ReferralStatus,
)
from connector.money import MoneyConfig, MoneyTotals
from connector.report import build_report
from connector.report_sections import report_sections
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from tests.connector import factories

AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)
CHF = MoneyConfig(rates={"CHF": Decimal("1.05")})


def _on(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, tzinfo=UTC)


def _won(referral_id: str, amount: str, currency: str, won_on: datetime) -> Referral:
    return factories.referral(
        referral_id, "p1", f"x-{referral_id}", status=ReferralStatus.WON, amount=amount,
        created=_on(2026, 1, 5),
    ).model_copy(update={"currency": currency, "status_changed_at": won_on})  # fmt: skip


def _agreement(*goals: Goal):  # type: ignore[no-untyped-def]
    return factories.agreement(
        status=AgreementStatus.SIGNED,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        goals=list(goals),
    )


def test_each_metric_is_measured_from_the_partners_referrals_inside_the_period() -> None:
    agreement = _agreement(
        Goal(metric=GoalMetric.REFERRALS_GIVEN, target=4, achieved=4),  # typed 4: not used
        Goal(metric=GoalMetric.REFERRALS_WON, target=3),
        Goal(metric=GoalMetric.WON_VALUE, target=20_000),
        Goal(
            metric=GoalMetric.REFERRALS_GIVEN,
            target=1,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 6, 30),
        ),
    )
    referrals = [
        _won("r1", "10000.00", "EUR", _on(2026, 2, 1)),
        _won("r2", "4000.00", "CHF", _on(2026, 3, 1)),  # 4,200 EUR at 1.05
        _won("r3", "500.00", "USD", _on(2026, 4, 1)),  # no rate: left out, and said so
        _won("r4", "900.00", "EUR", _on(2025, 12, 1)),  # won before the period
        _won("r5", "900.00", "EUR", _on(2026, 7, 1)),  # won after as_of
        factories.referral("r6", "other", "x6", created=_on(2026, 2, 1)),  # not the partner's
    ]
    measured = measure_agreement(agreement, "p1", referrals, as_of=AS_OF, money=CHF)
    given, won, value, quarter = measured.goals
    assert given.actual == 5  # r1..r5 were all created on 5 January, inside the period
    assert won.actual == 3 and won.progress == 1.0
    assert value.actual == pytest.approx(14_200.0)
    assert value.note == "in EUR; left out, no rate for USD"
    assert quarter.actual == 0 and (quarter.period_start, quarter.period_end) == (
        date(2026, 4, 1),
        date(2026, 6, 30),
    )
    assert measured.progress == pytest.approx((1.0 + 1.0 + 14_200 / 20_000 + 0.0) / 4)


def test_joint_events_are_reported_as_not_measured_and_custom_goals_as_entered() -> None:
    agreement = _agreement(
        Goal(metric=GoalMetric.JOINT_EVENTS, target=2, achieved=2),
        Goal(metric=GoalMetric.CUSTOM, description="a joint webinar", target=1, achieved=1),
    )
    events, custom = measure_agreement(agreement, "p1", [], as_of=AS_OF).goals
    assert events.actual is None and events.progress is None
    assert "not measured" in events.describe()
    assert custom.actual == 1 and custom.note == "entered by hand, not measured"

    class TwoEvents:
        def joint_events(self, member_id: str, start: date, end: date) -> int | None:
            assert (member_id, start, end) == ("p1", date(2026, 1, 1), AS_OF.date())
            return 2

    (counted, _) = measure_agreement(agreement, "p1", [], as_of=AS_OF, events=TwoEvents()).goals
    assert counted.actual == 2 and counted.progress == 1.0


def test_a_goal_period_outside_the_agreement_is_refused() -> None:
    with pytest.raises(ValueError, match="inside the agreement's period"):
        _agreement(
            Goal(
                metric=GoalMetric.REFERRALS_GIVEN,
                target=1,
                period_start=date(2025, 12, 1),
                period_end=date(2026, 1, 31),
            )
        )
    with pytest.raises(ValueError, match="both period_start and period_end"):
        Goal(metric=GoalMetric.REFERRALS_GIVEN, target=1, period_start=date(2026, 1, 1))


def _partner_network(store: Store, referrals: list[Referral]) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                factories.member("p1", Circle.PARTNER),
                *(factories.member(f"x-{r.id}", Circle.PROSPECT) for r in referrals),
            ]
        )
        tx.put(factories.partnership(id="p-1", member_id="p1", stage=PartnerStage.AGREEMENT))
        tx.put(
            _agreement(
                Goal(metric=GoalMetric.REFERRALS_WON, description="3 deals won", target=3),
                Goal(metric=GoalMetric.WON_VALUE, target=30_000),
            )
        )
        tx.put_many(referrals)


def test_three_won_referrals_in_the_period_show_the_goal_reached_in_report_and_health(
    store: Store,
) -> None:
    # Issue #17: "after three won referrals from a partner inside its agreement period, the
    # report still shows the goal at 50 %".
    referrals = [_won(f"r{n}", "5000.00", "EUR", _on(2026, 3, n)) for n in (1, 2, 3)]
    _partner_network(store, referrals)
    report = build_report(store, RulesConfig(), as_of=AS_OF, intelligence=IntelligenceConfig())
    (agreement,) = report.goals
    deals, value = agreement.goals
    assert (deals.actual, deals.progress) == (3, 1.0)
    assert (value.actual, value.progress) == (15_000.0, 0.5)
    (health,) = report.intelligence.health
    (check,) = health.agreements
    assert check.progress == 0.75 and [g.actual for g in check.goals] == [3, 15_000.0]
    rows = next(s for s in report_sections(report) if s.title.startswith("goal agreements")).rows
    assert rows[0][2:] == ("3 deals won", "2026-01-01 – 2026-12-31", "3", "3", "100%")


def test_won_value_is_kept_per_currency_and_converted_only_with_a_rate(store: Store) -> None:
    referrals = [
        _won("r1", "1000.00", "EUR", _on(2026, 3, 1)),
        _won("r2", "2000.00", "CHF", _on(2026, 3, 2)),
    ]
    _partner_network(store, referrals)
    plain = build_report(store, RulesConfig(), as_of=AS_OF)
    assert plain.won_value.as_dict() == {"CHF": Decimal("2000.00"), "EUR": Decimal("1000.00")}
    assert plain.won_value_converted is None  # no CHF rate: no single figure, not 3,000
    assert plain.won_value.describe(plain.money) == (
        "2,000.00 CHF + 1,000.00 EUR (no rate for CHF: not converted)"
    )
    (score,) = plain.top_multipliers
    assert score.score.won_value == Decimal("1000.00")  # only what converts counts
    converted = build_report(store, RulesConfig(), as_of=AS_OF, money=CHF)
    assert converted.won_value_converted == Decimal("3100.00")
    assert converted.top_multipliers[0].score.won_value == Decimal("3100.00")


def test_money_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFNET_MONEY__BASE_CURRENCY", "CHF")
    monkeypatch.setenv("REFNET_MONEY__RATES", '{"EUR": "0.95"}')
    money = load_settings().money
    assert money.base_currency == "CHF"
    assert MoneyTotals.of([(Decimal(100), "EUR"), (Decimal(5), "CHF")]).in_base(money) == Decimal(
        "100.00"
    )
    monkeypatch.setenv("REFNET_MONEY__RATES", '{"eur": "-1"}')
    with pytest.raises(ConfigError, match=r"money\.rates"):
        load_settings()
