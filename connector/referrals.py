"""Logging and correcting referrals by hand: the services behind ``refnet referrals``.

Each function is one unit of work that writes the records and one audit entry per change
together, like :func:`connector.services.advance` (which moves a referral's status), so a
referral logged at the command line is audited as one opened by a CRM event, and a
corrected won or lost keeps both the close and the correction in its history.

Members are named as users name them (id, e-mail, name, company):
:func:`connector.lookup.resolve_member` turns each text into one member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from connector.errors import InputError, RecordValidationError
from connector.i18n import gettext as _
from connector.lookup import fold, resolve_member
from connector.model import Circle, Member, Referral, ReferralStatus, Sentiment, new_id, utcnow
from connector.organisations import normalise_organisation
from connector.rules import (
    DemotionProposal,
    RulesConfig,
    StageChange,
    propose_demotion,
    reopen_referral,
)
from connector.services import (
    Actor,
    cancel_reward,
    evaluate_ladder,
    facts_for,
    record_changes,
    value_referral,
)
from connector.store import Store, Tx
from connector.store.schema import members
from connector.validation_messages import validation_problems

__all__ = [
    "LoggedReferral",
    "NewProspect",
    "Reopened",
    "log_referral",
    "reopen",
    "update_referral",
]

_AUDIT_VALUE_MAX = 64  # the audit trail's old/new value columns


def _audit_value(value: object | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= _AUDIT_VALUE_MAX else text[: _AUDIT_VALUE_MAX - 1] + "…"


@dataclass(frozen=True)
class NewProspect:
    """The referred person when not yet a member: a prospect by name, company and e-mail."""

    name: str
    organisation: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class LoggedReferral:
    referral: Referral
    referred: Member
    referred_created: bool
    changes: list[StageChange]


def _validated(model: type[Member] | type[Referral], record: str, data: dict[str, Any]) -> Any:
    """Build a record; invalid input names the record and the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        location, message = validation_problems(exc)[0]
        field = ".".join(str(part) for part in location) or "record"
        raise RecordValidationError(record, field, message) from None


def _same_person(tx: Tx, prospect: NewProspect) -> Member | None:
    """The member a new prospect already is: by e-mail, else by name and company.

    The same order the contact-list import recognises people in, so logging someone twice
    never makes a twin.
    """
    if prospect.email:
        found = tx.member_by_email(prospect.email)
        if found is not None:
            return found
    if not prospect.organisation:
        return None
    name, company = fold(prospect.name), normalise_organisation(prospect.organisation)
    query = (
        members.select()
        .where(members.c.organisation.is_not(None))
        .with_only_columns(members.c.id, members.c.name, members.c.organisation)
    )
    for row in tx.connection.execute(query):
        if fold(row.name) == name and normalise_organisation(row.organisation) == company:
            return tx.get(Member, row.id)
    return None


def _referred(
    tx: Tx, referred: str | None, prospect: NewProspect | None, when: datetime
) -> tuple[Member, bool]:
    if (referred is None) == (prospect is None):
        raise InputError(
            _(
                "name the referred person either as a member (--referred) or as a new prospect "
                "(--name, with --company and --email), not both"
            )
        )
    if referred is not None:
        return resolve_member(tx, referred), False
    assert prospect is not None
    existing = _same_person(tx, prospect)
    if existing is not None:
        return existing, False
    natural_key = prospect.email or f"{prospect.name}|{prospect.organisation or ''}"
    created: Member = _validated(
        Member,
        f"new prospect '{prospect.name}'",
        {
            "id": new_id("mem-pro", natural_key),
            "name": prospect.name,
            "organisation": prospect.organisation or None,
            "email": prospect.email or None,
            "circle": Circle.PROSPECT,
            "created_at": when,
            "updated_at": when,
        },
    )
    return created, True


def log_referral(
    store: Store,
    *,
    referrer: str,
    referred: str | None = None,
    prospect: NewProspect | None = None,
    recipient: str | None = None,
    note: str | None = None,
    deal_id: str | None = None,
    sentiment: Sentiment = Sentiment.POSITIVE,
    amount: Decimal | None = None,
    currency: str = "EUR",
    actor: Actor,
    rules: RulesConfig,
    at: datetime | None = None,
) -> LoggedReferral:
    """Log a new, open referral; the referred person is a member or becomes a prospect.

    ``referrer``, ``referred`` and ``recipient`` are ids, e-mails, names or companies; an
    empty ``recipient`` means the referral was given to us.
    """
    when = at or utcnow()
    with store.transaction() as tx:
        giver = resolve_member(tx, referrer)
        person, created = _referred(tx, referred, prospect, when)
        receiver = resolve_member(tx, recipient) if recipient else None
        referral: Referral = _validated(
            Referral,
            f"referral from '{giver.id}'",
            {
                "id": new_id("ref"),
                "referrer_id": giver.id,
                "referred_id": person.id,
                "recipient_id": receiver.id if receiver else None,
                "circle": giver.circle,
                "sentiment": sentiment,
                "deal_id": deal_id or None,
                "amount": amount,
                "currency": currency,
                "note": note or None,
                "created_at": when,
                "status_changed_at": when,
            },
        )
        changes: list[StageChange] = []
        if created:
            tx.put(person)
            changes.append(
                StageChange(
                    "member",
                    person.id,
                    "circle",
                    None,
                    Circle.PROSPECT.value,
                    f"new prospect, referred by member '{giver.id}' in referral '{referral.id}'",
                )
            )
        tx.put(referral)
        changes.append(
            StageChange(
                "referral",
                referral.id,
                "status",
                None,
                referral.status.value,
                (
                    _("logged by hand: member '{giver}' referred '{person}' to member '{receiver}'")
                    if receiver
                    else _("logged by hand: member '{giver}' referred '{person}' to us")
                ).format(
                    giver=giver.id, person=person.id, receiver=receiver.id if receiver else ""
                ),
            )
        )
        record_changes(tx, changes, actor)
        changes += evaluate_ladder(
            tx,
            giver.id,
            rules,
            cause=_("referral '{id}' logged").format(id=referral.id),
            actor=actor,
        )
        return LoggedReferral(referral, person, created, changes)


_CLEAR = ""  # an empty option value clears a deal id or note


def update_referral(
    store: Store,
    referral_id: str,
    *,
    amount: Decimal | None = None,
    currency: str | None = None,
    deal_id: str | None = None,
    note: str | None = None,
    reason: str,
    actor: Actor,
) -> list[StageChange]:
    """Correct a referral's amount, currency, deal or note; one audit entry per field changed.

    An empty ``deal_id`` or ``note`` clears it. The status is not changed here: that is
    :func:`connector.services.advance` or :func:`reopen`.
    """
    with store.transaction() as tx:
        referral = tx.get(Referral, referral_id)
        referral, changes = value_referral(referral, amount, currency, reason=reason)
        updates: dict[str, Any] = {}
        for name, given in (("deal_id", deal_id), ("note", note)):
            if given is None:
                continue
            value = None if given.strip() == _CLEAR else given.strip()
            old = getattr(referral, name)
            if value == old:
                continue
            updates[name] = value
            changes.append(
                StageChange(
                    "referral",
                    referral.id,
                    name,
                    _audit_value(old),
                    _audit_value(value) or "(cleared)",
                    reason,
                )
            )
        if updates:
            referral = _validated(
                Referral, f"referral '{referral.id}'", {**referral.model_dump(), **updates}
            )
        if changes:
            tx.put(referral)
            record_changes(tx, changes, actor)
        return changes


@dataclass(frozen=True)
class Reopened:
    """A corrected won or lost: the changes made and the demotion the rules now propose."""

    changes: list[StageChange]
    proposal: DemotionProposal | None


def _status_before_close(tx: Tx, referral: Referral) -> ReferralStatus:
    """The open state the referral had before it was closed, from its audit trail.

    A referral imported closed has no such entry: a won deal was at least qualified; a lost
    one may have been lost at any step, so it starts again from open.
    """
    for entry in reversed(tx.audit_trail(referral.id)):
        if entry.field == "status" and entry.new_value == referral.status.value:
            try:
                before = ReferralStatus(entry.old_value or "")
            except ValueError:
                break
            if before not in (ReferralStatus.WON, ReferralStatus.LOST):
                return before
            break
    won = referral.status is ReferralStatus.WON
    return ReferralStatus.QUALIFIED if won else ReferralStatus.OPEN


def reopen(
    store: Store,
    referral_id: str,
    *,
    reason: str,
    actor: Actor,
    rules: RulesConfig,
    to: ReferralStatus | None = None,
    at: datetime | None = None,
) -> Reopened:
    """Correct a wrong won or lost: the referral returns to an open state, with a reason.

    The audit keeps the close and the reopening. The referrer's ladder stage is never moved
    down by this: when the rung is no longer earned the rules *propose* the demotion (as the
    report shows) and a person decides (``refnet advance member ...``).
    """
    if not reason.strip():
        raise InputError(_("--reason must not be empty: a correction needs its 'why'"))
    when = at or utcnow()
    with store.transaction() as tx:
        referral = tx.get(Referral, referral_id)
        target = to or (_status_before_close(tx, referral) if referral.is_closed else None)
        if target is None:
            raise InputError(
                _(
                    "referral '{id}' is {status}, not won or lost: there is nothing to reopen"
                ).format(id=referral.id, status=referral.status.value)
            )
        moved, change = reopen_referral(
            referral, target, at=when, reason=f"reopened: {reason.strip()}"
        )
        tx.put(moved)
        changes = [change]
        record_changes(tx, changes, actor)
        changes += cancel_reward(
            tx, moved, reason=f"referral '{moved.id}' reopened: {reason.strip()}", actor=actor
        )
        referrer = tx.get(Member, moved.referrer_id)
        proposal = None
        if referrer.circle is Circle.CUSTOMER:
            proposal = propose_demotion(
                referrer, facts_for(tx, referrer.id), rules.ladder, as_of=when
            )
        return Reopened(changes, proposal)
