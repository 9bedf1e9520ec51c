"""Carrying an event's intents out on the store, inside the inbox's finishing transaction.

Stage changes go through :func:`connector.services.advance`, so webhook changes take the
same rules and the same audit trail as manual ones. ``advance`` opens its own unit of work;
:class:`JoinedStore` makes that unit join the open transaction instead, so the referral
move, the ladder rungs, their audit entries, the inbox mark and the write-back entries
commit together or not at all.

Deal outcomes are recorded per deal (provider, account = HubSpot portal or Salesforce org,
deal id: ids repeat across portals) with their occurrence time (``deal_outcomes``): an
outcome older than the recorded one is stale and changes nothing (a lost that occurred
before a won never overrides it); a win waits for the hold period before its referrals are
credited; a referral linked to a deal after the deal closed picks the outcome up.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from connector.errors import IllegalTransition
from connector.events import (
    ContactReferred,
    DealClosed,
    DealLinked,
    EventRules,
    InboundEvent,
    Intent,
    PartnerStageMoved,
    ReferralFormSubmitted,
    club_of_referral,
    is_newer,
    outcome_due_at,
)
from connector.inbox.schema import deal_outcomes
from connector.model import (
    Agreement,
    Circle,
    Contribution,
    CrmIds,
    Member,
    Membership,
    Partnership,
    Referral,
    ReferralStatus,
    new_id,
)
from connector.referral_form import apply_submission
from connector.rules import RulesConfig, StageChange, can_climb, reward_id
from connector.services import Actor, advance
from connector.store import Store, Tx
from connector.store.cached import CachingTx
from connector.store.member_locks import hold_members
from connector.store.schema import audit_log
from connector.sync.schema import sync_state

__all__ = [
    "Applied",
    "DealKey",
    "JoinedStore",
    "apply_intents",
    "audit_refused_move",
    "preload",
    "settle_outcome",
]

# A member with more referrals than this (a busy referrer) has only their counts loaded for a
# batch, not every one of them (CachingTx.preload_referrals_of).
_WHOLE_REFERRALS_AT_MOST = 64
_RECORD_KIND = {"ladder": "member"}  # state-machine kind → record kind, where they differ
_CRM_CONTACT_FIELD = {"hubspot": "hubspot_contact_id", "salesforce": "salesforce_contact_id"}


class JoinedStore(Store):
    """A store whose units of work join one open transaction instead of starting their own."""

    def __init__(self, tx: Tx) -> None:
        super().__init__(tx.connection.engine)
        self._tx = tx

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        yield self._tx

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        yield self._tx


@dataclass
class Applied:
    """What applying one event did: short, PII-free notes and the records it changed."""

    notes: list[str] = field(default_factory=list)
    changed: dict[tuple[str, str], None] = field(default_factory=dict)

    @property
    def acted(self) -> bool:
        return bool(self.changed)

    def touch(self, kind: str, record_id: str) -> None:
        self.changed[(kind, record_id)] = None

    def record(self, changes: list[StageChange]) -> None:
        for change in changes:
            self.touch(_RECORD_KIND.get(change.kind, change.kind), change.record_id)


@dataclass(frozen=True)
class DealKey:
    """A CRM deal: deal ids repeat across HubSpot portals (and Salesforce orgs)."""

    provider: str
    account_id: str  # the portal / org id; "" when the event named none
    deal_id: str

    @classmethod
    def of(cls, event: InboundEvent, deal_id: str) -> DealKey:
        return cls(event.provider, event.account_id or "", deal_id)

    def matches(self, table: Any) -> Any:
        """The WHERE clause selecting this deal's row of ``deal_outcomes``."""
        return (
            (table.c.provider == self.provider)
            & (table.c.account_id == self.account_id)
            & (table.c.deal_id == self.deal_id)
        )

    def values(self) -> dict[str, str]:
        return {"provider": self.provider, "account_id": self.account_id, "deal_id": self.deal_id}

    def params(self) -> dict[str, str]:
        """The bound values of the prebuilt statements that select this deal's row."""
        return {
            "the_provider": self.provider,
            "the_account": self.account_id,
            "the_deal": self.deal_id,
        }


@dataclass(frozen=True)
class _Context:
    tx: Tx
    event: InboundEvent
    rules: RulesConfig
    event_rules: EventRules
    now: datetime

    @property
    def actor(self) -> Actor:
        return Actor(f"webhook:{self.event.provider}", event_ref=self.event.ref)


def apply_intents(
    tx: Tx,
    event: InboundEvent,
    intents: list[Intent],
    *,
    rules: RulesConfig,
    event_rules: EventRules,
    now: datetime,
    superseded: frozenset[str] = frozenset(),
) -> Applied:
    """Apply ``intents`` of ``event``; ``superseded`` deals have a later outcome in the batch."""
    ctx = _Context(tx, event, rules, event_rules, now)
    applied = Applied()
    for intent in intents:
        if isinstance(intent, DealLinked):
            _link_deal(ctx, intent, applied)
        elif isinstance(intent, DealClosed):
            if intent.deal_id in superseded:
                applied.notes.append(f"deal {intent.deal_id}: superseded by a later outcome")
            else:
                _close_deal(ctx, intent, applied)
        elif isinstance(intent, PartnerStageMoved):
            _partner_moved(ctx, intent, applied)
        elif isinstance(intent, ReferralFormSubmitted):
            _form_submitted(ctx, intent, applied)
        else:
            _contact_referred(ctx, intent, applied)
    return applied


def preload(tx: CachingTx, events: Iterable[tuple[InboundEvent, list[Intent]]]) -> None:
    """Load what a batch's events will look up, with one query per kind of lookup.

    The referrals named by id, the members named as referrers (by refnet id or CRM contact
    id), the referred contacts, and the recorded outcomes of the deals closing: read once
    for the batch instead of once per event. What an event then writes, the transaction
    remembers (see :class:`CachingTx`).
    """
    batch = list(events)  # read twice
    referral_ids: set[str] = set()
    member_refs: set[str] = set()
    contacts: dict[str, set[str]] = {}
    deals: set[DealKey] = set()
    for event, intents in batch:
        field_name = _CRM_CONTACT_FIELD.get(event.provider)
        crm_ids = set() if field_name is None else contacts.setdefault(field_name, set())
        for intent in intents:
            if isinstance(intent, DealLinked):
                if intent.referral_id is not None:
                    referral_ids.add(intent.referral_id)
                elif intent.referrer is not None:
                    member_refs.add(intent.referrer)
                    crm_ids.add(intent.referrer)
                elif intent.contact_id is not None:
                    crm_ids.add(intent.contact_id)
                deals.add(DealKey.of(event, intent.deal_id))
            elif isinstance(intent, DealClosed):
                deals.add(DealKey.of(event, intent.deal_id))
            elif isinstance(intent, ContactReferred):
                if "@" not in intent.referrer:
                    member_refs.add(intent.referrer)
                    crm_ids.add(intent.referrer)
                crm_ids.add(intent.contact_id)
    tx.preload(Member, {ref for ref in member_refs if "@" not in ref})
    for field_name, ids in contacts.items():
        tx.preload_crm_contacts(field_name, {i for i in ids if "@" not in i})
    # With the referrals the contacts referred would open: known missing (or found), so
    # their referrers' counts stay known when they are written.
    tx.preload(Referral, referral_ids | _referrals_to_open(tx, contacts, batch))
    _preload_outcomes(tx, deals)
    # Then what the rules read about them: the deals' referrals, and of every member
    # involved their referrals, partnerships (with agreements), club memberships, the
    # rewards owed and when their ladder last moved.
    deal_ids = {deal.deal_id for deal in deals}
    tx.preload_found(Referral, "deal_id", deal_ids)
    referrals = [r for r in (tx.maybe(Referral, i) for i in referral_ids) if r is not None]
    referrals += [r for deal_id in deal_ids for r in tx.find(Referral, deal_id=deal_id)]
    member_ids = {
        member.id
        for ref in member_refs
        if "@" not in ref
        for member in [_cached_member(tx, contacts, ref)]
        if member is not None
    }
    for referral in referrals:
        member_ids.add(referral.referrer_id)
        if referral.recipient_id is not None:
            member_ids.add(referral.recipient_id)
    # On PostgreSQL the batch holds these members before it reads what the ladder counts of
    # them (connector.store.member_locks); what it read of them earlier is read again.
    tx.forget_members(hold_members(tx, member_ids))
    tx.preload(Member, member_ids)
    # The ladder counts only the referrals of members who can still climb.
    climbing = {
        member.id
        for member in (tx.maybe(Member, member_id) for member_id in member_ids)
        if member is not None
        and member.circle is Circle.CUSTOMER
        and can_climb(member.ladder_stage)
    }
    tx.preload_referrals_of(climbing, whole_at_most=_WHOLE_REFERRALS_AT_MOST)
    # Whether a referral of the referrer and the referred contact exists: answered from the
    # referred members' referrals (few), also when the referrer's are not all loaded.
    tx.preload_found(Referral, "referred_id", _referred_members(tx, batch))
    tx.preload_found(Partnership, "member_id", member_ids)
    partnerships = [p for m in member_ids for p in tx.find(Partnership, member_id=m)]
    tx.preload_found(Agreement, "partnership_id", {p.id for p in partnerships})
    tx.preload_found(Membership, "member_id", member_ids)
    tx.preload(Contribution, {reward_id(r.id) for r in referrals})
    tx.preload_last_audit(("ladder", "member"), "ladder_stage", member_ids)


def _referrals_to_open(
    tx: CachingTx,
    contacts: dict[str, set[str]],
    batch: Iterable[tuple[InboundEvent, list[Intent]]],
) -> set[str]:
    """The ids :func:`_contact_referred` would give the batch's new referrals."""
    ids: set[str] = set()
    for event, intents in batch:
        for intent in intents:
            if isinstance(intent, ContactReferred) and "@" not in intent.referrer:
                referrer = _cached_member(tx, contacts, intent.referrer)
                if referrer is not None:
                    ids.add(_referral_id(event.provider, intent.contact_id, referrer.id))
    return ids


def _referred_members(
    tx: CachingTx, batch: Iterable[tuple[InboundEvent, list[Intent]]]
) -> set[str]:
    """The members the batch's referred contacts are (found by CRM id, or to be created)."""
    ids: set[str] = set()
    for event, intents in batch:
        for intent in intents:
            if isinstance(intent, ContactReferred) and event.provider in _CRM_CONTACT_FIELD:
                found = _member_by_crm_contact(tx, event.provider, intent.contact_id)
                ids.add(
                    _prospect_id(event.provider, intent.contact_id) if found is None else found.id
                )
    return ids


def _prospect_id(provider: str, contact_id: str) -> str:
    """The id of the prospect member a referred CRM contact becomes (stable)."""
    return new_id("m", f"{provider}-contact:{contact_id}")


def _referral_id(provider: str, contact_id: str, referrer_id: str) -> str:
    """The id of the referral a CRM contact referred by a member opens (stable)."""
    return new_id("ref", f"{provider}:{contact_id}:{referrer_id}")


def _cached_member(tx: CachingTx, contacts: dict[str, set[str]], reference: str) -> Member | None:
    """The member a reference (refnet id or CRM contact id) names, from what was preloaded."""
    found = tx.maybe(Member, reference)
    for field_name in contacts:
        if found is None:
            found = tx.member_by_crm_contact(field_name, reference)
    return found


def _preload_outcomes(tx: CachingTx, deals: set[DealKey]) -> None:
    """The recorded outcomes of these deals: one query per portal (org) and 500 deals."""
    by_account: dict[tuple[str, str], list[DealKey]] = {}
    for deal in deals:
        if ("deal_outcome", deal) not in tx.memo:
            by_account.setdefault((deal.provider, deal.account_id), []).append(deal)
    table = deal_outcomes
    for (provider, account_id), wanted in by_account.items():
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = tx.connection.execute(
                select(table).where(
                    table.c.provider == provider,
                    table.c.account_id == account_id,
                    table.c.deal_id.in_([deal.deal_id for deal in chunk]),
                )
            )
            found = {row.deal_id: _Outcome.of(row) for row in rows}
            for deal in chunk:
                tx.memo[("deal_outcome", deal)] = found.get(deal.deal_id)


# --- deals -------------------------------------------------------------------------------


# Built once (the worker runs them per event; building them cost more than running them).
_THE_DEAL = (
    (deal_outcomes.c.provider == bindparam("the_provider"))
    & (deal_outcomes.c.account_id == bindparam("the_account"))
    & (deal_outcomes.c.deal_id == bindparam("the_deal"))
)
_OUTCOME_ROW = select(deal_outcomes).where(_THE_DEAL)
_SETTLE = update(deal_outcomes).where(_THE_DEAL).values(settled_at=bindparam("settled"))
_OUTCOME_VALUES = ("outcome", "occurred_at", "event_ref", "due_at", "settled_at")


@functools.cache
def _outcome_upsert(dialect: str) -> Any:
    module: Any = sqlite if dialect == "sqlite" else postgresql
    statement = module.insert(deal_outcomes)
    return statement.on_conflict_do_update(
        index_elements=["provider", "account_id", "deal_id"],
        set_={name: statement.excluded[name] for name in _OUTCOME_VALUES},
    )


@dataclass(frozen=True)
class _Outcome:
    """A deal's recorded outcome (a row of ``deal_outcomes``), as a batch remembers it."""

    outcome: str
    occurred_at: datetime
    event_ref: str
    due_at: datetime
    settled_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> _Outcome:
        return cls(row.outcome, row.occurred_at, row.event_ref, row.due_at, row.settled_at)


def _outcome_row(tx: Tx, deal: DealKey) -> _Outcome | None:
    """The deal's recorded outcome; within a batch (:class:`CachingTx`) remembered."""
    if isinstance(tx, CachingTx) and ("deal_outcome", deal) in tx.memo:
        remembered: _Outcome | None = tx.memo[("deal_outcome", deal)]
        return remembered
    row = tx.connection.execute(_OUTCOME_ROW, deal.params()).first()
    found = None if row is None else _Outcome.of(row)
    if isinstance(tx, CachingTx):
        tx.memo[("deal_outcome", deal)] = found
    return found


def _remember_outcome(tx: Tx, deal: DealKey, outcome: _Outcome | None) -> None:
    if isinstance(tx, CachingTx):
        tx.memo[("deal_outcome", deal)] = outcome


def _close_deal(ctx: _Context, intent: DealClosed, applied: Applied) -> None:
    event = ctx.event
    deal = DealKey.of(event, intent.deal_id)
    recorded = _outcome_row(ctx.tx, deal)
    if recorded is not None and not is_newer(event.occurred_at, recorded.occurred_at):
        applied.notes.append(f"deal {intent.deal_id}: stale, a newer outcome is recorded")
        return
    outcome = "won" if intent.won else "lost"
    due = outcome_due_at(
        event.occurred_at, won=intent.won, hold_period=ctx.event_rules.hold_period, now=ctx.now
    )
    values = {
        "outcome": outcome,
        "occurred_at": event.occurred_at,
        "event_ref": event.ref,
        "due_at": due,
        # Due now: settled below in this same savepoint (one statement instead of two).
        "settled_at": ctx.now if due <= ctx.now else None,
    }
    _upsert_outcome(ctx.tx, deal, values)
    if due > ctx.now:
        applied.notes.append(f"deal {intent.deal_id}: {outcome}, held until {due.isoformat()}")
        return
    settle_outcome(
        ctx.tx,
        deal=deal,
        rules=ctx.rules,
        event_rules=ctx.event_rules,
        now=ctx.now,
        applied=applied,
    )


def _upsert_outcome(tx: Tx, deal: DealKey, values: dict[str, Any]) -> None:
    dialect = tx.connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        # Held back in a batch (sent with the other deals' before anything reads the table).
        tx.defer(_outcome_upsert(dialect), {**deal.values(), **values})
    else:
        table = deal_outcomes
        if _outcome_row(tx, deal) is None:
            tx.connection.execute(table.insert().values(**deal.values(), **values))
        else:
            tx.connection.execute(update(table).where(deal.matches(table)).values(**values))
    _remember_outcome(tx, deal, _Outcome(**{name: values[name] for name in _OUTCOME_VALUES}))


def settle_outcome(
    tx: Tx,
    *,
    deal: DealKey,
    rules: RulesConfig,
    event_rules: EventRules,
    now: datetime,
    applied: Applied,
    only_referral: str | None = None,
) -> None:
    """Apply a deal's recorded, due outcome to its referrals and mark it settled.

    The audit entries name the event that closed the deal, even when a hold period or a
    late link applies it later.
    """
    row = _outcome_row(tx, deal)
    if row is None or row.due_at > now:
        return
    provider, deal_id = deal.provider, deal.deal_id
    actor = Actor(f"webhook:{provider}", event_ref=row.event_ref)
    joined = JoinedStore(tx)
    referrals = [
        r
        for r in tx.find(Referral, deal_id=deal_id)
        if only_referral is None or r.id == only_referral
    ]
    if not referrals:
        applied.notes.append(f"deal {deal_id}: {row.outcome}, no referral linked yet")
    for referral in referrals:
        if referral.is_closed:
            applied.notes.append(f"referral {referral.id}: already {referral.status.value}")
            continue
        changes = advance(
            joined,
            "referral",
            referral.id,
            row.outcome,
            reason=f"{provider} deal {deal_id} {row.outcome}",
            actor=actor,
            rules=rules,
            at=row.occurred_at,
        )
        applied.record(changes)
        applied.notes.append(f"referral {referral.id}: {row.outcome}")
        _after_referral_closed(tx, tx.get(Referral, referral.id), event_rules, actor, applied)
    if only_referral is None and row.settled_at != now:
        tx.connection.execute(_SETTLE, {**deal.params(), "settled": now})
        _remember_outcome(tx, deal, replace(row, settled_at=now))


def _after_referral_closed(
    tx: Tx, referral: Referral, event_rules: EventRules, actor: Actor, applied: Applied
) -> None:
    """The win-win balance of both parties follows from the referral; a club referral is logged."""
    applied.touch("member", referral.referrer_id)
    if referral.recipient_id is None:
        return
    applied.touch("member", referral.recipient_id)
    if referral.status is not ReferralStatus.WON:
        return
    club_id = club_of_referral(
        referral,
        tx.find(Membership, member_id=referral.referrer_id),
        tx.find(Membership, member_id=referral.recipient_id),
        event_rules.club_statuses,
    )
    if club_id is None:
        return
    tx.audit(
        StageChange(
            "referral",
            referral.id,
            "club_referral",
            None,
            club_id,
            f"club referral won: member '{referral.referrer_id}' to member "
            f"'{referral.recipient_id}' in club '{club_id}'",
        ),
        actor=actor.name,
        event_ref=actor.event_ref,
    )
    applied.touch("club", club_id)
    applied.notes.append(f"referral {referral.id}: club referral in {club_id}")


def _link_deal(ctx: _Context, intent: DealLinked, applied: Applied) -> None:
    tx = ctx.tx
    referral: Referral | None = None
    if intent.referral_id is not None:
        referral = tx.maybe(Referral, intent.referral_id)
        if referral is None:
            applied.notes.append(f"deal {intent.deal_id}: names an unknown referral")
            return
    elif intent.referrer is not None:
        referrer = _resolve_member(tx, ctx.event.provider, intent.referrer)
        if referrer is None:
            applied.notes.append(f"deal {intent.deal_id}: referrer unknown")
            return
        candidates = [
            r
            for r in tx.find(Referral, referrer_id=referrer.id)
            if r.deal_id in (None, intent.deal_id) and not r.is_closed
        ]
        if len(candidates) != 1:
            applied.notes.append(
                f"deal {intent.deal_id}: {len(candidates)} open referrals of {referrer.id}; "
                "link by refnet_referral_id"
            )
            return
        referral = candidates[0]
    elif intent.contact_id is not None:
        referred = _member_by_crm_contact(tx, ctx.event.provider, intent.contact_id)
        candidates = (
            []
            if referred is None
            else [
                r
                for r in tx.find(Referral, referred_id=referred.id)
                if r.deal_id in (None, intent.deal_id) and not r.is_closed
            ]
        )
        if len(candidates) != 1:
            applied.notes.append(
                f"deal {intent.deal_id}: contact {intent.contact_id} has "
                f"{len(candidates)} open referrals"
            )
            return
        referral = candidates[0]
    if referral is None:
        return
    if referral.deal_id not in (None, intent.deal_id):
        applied.notes.append(f"referral {referral.id}: already linked to another deal")
        return
    if referral.deal_id is None:
        tx.put(referral.model_copy(update={"deal_id": intent.deal_id}))
        tx.audit(
            StageChange(
                "referral",
                referral.id,
                "deal_id",
                None,
                intent.deal_id,
                f"{ctx.event.provider} deal {intent.deal_id} names this referral",
            ),
            actor=ctx.actor.name,
            event_ref=ctx.event.ref,
        )
        applied.touch("referral", referral.id)
        applied.notes.append(f"referral {referral.id}: linked to deal {intent.deal_id}")
    # A deal that closed before it was linked hands its outcome over now.
    settle_outcome(
        tx,
        deal=DealKey.of(ctx.event, intent.deal_id),
        rules=ctx.rules,
        event_rules=ctx.event_rules,
        now=ctx.now,
        applied=applied,
        only_referral=referral.id,
    )


# --- contacts ----------------------------------------------------------------------------


def _member_by_crm_contact(tx: Tx, provider: str, contact_id: str) -> Member | None:
    return tx.member_by_crm_contact(_CRM_CONTACT_FIELD[provider], contact_id)


def _resolve_member(tx: Tx, provider: str, reference: str) -> Member | None:
    """A member named by refnet id, e-mail, or the CRM contact id it is linked to."""
    if "@" in reference:
        return tx.member_by_email(reference)
    return tx.maybe(Member, reference) or _member_by_crm_contact(tx, provider, reference)


_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


def _valid_email(value: str | None) -> str | None:
    """The address if it is one; CRM data is not validated, so a bad one is dropped."""
    if value is None:
        return None
    try:
        return _EMAIL.validate_python(value)
    except ValidationError:
        return None


def _referred_member(ctx: _Context, intent: ContactReferred, applied: Applied) -> Member:
    """The referred contact as a member: found by CRM id or e-mail, else a new prospect."""
    tx, provider = ctx.tx, ctx.event.provider
    email = _valid_email(intent.email)
    found = _member_by_crm_contact(tx, provider, intent.contact_id)
    if found is None and email is not None:
        found = tx.member_by_email(email)
    field_name = _CRM_CONTACT_FIELD[provider]
    if found is not None:
        if getattr(found.crm, field_name) is None:
            crm = found.crm.model_copy(update={field_name: intent.contact_id})
            found = found.model_copy(update={"crm": crm, "updated_at": ctx.now})
            tx.put(found)
            applied.touch("member", found.id)
        return found
    created = Member(
        id=_prospect_id(provider, intent.contact_id),
        name=intent.name or email or f"{provider} contact {intent.contact_id}",
        email=email,
        circle="prospect",
        crm=CrmIds(**{field_name: intent.contact_id}),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    tx.put(created)
    applied.touch("member", created.id)
    applied.notes.append(f"member {created.id}: created as prospect")
    return created


def _contact_referred(ctx: _Context, intent: ContactReferred, applied: Applied) -> None:
    tx = ctx.tx
    referrer = _resolve_member(tx, ctx.event.provider, intent.referrer)
    if referrer is None:
        applied.notes.append(f"contact {intent.contact_id}: referrer unknown")
        return
    referred = _referred_member(ctx, intent, applied)
    if referred.id == referrer.id:
        applied.notes.append(f"contact {intent.contact_id}: refers itself")
        return
    if any(True for _ in tx.find(Referral, referrer_id=referrer.id, referred_id=referred.id)):
        applied.notes.append(f"contact {intent.contact_id}: referral exists")
        return
    referral = Referral(
        id=_referral_id(ctx.event.provider, intent.contact_id, referrer.id),
        referrer_id=referrer.id,
        referred_id=referred.id,
        circle=referrer.circle,
        created_at=ctx.event.occurred_at,
        status_changed_at=ctx.event.occurred_at,
    )
    tx.put(referral)
    tx.audit(
        StageChange(
            "referral",
            referral.id,
            "status",
            None,
            referral.status.value,
            f"{ctx.event.provider} contact {intent.contact_id} referred by member '{referrer.id}'",
        ),
        actor=ctx.actor.name,
        event_ref=ctx.event.ref,
    )
    applied.touch("referral", referral.id)
    applied.touch("member", referrer.id)
    applied.notes.append(f"referral {referral.id}: opened")


def _form_submitted(ctx: _Context, intent: ReferralFormSubmitted, applied: Applied) -> None:
    """The referral form (connector.referral_form) opens a referral like a referred contact."""
    done = apply_submission(ctx.tx, ctx.event, intent, actor=ctx.actor, now=ctx.now)
    for kind, record_id in done.touched:
        applied.touch(kind, record_id)
    applied.notes.extend(done.notes)


# --- the Network Partners board ----------------------------------------------------------


def _synced_record(tx: Tx, objects: tuple[str, ...], crm_id: str) -> Any:
    """The sync state row (target, object name, refnet id) of the CRM's record ``crm_id``.

    By object name and CRM id, whatever the sync target is called (``hubspot``, or
    ``sandbox-hubspot`` in the demo): the partner object's name is HubSpot's alone.
    """
    return tx.connection.execute(
        select(sync_state.c.target, sync_state.c.object_name, sync_state.c.record_id)
        .where(sync_state.c.object_name.in_(objects), sync_state.c.crm_id == crm_id)
        .order_by(sync_state.c.target)
    ).first()


def _partner_moved(ctx: _Context, intent: PartnerStageMoved, applied: Applied) -> None:
    """A card moved on the board: the stage rules decide; a refused move is put back.

    The CRM only knows its own record id, so the partnership is found through the sync state
    (the id the CRM answered when refnet created the record). refnet's own write-back comes
    back as an event naming the stage refnet already has: that is a no-op.
    """
    tx = ctx.tx
    synced = _synced_record(tx, ctx.event_rules.partner_types, intent.crm_id)
    partnership = None if synced is None else tx.maybe(Partnership, synced.record_id)
    if synced is None or partnership is None:
        applied.notes.append(f"partnership {intent.crm_id}: not synced by refnet")
        return
    current = partnership.stage.value
    if intent.stage == current:
        applied.notes.append(f"partnership {partnership.id}: already {current}")
        return
    if intent.stage is not None:
        try:
            changes = advance(
                JoinedStore(tx),
                "partnership",
                partnership.id,
                intent.stage,
                reason=f"moved on the {ctx.event.provider} board",
                actor=ctx.actor,
                rules=ctx.rules,
                at=ctx.event.occurred_at,
            )
        except IllegalTransition as exc:
            reason = str(exc)
        else:
            applied.record(changes)
            applied.notes.append(f"partnership {partnership.id}: {current} → {intent.stage}")
            return
    else:
        reason = f"partnership '{partnership.id}': the board column is not a refnet stage"
    _put_back(ctx, partnership, synced, intent, reason, applied)


def _put_back(
    ctx: _Context,
    partnership: Partnership,
    synced: Any,
    intent: PartnerStageMoved,
    reason: str,
    applied: Applied,
) -> None:
    """Refuse the move: audit it and make the next write-back send refnet's stage again."""
    tx = ctx.tx
    audit_refused_move(
        tx,
        StageChange(
            "partnership",
            partnership.id,
            "board_move_refused",
            intent.stage or intent.raw_stage,
            partnership.stage.value,
            f"refused and put back: {reason}",
        ),
        ctx.actor,
    )
    # The CRM now differs from what refnet last wrote; a confirmed content that matches no
    # digest makes the sync's diff send the record (and so its stage) again, as an update.
    tx.connection.execute(
        update(sync_state)
        .where(
            sync_state.c.target == synced.target,
            sync_state.c.object_name == synced.object_name,
            sync_state.c.record_id == partnership.id,
        )
        .values(content_hash="")
    )
    applied.touch("partnership", partnership.id)
    applied.notes.append(f"partnership {partnership.id}: board move refused, put back")


def audit_refused_move(tx: Tx, change: StageChange, actor: Actor) -> None:
    """Audit a refused board move once: the webhook and a sync may both see the same move."""
    # By kind and record: the audit log's index; by record alone the search would read the
    # log backwards from its newest entry. What the batch holds back is sent first.
    tx.flush()
    last = tx.connection.execute(
        select(audit_log.c.field, audit_log.c.old_value, audit_log.c.new_value)
        .where(audit_log.c.kind == change.kind, audit_log.c.record_id == change.record_id)
        .order_by(audit_log.c.id.desc())
        .limit(1)
    ).first()
    if last is not None and tuple(last) == (change.field, change.old, change.new):
        return
    tx.audit(change, actor=actor.name, event_ref=actor.event_ref)
