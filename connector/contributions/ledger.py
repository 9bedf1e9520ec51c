"""Recording contributions and giving the rewards the rules owe, with their audit entries.

Every write goes through one transaction with its audit entry, like every stage move
(:mod:`connector.services`), so ``report --as-of`` and the audit trail see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pydantic import ValidationError

from connector.contributions.derived import introduction_contributions
from connector.errors import InputError, RecordValidationError
from connector.i18n import gettext as _
from connector.lookup import resolve_member_id
from connector.model import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Introduction,
    new_id,
    utcnow,
)
from connector.rules import StageChange
from connector.services import Actor, record_changes
from connector.store import Store, Tx

__all__ = ["NewContribution", "add_contribution", "fulfil_reward", "list_contributions"]


@dataclass(frozen=True)
class NewContribution:
    """What a user typed: members by id, e-mail, name or company; None is the company."""

    kind: ContributionKind
    description: str
    giver: str | None = None
    receiver: str | None = None
    given_on: date | None = None
    value: Decimal | None = None
    currency: str | None = None
    event_ref: str | None = None


def _validated(data: dict[str, object], where: str) -> Contribution:
    try:
        return Contribution.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in problem["loc"]) or "(record)"
        raise RecordValidationError(where, field, problem["msg"]) from None


def add_contribution(
    store: Store, new: NewContribution, *, actor: Actor, at: datetime | None = None
) -> tuple[Contribution, list[StageChange]]:
    """Record one given contribution; the giver or receiver left out is the company."""
    when = at or utcnow()
    if new.kind is ContributionKind.REFERRAL:
        raise InputError(
            _("a referral is recorded with 'refnet referrals add', not as a contribution")
        )
    with store.transaction() as tx:
        giver = resolve_member_id(tx, new.giver) if new.giver else None
        receiver = resolve_member_id(tx, new.receiver) if new.receiver else None
        record_id = new_id("ctb")
        contribution = _validated(
            {
                "id": record_id,
                "kind": new.kind,
                "giver_id": giver,
                "receiver_id": receiver,
                "description": new.description,
                "status": ContributionStatus.GIVEN,
                "given_on": new.given_on or when.date(),
                "value": new.value,
                "currency": new.currency if new.value is not None else None,
                "event_ref": new.event_ref,
                "created_at": when,
            },
            # Named as the user knows it: the id was only just made up.
            _("contribution '{description}'").format(description=new.description),
        )
        tx.put(contribution)
        change = StageChange(
            "contribution",
            contribution.id,
            "status",
            None,
            contribution.status.value,
            f"{contribution.kind.value} from {giver or 'us'} to {receiver or 'us'} recorded",
        )
        record_changes(tx, [change], actor)
        return contribution, [change]


def fulfil_reward(
    store: Store, reward_id: str, *, on: date, actor: Actor, note: str | None = None
) -> tuple[Contribution, list[StageChange]]:
    """Mark a pending reward given on ``on``: from now on it counts in the balances."""
    with store.transaction() as tx:
        reward = tx.get(Contribution, reward_id)
        if reward.status is not ContributionStatus.PENDING:
            raise InputError(
                _("contribution '{id}' is {status}, not a pending reward").format(
                    id=reward_id, status=reward.status.value
                )
            )
        given = reward.model_copy(update={"status": ContributionStatus.GIVEN, "given_on": on})
        change = StageChange(
            "contribution",
            reward_id,
            "status",
            reward.status.value,
            given.status.value,
            note or f"reward given on {on.isoformat()}",
        )
        tx.put(given)
        record_changes(tx, [change], actor)
        return given, [change]


def list_contributions(
    tx: Tx,
    *,
    member_id: str | None = None,
    status: ContributionStatus | None = None,
    kind: ContributionKind | None = None,
) -> list[Contribution]:
    """Contributions a member gave or received (all without one), newest first.

    The club introductions a moderator made are listed too (their ids are the
    introduction's, with ``.a`` / ``.b``): they count in the win-win balance, so a list that
    left them out could not explain the balance it stands beside.
    """
    filters: dict[str, object] = {}
    if status is not None:
        filters["status"] = status.value
    if kind is not None:
        filters["kind"] = kind.value
    recorded = tx.find(Contribution, **filters)
    introductions = (
        list(tx.find(Introduction))
        if member_id is None
        else tx.find_in(Introduction, {"member_a_id": [member_id], "member_b_id": [member_id]})
    )
    derived = [
        c
        for c in introduction_contributions(introductions)
        if (status is None or c.status is status) and (kind is None or c.kind is kind)
    ]
    found = [
        c
        for c in [*recorded, *derived]
        if member_id is None or member_id in (c.giver_id, c.receiver_id)
    ]
    return sorted(found, key=lambda c: (c.given_on or c.created_at.date(), c.id), reverse=True)
