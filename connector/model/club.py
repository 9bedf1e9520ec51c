"""The customer club (Kundennetzwerk): rules, memberships and moderated introductions."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from connector.i18n import gettext as _
from connector.model.base import Money, NonEmptyText, Record, RefnetId, utcnow
from connector.model.enums import IntroductionStatus, MembershipStatus

__all__ = ["Club", "ClubRules", "Introduction", "Membership", "Pilot", "PilotGoals"]


class ClubRules(BaseModel):
    """One version of the club's rules of the game; members accept a version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    text: NonEmptyText
    effective_from: date


class PilotGoals(BaseModel):
    """What the club should reach by the end of its test phase; an empty goal is not judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    members: int | None = Field(default=None, ge=1, description="trial or full members")
    referrals: int | None = Field(
        default=None, ge=1, description="referrals between members made in the test phase"
    )
    business_value: Money | None = Field(
        default=None,
        description="won value of member-to-member referrals and introductions in the phase",
    )


class Pilot(BaseModel):
    """The club as a pilot: a test phase with an end date, goals and an evaluation.

    The article asks for a test phase of one to two years (``ClubRulesConfig.pilot_min_months``
    holds the lower bound), so members trust that the company is serious.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    starts_on: date
    ends_on: date
    goals: PilotGoals = Field(default_factory=PilotGoals)

    @model_validator(mode="after")
    def _ends_after_start(self) -> Pilot:
        if self.ends_on <= self.starts_on:
            raise ValueError(_("ends_on must be after starts_on"))
        return self


class Club(Record):
    name: NonEmptyText
    founded_on: date
    trial_months: int = Field(default=12, ge=1, le=36, description="the test phase per member")
    rules: list[ClubRules] = Field(default_factory=list)
    moderator_id: RefnetId | None = Field(
        default=None, description="the employee who connects members and follows up"
    )
    pilot: Pilot | None = None

    @model_validator(mode="after")
    def _rule_versions_ascend(self) -> Club:
        versions = [r.version for r in self.rules]
        if versions != sorted(set(versions)):
            raise ValueError(_("rules versions must be unique and ascending"))
        return self

    @property
    def current_rules_version(self) -> int | None:
        return self.rules[-1].version if self.rules else None


class Membership(Record):
    """A member's place in a club: invited → trial → member → paused / left."""

    club_id: RefnetId
    member_id: RefnetId
    status: MembershipStatus = MembershipStatus.INVITED
    invited_on: date
    trial_started_on: date | None = None
    trial_ends_on: date | None = None
    joined_on: date | None = None
    accepted_rules_version: int | None = Field(default=None, ge=1)
    responded_on: date | None = Field(
        default=None, description="when the invited member accepted or declined"
    )
    left_on: date | None = None

    @model_validator(mode="after")
    def _trial_dates_consistent(self) -> Membership:
        if (
            self.trial_started_on
            and self.trial_ends_on
            and self.trial_ends_on <= self.trial_started_on
        ):
            raise ValueError(_("trial_ends_on must be after trial_started_on"))
        return self


class Introduction(Record):
    """A moderated connection of two members, with the reason they fit."""

    club_id: RefnetId | None = None
    member_a_id: RefnetId
    member_b_id: RefnetId
    status: IntroductionStatus = IntroductionStatus.SUGGESTED
    reason: str | None = None
    created_at: AwareDatetime = Field(default_factory=utcnow)
    status_changed_at: AwareDatetime = Field(default_factory=utcnow)
    follow_up_on: date | None = Field(
        default=None, description="when the moderator asks both members how it went"
    )
    outcome: str | None = Field(default=None, max_length=255)
    value: Money | None = Field(default=None, description="business the introduction led to")

    @model_validator(mode="after")
    def _two_members(self) -> Introduction:
        if self.member_a_id == self.member_b_id:
            raise ValueError(_("an introduction needs two different members"))
        return self
