"""A form submission as an inbox event, and what applying it does to the store.

The web service turns a valid submission into an :class:`InboundEvent` of provider
``form`` and stores it in the inbox before it thanks the person, exactly like a CRM event;
the inbox worker interprets it (:class:`connector.events.ReferralFormSubmitted`) and
:func:`apply_submission` carries it out inside the worker's finishing transaction, so the
referral, the prospect member, the consent and the audit entry commit together with the
inbox mark, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import insert, select

from connector.events import InboundEvent, ReferralFormSubmitted
from connector.model import Member, Referral, new_id
from connector.referral_form.schema import referral_form_submissions
from connector.rules import StageChange
from connector.services import Actor
from connector.store import Tx

__all__ = ["FormApplied", "Submission", "apply_submission", "submission_event", "submissions_of"]

EVENT_TYPE = "referral_form.submitted"
OBJECT_TYPE = "referral_form"
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


@dataclass(frozen=True)
class Submission:
    """What the person typed (already validated by the form) and the consent they saw."""

    name: str
    email: str
    consent_text: str
    company: str | None = None
    phone: str | None = None
    note: str | None = None


def submission_event(
    submission: Submission,
    *,
    link_id: str,
    member_id: str,
    submission_id: str,
    received_at: datetime,
) -> InboundEvent:
    """The inbox event of one submission.

    ``submission_id`` is generated when the form is rendered, so sending the same form
    twice (a double click, a reload after a timeout) is one event: the inbox's unique
    (provider, event id) makes the second a duplicate.
    """
    return InboundEvent(
        provider="form",
        event_id=f"{link_id}:{submission_id}",
        event_type=EVENT_TYPE,
        object_type=OBJECT_TYPE,
        object_id=link_id,
        occurred_at=received_at,
        properties={
            "referrer_id": member_id,
            "link_id": link_id,
            "name": submission.name,
            "email": submission.email,
            "company": submission.company,
            "phone": submission.phone,
            "note": submission.note,
            "consent_text": submission.consent_text,
        },
    )


@dataclass
class FormApplied:
    """Short, PII-free notes and the records (kind, id) the submission changed."""

    notes: list[str] = field(default_factory=list)
    touched: list[tuple[str, str]] = field(default_factory=list)


def apply_submission(
    tx: Tx, event: InboundEvent, intent: ReferralFormSubmitted, *, actor: Actor, now: datetime
) -> FormApplied:
    """Open a referral from the link's member to the person recommended.

    The person is found by e-mail (case-insensitive, as the importer deduplicates) or
    becomes a prospect member; the link's member is the referrer, so the ladder and the
    multiplier score count the referral once it is won.
    """
    result = FormApplied()
    referrer = tx.maybe(Member, intent.referrer_id)
    if referrer is None:
        result.notes.append(f"link {intent.link_id}: its member no longer exists")
        return result
    try:
        email = _EMAIL.validate_python(intent.email)
    except ValidationError:
        result.notes.append(f"link {intent.link_id}: the e-mail address is not valid")
        return result
    referred = tx.member_by_email(email)
    if referred is None:
        referred = Member(
            id=new_id("m", f"email:{email}"),
            name=intent.name,
            email=email,
            organisation=intent.company,
            circle="prospect",
            created_at=now,
            updated_at=now,
        )
        tx.put(referred)
        result.touched.append(("member", referred.id))
        result.notes.append(f"member {referred.id}: created as prospect")
    referral_id: str | None = None
    if referred.id == referrer.id:
        result.notes.append(f"link {intent.link_id}: the member recommended themselves")
    elif _open_referral_exists(tx, referrer.id, referred.id):
        result.notes.append(f"link {intent.link_id}: an open referral exists already")
    else:
        referral_id = _open_referral(tx, event, intent, referrer, referred.id, actor)
        result.touched += [("referral", referral_id), ("member", referrer.id)]
        result.notes.append(f"referral {referral_id}: opened")
    tx.connection.execute(
        insert(referral_form_submissions).values(
            event_ref=event.ref,
            link_id=intent.link_id,
            referrer_id=referrer.id,
            referred_id=referred.id,
            referral_id=referral_id,
            phone=intent.phone,
            consent_text=intent.consent_text,
            consented_at=event.occurred_at,
        )
    )
    return result


def _open_referral_exists(tx: Tx, referrer_id: str, referred_id: str) -> bool:
    return any(
        not r.is_closed for r in tx.find(Referral, referrer_id=referrer_id, referred_id=referred_id)
    )


def _open_referral(
    tx: Tx,
    event: InboundEvent,
    intent: ReferralFormSubmitted,
    referrer: Member,
    referred_id: str,
    actor: Actor,
) -> str:
    referral = Referral(
        id=new_id("ref", event.ref),
        referrer_id=referrer.id,
        referred_id=referred_id,
        circle=referrer.circle,
        note=intent.note,
        created_at=event.occurred_at,
        status_changed_at=event.occurred_at,
    )
    tx.put(referral)
    tx.audit(
        StageChange(
            "referral",
            referral.id,
            "status",
            None,
            referral.status.value,
            f"referral form: member '{referrer.id}' recommended someone (link {intent.link_id})",
        ),
        actor=actor.name,
        event_ref=actor.event_ref,
    )
    return referral.id


def submissions_of(tx: Tx, referrer_id: str) -> list[dict[str, object]]:
    """The stored submissions of one member (consent text included), oldest first."""
    rows = tx.connection.execute(
        select(referral_form_submissions)
        .where(referral_form_submissions.c.referrer_id == referrer_id)
        .order_by(referral_form_submissions.c.consented_at)
    ).mappings()
    return [dict(row) for row in rows]
