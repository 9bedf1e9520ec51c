"""The referral-network domain model (pydantic, immutable records)."""

from connector.model.base import Money, Record, RefnetId, Tags, new_id, utcnow
from connector.model.club import Club, ClubRules, Introduction, Membership, Pilot, PilotGoals
from connector.model.contribution import Contribution
from connector.model.enums import (
    AgreementStatus,
    Circle,
    CompanySize,
    ContributionKind,
    ContributionStatus,
    GoalMetric,
    IntroductionStatus,
    JointEventKind,
    LadderStage,
    MembershipStatus,
    PartnerStage,
    ReferralStatus,
    Sentiment,
)
from connector.model.event import JointEvent
from connector.model.member import Connection, CrmIds, Member, Profile
from connector.model.partner import Agreement, Goal, Partnership, TargetProfile
from connector.model.referral import Referral

__all__ = [
    "Agreement",
    "AgreementStatus",
    "Circle",
    "Club",
    "ClubRules",
    "CompanySize",
    "Connection",
    "Contribution",
    "ContributionKind",
    "ContributionStatus",
    "CrmIds",
    "Goal",
    "GoalMetric",
    "Introduction",
    "IntroductionStatus",
    "JointEvent",
    "JointEventKind",
    "LadderStage",
    "Member",
    "Membership",
    "MembershipStatus",
    "Money",
    "PartnerStage",
    "Partnership",
    "Pilot",
    "PilotGoals",
    "Profile",
    "Record",
    "Referral",
    "ReferralStatus",
    "RefnetId",
    "Sentiment",
    "Tags",
    "TargetProfile",
    "new_id",
    "utcnow",
]
