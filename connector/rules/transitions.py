"""The state machines of every record that moves through stages.

Each machine is a table of legal moves; :meth:`StateMachine.check` is the single place that
decides whether a move is allowed and raises :class:`IllegalTransition` naming the record, the
current and the requested state when it is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from connector.errors import IllegalTransition
from connector.model.enums import (
    AgreementStatus,
    IntroductionStatus,
    LadderStage,
    MembershipStatus,
    PartnerStage,
    ReferralStatus,
)

__all__ = [
    "AGREEMENT",
    "INTRODUCTION",
    "LADDER",
    "MEMBERSHIP",
    "PARTNER_PIPELINE",
    "REFERRAL",
    "REFERRAL_CORRECTION",
    "StateMachine",
]

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    """A named table of legal moves between the states of one enum."""

    kind: str
    moves: Mapping[S, frozenset[S]]

    def allowed(self, current: S) -> list[S]:
        return sorted(self.moves.get(current, frozenset()))

    def can(self, current: S, requested: S) -> bool:
        return requested in self.moves.get(current, frozenset())

    def check(self, record_id: str, current: S, requested: S) -> None:
        """Raise :class:`IllegalTransition` unless ``current → requested`` is a legal move."""
        if not self.can(current, requested):
            raise IllegalTransition(
                self.kind,
                record_id,
                current.value,
                requested.value,
                [s.value for s in self.allowed(current)],
            )


_R = ReferralStatus
# A deal can close before anyone records the intermediate steps, so a referral may skip
# forward; it never moves back and never leaves won or lost.
REFERRAL: StateMachine[ReferralStatus] = StateMachine(
    "referral",
    {
        _R.OPEN: frozenset({_R.CONTACTED, _R.QUALIFIED, _R.WON, _R.LOST}),
        _R.CONTACTED: frozenset({_R.QUALIFIED, _R.WON, _R.LOST}),
        _R.QUALIFIED: frozenset({_R.WON, _R.LOST}),
    },
)

# A wrong won or lost is corrected by reopening, never by moving on: a closed referral goes
# back to an open state (the one it had before, see connector.referrals.reopen_referral),
# with a reason, and its audit keeps both the close and the reopening.
REFERRAL_CORRECTION: StateMachine[ReferralStatus] = StateMachine(
    "referral",
    {
        _R.WON: frozenset({_R.OPEN, _R.CONTACTED, _R.QUALIFIED}),
        _R.LOST: frozenset({_R.OPEN, _R.CONTACTED, _R.QUALIFIED}),
    },
)

_L = LadderStage
# One rung at a time in both directions. Rules only ever move up; a move down is made by a
# person (after a proposed demotion), never automatically.
LADDER: StateMachine[LadderStage] = StateMachine(
    "ladder",
    {
        _L.CUSTOMER: frozenset({_L.REFERRER}),
        _L.REFERRER: frozenset({_L.PARTNER, _L.CUSTOMER}),
        _L.PARTNER: frozenset({_L.REFERRER}),
    },
)

_P = PartnerStage
PARTNER_PIPELINE: StateMachine[PartnerStage] = StateMachine(
    "partnership",
    {
        _P.ANALYSIS: frozenset({_P.PROFILE, _P.DROPPED}),
        _P.PROFILE: frozenset({_P.CONTACT, _P.DROPPED}),
        _P.CONTACT: frozenset({_P.AGREEMENT, _P.DROPPED}),
        # No agreement reached: back to research and first contact (step 3).
        _P.AGREEMENT: frozenset({_P.OPTIMISATION, _P.CONTACT, _P.DROPPED}),
        # A renegotiated agreement (e.g. after a review) goes through step 4 again.
        _P.OPTIMISATION: frozenset({_P.AGREEMENT, _P.DROPPED}),
    },
)

_A = AgreementStatus
AGREEMENT: StateMachine[AgreementStatus] = StateMachine(
    "agreement",
    {
        _A.DRAFT: frozenset({_A.PROPOSED, _A.FAILED}),
        _A.PROPOSED: frozenset({_A.SIGNED, _A.FAILED, _A.DRAFT}),
        _A.SIGNED: frozenset({_A.ENDED}),
    },
)

_M = MembershipStatus
MEMBERSHIP: StateMachine[MembershipStatus] = StateMachine(
    "membership",
    {
        # A declined invitation can be renewed later (the pull effect may change minds).
        _M.INVITED: frozenset({_M.TRIAL, _M.DECLINED, _M.LEFT}),
        _M.DECLINED: frozenset({_M.INVITED}),
        _M.TRIAL: frozenset({_M.MEMBER, _M.LEFT}),
        _M.MEMBER: frozenset({_M.PAUSED, _M.LEFT}),
        _M.PAUSED: frozenset({_M.MEMBER, _M.LEFT}),
    },
)

_I = IntroductionStatus
INTRODUCTION: StateMachine[IntroductionStatus] = StateMachine(
    "introduction",
    {
        _I.SUGGESTED: frozenset({_I.MADE, _I.DISMISSED}),
        _I.MADE: frozenset({_I.BUSINESS_DONE}),
    },
)
