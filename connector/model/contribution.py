"""The contributions ledger: who gave what to whom, when, worth how much.

Giving back is what keeps a network alive (seed 002: the club is "a reward for referrals";
seed 000, step 5: cooperation on a win-win basis). Referrals are one way of giving; this
record holds the others: introductions, joint events, favours and thank-you rewards.

An empty ``giver_id`` or ``receiver_id`` is the company itself ("us"), as an empty
``recipient_id`` is on a referral; contributions by employees count for the company side
as well (see :mod:`connector.contributions`).
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field, model_validator

from connector.model.base import Money, NonEmptyText, Record, RefnetId, utcnow
from connector.model.enums import ContributionKind, ContributionStatus

__all__ = ["Contribution"]


class Contribution(Record):
    kind: ContributionKind
    giver_id: RefnetId | None = Field(default=None, description="empty: the company gave it")
    receiver_id: RefnetId | None = Field(default=None, description="empty: the company received it")
    description: NonEmptyText
    status: ContributionStatus = ContributionStatus.GIVEN
    given_on: date | None = Field(default=None, description="empty while a reward is pending")
    value: Money | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    # The joint event it was given at (recorded by the events feature) ...
    event_ref: str | None = Field(default=None, max_length=64)
    # ... or the referral a reward thanks for.
    referral_id: RefnetId | None = None
    created_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _consistent(self) -> Contribution:
        if self.kind is ContributionKind.REFERRAL:
            raise ValueError("referrals are recorded as referrals, not as contributions")
        if self.giver_id is None and self.receiver_id is None:
            raise ValueError("a contribution needs a giver or a receiver besides the company")
        if self.giver_id is not None and self.giver_id == self.receiver_id:
            raise ValueError("giver and receiver must differ")
        if (self.value is None) != (self.currency is None):
            raise ValueError("value and currency go together")
        if self.status is ContributionStatus.PENDING and self.kind is not ContributionKind.REWARD:
            raise ValueError("only a reward can be pending")
        if self.status is ContributionStatus.GIVEN and self.given_on is None:
            raise ValueError("a given contribution needs given_on")
        if self.event_ref is not None and self.kind is not ContributionKind.JOINT_EVENT:
            raise ValueError("only a joint event has an event reference")
        return self

    @property
    def counts(self) -> bool:
        """Whether it counts in balances: given, not pending or cancelled."""
        return self.status is ContributionStatus.GIVEN
