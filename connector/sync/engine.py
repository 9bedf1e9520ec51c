"""The sync engine: diff the desired CRM records against what was confirmed, send the rest.

For each object, records are read from the store a page at a time (keyset paging on the
refnet id, so memory stays flat and no read transaction is held open across writes), hashed,
compared with the hash of the last write the CRM confirmed, and only creates and changes are
sent, in chunks of the adapter's size. After each batch the outcomes are written and the
run record updated in one transaction: a run killed at any point resumes where it stopped,
and a batch that reached the CRM but not the checkpoint is simply upserted again (every
write is an upsert on the refnet id, so the CRM holds no duplicate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from connector.crm import CrmAdapter, OutboundRecord, RecordOutcome
from connector.errors import RefnetError, TransientError
from connector.store import Store
from connector.sync.objects import SyncObject, content_hash
from connector.sync.state import RecordState, RunCounts, StateStore

__all__ = [
    "FieldChange",
    "ObjectPlan",
    "PlannedRecord",
    "Progress",
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
    sample: list[PlannedRecord] = field(default_factory=list)

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
    if state is None:
        return "create"
    if state.status == "failed" and state.failed_hash == digest:
        return "rejected" if state.attempts >= options.max_attempts else "retry"
    if state.content_hash == digest and state.status == "synced" and not options.full:
        return "unchanged"
    return "update" if state.content_hash is not None else "create"


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
        self.pending: list[tuple[str, str, dict[str, Any]]] = []

    def run(self, progress: Progress) -> ObjectPlan:
        after: str | None = None
        done = 0
        while True:
            with self.store.reading() as tx:
                page = self.obj.page(tx, after, self.options.page_size)
                if not page:
                    break
                states = StateStore(tx.connection, self.target).states(
                    self.obj.name, [record_id for record_id, _ in page]
                )
            after = page[-1][0]
            for record_id, fields in page:
                self._plan(record_id, fields, states.get(record_id))
            chunk = self.adapter.write_chunk_size
            while len(self.pending) >= chunk:
                self._send_all(self.pending[:chunk])
                del self.pending[:chunk]
            done += len(page)
            progress.advance(self.obj.name, done)
        self._send_all(self.pending)
        self.pending = []
        return self.plan

    def _send_all(self, items: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        """One bulk hand-over if ``items`` reach the bulk threshold, else call by call."""
        if not items:
            return
        threshold = self.adapter.bulk_threshold
        bulk = threshold is not None and len(items) >= threshold
        step = len(items) if bulk else self.adapter.max_batch_size
        for start in range(0, len(items), step):
            self._send(items[start : start + step])

    def _plan(self, record_id: str, fields: dict[str, Any], state: RecordState | None) -> None:
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
        if len(self.plan.sample) < self.options.sample_size:
            self.plan.sample.append(
                PlannedRecord(record_id, action, _diff(state.fields if state else None, fields))
            )
        if not self.options.dry_run:
            self.pending.append((record_id, digest, fields))

    def _send(self, batch: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
        result = self.adapter.upsert_batch(
            self.obj.name, [OutboundRecord(record_id, fields) for record_id, _, fields in batch]
        )
        outcomes = {outcome.key: outcome for outcome in result.outcomes}
        # An adapter that loses track of a record must not make it look synced.
        complete = [
            outcomes.get(record_id)
            or RecordOutcome(record_id, ok=False, code="NO_RESULT", message="no outcome reported")
            for record_id, _, _ in batch
        ]
        self.counts.sent += len(batch)
        self.counts.api_calls += result.api_calls
        ok = sum(1 for outcome in complete if outcome.ok)
        self.counts.succeeded += ok
        self.counts.failed += len(complete) - ok
        self.plan.succeeded += ok
        self.plan.failed += len(complete) - ok
        sent = {record_id: (digest, fields) for record_id, digest, fields in batch}
        with self.store.transaction() as tx:
            states = StateStore(tx.connection, self.target)
            states.record_outcomes(self.obj.name, complete, sent, self.run_id)
            states.checkpoint_run(self.run_id, self.counts)


def run_sync(
    store: Store,
    adapter: CrmAdapter,
    objects: Sequence[SyncObject],
    *,
    target: str,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Sync ``objects`` to ``adapter``; a temporary failure stops the run cleanly (resumable)."""
    options = options or SyncOptions()
    progress = progress or _NoProgress()
    with store.transaction() as tx:
        run_id = StateStore(tx.connection, target).start_run(
            dry_run=options.dry_run, full=options.full, objects=[o.name for o in objects]
        )
    counts = RunCounts()
    plans: list[ObjectPlan] = []
    status, reason = "completed", None
    try:
        for obj in objects:
            with store.reading() as tx:
                progress.begin(obj.name, obj.count(tx))
            runner = _ObjectRun(store, adapter, target, obj, options, run_id, counts)
            try:
                plans.append(runner.run(progress))
            finally:
                progress.end(obj.name)
    except TransientError as exc:
        # Rate or daily limits, outages: stop here; the next run resumes from the checkpoint.
        status, reason = "stopped", f"{type(exc).__name__}: {exc}"
        plans.append(runner.plan)
    except RefnetError as exc:
        status, reason = "failed", f"{type(exc).__name__}: {exc}"
        with store.transaction() as tx:
            StateStore(tx.connection, target).finish_run(run_id, counts, status, reason)
        raise
    with store.transaction() as tx:
        StateStore(tx.connection, target).finish_run(run_id, counts, status, reason)
    return RunSummary(run_id, target, status, options.dry_run, counts, plans, reason)
