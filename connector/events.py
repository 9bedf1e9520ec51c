"""What a CRM event means for the referral network: pure rules, no web framework, no store.

A webhook (HubSpot, Salesforce) is parsed and verified at the edge and turned into one
provider-neutral :class:`InboundEvent`; that is what the inbox stores. :func:`interpret`
turns an event into *intents* — a deal closed, a deal linked to a referral, a contact
referred by someone — using the property names and stage values in :class:`EventRules`
(configuration, not code). :mod:`connector.inbox.apply` carries the intents out on the
store through :func:`connector.services.advance`.

Events that carry nothing refnet acts on give no intents; they stay in the inbox as
"ignored", never as errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal, Protocol, runtime_checkable

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from connector.model import Membership, MembershipStatus, PartnerStage, Referral

__all__ = [
    "ContactReferred",
    "DealClosed",
    "DealLinked",
    "DealStageOutcomes",
    "EventRules",
    "InboundEvent",
    "Intent",
    "PartnerStageMoved",
    "Provider",
    "ReferralFormSubmitted",
    "club_of_referral",
    "interpret",
    "is_newer",
    "outcome_due_at",
    "property_map",
]

# "form": the referral form of the webhook service (connector.referral_form), not a CRM.
Provider = Literal["hubspot", "salesforce", "form"]
_Short = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class InboundEvent(BaseModel):
    """One CRM event, provider-neutral: what the inbox stores and the worker interprets.

    ``event_id`` is the provider's delivery-independent identity of the event (the same on
    every redelivery), so ``(provider, event_id)`` deduplicates. ``properties`` holds the
    changed or sent fields by their CRM names; never request headers or session ids.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Provider
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    event_type: _Short
    object_type: _Short
    object_id: _Short
    occurred_at: AwareDatetime
    account_id: str | None = Field(default=None, max_length=64)
    properties: dict[str, str | None] = Field(default_factory=dict)

    @property
    def ref(self) -> str:
        """The event's name in audit entries and the outbox: ``provider:event_id``."""
        return f"{self.provider}:{self.event_id}"

    def prop(self, names: Iterable[str]) -> str | None:
        """The first non-empty property among ``names``, compared case-insensitively.

        Salesforce field names are case-insensitive; HubSpot's are lower case.
        """
        folded = {key.casefold(): value for key, value in self.properties.items()}
        for name in names:
            value = folded.get(name.casefold())
            if value is not None and value.strip():
                return value.strip()
        return None


def _names(*values: str) -> tuple[str, ...]:
    return values


class EventRules(BaseModel):
    """Which CRM properties and values mean what. Defaults fit stock HubSpot and Salesforce."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deal_types: tuple[str, ...] = Field(
        default=_names("deal", "opportunity", "0-3"), description="object types that are deals"
    )
    contact_types: tuple[str, ...] = Field(
        default=_names("contact", "0-1"), description="object types that are contacts"
    )
    stage_properties: tuple[str, ...] = _names("dealstage", "StageName")
    # Overrides; every other stage is judged by its pipeline's metadata where the CRM
    # reports it (DealStageOutcomes: HubSpot's closed stages with probability 1.0 / 0.0).
    won_stages: tuple[str, ...] = _names("closedwon", "Closed Won")
    lost_stages: tuple[str, ...] = _names("closedlost", "Closed Lost")
    open_stages: tuple[str, ...] = Field(
        default=(),
        description="stages that never count as won or lost, whatever their metadata says",
    )
    won_flag_properties: tuple[str, ...] = Field(
        default=_names("hs_is_closed_won", "IsWon"), description="'true' means the deal is won"
    )
    closed_flag_properties: tuple[str, ...] = Field(
        default=_names(
            "IsClosed",
        ),
        description="'true' with a won flag of 'false' means the deal is lost",
    )
    referral_id_properties: tuple[str, ...] = _names("refnet_referral_id", "Refnet_Referral_Id__c")
    referred_by_properties: tuple[str, ...] = _names("referred_by", "Referred_By__c")
    email_properties: tuple[str, ...] = _names("email", "Email")
    first_name_properties: tuple[str, ...] = _names("firstname", "FirstName")
    last_name_properties: tuple[str, ...] = _names("lastname", "LastName")
    deal_contact_associations: tuple[str, ...] = _names("DEAL_TO_CONTACT")
    club_statuses: tuple[MembershipStatus, ...] = Field(
        default=(MembershipStatus.MEMBER, MembershipStatus.TRIAL),
        description="membership states that count as 'in the club' for club referrals",
    )
    hold_period: timedelta = Field(
        default=timedelta(0),
        ge=timedelta(0),
        description="a won deal must stay won this long before its referral is credited",
    )
    # --- the Network Partners board (HubSpot custom object refnet_partnership) ---
    partner_types: tuple[str, ...] = Field(
        default=_names("refnet_partnership", "p_refnet_partnership"),
        description="object types that are refnet partnerships; add the portal's 2-… type "
        "id (`refnet hubspot app-config` writes it to webhooks.env)",
    )
    partner_stage_properties: tuple[str, ...] = _names("hs_pipeline_stage")
    partner_stage_ids: dict[str, str] = Field(
        default_factory=dict,
        description="the portal's pipeline stage id → partner step (analysis, profile, …); "
        "step names are understood as they are",
    )


@dataclass(frozen=True)
class DealClosed:
    """The deal was won or lost at the event's occurrence time."""

    deal_id: str
    won: bool


@dataclass(frozen=True)
class DealLinked:
    """The deal names the referral it stems from: by refnet id, by referrer, or by contact.

    ``contact_id`` is a CRM contact newly associated with the deal: the referred party of
    an open referral.
    """

    deal_id: str
    referral_id: str | None = None
    referrer: str | None = None
    contact_id: str | None = None


@dataclass(frozen=True)
class ContactReferred:
    """A contact was referred by ``referrer`` (a refnet member id, e-mail or CRM contact id)."""

    contact_id: str
    referrer: str
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class PartnerStageMoved:
    """A sales user moved a partnership's card on the board: ``stage`` is the step name.

    ``crm_id`` is the CRM's record id (not refnet's id); ``stage`` is ``None`` when the
    column it was moved to is not one of refnet's steps.
    """

    crm_id: str
    stage: str | None
    raw_stage: str


@dataclass(frozen=True)
class ReferralFormSubmitted:
    """A customer or partner recommended someone through their signed referral form link."""

    referrer_id: str
    link_id: str
    name: str
    email: str
    consent_text: str
    company: str | None = None
    phone: str | None = None
    note: str | None = None


Intent = DealClosed | DealLinked | ContactReferred | PartnerStageMoved | ReferralFormSubmitted


@runtime_checkable
class DealStageOutcomes(Protocol):
    """What a CRM's deal stage means, from its pipelines: won, lost or neither.

    An adapter reads the pipelines (and reads them again when a stage is new to it); the
    settings' ``won_stages`` / ``lost_stages`` / ``open_stages`` override it.
    """

    def stage_outcome(self, stage: str) -> bool | None:
        """True: a won stage, False: a lost one, None: open or unknown."""
        ...


def _matches(value: str | None, allowed: Iterable[str]) -> bool:
    return value is not None and value.casefold() in {a.casefold() for a in allowed}


def _deal_outcome(
    event: InboundEvent, rules: EventRules, stages: DealStageOutcomes | None = None
) -> bool | None:
    """True for won, False for lost, None when the event does not close the deal."""
    stage = event.prop(rules.stage_properties)
    if _matches(stage, rules.open_stages):
        return None
    if _matches(stage, rules.won_stages):
        return True
    if _matches(stage, rules.lost_stages):
        return False
    if stage is not None and stages is not None:
        verdict = stages.stage_outcome(stage)
        if verdict is not None:
            return verdict
    won_flag = event.prop(rules.won_flag_properties)
    if _matches(won_flag, ("true",)):
        return True
    if _matches(won_flag, ("false",)) and _matches(
        event.prop(rules.closed_flag_properties), ("true",)
    ):
        return False
    return None


def _associated_contact(event: InboundEvent, rules: EventRules) -> str | None:
    """The contact a deal was just associated with (HubSpot ``deal.associationChange``)."""
    kind = event.prop(("associationType",))
    if kind is None or not _matches(kind, rules.deal_contact_associations):
        return None
    if _matches(event.prop(("associationRemoved",)), ("true",)):
        return None
    return event.prop(("toObjectId",))


def _contact_name(event: InboundEvent, rules: EventRules) -> str | None:
    parts = [event.prop(rules.first_name_properties), event.prop(rules.last_name_properties)]
    name = " ".join(part for part in parts if part)
    return name[:255] or None


def interpret(
    event: InboundEvent, rules: EventRules, stages: DealStageOutcomes | None = None
) -> list[Intent]:
    """The intents an event carries, links before outcomes; empty when refnet has nothing to do.

    ``stages`` says what the provider's deal stages mean (see :class:`DealStageOutcomes`).
    """
    if event.provider == "form":
        submitted = _form_submission(event)
        return [submitted] if submitted is not None else []
    object_type = event.object_type.casefold()
    intents: list[Intent] = []
    if object_type in {t.casefold() for t in rules.deal_types}:
        referral_id = event.prop(rules.referral_id_properties)
        referrer = event.prop(rules.referred_by_properties)
        if referral_id or referrer:
            intents.append(
                DealLinked(event.object_id, referral_id, None if referral_id else referrer)
            )
        contact = _associated_contact(event, rules)
        if contact is not None:
            intents.append(DealLinked(event.object_id, contact_id=contact))
        outcome = _deal_outcome(event, rules, stages)
        if outcome is not None:
            intents.append(DealClosed(event.object_id, won=outcome))
    elif object_type in {t.casefold() for t in rules.partner_types}:
        raw = event.prop(rules.partner_stage_properties)
        if raw is not None:
            intents.append(PartnerStageMoved(event.object_id, _partner_step(raw, rules), raw))
    elif object_type in {t.casefold() for t in rules.contact_types}:
        referrer = event.prop(rules.referred_by_properties)
        if referrer:
            intents.append(
                ContactReferred(
                    event.object_id,
                    referrer,
                    email=event.prop(rules.email_properties),
                    name=_contact_name(event, rules),
                )
            )
    return intents


def _form_submission(event: InboundEvent) -> ReferralFormSubmitted | None:
    """The referral a form submission carries; None when a required field is missing."""
    required = [event.prop((name,)) for name in ("referrer_id", "link_id", "name", "email")]
    consent = event.prop(("consent_text",))
    referrer_id, link_id, name, email = required
    if referrer_id is None or link_id is None or name is None or email is None or not consent:
        return None
    return ReferralFormSubmitted(
        referrer_id=referrer_id,
        link_id=link_id,
        name=name,
        email=email,
        consent_text=consent,
        company=event.prop(("company",)),
        phone=event.prop(("phone",)),
        note=event.prop(("note",)),
    )


def _partner_step(raw: str, rules: EventRules) -> str | None:
    """The partner step a board column stands for: by the portal's stage id, or its name."""
    step = rules.partner_stage_ids.get(raw, raw).casefold()
    return step if step in {s.value for s in PartnerStage} else None


def outcome_due_at(
    occurred_at: datetime, *, won: bool, hold_period: timedelta, now: datetime
) -> datetime:
    """When a deal outcome may be applied: a win after the hold period, a loss at once.

    A CRM clock ahead of ours would otherwise delay a win by the skew, so the hold is
    counted from the earlier of occurrence and now.
    """
    start = min(occurred_at, now)
    return start + hold_period if won else start


def is_newer(candidate: datetime, recorded: datetime | None) -> bool:
    """Whether an outcome that occurred at ``candidate`` replaces the one recorded.

    Strictly later only: of two outcomes at the same instant the first one stored stays.
    """
    return recorded is None or candidate > recorded


def club_of_referral(
    referral: Referral,
    referrer_memberships: Iterable[Membership],
    recipient_memberships: Iterable[Membership],
    statuses: Iterable[MembershipStatus],
) -> str | None:
    """The club in which both referrer and recipient are members, if any (lowest id first).

    A referral given to a club member by a fellow member is a *club referral*: the club
    creating business for its members.
    """
    if referral.recipient_id is None:
        return None
    active = set(statuses)
    mine = {m.club_id for m in referrer_memberships if m.status in active}
    theirs = {m.club_id for m in recipient_memberships if m.status in active}
    common = sorted(mine & theirs)
    return common[0] if common else None


def property_map(pairs: Mapping[str, object | None]) -> dict[str, str | None]:
    """CRM values as strings (booleans as 'true'/'false'), the shape ``properties`` holds."""
    result: dict[str, str | None] = {}
    for key, value in pairs.items():
        if value is None:
            result[key] = None
        elif isinstance(value, bool):
            result[key] = "true" if value else "false"
        else:
            result[key] = str(value)
    return result
