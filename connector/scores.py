"""The measures the articles ask a team to find: multipliers and the win-win balance.

All functions are pure and stream over referrals, so they work on any iterable (a list in a
test, a store cursor in production) without loading more than one referral at a time.

Values are never summed across currencies: every ``*_value`` here is in the base currency of
``[money]`` (:class:`~connector.money.MoneyConfig`), amounts in other currencies converted by
its rate table; an amount in a currency without a rate is left out of the value (and kept,
per currency, in ``won_by_currency``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from connector.model import Contribution, ReferralStatus, Sentiment
from connector.money import MoneyConfig, MoneyTotals
from connector.rules.config import MultiplierWeights

__all__ = [
    "BalanceTallies",
    "BalanceTally",
    "MultiplierScore",
    "MultiplierTallies",
    "PairBalance",
    "PairTallies",
    "ReferralFacts",
    "multiplier_score",
    "multiplier_scores",
    "multiplier_scores_of",
    "pair_balances",
    "win_win_balances",
]


_DEFAULT_MONEY = MoneyConfig()


class ReferralFacts(Protocol):
    """What the measures read of a referral: a :class:`~connector.model.Referral`, or a
    lighter row with the same fields (the report streams 200,000 and builds no record each).
    """

    @property
    def referrer_id(self) -> str: ...
    @property
    def recipient_id(self) -> str | None: ...
    @property
    def sentiment(self) -> Sentiment: ...
    @property
    def status(self) -> ReferralStatus: ...
    @property
    def amount(self) -> Decimal | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass
class _ReferrerTally:
    money: MoneyConfig = _DEFAULT_MONEY
    positive: int = 0
    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal(0)
    won_by_currency: MoneyTotals = field(default_factory=MoneyTotals)
    last_positive_at: datetime | None = None

    def add(self, referral: ReferralFacts) -> None:
        if referral.sentiment is Sentiment.POSITIVE:
            self.positive += 1
            if self.last_positive_at is None or referral.created_at > self.last_positive_at:
                self.last_positive_at = referral.created_at
        if referral.status is ReferralStatus.WON:
            self.won += 1
            self.won_value += _won_value(referral, self.money)
            self.won_by_currency.add(referral.amount, referral.currency)
        elif referral.status is ReferralStatus.LOST:
            self.lost += 1


@dataclass(frozen=True)
class MultiplierScore:
    """A member's multiplier score (0–100) with the components that explain it."""

    member_id: str
    score: float
    positive_referrals: int
    won: int
    lost: int
    won_value: Decimal
    volume: float
    conversion: float
    value: float
    recency: float
    won_by_currency: MoneyTotals = field(default_factory=MoneyTotals)

    def is_multiplier(self, weights: MultiplierWeights) -> bool:
        return self.score >= weights.multiplier_threshold


def _score(
    member_id: str, tally: _ReferrerTally, weights: MultiplierWeights, as_of: datetime
) -> MultiplierScore:
    volume = tally.positive / (tally.positive + weights.volume_scale)
    closed = tally.won + tally.lost
    conversion = tally.won / closed if closed else 0.0
    value_f = float(tally.won_value)
    value = value_f / (value_f + weights.value_scale)
    if tally.last_positive_at is None:
        recency = 0.0
    else:
        days = max((as_of - tally.last_positive_at).total_seconds() / 86_400, 0.0)
        recency = 0.5 ** (days / weights.recency_half_life_days)
    score = 100.0 * (
        weights.volume * volume
        + weights.conversion * conversion
        + weights.value * value
        + weights.recency * recency
    )
    return MultiplierScore(
        member_id,
        score,
        tally.positive,
        tally.won,
        tally.lost,
        tally.won_value,
        volume,
        conversion,
        value,
        recency,
        tally.won_by_currency,
    )


def multiplier_score(
    member_id: str,
    referrals: Iterable[ReferralFacts],
    weights: MultiplierWeights,
    *,
    as_of: datetime,
    money: MoneyConfig | None = None,
) -> MultiplierScore:
    """The multiplier score of one member, from the referrals it gave.

    Over the referrals whose referrer is the member:

    * ``P`` = referrals with positive sentiment (any status); ``volume = P / (P + k_P)``
      with ``k_P = weights.volume_scale`` (so ``k_P`` positive referrals earn half credit);
    * ``W``, ``L`` = won and lost referrals; ``conversion = W / (W + L)``, 0 when none closed;
    * ``V`` = summed amount of the won referrals in the base currency; ``value = V / (V + k_V)``,
      ``k_V = weights.value_scale``;
    * ``d`` = days from the newest positive referral to ``as_of``;
      ``recency = 0.5 ** (d / half_life)``, 0 without a positive referral.

    ``score = 100 · (w_vol·volume + w_conv·conversion + w_val·value + w_rec·recency)``, where the
    weights sum to 1, so the score lies in [0, 100). Each component saturates, so one huge deal
    or a flood of referrals cannot dominate on its own.
    """
    tally = _ReferrerTally(money or _DEFAULT_MONEY)
    for referral in referrals:
        if referral.referrer_id == member_id:
            tally.add(referral)
    return _score(member_id, tally, weights, as_of)


class MultiplierTallies:
    """:func:`multiplier_scores` fed one referral at a time, so one pass over the referrals
    can feed several measures (the report streams 200,000 of them once, not once each)."""

    def __init__(self, money: MoneyConfig | None = None) -> None:
        self._money = money or _DEFAULT_MONEY
        self._tallies: dict[str, _ReferrerTally] = {}

    def add(self, referral: ReferralFacts) -> None:
        tally = self._tallies.get(referral.referrer_id)
        if tally is None:
            tally = self._tallies[referral.referrer_id] = _ReferrerTally(self._money)
        tally.add(referral)

    def scores(self, weights: MultiplierWeights, *, as_of: datetime) -> list[MultiplierScore]:
        """Scores of every member that gave a referral, best first."""
        scores = [_score(member, tally, weights, as_of) for member, tally in self._tallies.items()]
        return sorted(scores, key=lambda s: (-s.score, s.member_id))


def multiplier_scores(
    referrals: Iterable[ReferralFacts],
    weights: MultiplierWeights,
    *,
    as_of: datetime,
    money: MoneyConfig | None = None,
) -> list[MultiplierScore]:
    """Scores of every member that gave a referral, best first, in one pass."""
    tallies = MultiplierTallies(money)
    for referral in referrals:
        tallies.add(referral)
    return tallies.scores(weights, as_of=as_of)


def multiplier_scores_of(
    member_ids: Iterable[str],
    referrals: Iterable[ReferralFacts],
    weights: MultiplierWeights,
    *,
    as_of: datetime,
    money: MoneyConfig | None = None,
) -> dict[str, MultiplierScore]:
    """The score of each of ``member_ids`` (0 without referrals), in one pass over
    ``referrals``; equal to :func:`multiplier_score` per member."""
    wanted = set(member_ids)
    config = money or _DEFAULT_MONEY
    tallies = {member: _ReferrerTally(config) for member in wanted}
    for referral in referrals:
        tally = tallies.get(referral.referrer_id)
        if tally is not None:
            tally.add(referral)
    return {member: _score(member, tally, weights, as_of) for member, tally in tallies.items()}


@dataclass
class BalanceTally:
    """Referrals, contributions and won business given versus received.

    ``given`` counts referrals the party gave, ``received`` those it was the recipient of;
    the ``*_value`` fields sum the amounts of the *won* ones. Given contributions
    (introductions, joint events, favours, rewards: :class:`~connector.model.Contribution`)
    count on both sides as well, one each, their value when they have one; the
    ``contributions_*`` fields say how many of ``given`` / ``received`` they are.
    ``balance = given − received``: positive means the party gives more than it gets.
    """

    given: int = 0
    received: int = 0
    given_value: Decimal = Decimal(0)
    received_value: Decimal = Decimal(0)
    contributions_given: int = 0
    contributions_received: int = 0

    def add_given(self, contribution: Contribution, value: Decimal) -> None:
        self.given += 1
        self.contributions_given += 1
        self.given_value += value

    def add_received(self, contribution: Contribution, value: Decimal) -> None:
        self.received += 1
        self.contributions_received += 1
        self.received_value += value

    @property
    def balance(self) -> int:
        return self.given - self.received

    @property
    def value_balance(self) -> Decimal:
        return self.given_value - self.received_value

    @property
    def give_share(self) -> float | None:
        """``given / (given + received)``: 0.5 is perfectly balanced, ``None`` without activity."""
        total = self.given + self.received
        return self.given / total if total else None


def _won_value(referral: ReferralFacts, money: MoneyConfig) -> Decimal:
    """A won referral's amount in the base currency; 0 when open, lost or without a rate."""
    if referral.status is ReferralStatus.WON and referral.amount is not None:
        return money.convert(referral.amount, referral.currency) or Decimal(0)
    return Decimal(0)


def _contribution_value(contribution: Contribution, money: MoneyConfig) -> Decimal:
    """A given contribution's value in the base currency; 0 without one or without a rate."""
    if contribution.value is None or contribution.currency is None:
        return Decimal(0)
    return money.convert(contribution.value, contribution.currency) or Decimal(0)


class BalanceTallies:
    """:func:`win_win_balances` fed one referral at a time (see :class:`MultiplierTallies`)."""

    def __init__(self, money: MoneyConfig | None = None) -> None:
        self._money = money or _DEFAULT_MONEY
        self._tallies: dict[str, BalanceTally] = {}

    def add(self, referral: ReferralFacts) -> None:
        tallies = self._tallies
        value = _won_value(referral, self._money)
        giver = tallies.setdefault(referral.referrer_id, BalanceTally())
        giver.given += 1
        giver.given_value += value
        if referral.recipient_id is not None:
            taker = tallies.setdefault(referral.recipient_id, BalanceTally())
            taker.received += 1
            taker.received_value += value

    def balances(self, contributions: Iterable[Contribution] = ()) -> dict[str, BalanceTally]:
        """The tallies of the referrals added, with the given ``contributions`` counted."""
        tallies = self._tallies
        for contribution in contributions:
            if not contribution.counts:
                continue
            value = _contribution_value(contribution, self._money)
            if contribution.giver_id is not None:
                tallies.setdefault(contribution.giver_id, BalanceTally()).add_given(
                    contribution, value
                )
            if contribution.receiver_id is not None:
                tallies.setdefault(contribution.receiver_id, BalanceTally()).add_received(
                    contribution, value
                )
        return tallies


def win_win_balances(
    referrals: Iterable[ReferralFacts],
    money: MoneyConfig | None = None,
    contributions: Iterable[Contribution] = (),
) -> dict[str, BalanceTally]:
    """Win-win balance per member.

    A referral counts as *given* for its referrer and as *received* for its recipient. A
    referral to us (no recipient) is given by the referrer and received by no member. A
    given contribution counts the same way for its giver and receiver; the company's side
    (no member) has no tally, so a favour from us is received by the member and given by
    no member. Pending and cancelled contributions do not count.
    """
    tallies = BalanceTallies(money)
    for referral in referrals:
        tallies.add(referral)
    return tallies.balances(contributions)


@dataclass(frozen=True)
class PairBalance:
    """The balance between two members ``a`` < ``b``, seen from ``a``."""

    a: str
    b: str
    tally: BalanceTally = field(default_factory=BalanceTally)


class PairTallies:
    """:func:`pair_balances` fed one referral at a time (see :class:`MultiplierTallies`)."""

    def __init__(self, money: MoneyConfig | None = None) -> None:
        self._money = money or _DEFAULT_MONEY
        self._pairs: dict[tuple[str, str], BalanceTally] = {}

    def add(self, referral: ReferralFacts) -> None:
        if referral.recipient_id is None:
            return
        giver, taker = referral.referrer_id, referral.recipient_id
        a, b = sorted((giver, taker))
        tally = self._pairs.setdefault((a, b), BalanceTally())
        value = _won_value(referral, self._money)
        if giver == a:
            tally.given += 1
            tally.given_value += value
        else:
            tally.received += 1
            tally.received_value += value

    def balances(self, contributions: Iterable[Contribution] = ()) -> list[PairBalance]:
        """The pairs of the referrals added, with the given ``contributions`` counted."""
        pairs = self._pairs
        for contribution in contributions:
            if not contribution.counts or None in (contribution.giver_id, contribution.receiver_id):
                continue
            giver, taker = str(contribution.giver_id), str(contribution.receiver_id)
            a, b = sorted((giver, taker))
            tally = pairs.setdefault((a, b), BalanceTally())
            value = _contribution_value(contribution, self._money)
            if giver == a:
                tally.add_given(contribution, value)
            else:
                tally.add_received(contribution, value)
        return [PairBalance(a, b, tally) for (a, b), tally in sorted(pairs.items())]


def pair_balances(
    referrals: Iterable[ReferralFacts],
    money: MoneyConfig | None = None,
    contributions: Iterable[Contribution] = (),
) -> list[PairBalance]:
    """Win-win balance per pair of members that referred business or gave to each other.

    Only referrals and given contributions between two members count (those to or from us
    have no counterpart). For each unordered pair the balance is reported from the member
    with the smaller id: ``given`` is what ``a`` referred or gave to ``b``, ``received`` what
    ``b`` referred or gave to ``a``.
    """
    tallies = PairTallies(money)
    for referral in referrals:
        tallies.add(referral)
    return tallies.balances(contributions)
