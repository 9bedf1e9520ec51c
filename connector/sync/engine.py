"""The sync engine: diff the desired CRM records against what was confirmed, send the rest.

A run first pulls what CRM users own (:mod:`connector.sync.pull`), then pushes. For each
object, records are read from the store a page at a time (keyset paging on the refnet id,
so memory stays flat and no read transaction is held open across writes), hashed, compared
with the hash of the last write the CRM confirmed, and only creates and changes are sent,
in chunks of the adapter's size. The same id range of the sync state also shows the records
the CRM holds that refnet no longer has; the removal mode says whether they are kept,
archived or deleted. After each batch the outcomes are written and the run record updated
in one transaction: a run killed at any point resumes where it stopped, and a batch that
reached the CRM but not the checkpoint is simply upserted again (every write is an upsert
on the refnet id, so the CRM holds no duplicate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from connector.crm import (
    BatchResult,
    CallCounter,
    CrmAdapter,
    OutboundRecord,
    RecordLinker,
    RecordOutcome,
    RecordRemover,
    RemovalMode,
    RemovedRecord,
)
from connector.errors import ConfigError, RefnetError, TransientError
from connector.i18n import gettext as _
from connector.store import Store
from connector.sync.objects import Desired, PullableObject, SyncObject, content_hash
from connector.sync.outcomes import DealSource, OutcomePlan, pull_deal_outcomes
from connector.sync.pull import PullPlan, pull_object
from connector.sync.state import LIVE, RecordState, RunCounts, StateStore

__all__ = [
    "FieldChange",
    "ObjectPlan",
    "PlannedRecord",
    "Progress",
    "PullPlan",
    "RunSummary",
    "SyncOptions",
    "run_sync",
]

Action = Literal["create", "update", "retry"]


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    full: bool = False  # resend every record, even unchanged ones
    max_attempts: int = 5  # tries of the same content before a record is given up on
    sample_size: int = 5  # changes shown per object in a dry run
    page_size: int = 1000
    removals: RemovalMode = "keep"  # CRM records whose refnet record is gone
    pull: bool = True  # read CRM-owned fields back before pushing


class Progress(Protocol):
    def begin(self, object_name: str, total: int) -> None: ...
    def advance(self, object_name: str, done: int) -> None: ...
    def end(self, object_name: str) -> None: ...


class _NoProgress:
    def begin(self, object_name: str, total: int) -> None:
        return None

    def advance(self, object_name: str, done: int) -> None:
        return None

    def end(self, object_name: str) -> None:
        return None


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class PlannedRecord:
    record_id: str
    action: Action
    changes: list[FieldChange]


@dataclass
class ObjectPlan:
    """What a run planned (and, unless dry, did) for one object."""

    name: str
    creates: int = 0
    updates: int = 0
    retries: int = 0
    unchanged: int = 0
    rejected: int = 0  # failed ``max_attempts`` times with this content; see the failures
    succeeded: int = 0
    failed: int = 0
    gone: int = 0  # records the CRM holds that refnet no longer has
    removed: int = 0  # of those, archived or deleted in this run
    sample: list[PlannedRecord] = field(default_factory=list)
    # Dry run, adapters that link new records to existing CRM records (RecordLinker): of
    # the creates, how many would be written onto an existing record, be left because
    # several fit (record id → candidates), or be created.
    linked: int = 0
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    new_records: int = 0

    @property
    def links(self) -> dict[str, int]:
        """The dry run's link counts by outcome; empty when nothing was resolved."""
        if not (self.linked or self.ambiguous or self.new_records):
            return {}
        return {"matched": self.linked, "ambiguous": len(self.ambiguous), "new": self.new_records}

    @property
    def to_send(self) -> int:
        return self.creates + self.updates + self.retries


@dataclass
class RunSummary:
    run_id: int
    target: str
    status: str  # completed, stopped (resumable), failed
    dry_run: bool
    counts: RunCounts
    objects: list[ObjectPlan]
    stop_reason: str | None = None
    pulls: list[PullPlan] = field(default_factory=list)
    removals: RemovalMode = "keep"
    outcomes: OutcomePlan | None = None  # deal outcomes read (connector.sync.outcomes)


def _diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[FieldChange]:
    old = old or {}
    return [
        FieldChange(name, old.get(name), value)
        for name, value in sorted(new.items())
        if name not in old or old[name] != value
    ]


def _decide(
    state: RecordState | None, digest: str, options: SyncOptions
) -> Action | Literal["unchanged", "rejected"]:
    if state is None or state.status not in LIVE:  # never sent, or archived / deleted since
        return "create"
    if state.status == "failed" and state.failed_hash == digest:
        return "rejected" if state.attempts >= options.max_attempts else "retry"
    if state.content_hash == digest and state.status == "synced" and not options.full:
        return "unchanged"
    return "update" if state.content_hash is not None else "create"


@dataclass(frozen=True)
class _Pending:
    record_id: str
    digest: str
    fields: dict[str, Any]  # the diff baseline once confirmed
    wire: Mapping[str, Any]  # what is sent: fields, plus seeds on create
    new: bool  # never confirmed in this CRM
    crm_id: str | None = None  # the CRM record an import named for it


class _ObjectRun:
    """One object's part of a run: plans page by page and sends full batches."""

    def __init__(
        self,
        store: Store,
        adapter: CrmAdapter,
        target: str,
        obj: SyncObject,
        options: SyncOptions,
        run_id: int,
        counts: RunCounts,
    ) -> None:
        self.store, self.adapter, self.target, self.obj = store, adapter, target, obj
        self.options, self.run_id, self.counts = options, run_id, counts
        self.plan = ObjectPlan(obj.name)
        self.pending: list[_Pending] = []
        self.removing: list[RemovedRecord] = []
        self.remover = adapter if isinstance(adapter, RecordRemover) else None
        self.linker = adapter if isinstance(adapter, RecordLinker) else None
        self.previewing: list[OutboundRecord] = []  # dry run: creates to resolve
        self.archive_field = self.remover.archive_field(obj.name) if self.remover else None

    def run(self, progress: Progress) -> ObjectPlan:
        after: str | None = None
        done = 0
        while True:
            with self.store.reading() as tx:
                page = self.obj.page(tx, after, self.options.page_size)
                upto = page[-1].record_id if page else None
                states = StateStore(tx.connection, self.target).states_between(
                    self.obj.name, after, upto, with_fields=self.options.dry_run
                )
            for desired in page:
                self._plan(desired, states.pop(desired.record_id, None))
            for state in states.values():  # in the range, but no longer desired
                self._gone(state)
            while len(self.previewing) >= self.adapter.max_batch_size:
                self._preview(self.previewing[: self.adapter.max_batch_size])
                del self.previewing[: self.adapter.max_batch_size]
            chunk = self.adapter.write_chunk_size
            while len(self.pending) >= chunk:
                self._send_all(self.pending[:chunk])
                del self.pending[:chunk]
            batch = self.adapter.max_batch_size
            while len(self.removing) >= batch:
                self._remove(self.removing[:batch])
                del self.removing[:batch]
            if not page:
                break
            after = upto
            done += len(page)
            progress.advance(self.obj.name, done)
        self._preview(self.previewing)
        self.previewing = []
        self._send_all(self.pending)
        self.pending = []
        self._remove(self.removing)
        self.removing = []
        return self.plan

    def _send_all(self, items: Sequence[_Pending]) -> None:
        """One bulk hand-over if ``items`` reach the bulk threshold, else call by call."""
        if not items:
            return
        threshold = self.adapter.bulk_threshold
        bulk = threshold is not None and len(items) >= threshold
        step = len(items) if bulk else self.adapter.max_batch_size
        for start in range(0, len(items), step):
            self._send(items[start : start + step])

    def _plan(self, desired: Desired, state: RecordState | None) -> None:
        record_id, fields = desired.record_id, desired.fields
        digest = content_hash(fields)
        action = _decide(state, digest, self.options)
        self.counts.planned += 1
        if action == "unchanged":
            self.plan.unchanged += 1
            self.counts.skipped += 1
            return
        if action == "rejected":
            self.plan.rejected += 1
            self.counts.skipped += 1
            return
        if action == "create":
            self.plan.creates += 1
        elif action == "update":
            self.plan.updates += 1
        else:
            self.plan.retries += 1
        if self.options.dry_run and len(self.plan.sample) < self.options.sample_size:
            self.plan.sample.append(
                PlannedRecord(record_id, action, _diff(state.fields if state else None, fields))
            )
        # A record the CRM never confirmed (created now, or failing since its first try) is
        # sent with its seeds and may be linked to a record the CRM already has.
        first = action == "create" or (
            action == "retry" and state is not None and state.content_hash is None
        )
        if self.options.dry_run:
            if first and self.linker is not None:
                seeded = {**desired.seed_fields(), **fields}
                self.previewing.append(
                    OutboundRecord(record_id, seeded, new=True, crm_id=desired.crm_id)
                )
            return
        wire: dict[str, Any] = dict(fields)
        if first:
            wire = {**desired.seed_fields(), **fields}
            if state is not None and state.status == "archived" and self.archive_field:
                wire[self.archive_field] = False  # back in refnet: un-archive it
        self.pending.append(_Pending(record_id, digest, fields, wire, first, desired.crm_id))

    def _preview(self, records: Sequence[OutboundRecord]) -> None:
        """Dry run: ask the adapter which creates would link to existing CRM records."""
        if not records or self.linker is None:
            return
        preview = self.linker.preview_links(self.obj.name, records)
        self.counts.api_calls += preview.api_calls
        self.plan.linked += len(preview.linked)
        self.plan.ambiguous.update(preview.ambiguous)
        self.plan.new_records += len(preview.new)

    def _gone(self, state: RecordState) -> None:
        """A record the CRM holds (or was sent) that refnet no longer has."""
        if state.status not in LIVE:
            return
        self.plan.gone += 1
        if self.options.removals == "keep" or self.options.dry_run:
            return
        self.removing.append(RemovedRecord(state.record_id, state.crm_id))

    def _remove(self, records: Sequence[RemovedRecord]) -> None:
        if not records:
            return
        deleting = self.options.removals == "delete" and (
            self.remover is not None and self.remover.can_delete(self.obj.name)
        )
        if deleting:
            assert self.remover is not None
            result = self.remover.delete_batch(self.obj.name, records)
        else:
            assert self.remover is not None  # run_sync checked before the first write
            result = self.remover.archive_batch(self.obj.name, records)
        complete = _complete([r.key for r in records], result)
        self.counts.api_calls += result.api_calls
        with self.store.transaction() as tx:
            states = StateStore(tx.connection, self.target)
            removed = states.record_removals(
                self.obj.name, complete, "deleted" if deleting else "archived", self.run_id
            )
            self.counts.removed += removed
            self.plan.removed += removed
            states.checkpoint_run(self.run_id, self.counts)

    def _send(self, batch: Sequence[_Pending]) -> None:
        counter = self.adapter if isinstance(self.adapter, CallCounter) else None
        calls_before = counter.api_calls if counter is not None else 0
        try:
            result = self.adapter.upsert_batch(
                self.obj.name,
                [
                    OutboundRecord(item.record_id, item.wire, new=item.new, crm_id=item.crm_id)
                    for item in batch
                ],
            )
        except TransientError:
            # A stop inside a hand-over reports no outcomes, but its calls were made and
            # count against the CRM's allowance all the same.
            if counter is not None:
                self.counts.api_calls += counter.api_calls - calls_before
            raise
        complete = _complete([item.record_id for item in batch], result)
        self.counts.sent += len(batch)
        self.counts.api_calls += result.api_calls
        ok = sum(1 for outcome in complete if outcome.ok)
        self.counts.succeeded += ok
        self.counts.failed += len(complete) - ok
        self.plan.succeeded += ok
        self.plan.failed += len(complete) - ok
        sent = {item.record_id: (item.digest, item.fields) for item in batch}
        with self.store.transaction() as tx:
            states = StateStore(tx.connection, self.target)
            states.record_outcomes(self.obj.name, complete, sent, self.run_id)
            states.checkpoint_run(self.run_id, self.counts)


def _complete(keys: Sequence[str], result: BatchResult) -> list[RecordOutcome]:
    """One outcome per key, in order; an adapter that loses track of a record must not make
    it look done."""
    outcomes = {outcome.key: outcome for outcome in result.outcomes}
    return [
        outcomes.get(key)
        or RecordOutcome(key, ok=False, code="NO_RESULT", message="no outcome reported")
        for key in keys
    ]


def _check_removals(adapter: CrmAdapter, objects: Sequence[SyncObject], mode: RemovalMode) -> None:
    """Refuse a removal mode the target cannot carry out before anything is written."""
    if mode == "keep":
        return
    if not isinstance(adapter, RecordRemover):
        raise ConfigError(
            _("target '{adapter}' cannot archive or delete records; use removals 'keep'").format(
                adapter=adapter.name
            )
        )
    for obj in objects:
        archives = mode == "archive" or not adapter.can_delete(obj.name)
        if archives and adapter.archive_field(obj.name) is None:
            raise ConfigError(
                _(
                    "target '{adapter}': object '{obj}' has no archive field, so its records can "
                    "only be kept or deleted"
                ).format(adapter=adapter.name, obj=obj.name)
            )


def run_sync(
    store: Store,
    adapter: CrmAdapter,
    objects: Sequence[SyncObject],
    *,
    target: str,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    deals: DealSource | None = None,
) -> RunSummary:
    """Sync ``objects`` to ``adapter``; a temporary failure stops the run cleanly (resumable).

    With ``deals`` (and pulling on), the outcomes of deals linked to referrals are read
    after the pull and applied before the push, so the push writes their effects back.
    """
    options = options or SyncOptions()
    progress = progress or _NoProgress()
    _check_removals(adapter, objects, options.removals)
    with store.transaction() as tx:
        run_id = StateStore(tx.connection, target).start_run(
            dry_run=options.dry_run, full=options.full, objects=[o.name for o in objects]
        )
    counts = RunCounts()
    plans: list[ObjectPlan] = []
    pulls: list[PullPlan] = []
    outcomes: OutcomePlan | None = None
    status, reason = "completed", None
    runner: _ObjectRun | None = None
    try:
        pullable = [o for o in objects if isinstance(o, PullableObject) and o.pulls]
        for pulled in pullable if options.pull else []:
            pulls.append(
                pull_object(
                    store,
                    adapter,
                    target,
                    pulled,
                    run_id=run_id,
                    counts=counts,
                    dry_run=options.dry_run,
                )
            )
        if deals is not None and options.pull:
            outcomes = pull_deal_outcomes(
                store,
                adapter,
                target,
                deals,
                run_id=run_id,
                counts=counts,
                dry_run=options.dry_run,
            )
        for obj in objects:
            with store.reading() as tx:
                progress.begin(obj.name, obj.count(tx))
            runner = _ObjectRun(store, adapter, target, obj, options, run_id, counts)
            try:
                plans.append(runner.run(progress))
            finally:
                progress.end(obj.name)
        runner = None
        written = {plan.name for plan in plans if plan.succeeded}
        for pulled in pullable if options.pull and not options.dry_run else []:
            if pulled.name in written:
                # Read back this run's own writes now (and whatever users changed meanwhile),
                # so the next run's pull starts after them (see connector.sync.pull).
                pulls.append(
                    pull_object(
                        store,
                        adapter,
                        target,
                        pulled,
                        run_id=run_id,
                        counts=counts,
                        dry_run=False,
                        after_push=True,
                    )
                )
    except TransientError as exc:
        # Rate or daily limits, outages: stop here; the next run resumes from the checkpoint.
        status, reason = "stopped", f"{type(exc).__name__}: {exc}"
        if runner is not None and all(plan is not runner.plan for plan in plans):
            plans.append(runner.plan)
    except RefnetError as exc:
        status, reason = "failed", f"{type(exc).__name__}: {exc}"
        with store.transaction() as tx:
            StateStore(tx.connection, target).finish_run(run_id, counts, status, reason)
        raise
    with store.transaction() as tx:
        StateStore(tx.connection, target).finish_run(run_id, counts, status, reason)
    return RunSummary(
        run_id,
        target,
        status,
        options.dry_run,
        counts,
        plans,
        reason,
        pulls,
        options.removals,
        outcomes,
    )
