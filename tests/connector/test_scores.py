"""Scores on hand-computed examples (the arithmetic is written out in each test)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from connector.model import ReferralStatus, Sentiment
from connector.rules import MultiplierWeights
from connector.scores import (
    multiplier_score,
    multiplier_scores,
    multiplier_scores_of,
    pair_balances,
    win_win_balances,
)
from tests.connector.factories import T0, referral

WON, LOST, OPEN = ReferralStatus.WON, ReferralStatus.LOST, ReferralStatus.OPEN


def _given_by_c1() -> list:  # type: ignore[type-arg]
    return [
        referral("r1", "c1", "x1", status=WON, amount="30000", created=T0),
        referral("r2", "c1", "x2", status=LOST, created=T0 + timedelta(days=10)),
        referral(
            "r3",
            "c1",
            "x3",
            status=WON,
            amount="20000",
            sentiment=Sentiment.NEUTRAL,
            created=T0 + timedelta(days=20),
        ),
        referral("r4", "c1", "x4", status=OPEN, created=T0 + timedelta(days=180)),
        referral("r5", "c2", "x5", status=WON, amount="99999", created=T0),
    ]


def test_multiplier_score_hand_computed() -> None:
    # P = 3 positive (r1, r2, r4)      volume     = 3 / (3 + 5)          = 0.375
    # W = 2 (r1, r3), L = 1 (r2)        conversion = 2 / 3                = 0.6667
    # V = 30,000 + 20,000 = 50,000      value      = 50,000 / 100,000     = 0.5
    # newest positive r4, 180 days ago  recency    = 0.5 ** (180 / 180)   = 0.5
    # score = 100 · (0.35·0.375 + 0.25·0.6667 + 0.25·0.5 + 0.15·0.5) = 49.7917
    score = multiplier_score(
        "c1", _given_by_c1(), MultiplierWeights(), as_of=T0 + timedelta(days=360)
    )
    assert (score.positive_referrals, score.won, score.lost) == (3, 2, 1)
    assert score.won_value == Decimal("50000")
    assert score.volume == pytest.approx(0.375)
    assert score.conversion == pytest.approx(2 / 3)
    assert score.value == pytest.approx(0.5)
    assert score.recency == pytest.approx(0.5)
    assert score.score == pytest.approx(49.791667, abs=1e-5)
    assert not score.is_multiplier(MultiplierWeights())
    assert score.is_multiplier(MultiplierWeights(multiplier_threshold=45))


def test_member_without_referrals_scores_zero() -> None:
    score = multiplier_score("nobody", _given_by_c1(), MultiplierWeights(), as_of=T0)
    assert score.score == 0.0
    assert (score.volume, score.conversion, score.value, score.recency) == (0, 0, 0, 0)


def test_weights_change_the_score_and_must_sum_to_one() -> None:
    only_volume = MultiplierWeights(volume=1.0, conversion=0.0, value=0.0, recency=0.0)
    score = multiplier_score("c1", _given_by_c1(), only_volume, as_of=T0 + timedelta(days=360))
    assert score.score == pytest.approx(37.5)
    with pytest.raises(ValueError, match=r"sum to 1\.0"):
        MultiplierWeights(volume=0.5)


def test_scores_for_everyone_are_ranked_best_first_in_one_pass() -> None:
    ranked = multiplier_scores(_given_by_c1(), MultiplierWeights(), as_of=T0 + timedelta(days=360))
    # c2: P=1 → 1/6; conversion 1; value 99,999/149,999; recency 0.5 ** 2 = 0.25
    # score = 100 · (0.35/6 + 0.25 + 0.25·0.66667 + 0.15·0.25) = 51.25 > c1's 49.79
    expected = 100 * (0.35 / 6 + 0.25 + 0.25 * 99_999 / 149_999 + 0.15 * 0.25)
    assert [s.member_id for s in ranked] == ["c2", "c1"]
    assert ranked[0].score == pytest.approx(expected)
    assert ranked[1].score == pytest.approx(49.791667, abs=1e-5)


def _club_referrals() -> list:  # type: ignore[type-arg]
    return [
        referral("r1", "a", "x1", recipient="b", status=WON, amount="1000"),
        referral("r2", "b", "x2", recipient="a", status=WON, amount="500"),
        referral("r3", "a", "x3", recipient="c", status=OPEN),
        referral("r4", "a", "x4", status=WON, amount="2000"),  # to us
        referral("r5", "c", "x5", recipient="a", status=LOST, amount="700"),
    ]


def test_win_win_balance_per_member() -> None:
    tallies = win_win_balances(_club_referrals())
    a, b, c = tallies["a"], tallies["b"], tallies["c"]
    # a gave r1, r3, r4 (won value 1,000 + 2,000) and received r2, r5 (won value 500).
    assert (a.given, a.received, a.balance) == (3, 2, 1)
    assert (a.given_value, a.received_value, a.value_balance) == (
        Decimal(3000),
        Decimal(500),
        Decimal(2500),
    )
    assert a.give_share == pytest.approx(0.6)
    # b gave r2 (500) and received r1 (1,000): balanced in count, behind in value.
    assert (b.given, b.received, b.value_balance) == (1, 1, Decimal(-500))
    # a lost referral carries no won value.
    assert (c.given, c.given_value, c.received) == (1, Decimal(0), 1)


def test_win_win_balance_per_pair_seen_from_the_smaller_id() -> None:
    pairs = {(p.a, p.b): p.tally for p in pair_balances(_club_referrals())}
    assert set(pairs) == {("a", "b"), ("a", "c")}
    ab = pairs[("a", "b")]
    assert (ab.given, ab.received, ab.given_value, ab.received_value) == (
        1,
        1,
        Decimal(1000),
        Decimal(500),
    )
    ac = pairs[("a", "c")]
    assert (ac.given, ac.received, ac.balance) == (1, 1, 0)


def test_no_activity_has_no_give_share() -> None:
    assert win_win_balances([]) == {}
    tallies = win_win_balances([referral("r1", "a", "x")])
    assert tallies["a"].give_share == 1.0


def test_the_scores_of_a_page_of_members_equal_each_members_own_score() -> None:
    referrals = [
        *_given_by_c1(),
        referral("x1", "c2", "p9", status=ReferralStatus.WON, amount="900"),
        referral("x2", "c2", "p8", sentiment=Sentiment.NEUTRAL),
        referral("x3", "p9", "c1", status=ReferralStatus.LOST),
    ]
    weights = MultiplierWeights()
    as_of = T0 + timedelta(days=30)
    members = ["c1", "c2", "p9", "nobody"]
    page = multiplier_scores_of(members, referrals, weights, as_of=as_of)
    assert set(page) == set(members)
    for member in members:
        assert page[member] == multiplier_score(member, referrals, weights, as_of=as_of)
    assert page["nobody"].score == 0
