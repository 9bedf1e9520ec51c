"""Pure stage moves: a record and a requested state in, the moved record and its change out.

Nothing here touches the store; :mod:`connector.services` persists the results together
with their audit entries. Every function validates the move through its state machine first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from dateutil.relativedelta import relativedelta

from connector.errors import RecordValidationError
from connector.i18n import gettext as _
from connector.model import (
    Agreement,
    AgreementStatus,
    Club,
    Introduction,
    IntroductionStatus,
    LadderStage,
    Member,
    Membership,
    MembershipStatus,
    Partnership,
    PartnerStage,
    Record,
    Referral,
    ReferralStatus,
)
from connector.rules.config import ClubRulesConfig
from connector.rules.transitions import (
    AGREEMENT,
    INTRODUCTION,
    LADDER,
    MEMBERSHIP,
    PARTNER_PIPELINE,
    REFERRAL,
    REFERRAL_CORRECTION,
    StateMachine,
)

__all__ = [
    "StageChange",
    "agreement_consequence",
    "move_agreement",
    "move_introduction",
    "move_ladder",
    "move_membership",
    "move_partnership",
    "move_referral",
    "reopen_referral",
]

R = TypeVar("R", bound=Record)
S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class StageChange:
    """One applied state change, ready to be written to the audit trail."""

    kind: str
    record_id: str
    field: str
    old: str | None
    new: str
    reason: str


def _move(
    machine: StateMachine[S],
    record: R,
    field: str,
    requested: S,
    reason: str,
    **updates: Any,
) -> tuple[R, StageChange]:
    current: S = getattr(record, field)
    machine.check(record.id, current, requested)
    moved = record.model_copy(update={field: requested, **updates})
    return moved, StageChange(
        machine.kind, record.id, field, current.value, requested.value, reason
    )


def move_referral(
    referral: Referral, to: ReferralStatus, *, at: datetime, reason: str
) -> tuple[Referral, StageChange]:
    return _move(REFERRAL, referral, "status", to, reason, status_changed_at=at)


def reopen_referral(
    referral: Referral, to: ReferralStatus, *, at: datetime, reason: str
) -> tuple[Referral, StageChange]:
    """Correct a wrong won or lost: the referral goes back to the open state ``to``."""
    return _move(REFERRAL_CORRECTION, referral, "status", to, reason, status_changed_at=at)


def move_ladder(member: Member, to: LadderStage, *, reason: str) -> tuple[Member, StageChange]:
    """Move a customer one rung (up or, by hand only, down)."""
    if member.ladder_stage is None:
        raise RecordValidationError(
            f"member '{member.id}'",
            "ladder_stage",
            _("the {circle} circle has no ladder").format(circle=member.circle),
        )
    return _move(LADDER, member, "ladder_stage", to, reason)


def move_partnership(
    partnership: Partnership,
    to: PartnerStage,
    *,
    at: datetime,
    reason: str,
) -> tuple[Partnership, StageChange]:
    dropped_reason = reason if to is PartnerStage.DROPPED else None
    return _move(
        PARTNER_PIPELINE,
        partnership,
        "stage",
        to,
        reason,
        stage_changed_at=at,
        dropped_reason=dropped_reason,
    )


def move_agreement(
    agreement: Agreement, to: AgreementStatus, *, on: date, reason: str
) -> tuple[Agreement, StageChange]:
    updates: dict[str, Any] = {}
    if to is AgreementStatus.SIGNED:
        if not agreement.goals:
            raise RecordValidationError(
                f"agreement '{agreement.id}'", "goals", _("an agreement needs goals to be signed")
            )
        updates["signed_on"] = on
    return _move(AGREEMENT, agreement, "status", to, reason, **updates)


def agreement_consequence(
    agreement: Agreement, partnership: Partnership, *, at: datetime
) -> tuple[Partnership, StageChange] | None:
    """What a signed or failed agreement does to its partnership (step 4 → 5, or back to 3)."""
    if partnership.stage is not PartnerStage.AGREEMENT:
        return None
    if agreement.status is AgreementStatus.SIGNED:
        return move_partnership(
            partnership,
            PartnerStage.OPTIMISATION,
            at=at,
            reason=f"agreement '{agreement.id}' signed",
        )
    if agreement.status is AgreementStatus.FAILED:
        return move_partnership(
            partnership,
            PartnerStage.CONTACT,
            at=at,
            reason=f"agreement '{agreement.id}' failed; back to research and first contact",
        )
    return None


def move_membership(
    membership: Membership,
    to: MembershipStatus,
    club: Club,
    *,
    on: date,
    reason: str,
    config: ClubRulesConfig,
    accepted_rules_version: int | None = None,
) -> tuple[Membership, StageChange]:
    """Move a club membership; starting a trial sets its end, becoming a member needs the rules.

    ``accepted_rules_version`` records that the member accepted that version with this move.
    """
    accepted = accepted_rules_version or membership.accepted_rules_version
    updates: dict[str, Any] = {"accepted_rules_version": accepted}
    if to in (MembershipStatus.TRIAL, MembershipStatus.DECLINED) and (
        membership.status is MembershipStatus.INVITED
    ):
        updates["responded_on"] = on  # accepting (the trial starts) or declining answers it
    if to is MembershipStatus.INVITED:
        # A renewed invitation after a decline: a new invitation date and no answer yet.
        updates["invited_on"] = on
        updates["responded_on"] = None
    if to is MembershipStatus.LEFT:
        updates["left_on"] = on
    if to is MembershipStatus.TRIAL:
        updates["trial_started_on"] = on
        updates["trial_ends_on"] = on + relativedelta(months=club.trial_months)
    if to is MembershipStatus.MEMBER:
        current_rules = club.current_rules_version
        if (
            config.require_accepted_rules
            and current_rules is not None
            and accepted != current_rules
        ):
            raise RecordValidationError(
                f"membership '{membership.id}'",
                "accepted_rules_version",
                _(
                    "must accept the club's current rules (version {current}) "
                    "before becoming a member; accepted: {accepted}"
                ).format(current=current_rules, accepted=accepted or _("none")),
            )
        if membership.joined_on is None:
            updates["joined_on"] = on
    return _move(MEMBERSHIP, membership, "status", to, reason, **updates)


def move_introduction(
    introduction: Introduction, to: IntroductionStatus, *, at: datetime, reason: str
) -> tuple[Introduction, StageChange]:
    return _move(INTRODUCTION, introduction, "status", to, reason, status_changed_at=at)
