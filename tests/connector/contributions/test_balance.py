"""The win-win balance counts contributions besides referrals, per member, per pair and per
strategic partner, with known numbers; multiplier scores never count them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from connector.goal_text import ParsedGoal, parse_goal_text
from connector.goals import measure_agreement
from connector.intelligence.config import HealthConfig
from connector.intelligence.health import partner_health
from connector.model import (
    AgreementStatus,
    Circle,
    Contribution,
    ContributionKind,
    ContributionStatus,
    Goal,
    GoalMetric,
    PartnerStage,
    Referral,
    ReferralStatus,
)
from connector.report import build_report
from connector.rules import RulesConfig
from connector.scores import pair_balances, win_win_balances
from connector.store import Store
from tests.connector.contributions.builders import contribution, pending_reward
from tests.connector.factories import agreement, member, partnership, referral

AS_OF = datetime(2025, 12, 31, tzinfo=UTC)


def _referrals() -> list[Referral]:
    return [
        referral("r1", "a", "x", recipient="b", status=ReferralStatus.WON, amount="10000.00"),
        referral("r2", "a", "x", recipient="b"),
        referral("r3", "b", "x", recipient="a", status=ReferralStatus.WON, amount="2000.00"),
        referral("r4", "a", "x", status=ReferralStatus.WON, amount="5000.00"),  # to us
    ]


def _ledger() -> list[Contribution]:
    return [
        contribution("k1", ContributionKind.FAVOUR, "b", "a", value="500.00"),
        contribution("k2", ContributionKind.INTRODUCTION, "c", "a"),
        contribution("k3", ContributionKind.JOINT_EVENT, "e", "a", event_ref="evt-1"),
        contribution("k4", ContributionKind.REWARD, None, "b", value="50.00"),  # from us
        pending_reward("k5", "c", "r4"),  # owed, not given: does not count yet
        contribution("k6", ContributionKind.FAVOUR, "a", "b", status=ContributionStatus.CANCELLED),
    ]


def test_the_balance_per_pair_counts_contributions_with_known_numbers() -> None:
    pairs = {(p.a, p.b): p.tally for p in pair_balances(_referrals(), None, _ledger())}

    assert set(pairs) == {("a", "b"), ("a", "c"), ("a", "e")}
    ab = pairs["a", "b"]
    # a → b: two referrals (one won, 10.000); b → a: a won referral (2.000) and a favour (500).
    assert (ab.given, ab.received, ab.balance) == (2, 2, 0)
    assert (ab.given_value, ab.received_value) == (Decimal("10000.00"), Decimal("2500.00"))
    assert (ab.contributions_given, ab.contributions_received) == (0, 1)
    ac = pairs["a", "c"]
    assert (ac.given, ac.received, ac.balance, ac.contributions_received) == (0, 1, -1, 1)
    ae = pairs["a", "e"]
    assert (ae.given, ae.received, ae.balance) == (0, 1, -1)


def test_the_balance_per_member_counts_what_the_company_gave_but_not_what_is_owed() -> None:
    tallies = win_win_balances(_referrals(), None, _ledger())

    a, b, c, e = (tallies[m] for m in "abce")
    assert (a.given, a.received, a.balance) == (3, 4, -1)
    assert (a.given_value, a.received_value) == (Decimal("15000.00"), Decimal("2500.00"))
    assert a.contributions_received == 3
    # b received two referrals (10.000) and our reward (50): the company's gift counts.
    assert (b.given, b.received, b.balance) == (2, 3, -1)
    assert b.received_value == Decimal("10050.00")
    # c's reward is still pending: c has only given.
    assert (c.given, c.received) == (1, 0)
    assert (e.given, e.received) == (1, 0)
    # Without the ledger, the numbers are the referrals' alone.
    assert win_win_balances(_referrals())["a"].received == 1


def test_partner_health_counts_giving_back_so_a_partner_is_no_longer_one_sided() -> None:
    partner = partnership(stage=PartnerStage.OPTIMISATION)
    given = [
        referral(f"g{i}", partner.member_id, "x", created=datetime(2025, 10, 1 + i, tzinfo=UTC))
        for i in range(4)
    ]

    def health(ledger: list[Contribution]) -> tuple[int, int, tuple[str, ...]]:
        (result,) = partner_health(
            [partner], {}, given, [], HealthConfig(), as_of=AS_OF, contributions=ledger
        )
        return result.given, result.received, result.flags

    assert health([]) == (4, 0, ("one-sided: gives 4, receives 0; give something back",))
    back = [
        contribution(
            "b1", ContributionKind.INTRODUCTION, "emp", partner.member_id, on=date(2025, 11, 3)
        ),
        contribution("b2", ContributionKind.FAVOUR, None, partner.member_id, on=date(2025, 12, 1)),
        pending_reward("b3", partner.member_id, "g0"),
        # Given outside the window of four quarters: not counted.
        contribution("b4", ContributionKind.FAVOUR, None, partner.member_id, on=date(2024, 11, 1)),
    ]
    assert health(back) == (4, 2, ())


def test_contributions_count_in_the_report_balance_never_in_multiplier_scores(
    store: Store,
) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                *(member(m) for m in "abcx"),
                member("e", Circle.EMPLOYEE),
                *_referrals(),
                *_ledger(),
            ]
        )
    report = build_report(store, RulesConfig(), as_of=AS_OF)

    scored = {m.score.member_id: m.score for m in report.top_multipliers}
    # The employee gave only a contribution: no multiplier score at all, let alone a raised one.
    assert "e" not in scored
    assert set(scored) == {"a", "b"}
    assert scored["a"].positive_referrals == 3
    balances = {b.member_id: b.tally for b in report.balances}
    assert (balances["a"].given, balances["a"].received) == (3, 4)
    assert report.contributions_by_kind == {
        "favour": 1,
        "introduction": 1,
        "joint_event": 1,
        "reward": 1,
    }
    assert [c.id for c in report.pending_rewards] == ["k5"]
    assert report.names["c"] == "Member c"


def test_an_agreement_goal_counts_the_contributions_the_partner_gave() -> None:
    partner = partnership(stage=PartnerStage.OPTIMISATION)
    goal = Goal(metric=GoalMetric.CONTRIBUTIONS, target=4, description="vier Gefälligkeiten")
    signed = agreement(
        status=AgreementStatus.SIGNED,
        goals=[goal],
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
    )
    ledger = [
        contribution("f1", ContributionKind.FAVOUR, partner.member_id, None, on=date(2025, 3, 1)),
        contribution("f2", ContributionKind.JOINT_EVENT, partner.member_id, "c9"),
        contribution("f3", ContributionKind.FAVOUR, None, partner.member_id),  # to the partner
        contribution("f4", ContributionKind.FAVOUR, partner.member_id, None, on=date(2024, 12, 1)),
        contribution(
            "f5", ContributionKind.FAVOUR, partner.member_id, None, on=date(2025, 12, 1)
        ),  # after as_of
    ]

    (progress,) = measure_agreement(
        signed, partner.member_id, [], as_of=datetime(2025, 6, 30, tzinfo=UTC),
        contributions=ledger,
    ).goals  # fmt: skip

    assert (progress.metric, progress.actual, progress.progress) == ("contributions", 2, 0.5)
    parsed = parse_goal_text("vier Gefälligkeiten pro Jahr", date(2026, 1, 1), date(2026, 12, 31))
    assert isinstance(parsed, ParsedGoal)
    assert (parsed.metric, parsed.target) == (GoalMetric.CONTRIBUTIONS, 4)
