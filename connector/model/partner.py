"""Strategic partner acquisition: target profiles, the pipeline, and goal agreements."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from connector.i18n import gettext as _
from connector.model.base import NonEmptyText, Record, RefnetId, Tags, utcnow
from connector.model.enums import AgreementStatus, GoalMetric, PartnerStage

__all__ = ["Agreement", "Goal", "Partnership", "TargetProfile"]


class TargetProfile(Record):
    """The desired strategic partner (step 2); candidates are scored against it."""

    name: NonEmptyText
    industries: Tags = Field(default_factory=list)
    regions: Tags = Field(default_factory=list)
    offers: Tags = Field(default_factory=list, description="what we want the partner to offer")
    min_reach: int = Field(default=0, ge=0, description="connections a candidate should have")
    notes: str | None = None


class Partnership(Record):
    """A member on the strategic partner pipeline (steps 1–5)."""

    member_id: RefnetId
    target_profile_id: RefnetId | None = None
    owner_id: RefnetId | None = Field(default=None, description="the employee who runs it")
    stage: PartnerStage = PartnerStage.ANALYSIS
    dropped_reason: str | None = None
    stage_changed_at: AwareDatetime = Field(default_factory=utcnow)


class Goal(BaseModel):
    """One measurable goal of an agreement, e.g. 12 referrals given in the agreement year.

    ``period_start``/``period_end`` narrow the goal to part of the agreement's period (both
    or neither; the agreement's period when absent). ``achieved`` is entered by hand and is
    what counts only for goals refnet cannot measure (``custom``); every other metric is
    measured from the data by :mod:`connector.goals`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: GoalMetric
    description: str | None = None
    target: float = Field(gt=0)
    achieved: float = Field(default=0, ge=0)
    period_start: date | None = None
    period_end: date | None = None

    @model_validator(mode="after")
    def _period_is_whole(self) -> Goal:
        if (self.period_start is None) != (self.period_end is None):
            raise ValueError(_("a goal's period needs both period_start and period_end"))
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError(_("a goal's period_end must not be before its period_start"))
        return self

    @property
    def progress(self) -> float:
        """Share of the target reached, capped at 1.0."""
        return min(self.achieved / self.target, 1.0)


class Agreement(Record):
    """The joint goal agreement (step 4) between us and a strategic partner."""

    partnership_id: RefnetId
    status: AgreementStatus = AgreementStatus.DRAFT
    goals: list[Goal] = Field(default_factory=list)
    period_start: date
    period_end: date
    review_dates: list[date] = Field(default_factory=list)
    signed_on: date | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _period_is_consistent(self) -> Agreement:
        if self.period_end <= self.period_start:
            raise ValueError(_("period_end must be after period_start"))
        outside = [d for d in self.review_dates if not self.period_start <= d <= self.period_end]
        if outside:
            raise ValueError(
                _("review date {date} lies outside the period").format(date=outside[0].isoformat())
            )
        for goal in self.goals:
            if (
                goal.period_start
                and goal.period_end
                and not (
                    self.period_start <= goal.period_start and goal.period_end <= self.period_end
                )
            ):
                raise ValueError(_("a goal's period must lie inside the agreement's period"))
        return self

    @property
    def progress(self) -> float:
        """Mean progress over all goals (0.0 without goals)."""
        if not self.goals:
            return 0.0
        return sum(goal.progress for goal in self.goals) / len(self.goals)

    def expected_progress(self, on: date) -> float:
        """Share of the period elapsed on ``on``: where progress should be if goals are on track."""
        total = (self.period_end - self.period_start).days
        elapsed = (min(max(on, self.period_start), self.period_end) - self.period_start).days
        return elapsed / total
