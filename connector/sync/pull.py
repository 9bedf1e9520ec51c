"""Reading CRM-owned fields back into refnet, incrementally and resumably.

For each object with pulled fields the engine asks the adapter for records changed since
the object's watermark, applies them to refnet's records a chunk at a time, and moves the
watermark in the same transaction as the changes. A run stopped midway resumes from the
last applied chunk; records read twice are harmless (applying a pull is idempotent).
A value refnet cannot take is recorded as a failure of the run and the rest applied.

The CRMs' change filters are inclusive (``SystemModstamp >= since``,
``hs_lastmodifieddate GTE``: timestamps have no finer tie-break), so the records at the
watermark itself come back on every pull. The watermark remembers their CRM ids and the
next pull skips them: a record changed again carries a later timestamp and is read.

A run that wrote records reads its object back once more after the push (``after_push``),
so the watermark moves past refnet's own writes: the next run's pull, with nothing changed
in the CRM, reads nothing but the records at the watermark (one call per object). Anything
a CRM user changed while the run was writing is read and applied then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connector.crm import CallCounter, CrmAdapter, PulledRecord, SkipsSeenChanges
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
    skipped: int = 0  # read again at the watermark, already applied by the last pull
    after_push: bool = False  # the read-back after this run's own writes


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
        with store.reading() as tx:
            self.since, self.ids_at_mark = StateStore(tx.connection, target).watermark_and_ids(
                obj.name
            )
        self.mark = self.since
        self.last_second: dict[str, datetime] = {}  # crm id → modified, in the mark's second
        self.kept_ids = set(self.ids_at_mark)  # ids of the mark's second from the last pull

    def fresh(self, record: PulledRecord) -> bool:
        """Not one of the records the last pull already read in its watermark's second."""
        seen = record.crm_id in self.ids_at_mark
        if seen and self.since is not None and record.modified_at <= self.since:
            self.plan.skipped += 1
            return False
        return True

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
                self._advance(chunk)
                assert self.mark is not None
                states.set_watermark(self.obj.name, self.mark, self._ids_at_mark())
                states.checkpoint_run(self.run_id, self.counts)

    def _advance(self, chunk: Sequence[PulledRecord]) -> None:
        """Move the mark to the newest record read; remember the ids of its second.

        Salesforce compares at whole seconds (SOQL datetime literals carry none finer), so
        the next pull re-reads the mark's whole second, not only the mark itself.
        """
        newest: datetime = max(record.modified_at for record in chunk)
        if self.mark is None or newest > self.mark:
            self.mark = newest
        self.last_second.update((r.crm_id, r.modified_at) for r in chunk)
        floor = self.mark.replace(microsecond=0)
        self.last_second = {i: at for i, at in self.last_second.items() if at >= floor}
        if self.since is None or self.since.replace(microsecond=0) != floor:
            self.kept_ids = set()  # the mark left the last pull's second

    def _ids_at_mark(self) -> set[str]:
        return self.kept_ids | set(self.last_second)


def pull_object(
    store: Store,
    adapter: CrmAdapter,
    target: str,
    obj: PullableObject,
    *,
    run_id: int,
    counts: RunCounts,
    dry_run: bool,
    after_push: bool = False,
) -> PullPlan:
    """Read ``obj``'s records changed since its watermark and apply their CRM-owned fields."""
    puller = _Puller(store, target, obj, run_id, counts, dry_run)
    puller.plan.after_push = after_push
    since = puller.since
    # Reads count against the CRM's API allowance too; adapters that count them say so.
    calls_before = adapter.api_calls if isinstance(adapter, CallCounter) else 0
    chunk: list[PulledRecord] = []
    try:
        if isinstance(adapter, SkipsSeenChanges):
            changes = adapter.fetch_changes_after(obj.name, since, puller.ids_at_mark)
        else:
            changes = adapter.fetch_changes(obj.name, since)
        for record in changes:
            if not puller.fresh(record):
                continue
            chunk.append(record)
            if len(chunk) >= PULL_CHUNK:
                puller.apply(chunk)
                chunk = []
        puller.apply(chunk)
    finally:
        if isinstance(adapter, CallCounter):
            counts.api_calls += adapter.api_calls - calls_before
    return puller.plan
