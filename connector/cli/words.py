"""refnet's enum values (circles, stages, statuses) as the reader's words.

The store, the CRMs and ``--json`` keep the raw values (``customer``, ``won``); tables and
messages for humans show them through :func:`word`. Each value is translated within a
context ("circle", "referral status", ...), since one English word can need two German
ones. The literal ``pgettext`` calls below are what Babel's extractor finds; a value with no
entry prints as it is, and ``tests/connector/test_cli_german.py`` fails for a model enum value
missing here.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from connector.i18n import pgettext

__all__ = ["CONTEXT_OF_KIND", "field_word", "kind_word", "state_word", "word", "words"]


def _circle() -> dict[str, str]:
    return {
        "customer": pgettext("circle", "customer"),
        "employee": pgettext("circle", "employee"),
        "partner": pgettext("circle", "partner"),
        "prospect": pgettext("circle", "prospect"),
    }


def _ladder() -> dict[str, str]:
    return {
        "customer": pgettext("ladder stage", "customer"),
        "referrer": pgettext("ladder stage", "referrer"),
        "partner": pgettext("ladder stage", "partner"),
    }


def _referral_status() -> dict[str, str]:
    return {
        "open": pgettext("referral status", "open"),
        "contacted": pgettext("referral status", "contacted"),
        "qualified": pgettext("referral status", "qualified"),
        "won": pgettext("referral status", "won"),
        "lost": pgettext("referral status", "lost"),
    }


def _sentiment() -> dict[str, str]:
    return {
        "positive": pgettext("sentiment", "positive"),
        "neutral": pgettext("sentiment", "neutral"),
        "negative": pgettext("sentiment", "negative"),
    }


def _partner_stage() -> dict[str, str]:
    return {
        "analysis": pgettext("partner stage", "analysis"),
        "profile": pgettext("partner stage", "profile"),
        "contact": pgettext("partner stage", "contact"),
        "agreement": pgettext("partner stage", "agreement"),
        "optimisation": pgettext("partner stage", "optimisation"),
        "dropped": pgettext("partner stage", "dropped"),
    }


def _agreement_status() -> dict[str, str]:
    return {
        "draft": pgettext("agreement status", "draft"),
        "proposed": pgettext("agreement status", "proposed"),
        "signed": pgettext("agreement status", "signed"),
        "failed": pgettext("agreement status", "failed"),
        "ended": pgettext("agreement status", "ended"),
    }


def _membership_status() -> dict[str, str]:
    return {
        "invited": pgettext("membership status", "invited"),
        "declined": pgettext("membership status", "declined"),
        "trial": pgettext("membership status", "trial"),
        "member": pgettext("membership status", "member"),
        "paused": pgettext("membership status", "paused"),
        "left": pgettext("membership status", "left"),
    }


def _introduction_status() -> dict[str, str]:
    return {
        "suggested": pgettext("introduction status", "suggested"),
        "made": pgettext("introduction status", "made"),
        "business_done": pgettext("introduction status", "business_done"),
        "dismissed": pgettext("introduction status", "dismissed"),
    }


def _contribution_status() -> dict[str, str]:
    return {
        "pending": pgettext("contribution status", "pending"),
        "given": pgettext("contribution status", "given"),
        "cancelled": pgettext("contribution status", "cancelled"),
    }


def _company_size() -> dict[str, str]:
    return {
        "micro": pgettext("company size", "micro"),
        "small": pgettext("company size", "small"),
        "medium": pgettext("company size", "medium"),
        "large": pgettext("company size", "large"),
    }


def _record_kind() -> dict[str, str]:
    return {
        "member": pgettext("record kind", "member"),
        "ladder": pgettext("record kind", "ladder"),
        "connection": pgettext("record kind", "connection"),
        "referral": pgettext("record kind", "referral"),
        "target_profile": pgettext("record kind", "target_profile"),
        "partnership": pgettext("record kind", "partnership"),
        "agreement": pgettext("record kind", "agreement"),
        "club": pgettext("record kind", "club"),
        "membership": pgettext("record kind", "membership"),
        "introduction": pgettext("record kind", "introduction"),
    }


def _inbox_status() -> dict[str, str]:
    return {
        "pending": pgettext("inbox status", "pending"),
        "done": pgettext("inbox status", "done"),
        "ignored": pgettext("inbox status", "ignored"),
        "rejected": pgettext("inbox status", "rejected"),
        "failed": pgettext("inbox status", "failed"),
        "discarded": pgettext("inbox status", "discarded"),
    }


def _run_status() -> dict[str, str]:
    return {
        "running": pgettext("sync run status", "running"),
        "completed": pgettext("sync run status", "completed"),
        "stopped": pgettext("sync run status", "stopped"),
        "failed": pgettext("sync run status", "failed"),
    }


def _sync_action() -> dict[str, str]:
    return {
        "create": pgettext("sync action", "create"),
        "update": pgettext("sync action", "update"),
        "retry": pgettext("sync action", "retry"),
        "archive": pgettext("sync action", "archive"),
        "delete": pgettext("sync action", "delete"),
        "keep": pgettext("sync action", "keep"),
    }


def _field() -> dict[str, str]:
    return {
        "id": pgettext("field", "id"),
        "referrer_id": pgettext("field", "referrer_id"),
        "referred_id": pgettext("field", "referred_id"),
        "recipient_id": pgettext("field", "recipient_id"),
        "circle": pgettext("field", "circle"),
        "sentiment": pgettext("field", "sentiment"),
        "created_at": pgettext("field", "created_at"),
        "status_changed_at": pgettext("field", "status_changed_at"),
        "status": pgettext("field", "status"),
        "ladder_stage": pgettext("field", "ladder_stage"),
        "stage": pgettext("field", "stage"),
        "amount": pgettext("field", "amount"),
        "currency": pgettext("field", "currency"),
        "deal_id": pgettext("field", "deal_id"),
        "note": pgettext("field", "note"),
        "follow_up_on": pgettext("field", "follow_up_on"),
        "outcome": pgettext("field", "outcome"),
        "value": pgettext("field", "value"),
        "moderator_id": pgettext("field", "moderator_id"),
    }


def _match() -> dict[str, str]:
    # What `refnet find` matched a member on.
    return {
        "id": pgettext("match", "id"),
        "e-mail": pgettext("match", "e-mail"),
        "name": pgettext("match", "name"),
        "organisation": pgettext("match", "organisation"),
    }


def _club_todo() -> dict[str, str]:
    return {
        "follow_up": pgettext("club to-do", "follow_up"),
        "trial_ending": pgettext("club to-do", "trial_ending"),
        "quiet_member": pgettext("club to-do", "quiet_member"),
        "pilot_ending": pgettext("club to-do", "pilot_ending"),
    }


def _invite_criterion() -> dict[str, str]:
    return {
        "loyal": pgettext("invite criterion", "loyal"),
        "positive": pgettext("invite criterion", "positive"),
        "willing": pgettext("invite criterion", "willing"),
        "connected": pgettext("invite criterion", "connected"),
    }


_CONTEXTS: dict[str, Callable[[], dict[str, str]]] = {
    "circle": _circle,
    "ladder stage": _ladder,
    "referral status": _referral_status,
    "sentiment": _sentiment,
    "partner stage": _partner_stage,
    "agreement status": _agreement_status,
    "membership status": _membership_status,
    "introduction status": _introduction_status,
    "contribution status": _contribution_status,
    "company size": _company_size,
    "record kind": _record_kind,
    "inbox status": _inbox_status,
    "sync run status": _run_status,
    "sync action": _sync_action,
    "field": _field,
    "match": _match,
    "club to-do": _club_todo,
    "invite criterion": _invite_criterion,
}
# The fields that hold a record's state: their values are words of CONTEXT_OF_KIND.
STATE_FIELDS = frozenset({"status", "ladder_stage", "stage"})

# Which states a record kind moves through (for stage changes and audit entries).
CONTEXT_OF_KIND = {
    "referral": "referral status",
    "member": "ladder stage",
    "ladder": "ladder stage",
    "partnership": "partner stage",
    "agreement": "agreement status",
    "membership": "membership status",
    "introduction": "introduction status",
    "contribution": "contribution status",
}


def words(context: str) -> dict[str, str]:
    """Every raw value of ``context`` and its word in the current language."""
    return _CONTEXTS[context]()


def word(context: str, value: object) -> str:
    """``value`` (an enum or its raw string) as the reader's word; unknown values as they are."""
    if value is None:
        return ""
    raw = str(value.value) if isinstance(value, Enum) else str(value)
    return _CONTEXTS[context]().get(raw, raw)


def kind_word(kind: object) -> str:
    """A record kind (``referral``, ``member``, ...) as the reader's word."""
    return word("record kind", kind)


def field_word(field: object) -> str:
    """A record's field (``ladder_stage``) as the reader's word; unknown fields as they are."""
    return word("field", field)


def state_word(kind: object, value: object, field: object = "status") -> str:
    """A state of a record of ``kind`` (a referral's ``won``, a member's ``referrer``).

    Values of other fields (an amount, a note) are data and print as they are.
    """
    context = CONTEXT_OF_KIND.get(str(kind)) if str(field) in STATE_FIELDS else None
    if context is None or value is None:
        return "" if value is None else str(value)
    return word(context, value)
