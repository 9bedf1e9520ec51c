"""The reward rule: a won referral earns its referrer a thank-you the team then gives.

Pure like the ladder rules: the won referral, its referrer and the thresholds in, the
pending reward (or nothing) out. The reward's id is derived from the referral's, so the
rule applied twice to the same referral (a redelivered webhook, a re-import, a referral
reopened and won again) owes one reward, not two.
"""

from __future__ import annotations

from datetime import datetime

from connector.model import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Member,
    Referral,
    ReferralStatus,
    new_id,
)
from connector.rules.config import RewardRuleConfig

__all__ = ["reward_for_won_referral", "reward_id"]


def reward_id(referral_id: str) -> str:
    """The id of the reward a referral earns (stable, so the rule never owes it twice)."""
    return new_id("rwd", referral_id)


def reward_for_won_referral(
    referral: Referral, referrer: Member, config: RewardRuleConfig, *, at: datetime
) -> Contribution | None:
    """The pending thank-you ``referrer`` is owed for ``referral``, or None.

    None when the rule is off, the referral is not won, the referrer's circle is not thanked,
    or the won amount is below ``min_won_amount`` (a referral without an amount counts as
    0). The company gives it (no ``giver_id``); the team fulfils it later.
    """
    if not config.on_referral_won or referral.status is not ReferralStatus.WON:
        return None
    if referrer.id != referral.referrer_id or referrer.circle not in config.circles:
        return None
    if config.min_won_amount > 0 and (referral.amount or 0) < config.min_won_amount:
        return None
    return Contribution(
        id=reward_id(referral.id),
        kind=ContributionKind.REWARD,
        giver_id=None,
        receiver_id=referrer.id,
        description=config.description,
        status=ContributionStatus.PENDING,
        value=config.value,
        currency=config.currency if config.value is not None else None,
        referral_id=referral.id,
        created_at=at,
    )
