"""Thresholds of the stage rules and scores: configuration, not code.

Settings load these from ``refnet.toml`` (``[rules.ladder]``, ``[rules.multiplier]``, ...) or
``REFNET_RULES__LADDER__PARTNER_MIN_WON=5`` style environment variables.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connector.i18n import gettext as _
from connector.model.enums import Circle

__all__ = [
    "ClubRulesConfig",
    "InviteWeights",
    "LadderThresholds",
    "MultiplierWeights",
    "RewardRuleConfig",
    "RulesConfig",
]


class LadderThresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    referrer_min_qualified: int = Field(
        default=1, ge=1, description="referrals reaching qualified or won to become a referrer"
    )
    partner_min_won: int = Field(default=3, ge=1, description="won referrals to become a partner")
    partner_on_signed_agreement: bool = Field(
        default=True, description="a signed goal agreement makes a referrer a partner"
    )
    demotion_inactive_days: int = Field(
        default=730, ge=1, description="propose one rung down after this long without a referral"
    )


class MultiplierWeights(BaseModel):
    """Weights and scales of the multiplier score (see ``connector.scores.multiplier_score``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    volume: float = Field(default=0.35, ge=0)
    conversion: float = Field(default=0.25, ge=0)
    value: float = Field(default=0.25, ge=0)
    recency: float = Field(default=0.15, ge=0)
    volume_scale: float = Field(default=5.0, gt=0, description="positive referrals for half credit")
    value_scale: float = Field(default=50_000.0, gt=0, description="won value for half credit")
    recency_half_life_days: float = Field(default=180.0, gt=0)
    # How often the scores synced to the CRM follow the passing of time (sync-calls): with
    # nothing else changed, recency is recomputed once per this many days (periods start
    # on Mondays), so a daily sync does not resend every member for a decayed decimal.
    sync_refresh_days: int = Field(
        default=7, ge=1, le=365, description="days between time-driven score updates in sync"
    )
    multiplier_threshold: float = Field(
        default=50.0, ge=0, le=100, description="score from which a member counts as multiplier"
    )

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> MultiplierWeights:
        total = self.volume + self.conversion + self.value + self.recency
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                _("multiplier weights must sum to 1.0, not {total}").format(total=f"{total:g}")
            )
        return self


class InviteWeights(BaseModel):
    """How ``refnet club invite-candidates`` weighs the article's criteria (loyal, speaks well
    of us, willing) plus connections to members, and the scales of each."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    loyal: float = Field(default=0.3, ge=0)
    positive: float = Field(default=0.2, ge=0)
    willing: float = Field(default=0.3, ge=0)
    connected: float = Field(default=0.2, ge=0)
    loyal_years: float = Field(default=3.0, gt=0, description="customer years for full credit")
    loyal_deals: int = Field(default=2, ge=1, description="won deals for full credit")
    willing_referrals: int = Field(default=3, ge=1, description="referrals given for full credit")
    connected_members: int = Field(default=3, ge=1, description="members known for full credit")

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> InviteWeights:
        total = self.loyal + self.positive + self.willing + self.connected
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                _("invite weights must sum to 1.0, not {total}").format(total=f"{total:g}")
            )
        return self


class ClubRulesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_trial_months: int = Field(default=12, ge=1, le=36)
    require_accepted_rules: bool = Field(
        default=True, description="a full member must have accepted the current rules version"
    )
    # -- running the club (issue #18): moderation, growth and the pilot review --
    # One quarter: the sample club meets quarterly, so a member who let a whole cycle pass
    # without giving, receiving or being introduced gets a call from the moderator.
    quiet_after_months: int = Field(
        default=3, ge=1, le=36, description="a member without club activity this long is quiet"
    )
    trial_ending_within_days: int = Field(
        default=30, ge=0, description="trials ending this soon are listed as due"
    )
    follow_up_days: int = Field(
        default=30, ge=1, description="follow-up of a made introduction without its own date"
    )
    todo_horizon_days: int = Field(
        default=7, ge=0, description="follow-ups due this soon are already listed"
    )
    pilot_min_months: int = Field(
        default=12, ge=1, description="the article's test phase: at least one to two years"
    )
    review_continue_at: float = Field(
        default=0.9, gt=0, description="goal attainment (of the share due by now) to continue"
    )
    review_stop_below: float = Field(
        default=0.5, ge=0, description="mean goal attainment below which the pilot should stop"
    )
    invite_weights: InviteWeights = Field(default_factory=InviteWeights)

    @model_validator(mode="after")
    def _stop_below_continue(self) -> ClubRulesConfig:
        if self.review_stop_below >= self.review_continue_at:
            raise ValueError(_("review_stop_below must be below review_continue_at"))
        return self


# -- the thank-you reward rule (issue #18, item 5): connector.rules.rewards --
class RewardRuleConfig(BaseModel):
    """``[rules.reward]``: when a referral is won, the referrer is owed a thank-you.

    Off unless configured: what a company gives, and from what deal size, is its own call.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    on_referral_won: bool = Field(
        default=False, description="a won referral creates a pending reward for its referrer"
    )
    description: str = Field(
        default="Dankeschön für Ihre Empfehlung",
        min_length=1,
        max_length=200,
        description="what the thank-you is, as the team reads it in the CRM",
    )
    value: Decimal | None = Field(
        default=None, ge=0, max_digits=14, decimal_places=2, description="worth of the reward"
    )
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    min_won_amount: Decimal = Field(
        default=Decimal(0), ge=0, description="only referrals won with at least this amount"
    )
    # Employees refer as part of their job; thanking them is a matter for payroll.
    circles: tuple[Circle, ...] = Field(
        default=(Circle.CUSTOMER, Circle.PARTNER), description="referrers' circles thanked"
    )


class RulesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ladder: LadderThresholds = Field(default_factory=LadderThresholds)
    multiplier: MultiplierWeights = Field(default_factory=MultiplierWeights)
    club: ClubRulesConfig = Field(default_factory=ClubRulesConfig)
    reward: RewardRuleConfig = Field(default_factory=RewardRuleConfig)
