"""Deal outcomes read by the sync: won and lost deals reach refnet with no setup at all.

Webhooks need an admin to install a Flow or an Outbound Message; a sync needs nothing. Each
run reads the deals that referrals point at (Salesforce: the Opportunities named by
``Refnet_Referral__c.Opportunity__c``, with ``IsClosed``, ``IsWon``, ``Amount``,
``CloseDate``) changed since the last read, and applies every closed one through the very
path a webhook event takes (:func:`connector.inbox.apply.apply_intents`): the same stage
rules, the same per-deal outcome record (an older outcome never overrides a newer one,
whichever path brought it), the same audit entries. A won deal sets the won amount on
referrals that have none, marks them won and moves the referrer up the ladder; the push
that follows in the same run writes the referral back.

Resumable like the pull: a watermark per deal object moves with each applied chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.crm import CallCounter, CrmAdapter, PulledRecord
from connector.events import DealClosed, EventRules, InboundEvent, Provider
from connector.inbox.apply import apply_intents
from connector.model import Referral, utcnow
from connector.rules import RulesConfig
from connector.store import Store, Tx
from connector.sync.state import RunCounts, StateStore

__all__ = ["DealSource", "OutcomePlan", "pull_deal_outcomes"]

_CHUNK = 200


@dataclass(frozen=True)
class DealSource:
    """Where a target's deals live: the CRM object and the provider its events name."""

    object_name: str  # e.g. Opportunity
    provider: Provider
    rules: RulesConfig = field(default_factory=RulesConfig)
    event_rules: EventRules = field(default_factory=EventRules)


@dataclass
class OutcomePlan:
    """What one run's read of deal outcomes found and did."""

    name: str
    read: int = 0
    won: int = 0
    lost: int = 0
    still_open: int = 0
    unlinked: int = 0  # closed deals no refnet referral points at
    referrals_closed: int = 0  # referrals moved to won / lost by this run


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().casefold() == "true"


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


class _Applier:
    def __init__(
        self, store: Store, target: str, source: DealSource, run_id: int, counts: RunCounts
    ) -> None:
        self.store, self.target, self.source = store, target, source
        self.run_id, self.counts = run_id, counts
        self.plan = OutcomePlan(source.object_name)
        self.watermark = f"{source.object_name}#outcomes"

    def apply(self, chunk: Sequence[PulledRecord], *, dry_run: bool, now: datetime) -> None:
        if not chunk:
            return
        with self.store.transaction() as tx:
            for record in chunk:
                self._one(tx, record, dry_run=dry_run, now=now)
            if not dry_run:
                states = StateStore(tx.connection, self.target)
                states.set_watermark(self.watermark, max(r.modified_at for r in chunk))
                states.checkpoint_run(self.run_id, self.counts)

    def _one(self, tx: Tx, record: PulledRecord, *, dry_run: bool, now: datetime) -> None:
        self.plan.read += 1
        fields: Mapping[str, Any] = record.fields
        if not _flag(fields.get("IsClosed")):
            self.plan.still_open += 1
            return
        won = _flag(fields.get("IsWon"))
        if won:
            self.plan.won += 1
        else:
            self.plan.lost += 1
        referrals = tx.find(Referral, deal_id=record.crm_id)
        if not referrals:
            self.plan.unlinked += 1
            return
        open_ones = [r for r in referrals if not r.is_closed]
        if dry_run:
            self.plan.referrals_closed += len(open_ones)
            return
        amount = _amount(fields.get("Amount"))
        if won and amount is not None:
            for referral in open_ones:
                if referral.amount is None:  # a won amount refnet already holds stays
                    tx.put(referral.model_copy(update={"amount": amount}))
        event = InboundEvent(
            provider=self.source.provider,
            event_id=f"sync:{record.crm_id}:{record.modified_at.isoformat()}",
            event_type="sync.deal_outcome",
            object_type=self.source.object_name.casefold()[:64],
            object_id=record.crm_id,
            occurred_at=record.modified_at,
        )
        apply_intents(
            tx,
            event,
            [DealClosed(record.crm_id, won)],
            rules=self.source.rules,
            event_rules=self.source.event_rules,
            now=now,
        )
        closed = [tx.get(Referral, r.id) for r in open_ones]
        self.plan.referrals_closed += sum(1 for r in closed if r.is_closed)
        self.counts.pulled += sum(1 for r in closed if r.is_closed)


def pull_deal_outcomes(
    store: Store,
    adapter: CrmAdapter,
    target: str,
    source: DealSource,
    *,
    run_id: int,
    counts: RunCounts,
    dry_run: bool,
    now: datetime | None = None,
) -> OutcomePlan:
    """Read the linked deals changed since the last read and apply the closed ones."""
    applier = _Applier(store, target, source, run_id, counts)
    with store.reading() as tx:
        since = StateStore(tx.connection, target).watermark(applier.watermark)
    calls_before = adapter.api_calls if isinstance(adapter, CallCounter) else 0
    moment = now or utcnow()
    chunk: list[PulledRecord] = []
    try:
        for record in adapter.fetch_changes(source.object_name, since):
            chunk.append(record)
            if len(chunk) >= _CHUNK:
                applier.apply(chunk, dry_run=dry_run, now=moment)
                chunk = []
        applier.apply(chunk, dry_run=dry_run, now=moment)
    finally:
        if isinstance(adapter, CallCounter):
            counts.api_calls += adapter.api_calls - calls_before
    return applier.plan
