"""Running the club: invitations, their answers, the moderator, follow-ups and the pilot.

Every change is written with its audit entry in one transaction, like every stage move
(:mod:`connector.services`); answering an invitation *is* a stage move (invited → trial or
declined) and goes through :func:`connector.services.advance` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from pydantic import ValidationError

from connector.club.facts import resolve_club
from connector.errors import InputError, RecordValidationError
from connector.model import (
    Circle,
    Club,
    Introduction,
    Member,
    Membership,
    MembershipStatus,
    Pilot,
    PilotGoals,
    new_id,
)
from connector.rules import RulesConfig, StageChange
from connector.services import Actor, advance
from connector.store import Store, Tx

__all__ = [
    "IntroductionFollowUp",
    "answer_invitation",
    "invite",
    "membership_of",
    "set_follow_up",
    "set_moderator",
    "set_pilot",
]

_AUDIT_VALUE = 64  # the audit trail's value columns hold 64 characters


def _text(value: object) -> str | None:
    return None if value is None else str(value)[:_AUDIT_VALUE]


def _audit(
    tx: Tx,
    kind: str,
    record_id: str,
    field: str,
    old: object,
    new: object,
    reason: str,
    actor: Actor,
) -> StageChange:
    change = StageChange(kind, record_id, field, _text(old), _text(new) or "", reason)
    tx.audit(change, actor=actor.name, event_ref=actor.event_ref)
    return change


def membership_of(tx: Tx, club: Club, member_id: str) -> Membership | None:
    found = list(tx.find(Membership, club_id=club.id, member_id=member_id))
    return found[0] if found else None


def invite(
    store: Store,
    member_id: str,
    *,
    club_id: str | None,
    on: date,
    reason: str,
    actor: Actor,
    rules: RulesConfig,
) -> tuple[Membership, list[StageChange]]:
    """Invite a customer; a declined invitation is renewed, any other membership refused."""
    with store.transaction() as tx:
        club = resolve_club(tx, club_id)
        member = tx.get(Member, member_id)
        if member.circle is not Circle.CUSTOMER:
            raise RecordValidationError(
                f"member '{member_id}'",
                "circle",
                f"the club is a customer network; '{member.circle.value}' members are not invited",
            )
        existing = membership_of(tx, club, member_id)
        if existing is not None and existing.status is not MembershipStatus.DECLINED:
            raise RecordValidationError(
                f"membership '{existing.id}'",
                "status",
                f"{member.name} is already '{existing.status.value}' in club '{club.id}'",
            )
        if existing is None:
            membership = Membership(
                id=new_id("ms", f"{club.id}:{member_id}"),
                club_id=club.id,
                member_id=member_id,
                invited_on=on,
            )
            tx.put(membership)
            change = _audit(
                tx, "membership", membership.id, "status", None, "invited", reason, actor
            )
            return membership, [change]
    # Renewing a declined invitation is a stage move with its own rules and audit.
    changes = advance(
        store,
        "membership",
        existing.id,
        MembershipStatus.INVITED.value,
        reason=reason,
        actor=actor,
        rules=rules,
        at=datetime(on.year, on.month, on.day, tzinfo=UTC),
    )
    with store.reading() as tx:
        return tx.get(Membership, existing.id), changes


def answer_invitation(
    store: Store,
    member_id: str,
    *,
    accept: bool,
    club_id: str | None,
    on: date,
    reason: str,
    actor: Actor,
    rules: RulesConfig,
    accepted_rules_version: int | None = None,
) -> tuple[Membership, list[StageChange]]:
    """Accepting starts the trial (its end follows from the club's trial months)."""
    with store.reading() as tx:
        club = resolve_club(tx, club_id)
        tx.get(Member, member_id)
        membership = membership_of(tx, club, member_id)
    if membership is None:
        raise RecordValidationError(
            f"member '{member_id}'", "membership", f"was never invited to club '{club.id}'"
        )
    target = MembershipStatus.TRIAL if accept else MembershipStatus.DECLINED
    changes = advance(
        store,
        "membership",
        membership.id,
        target.value,
        reason=reason,
        actor=actor,
        rules=rules,
        at=datetime(on.year, on.month, on.day, tzinfo=UTC),
        accepted_rules_version=accepted_rules_version,
    )
    with store.reading() as tx:
        return tx.get(Membership, membership.id), changes


def set_moderator(
    store: Store, employee_id: str, *, club_id: str | None, reason: str, actor: Actor
) -> tuple[Club, StageChange]:
    """The moderator connects members and follows up (precondition 3): one of our employees."""
    with store.transaction() as tx:
        club = resolve_club(tx, club_id)
        employee = tx.get(Member, employee_id)
        if employee.circle is not Circle.EMPLOYEE:
            raise RecordValidationError(
                f"club '{club.id}'",
                "moderator_id",
                f"'{employee_id}' is a {employee.circle.value}; the moderator is an employee",
            )
        moved = club.model_copy(update={"moderator_id": employee_id})
        tx.put(moved)
        change = _audit(
            tx, "club", club.id, "moderator_id", club.moderator_id, employee_id, reason, actor
        )
        return moved, change


def set_pilot(
    store: Store,
    *,
    club_id: str | None,
    starts_on: date,
    ends_on: date,
    goals: PilotGoals,
    reason: str,
    actor: Actor,
    rules: RulesConfig,
) -> tuple[Club, StageChange]:
    """Give the club its test phase; shorter than ``pilot_min_months`` is refused."""
    with store.transaction() as tx:
        club = resolve_club(tx, club_id)
        record = f"club '{club.id}'"
        if ends_on <= starts_on:
            raise RecordValidationError(record, "pilot.ends_on", "must be after pilot.starts_on")
        minimum = rules.club.pilot_min_months
        if ends_on < starts_on + relativedelta(months=minimum):
            raise RecordValidationError(
                record,
                "pilot.ends_on",
                f"a test phase lasts at least {minimum} months "
                f"(setting rules.club.pilot_min_months); ends {ends_on} is too early",
            )
        if goals == PilotGoals():
            raise RecordValidationError(
                record, "pilot.goals", "give at least one goal: members, referrals or business"
            )
        pilot = Pilot(starts_on=starts_on, ends_on=ends_on, goals=goals)
        moved = club.model_copy(update={"pilot": pilot})
        tx.put(moved)
        old = f"{club.pilot.starts_on}..{club.pilot.ends_on}" if club.pilot else None
        change = _audit(tx, "club", club.id, "pilot", old, f"{starts_on}..{ends_on}", reason, actor)
        return moved, change


@dataclass(frozen=True)
class IntroductionFollowUp:
    follow_up_on: date | None = None
    outcome: str | None = None
    value: Decimal | None = None


def set_follow_up(
    store: Store, introduction_id: str, update: IntroductionFollowUp, *, reason: str, actor: Actor
) -> tuple[Introduction, list[StageChange]]:
    """Record an introduction's follow-up date, outcome and value (only the fields given)."""
    given = {k: v for k, v in vars(update).items() if v is not None}
    if not given:
        raise InputError(
            f"introduction '{introduction_id}': give --follow-up, --outcome or --value"
        )
    with store.transaction() as tx:
        intro = tx.get(Introduction, introduction_id)
        try:
            moved = Introduction.model_validate({**intro.model_dump(), **given})
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            raise RecordValidationError(
                f"introduction '{introduction_id}'", str(first["loc"][0]), first["msg"]
            ) from None
        tx.put(moved)
        changes = [
            _audit(tx, "introduction", intro.id, name, getattr(intro, name), value, reason, actor)
            for name, value in given.items()
            if getattr(intro, name) != value
        ]
        return moved, changes
