"""The vocabularies of the referral network.

Every state and category is an enum here; mappings take their CRM picklist values from these
enums, so adding a value here is the only change needed to offer it everywhere.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AgreementStatus",
    "Circle",
    "CompanySize",
    "ContributionKind",
    "ContributionStatus",
    "GoalMetric",
    "IntroductionStatus",
    "JointEventKind",
    "LadderStage",
    "MembershipStatus",
    "PartnerStage",
    "ReferralStatus",
    "Sentiment",
]


class Circle(StrEnum):
    """The circles of people that can be asked for referrals (plus prospects not yet in one)."""

    CUSTOMER = "customer"
    EMPLOYEE = "employee"
    PARTNER = "partner"
    PROSPECT = "prospect"


class LadderStage(StrEnum):
    """A customer's relationship stage; partner is the highest stage of a business relationship."""

    CUSTOMER = "customer"
    REFERRER = "referrer"
    PARTNER = "partner"


class ReferralStatus(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    WON = "won"
    LOST = "lost"


class Sentiment(StrEnum):
    """How the referrer spoke of us; multipliers are people who give many *positive* referrals."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class PartnerStage(StrEnum):
    """The five steps of strategic network building (Quality Networking Management) + dropped."""

    ANALYSIS = "analysis"
    PROFILE = "profile"
    CONTACT = "contact"
    AGREEMENT = "agreement"
    OPTIMISATION = "optimisation"
    DROPPED = "dropped"


class AgreementStatus(StrEnum):
    """The joint goal agreement (step 4); a failed one sends its partnership back to contact."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    SIGNED = "signed"
    FAILED = "failed"
    ENDED = "ended"


class GoalMetric(StrEnum):
    """What a goal of an agreement counts; :mod:`connector.goals` measures each from the data."""

    REFERRALS_GIVEN = "referrals_given"
    REFERRALS_WON = "referrals_won"  # deals won from the partner's referrals
    WON_VALUE = "won_value"
    JOINT_EVENTS = "joint_events"
    INTRODUCTIONS = "introductions"
    # Contributions the partner gave (favours, joint events, ...: connector.contributions).
    CONTRIBUTIONS = "contributions"
    CUSTOM = "custom"  # not measurable from refnet's data: progress is entered by hand


class MembershipStatus(StrEnum):
    INVITED = "invited"
    DECLINED = "declined"  # the invitation was turned down; a later one may be sent
    TRIAL = "trial"
    MEMBER = "member"
    PAUSED = "paused"
    LEFT = "left"


class IntroductionStatus(StrEnum):
    SUGGESTED = "suggested"
    MADE = "made"
    BUSINESS_DONE = "business_done"
    DISMISSED = "dismissed"


class JointEventKind(StrEnum):
    """What a joint event is: the articles name club evenings and partner events as the way a
    network lives (issue #18)."""

    CLUB_EVENING = "club_evening"
    PARTNER_EVENT = "partner_event"
    WORKSHOP = "workshop"
    OTHER = "other"


class CompanySize(StrEnum):
    """Company size bands (EU SME definition by headcount)."""

    MICRO = "micro"  # < 10
    SMALL = "small"  # < 50
    MEDIUM = "medium"  # < 250
    LARGE = "large"  # >= 250


# -- the contributions ledger (issue #18, item 5) --
class ContributionKind(StrEnum):
    """What was given: the articles' ways of giving back besides referrals."""

    INTRODUCTION = "introduction"  # someone was put in touch with someone useful
    JOINT_EVENT = "joint_event"  # a club evening or partner event done together
    FAVOUR = "favour"  # help without a deal: advice, a loan of staff, a speaking slot
    REWARD = "reward"  # a thank-you for a referral (see connector.rules.rewards)
    # Referrals are their own records; this kind names them where the balance lists both,
    # and is never stored as a contribution (refnet referrals add records them).
    REFERRAL = "referral"


class ContributionStatus(StrEnum):
    """A contribution is given; only a reward the rules created waits (pending) to be given."""

    PENDING = "pending"
    GIVEN = "given"
    CANCELLED = "cancelled"
