"""One recommendation and its lifecycle."""

from __future__ import annotations

from pydantic import AwareDatetime, Field, model_validator

from connector.i18n import gettext as _
from connector.model.base import Money, Record, RefnetId, utcnow
from connector.model.enums import Circle, ReferralStatus, Sentiment

__all__ = ["Referral"]


class Referral(Record):
    """``referrer_id`` recommended ``referred_id`` to ``recipient_id``.

    An empty ``recipient_id`` means the referral was given to us (the company); otherwise
    it went to a club member, which is what makes the club create business for its members.
    """

    referrer_id: RefnetId
    referred_id: RefnetId
    recipient_id: RefnetId | None = None
    circle: Circle = Field(description="the referrer's circle when the referral was given")
    sentiment: Sentiment = Sentiment.POSITIVE
    status: ReferralStatus = ReferralStatus.OPEN
    deal_id: str | None = Field(default=None, description="the CRM deal/opportunity it led to")
    amount: Money | None = None
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    note: str | None = None
    created_at: AwareDatetime = Field(default_factory=utcnow)
    status_changed_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _parties_differ(self) -> Referral:
        if self.referrer_id == self.referred_id:
            raise ValueError(_("referrer and referred party must differ"))
        if self.recipient_id is not None and self.recipient_id == self.referred_id:
            raise ValueError(_("the referred party cannot be its own recipient"))
        return self

    @property
    def is_closed(self) -> bool:
        return self.status in (ReferralStatus.WON, ReferralStatus.LOST)
