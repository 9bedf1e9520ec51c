"""Running the customer club (issue #18): its report section, growth, moderation, the pilot."""

from connector.club.candidates import CriterionScore, InviteCandidate, rank_invite_candidates
from connector.club.facts import ClubFacts, load_club_facts, resolve_club
from connector.club.growth import GrowthPeriod, growth_by_quarter
from connector.club.pilot import Comparison, GoalResult, PilotReview, review_pilot
from connector.club.section import ClubSection, MemberActivity, build_club_sections, club_section
from connector.club.todo import TodoItem, club_todo

__all__ = [
    "ClubFacts",
    "ClubSection",
    "Comparison",
    "CriterionScore",
    "GoalResult",
    "GrowthPeriod",
    "InviteCandidate",
    "MemberActivity",
    "PilotReview",
    "TodoItem",
    "build_club_sections",
    "club_section",
    "club_todo",
    "growth_by_quarter",
    "load_club_facts",
    "rank_invite_candidates",
    "resolve_club",
    "review_pilot",
]
