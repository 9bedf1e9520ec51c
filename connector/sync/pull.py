"""Reading CRM-owned fields back into refnet, incrementally and resumably.

For each object with pulled fields the engine asks the adapter for records changed since
the object's watermark, applies them to refnet's records a chunk at a time, and moves the
watermark in the same transaction as the changes. A run stopped midway resumes from the
last applied chunk; records read twice are harmless (applying a pull is idempotent).
A value refnet cannot take is recorded as a failure of the run and the rest applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connector.crm import CallCounter, CrmAdapter, PulledRecord
from connector.errors import RecordValidationError
from connector.store import Store
from connector.sync.objects import PullableObject
from connector.sync.state import RunCounts, StateStore

__all__ = ["PULL_CHUNK", "PullPlan", "pull_object"]

PULL_CHUNK = 200  # records applied per transaction (and per watermark checkpoint)


@dataclass
class PullPlan:
    """What one object's pull read and did."""

    name: str
    read: int = 0
    changed: int = 0
    unchanged: int = 0
    unknown: int = 0  # records the CRM has that refnet does not (e.g. created by users)
    failed: int = 0
    refused: int = 0  # stages moved in the CRM against the rules, to be put back


class _Puller:
    def __init__(
        self,
        store: Store,
        target: str,
        obj: PullableObject,
        run_id: int,
        counts: RunCounts,
        dry_run: bool,
    ) -> None:
        self.store, self.target, self.obj = store, target, obj
        self.run_id, self.counts, self.dry_run = run_id, counts, dry_run
        self.plan = PullPlan(obj.name)

    def apply(self, chunk: Sequence[PulledRecord]) -> None:
        if not chunk:
            return
        with self.store.transaction() as tx:
            states = StateStore(tx.connection, self.target)
            for record in chunk:
                self.plan.read += 1
                if record.key is None:
                    self.plan.unknown += 1
                    continue
                try:
                    outcome = self.obj.apply_pulled(
                        tx, record.key, record.fields, write=not self.dry_run
                    )
                except RecordValidationError as exc:
                    self.plan.failed += 1
                    if not self.dry_run:
                        states.record_failure(
                            self.run_id, self.obj.name, record.key, "PULL_INVALID", str(exc)
                        )
                    continue
                if outcome == "changed":
                    self.plan.changed += 1
                    self.counts.pulled += 1
                elif outcome == "unchanged":
                    self.plan.unchanged += 1
                elif outcome == "refused":
                    self.plan.refused += 1
                    if not self.dry_run:
                        states.mark_stale(self.obj.name, record.key)
                else:
                    self.plan.unknown += 1
            if not self.dry_run:
                newest: datetime = max(record.modified_at for record in chunk)
                states.set_watermark(self.obj.name, newest)
                states.checkpoint_run(self.run_id, self.counts)


def pull_object(
    store: Store,
    adapter: CrmAdapter,
    target: str,
    obj: PullableObject,
    *,
    run_id: int,
    counts: RunCounts,
    dry_run: bool,
) -> PullPlan:
    """Read ``obj``'s records changed since its watermark and apply their CRM-owned fields."""
    with store.reading() as tx:
        since = StateStore(tx.connection, target).watermark(obj.name)
    puller = _Puller(store, target, obj, run_id, counts, dry_run)
    # Reads count against the CRM's API allowance too; adapters that count them say so.
    calls_before = adapter.api_calls if isinstance(adapter, CallCounter) else 0
    chunk: list[PulledRecord] = []
    try:
        for record in adapter.fetch_changes(obj.name, since):
            chunk.append(record)
            if len(chunk) >= PULL_CHUNK:
                puller.apply(chunk)
                chunk = []
        puller.apply(chunk)
    finally:
        if isinstance(adapter, CallCounter):
            counts.api_calls += adapter.api_calls - calls_before
    return puller.plan
