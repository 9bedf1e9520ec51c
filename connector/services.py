"""Applying the rules to the store: the one path every stage change takes.

The CLI, the importer and (later) the webhook worker call these functions. Each loads the
records, runs the pure rules, and writes the moved records together with one audit entry
per change in a single transaction, so a change without its audit entry cannot exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from connector.errors import InputError, RecordValidationError, kind_word
from connector.i18n import gettext as _
from connector.model import (
    Agreement,
    AgreementStatus,
    Circle,
    Club,
    Contribution,
    ContributionStatus,
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
    utcnow,
)
from connector.report_words import value_label
from connector.rules import (
    DemotionProposal,
    LadderFacts,
    RulesConfig,
    StageChange,
    advance_ladder,
    agreement_consequence,
    can_climb,
    earliest_needed,
    facts_from_tally,
    move_agreement,
    move_introduction,
    move_ladder,
    move_membership,
    move_partnership,
    move_referral,
    propose_demotion,
    reward_for_won_referral,
    reward_id,
    rung_earned_at,
)
from connector.store import Store, Tx
from connector.store.member_locks import hold_for_count
from connector.validation_messages import validation_problems

__all__ = [
    "ADVANCEABLE",
    "Actor",
    "advance",
    "cancel_reward",
    "demotion_proposals",
    "evaluate_ladder",
    "facts_for",
    "owe_reward",
    "record_changes",
    "value_referral",
]


@dataclass(frozen=True)
class Actor:
    """Who or what made a change, and the event that caused it (for the audit trail)."""

    name: str
    event_ref: str | None = None


# Record kind → the enum of the states it can be moved to by hand.
ADVANCEABLE: dict[str, type[Any]] = {
    "referral": ReferralStatus,
    "member": LadderStage,
    "partnership": PartnerStage,
    "agreement": AgreementStatus,
    "membership": MembershipStatus,
    "introduction": IntroductionStatus,
}


def _parse_state(kind: str, value: str) -> Any:
    states = ADVANCEABLE.get(kind)
    if states is None:
        raise InputError(
            _("'{kind}' has no stages to advance; choose one of: {kinds}").format(
                kind=kind, kinds=", ".join(ADVANCEABLE)
            )
        )
    try:
        return states(value)
    except ValueError:
        allowed = ", ".join(s.value for s in states)
        raise InputError(
            _("'{value}' is not a {kind} state; states: {allowed}").format(
                value=value, kind=kind_word(kind), allowed=allowed
            )
        ) from None


def facts_for(tx: Tx, member_id: str, *, earliest: int | None = None) -> LadderFacts:
    """The ladder's facts about a member; ``earliest``: how many of the earliest times of
    its referrals are needed (None: all; 0: counts only, see :meth:`Tx.referral_tally`)."""
    agreements = [
        agreement
        for partnership in tx.find(Partnership, member_id=member_id)
        for agreement in tx.find(Agreement, partnership_id=partnership.id)
    ]
    signed_at = [
        datetime.combine(a.signed_on, time.min, tzinfo=UTC)
        for a in agreements
        if a.status is AgreementStatus.SIGNED and a.signed_on is not None
    ]
    return facts_from_tally(
        tx.referral_tally(member_id, earliest=earliest), (a.status for a in agreements), signed_at
    )


def record_changes(tx: Tx, changes: list[StageChange], actor: Actor) -> None:
    """Write one audit entry per change, naming the actor and its event."""
    _record(tx, changes, actor)


def _record(tx: Tx, changes: list[StageChange], actor: Actor, at: datetime | None = None) -> None:
    for change in changes:
        tx.audit(change, actor=actor.name, event_ref=actor.event_ref, at=at)


def evaluate_ladder(
    tx: Tx,
    member_id: str,
    rules: RulesConfig,
    *,
    cause: str,
    actor: Actor,
    at: datetime | None = None,
) -> list[StageChange]:
    """Re-evaluate one member's ladder stage from the store and apply every rung it earned.

    Each rung is audited at the moment its facts earned it (the referral won, the agreement
    signed), never later than ``at`` (default now) and never before the member existed or
    its previous rung: an import that finds a rung earned two years ago must not make
    ``report --as-of`` a year ago show the member on the rung below.
    """
    # On PostgreSQL, nobody else counts this member's referrals until this transaction
    # ends, and what is read below is read after every earlier count committed.
    hold_for_count(tx, member_id)
    member = tx.get(Member, member_id)
    # A member on the top rung climbs no further whatever its facts: not counted at all.
    if member.circle is not Circle.CUSTOMER or not can_climb(member.ladder_stage):
        return []
    # Counts decide whether a rung is climbed; the times that date it are read only then,
    # if the counts came without them (a referrer with tens of thousands of referrals is
    # never read whole per event).
    facts = facts_for(tx, member_id, earliest=0)
    moved, changes = advance_ladder(member, facts, rules.ladder, cause=cause)
    if not changes:
        return changes
    if len(facts.qualified_or_won_at) < facts.qualified_or_won or len(facts.won_at) < facts.won:
        facts = facts_for(tx, member_id, earliest=earliest_needed(rules.ladder))
    latest = at or utcnow()
    last = tx.last_audit_at(("ladder", "member"), member_id, "ladder_stage")
    floor = member.created_at if last is None else max(member.created_at, last)
    for change in changes:
        earned = rung_earned_at(LadderStage(change.new), facts, rules.ladder)
        floor = latest if earned is None else min(latest, max(earned, floor))
        tx.audit(change, actor=actor.name, event_ref=actor.event_ref, at=floor)
    tx.put(moved.model_copy(update={"updated_at": latest}))
    return changes


def advance(
    store: Store,
    kind: str,
    record_id: str,
    state: str,
    *,
    reason: str,
    actor: Actor,
    rules: RulesConfig,
    at: datetime | None = None,
    accepted_rules_version: int | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> list[StageChange]:
    """Move one record to ``state`` by hand and apply the rules that follow from it.

    Returns every change made, the requested one first, then its consequences (a partnership
    moved by its agreement, rungs of the ladder climbed). ``amount`` and ``currency`` (a
    referral only, e.g. the value of the deal it was won with) are set in the same unit of
    work, each with an audit entry of its own.
    """
    target = _parse_state(kind, state)
    when = at or utcnow()
    if (amount is not None or currency is not None) and kind != "referral":
        raise InputError(
            _("{kind} '{record_id}': only a referral has an amount and currency").format(
                kind=kind_word(kind), record_id=record_id
            )
        )
    with store.transaction() as tx:
        if kind == "agreement":
            return _advance_agreement(tx, record_id, target, when, reason, actor, rules)
        movers: dict[str, tuple[type[Record], Callable[[Any], tuple[Record, StageChange]]]] = {
            "referral": (Referral, lambda r: move_referral(r, target, at=when, reason=reason)),
            "member": (Member, lambda m: move_ladder(m, target, reason=reason)),
            "partnership": (
                Partnership,
                lambda p: move_partnership(p, target, at=when, reason=reason),
            ),
            "membership": (
                Membership,
                lambda m: move_membership(
                    m,
                    target,
                    tx.get(Club, m.club_id),
                    on=when.date(),
                    reason=reason,
                    config=rules.club,
                    accepted_rules_version=accepted_rules_version,
                ),
            ),
            "introduction": (
                Introduction,
                lambda i: move_introduction(i, target, at=when, reason=reason),
            ),
        }
        model, mover = movers[kind]
        moved, change = mover(tx.get(model, record_id))
        if isinstance(moved, Member):
            moved = moved.model_copy(update={"updated_at": when})
        changes = [change]
        if isinstance(moved, Referral):
            moved, valued = value_referral(moved, amount, currency, reason=reason)
            changes += valued
        tx.put(moved)
        _record(tx, changes, actor, when)
        if isinstance(moved, Referral):
            changes += evaluate_ladder(
                tx,
                moved.referrer_id,
                rules,
                cause=_("referral '{id}' {status}").format(
                    id=moved.id, status=value_label(moved.status.value)
                ),
                actor=actor,
                at=when,
            )
            changes += owe_reward(tx, moved, rules, actor=actor, at=when)
        return changes


def owe_reward(
    tx: Tx, referral: Referral, rules: RulesConfig, *, actor: Actor, at: datetime | None = None
) -> list[StageChange]:
    """Store the pending thank-you the reward rule owes for ``referral``, if any, once.

    Called wherever a referral can become won (by hand, by a CRM event, by an import), next
    to the ladder rules; a reward already owed (or given) for the referral is left alone.
    """
    when = at or utcnow()
    reward = reward_for_won_referral(
        referral, tx.get(Member, referral.referrer_id), rules.reward, at=when
    )
    if reward is None:
        return []
    stored = tx.maybe(Contribution, reward.id)
    if stored is not None and stored.status is not ContributionStatus.CANCELLED:
        return []
    # A reward cancelled when its referral was reopened is owed again once it is won again.
    tx.put(reward)
    change = StageChange(
        "contribution",
        reward.id,
        "status",
        None if stored is None else stored.status.value,
        reward.status.value,
        _("reward rule: referral '{referral}' won by member '{member}'").format(
            referral=referral.id, member=referral.referrer_id
        ),
    )
    _record(tx, [change], actor, when)
    return [change]


def cancel_reward(
    tx: Tx, referral: Referral, *, reason: str, actor: Actor, at: datetime | None = None
) -> list[StageChange]:
    """Cancel the reward still pending for a referral that is no longer won (reopened).

    A reward already given stays given: a thank-you handed over is not taken back.
    """
    stored = tx.maybe(Contribution, reward_id(referral.id))
    if stored is None or stored.status is not ContributionStatus.PENDING:
        return []
    tx.put(stored.model_copy(update={"status": ContributionStatus.CANCELLED}))
    change = StageChange(
        "contribution", stored.id, "status", stored.status.value, "cancelled", reason
    )
    _record(tx, [change], actor, at)
    return [change]


def value_referral(
    referral: Referral, amount: Decimal | None, currency: str | None, *, reason: str
) -> tuple[Referral, list[StageChange]]:
    """The referral with a new amount and/or currency, and one audit change per field changed."""
    changes: list[StageChange] = []
    updates: dict[str, Any] = {}
    for name, value in (("amount", amount), ("currency", currency)):
        old = getattr(referral, name)
        if value is None or value == old:
            continue
        updates[name] = value
        changes.append(
            StageChange(
                "referral", referral.id, name, None if old is None else str(old), str(value), reason
            )
        )
    if not updates:
        return referral, changes
    try:
        valued = Referral.model_validate({**referral.model_dump(), **updates})
    except ValidationError as exc:
        location, message = validation_problems(exc)[0]
        field = ".".join(str(part) for part in location) or "amount"
        raise RecordValidationError(f"referral '{referral.id}'", field, message) from None
    return valued, changes


def _advance_agreement(
    tx: Tx,
    record_id: str,
    target: AgreementStatus,
    when: datetime,
    reason: str,
    actor: Actor,
    rules: RulesConfig,
) -> list[StageChange]:
    agreement, change = move_agreement(
        tx.get(Agreement, record_id), target, on=when.date(), reason=reason
    )
    tx.put(agreement)
    changes = [change]
    partnership = tx.get(Partnership, agreement.partnership_id)
    consequence = agreement_consequence(agreement, partnership, at=when)
    if consequence is not None:
        moved, follow = consequence
        tx.put(moved)
        changes.append(follow)
    _record(tx, changes, actor, when)
    if agreement.status is AgreementStatus.SIGNED:
        changes += evaluate_ladder(
            tx,
            partnership.member_id,
            rules,
            cause=_("agreement '{id}' signed").format(id=agreement.id),
            actor=actor,
            at=when,
        )
    return changes


def demotion_proposals(
    store: Store, rules: RulesConfig, *, as_of: datetime | None = None
) -> list[DemotionProposal]:
    """Members the rules would move one rung down; shown to people, never applied."""
    when = as_of or utcnow()
    proposals: list[DemotionProposal] = []
    with store.reading() as tx:
        # Only members above the first rung can be demoted; filtered in SQL, since most
        # customers are on the first rung and building their records was most of the cost.
        above = [LadderStage.REFERRER.value, LadderStage.PARTNER.value]
        for member in tx.find_in(Member, {"ladder_stage": above}):
            if member.circle is not Circle.CUSTOMER:
                continue
            facts = facts_for(tx, member.id, earliest=0)  # demotion looks at counts only
            proposal = propose_demotion(member, facts, rules.ladder, as_of=when)
            if proposal is not None:
                proposals.append(proposal)
    return proposals
