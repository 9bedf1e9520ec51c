"""The inbox worker: claim stored events, apply them in order per CRM object, record results.

:meth:`InboxWorker.step` is one pass (claim a batch, process it, settle due outcomes) and is
what tests and ``refnet worker`` call; :meth:`InboxWorker.start` runs passes on a thread in
the web process. Events of one CRM object are applied in occurrence order, and of several
outcomes of one deal in a batch only the latest counts, so delivery order never decides.

Failures are sorted by what happens next: the rules refusing (an illegal move, a record
that does not exist) is final and recorded as ``rejected``; anything else (the store
unavailable, a bug) releases the event for a retry with back-off, up to ``max_attempts``,
after which it is ``failed`` and shows in the metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import select, update

from connector.errors import (
    IllegalTransition,
    InputError,
    MemberBusy,
    NotFoundError,
    RefnetError,
)
from connector.events import (
    DealClosed,
    DealStageOutcomes,
    EventRules,
    InboundEvent,
    Intent,
    interpret,
)
from connector.inbox.apply import Applied, DealKey, apply_intents, preload, settle_outcome
from connector.inbox.heartbeats import WorkerIdentity, beat, forget
from connector.inbox.schema import deal_outcomes
from connector.inbox.store import ClaimedEvent, InboxStore
from connector.model import utcnow
from connector.rules import RulesConfig
from connector.store import Store, Tx
from connector.store.cached import CachingTx, HeldWritesFailed
from connector.store.member_locks import hold_members, plan, stop_waiting
from connector.writeback import TransactionalWriteBack, WriteBack

if TYPE_CHECKING:  # the drainer pulls in the sync engine; only its type is needed here
    from connector.writeback_sync import OutboxDrainer

__all__ = ["InboxWorker", "StepResult"]

log = logging.getLogger("refnet.inbox")

# Consecutive failed steps after which `refnet worker --drain` gives up (and exits non-zero).
_DRAIN_MAX_FAILURES = 5

_FINAL_ERRORS = (IllegalTransition, NotFoundError, InputError, ValidationError)

# A batch's transaction goes on past max_hold, up to this many times it, while no other
# writer queues for SQLite's write lock (InboxWorker._may_go_on).
_QUIET_HOLD_FACTOR = 10.0

# Events whose lookups a batch loads together, at first and at most (InboxWorker._preload).
_PRELOAD_FIRST = 16
_PRELOAD_MOST = 128

# A claimed event and its intents, or the error that kept them from being read.
_Interpreted = tuple[ClaimedEvent, list[Intent] | Exception]


class _MembersBusy(Exception):
    """A group's event met a member it must wait for backwards (connector.store.
    member_locks): its events from that one on go on in the batch's next transaction."""

    def __init__(self, member_ids: list[str], rest: list[_Interpreted]) -> None:
        super().__init__(member_ids)
        self.member_ids = member_ids
        self.rest = rest


@dataclass
class StepResult:
    claimed: int = 0
    done: int = 0
    ignored: int = 0
    rejected: int = 0
    retried: int = 0
    failed: int = 0
    settled: int = 0
    written_back: int = 0

    @property
    def idle(self) -> bool:
        return self.claimed == 0 and self.settled == 0


def _fields(claimed: ClaimedEvent) -> dict[str, object]:
    """What identifies an event in a log line (see webhooks.logs.FIELDS); never its content."""
    return {
        "provider": claimed.event.provider,
        "event_id": claimed.event.event_id,
        "inbox_id": claimed.row_id,
        "event_type": claimed.event.event_type,
    }


def _log_finished(claimed: ClaimedEvent, status: str, started: float) -> None:
    duration_ms = round((time.monotonic() - started) * 1000, 3)
    log.info(
        "event processed", extra={**_fields(claimed), "status": status, "duration_ms": duration_ms}
    )


class InboxWorker:
    """Processes the inbox; safe to run in many threads and processes at once."""

    def __init__(
        self,
        store: Store,
        *,
        rules: RulesConfig,
        event_rules: EventRules,
        writeback: WriteBack | None = None,
        drainer: OutboxDrainer | None = None,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 100,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 10,
        poll_interval: float = 1.0,
        max_hold: float = 0.025,
        stage_outcomes: Mapping[str, DealStageOutcomes] | None = None,
    ) -> None:
        self.store = store
        self.inbox = InboxStore(store)
        self.rules = rules
        self.event_rules = event_rules
        # Per provider: what its deal stages mean, read from its pipelines.
        self.stage_outcomes = dict(stage_outcomes or {})
        self.writeback = writeback
        # Asked once: a runtime protocol check per event was a twentieth of the worker's CPU.
        self._transactional: TransactionalWriteBack | None = (
            writeback if isinstance(writeback, TransactionalWriteBack) else None
        )
        # Sends what the rules changed to the CRMs after each step (None: leave it queued).
        self.drainer = drainer
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval
        # Seconds a batch's transaction may run before it commits what it has and goes on
        # in a new one: on SQLite the transaction holds the file's only write lock, and
        # intake (a web process storing events) waits for it.
        self.max_hold = max_hold
        # How many times max_hold it goes on while no other writer queues (_may_go_on).
        self.quiet_hold_factor = _QUIET_HOLD_FACTOR
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat: float | None = None  # time.monotonic() of the loop's last turn
        # Events the first load of a batch's transaction reads ahead (InboxWorker._preload).
        self._first_load = _PRELOAD_FIRST
        # The heartbeat row in the store (seen by /readyz of every process): who this
        # worker is, when it last wrote its row, and what it applied since.
        self.identity: WorkerIdentity | None = None
        self._stored_beat: float | None = None
        self._applied_since_beat = 0

    # --- one pass --------------------------------------------------------------------------

    def step(self) -> StepResult:
        """Claim one batch, apply it, settle outcomes whose hold period is over."""
        now = self.clock()
        result = StepResult()
        claim = self.inbox.claim_batch(now=now, limit=self.batch_size, lease=self.lease)
        claimed = claim.events
        # Events whose stored payload did not validate are already marked failed.
        result.claimed = len(claimed) + claim.invalid
        result.failed = claim.invalid
        if claimed:
            self._process_batch(claimed, now, result)
        result.settled = self.settle_due(now)
        if self.drainer is not None:
            result.written_back = self._write_back_pending()
        return result

    def _write_back_pending(self) -> int:
        """Send queued changes to the CRMs; a CRM being down must not stop the inbox."""
        assert self.drainer is not None
        try:
            return self.drainer.drain_once().written
        except RefnetError as exc:
            log.warning("write-back deferred: %s (%s)", type(exc).__name__, exc.exit_code)
            return 0

    def drain(self, *, max_steps: int = 1000) -> StepResult:
        """Step until nothing is claimable (for ``refnet worker --drain`` and tests)."""
        total = StepResult()
        failures = 0
        for _ in range(max_steps):
            try:
                step = self.step()
            except Exception as exc:  # e.g. the store busy beyond its timeout: try again
                failures += 1
                log.warning("inbox step failed", extra={"code": type(exc).__name__})
                if failures >= _DRAIN_MAX_FAILURES:
                    raise
                self._stop.wait(min(self.poll_interval, 1.0))
                continue
            failures = 0
            self.beat(step)
            for name in vars(total):
                setattr(total, name, getattr(total, name) + getattr(step, name))
            if step.idle:
                break
        self.retire()
        return total

    # --- heartbeat in the store ----------------------------------------------------------------

    def beat(self, result: StepResult | None = None, *, force: bool = False) -> None:
        """Write this worker's heartbeat row (at most once a second unless ``force``).

        A store that cannot be written now only delays the beat: the worker keeps going,
        and /readyz reports the stale heartbeat if it lasts.
        """
        if result is not None:
            self._applied_since_beat += result.done + result.ignored
        turned = time.monotonic()
        if not force and self._stored_beat is not None and turned - self._stored_beat < 1.0:
            return
        if self.identity is None:
            self.identity = WorkerIdentity.new(self.clock())
        try:
            beat(self.store, self.identity, now=self.clock(), applied=self._applied_since_beat)
        except Exception as exc:  # the store may be down or locked; try again next turn
            log.warning("worker heartbeat not written", extra={"code": type(exc).__name__})
            return
        self._stored_beat = turned
        self._applied_since_beat = 0

    def retire(self) -> None:
        """Remove this worker's heartbeat row when it stops cleanly."""
        if self.identity is None:
            return
        try:
            forget(self.store, self.identity)
        except Exception as exc:  # a stale row only shows the worker as stopped
            log.warning("worker heartbeat not removed", extra={"code": type(exc).__name__})
        self.identity = None
        self._stored_beat = None

    def _process_batch(
        self, claimed: list[ClaimedEvent], now: datetime, result: StepResult
    ) -> None:
        """Apply a claimed batch in one transaction, each event in a SAVEPOINT of its own.

        One commit per batch instead of one per event (on SQLite each commit is a sync of
        the file); a savepoint per event rolls back only the event that failed, which is
        then rejected or released for a retry while the rest of the batch commits. A batch
        that runs longer than ``max_hold`` commits what it has and goes on in a new
        transaction, so the write lock is never held long. If a transaction fails as a
        whole (the commit itself), nothing of it is applied and its events are released
        for a retry: exactly once still holds.
        """
        groups = [
            self._interpret(list(group))
            for _key, group in groupby(claimed, key=lambda c: c.object_key)
        ]
        # Members found busy (PostgreSQL): each next transaction of the batch takes them
        # first, so it never needs them backwards again (connector.store.member_locks).
        busy: set[str] = set()
        # Records are held back and sent together at the transaction's end; if that fails
        # (never expected: each held record's parents are checked as it is written), the
        # transaction's events are applied once more writing each record at once, so one
        # bad event is rejected alone rather than the batch retried.
        hold_records = True
        while groups:
            taken: list[ClaimedEvent] = []
            taken_groups: list[list[_Interpreted]] = []
            outcome = StepResult()
            after_commit: list[Callable[[], None]] = []
            try:
                with self.inbox.batch() as batch_tx:
                    opened = time.monotonic()
                    tx, groups = self._begin(batch_tx, groups, busy, hold_records=hold_records)
                    finished: list[ClaimedEvent] = []  # their leases closed at the end
                    ahead = 0  # groups whose lookups are loaded and not yet processed
                    # Events to load at once, doubled as the transaction goes on; at first
                    # as many as the last transaction got through (one load, not three).
                    load = self._first_load
                    while groups and (not taken or self._may_go_on(opened)):
                        if ahead == 0:
                            try:
                                ahead = self._preload(tx, groups, load)
                            except MemberBusy as exc:  # commit what is done, go on anew
                                busy.update(exc.member_ids)
                                break
                            load = min(2 * load, _PRELOAD_MOST)
                        group = groups.pop(0)
                        ahead -= 1
                        taken_groups.append(group)
                        taken.extend(claimed for claimed, _intents in group)
                        try:
                            self._process_group(tx, group, now, outcome, after_commit, finished)
                        except _MembersBusy as exc:  # not a failure: no attempt counted
                            busy.update(exc.member_ids)
                            groups.insert(0, exc.rest)
                            break
                    self._end(tx, finished, now, ran_out=bool(groups), took=len(taken))
            except Exception as exc:  # nothing of this transaction was committed
                if isinstance(exc, HeldWritesFailed) and hold_records:  # once more, at once
                    log.warning(
                        "inbox batch: held writes failed", extra={"code": "HeldWritesFailed"}
                    )
                    groups = taken_groups + groups
                    hold_records = False
                    continue
                log.exception("inbox batch failed", extra={"code": type(exc).__name__})
                outcome, after_commit = StepResult(), []
                if not taken:  # it failed before any event: release them all
                    taken = [claimed for group in groups for claimed, _intents in group]
                    groups = []
                for event in taken:
                    self._release(event, now, type(exc).__name__, outcome)
            for name in ("done", "ignored", "rejected", "retried", "failed"):
                setattr(result, name, getattr(result, name) + getattr(outcome, name))
            for action in after_commit:
                action()
            # Intake waiting for the write lock goes before this batch's next transaction.
            self.inbox.yield_write_lock()

    def _begin(
        self,
        batch_tx: Tx,
        groups: list[list[_Interpreted]],
        busy: set[str],
        *,
        hold_records: bool,
    ) -> tuple[CachingTx, list[list[_Interpreted]]]:
        """A batch transaction's start: its events' CRM objects held, on PostgreSQL the
        members found busy before held first, and the groups whose leases are still held."""
        tx = CachingTx(batch_tx.connection, hold_records=hold_records)
        self.inbox.lock_objects(tx, (claimed for group in groups for claimed, _intents in group))
        plan(tx)
        hold_members(tx, busy)
        return tx, self._leases_held(tx, groups)

    def _end(
        self,
        tx: CachingTx,
        finished: list[ClaimedEvent],
        now: datetime,
        *,
        ran_out: bool,
        took: int,
    ) -> None:
        """A batch transaction's end: the held-back writes sent, the finished events' leases
        closed in one statement, and how much the next transaction loads at first."""
        if ran_out:  # its time ran out: what fits in one transaction
            self._first_load = min(max(took, _PRELOAD_FIRST), _PRELOAD_MOST)
        else:  # it got through its batch (intake quiet): the next one loads once
            self._first_load = _PRELOAD_MOST
        tx.flush()
        self.inbox.finish_all(tx, finished, now=now)

    def _may_go_on(self, opened: float) -> bool:
        """Whether the batch's transaction takes another group of events.

        Up to ``max_hold``; past it only while no other writer (intake) queues for SQLite's
        write lock, up to ten times as long: each transaction costs a commit (a file sync),
        a pause for intake and loading its lookups again, and with intake quiet nobody
        gains from them. Intake arriving meanwhile waits no longer than before: the next
        group sees it queued and commits.

        On PostgreSQL nobody queues behind a batch: intake's inserts wait for no lock it
        holds (its rows and its objects' and members' advisory locks matter only to another
        worker on the same objects, which skips or waits for them either way). So it goes
        on as SQLite's does with intake quiet; cut at ``max_hold``, a transaction of ~9
        events spent most of its time loading lookups it then left unused (one worker:
        ~350 against ~1,250 events/s, BENCHMARKS.md).
        """
        held = time.monotonic() - opened
        if held < self.max_hold:
            return True
        if held >= self.max_hold * self.quiet_hold_factor:
            return False
        return self.inbox.dialect == "postgresql" or self.inbox.write_lock_wanted() is False

    def _leases_held(
        self, tx: CachingTx, groups: list[list[_Interpreted]]
    ) -> list[list[_Interpreted]]:
        """The groups without the events whose lease another worker took over meanwhile
        (checked once as the transaction begins, see :meth:`InboxStore.held_leases`)."""
        held = self.inbox.held_leases(tx, [claimed for group in groups for claimed, _ in group])
        kept: list[list[_Interpreted]] = []
        for group in groups:
            for claimed, _intents in group:
                if claimed.row_id not in held:
                    log.info("event lease lost", extra=_fields(claimed))
            mine = [item for item in group if item[0].row_id in held]
            if mine:
                kept.append(mine)
        return kept

    @staticmethod
    def _preload(tx: CachingTx, groups: list[list[_Interpreted]], load: int) -> int:
        """Load what the next groups' events (about ``load``) will look up; how many groups.

        Not the whole claim at once: a batch that runs past ``max_hold`` goes on in a new
        transaction, which loads again what the last one loaded and did not reach (under
        load, most of it). Doubling the amount per load bounds that waste to what was used.
        """
        count = 0
        events: list[tuple[InboundEvent, list[Intent]]] = []
        for group in groups:
            count += 1
            events.extend(
                (claimed.event, intents)
                for claimed, intents in group
                if not isinstance(intents, Exception)
            )
            if len(events) >= load:
                break
        preload(tx, events)
        stop_waiting(tx)  # its events write next (connector.store.member_locks)
        return count

    def _interpret(self, group: list[ClaimedEvent]) -> list[_Interpreted]:
        """Each event's intents, or why they could not be read (the pipelines, say)."""
        interpreted: list[_Interpreted] = []
        for claimed in group:
            try:
                stages = self.stage_outcomes.get(claimed.event.provider)
                interpreted.append((claimed, interpret(claimed.event, self.event_rules, stages)))
            except Exception as exc:  # released (for a retry later) in the batch
                interpreted.append((claimed, exc))
        return interpreted

    def _process_group(
        self,
        tx: CachingTx,
        group: list[_Interpreted],
        now: datetime,
        result: StepResult,
        after_commit: list[Callable[[], None]],
        finished: list[ClaimedEvent],
    ) -> None:
        # Already sorted by occurrence time; only the latest outcome of a deal counts. A deal
        # is known by its account (HubSpot portal, Salesforce org) and id: ids repeat across
        # portals.
        interpreted: list[tuple[ClaimedEvent, list[Intent]]] = []
        for claimed, intents in group:
            if isinstance(intents, Exception):  # the pipelines could not be read: try later
                self._release(claimed, now, type(intents).__name__, result, tx=tx)
            else:
                interpreted.append((claimed, intents))
        latest: dict[tuple[str, str], datetime] = {}
        for claimed, intents in interpreted:
            for intent in intents:
                if isinstance(intent, DealClosed):
                    key = (claimed.event.account_id or "", intent.deal_id)
                    seen = latest.get(key)
                    if seen is None or claimed.event.occurred_at > seen:
                        latest[key] = claimed.event.occurred_at
        for index, (claimed, intents) in enumerate(interpreted):
            account = claimed.event.account_id or ""
            superseded = frozenset(
                i.deal_id
                for i in intents
                if isinstance(i, DealClosed)
                and claimed.event.occurred_at < latest[(account, i.deal_id)]
            )
            try:
                self._process(tx, claimed, intents, superseded, now, result, after_commit, finished)
            except MemberBusy as exc:  # rolled back alone; the rest keep their order
                raise _MembersBusy(exc.member_ids, list(interpreted[index:])) from exc

    def _finish_without_change(
        self,
        tx: CachingTx,
        claimed: ClaimedEvent,
        status: str,
        outcome: str,
        finished: list[ClaimedEvent],
    ) -> None:
        """Record a final outcome with no domain change (its lease is closed with the
        batch's, :meth:`InboxStore.finish_all`)."""
        with tx.savepoint():
            self.inbox.set_outcome(tx, claimed, status=status, outcome=outcome)
        finished.append(claimed)

    def _process(
        self,
        tx: CachingTx,
        claimed: ClaimedEvent,
        intents: list[Intent],
        superseded: frozenset[str],
        now: datetime,
        result: StepResult,
        after_commit: list[Callable[[], None]],
        finished: list[ClaimedEvent],
    ) -> None:
        event = claimed.event
        started = time.monotonic()
        if not intents:
            note = f"nothing to do for {event.event_type}"
            self._finish_without_change(tx, claimed, "ignored", note, finished)
            result.ignored += 1
            after_commit.append(lambda: _log_finished(claimed, "ignored", started))
            return
        transactional = self._transactional is not None
        try:
            # Rolled back alone if anything in it fails; the batch goes on.
            # The event's CRM object is held since the transaction began (lock_objects).
            with tx.savepoint():
                applied = apply_intents(
                    tx,
                    event,
                    intents,
                    rules=self.rules,
                    event_rules=self.event_rules,
                    now=now,
                    superseded=superseded,
                )
                status = "done" if applied.acted else "ignored"
                self.inbox.set_outcome(tx, claimed, status=status, outcome="; ".join(applied.notes))
                if transactional and applied.changed:
                    self._write_back_in(tx, applied, event.event_type, event.ref)
        # Not this event's failure: MemberBusy goes on in a new transaction, HeldWritesFailed
        # is the transaction's (see _process_batch).
        except (MemberBusy, HeldWritesFailed):
            raise
        except _FINAL_ERRORS as exc:
            outcome = f"rejected: {type(exc).__name__}"
            if not isinstance(exc, ValidationError):  # its text would quote CRM values
                outcome += f": {exc}"
            self._finish_without_change(tx, claimed, "rejected", outcome, finished)
            result.rejected += 1
            log.warning(
                "event rejected by the rules",
                extra={**_fields(claimed), "status": "rejected", "code": type(exc).__name__},
            )
            return
        except Exception as exc:  # any other failure is retried, then parked
            self._release(claimed, now, type(exc).__name__, result, tx=tx)
            return
        finished.append(claimed)
        if status == "done":
            result.done += 1
        else:
            result.ignored += 1
        after_commit.append(lambda: _log_finished(claimed, status, started))
        if not transactional and applied.changed and self.writeback is not None:
            writeback = self.writeback
            after_commit.append(
                lambda: writeback.records_changed(
                    list(applied.changed), reason=event.event_type, event_ref=event.ref
                )
            )

    def _write_back_in(self, tx: Tx, applied: Applied, reason: str, event_ref: str) -> None:
        assert self._transactional is not None
        self._transactional.records_changed_in(
            tx, list(applied.changed), reason=reason, event_ref=event_ref
        )

    def _release(
        self,
        claimed: ClaimedEvent,
        now: datetime,
        code: str,
        result: StepResult,
        *,
        tx: CachingTx | None = None,
    ) -> None:
        final = claimed.attempts >= self.max_attempts
        # Back-off doubles per attempt, capped at one hour.
        delay = timedelta(seconds=min(2 ** min(claimed.attempts, 12), 3600))
        try:
            if tx is None:
                self._release_now(claimed, now, code, final, delay)
            else:
                with tx.savepoint():
                    self._release_now(claimed, now, code, final, delay, tx=tx)
        except Exception:  # the lease runs out and the event is retried anyway
            log.exception("could not release event", extra=_fields(claimed))
        log.error(
            "event processing failed",
            extra={
                **_fields(claimed),
                "status": "failed" if final else "retry",
                "code": code,
                "attempt": claimed.attempts,
                "final": final,
            },
        )
        if final:
            result.failed += 1
        else:
            result.retried += 1

    def _release_now(
        self,
        claimed: ClaimedEvent,
        now: datetime,
        code: str,
        final: bool,
        delay: timedelta,
        *,
        tx: Tx | None = None,
    ) -> None:
        self.inbox.release(
            claimed,
            now=now,
            outcome=f"error: {code} (attempt {claimed.attempts})",
            retry_at=None if final else now + delay,
            tx=tx,
        )

    # --- held outcomes ---------------------------------------------------------------------

    def settle_due(self, now: datetime, *, limit: int = 100) -> int:
        """Apply deal outcomes whose hold period has ended; returns how many were settled."""
        table = deal_outcomes
        with self.store.reading() as tx:
            due = tx.connection.execute(
                select(table.c.provider, table.c.account_id, table.c.deal_id, table.c.occurred_at)
                .where(table.c.settled_at.is_(None), table.c.due_at <= now)
                .order_by(table.c.due_at)
                .limit(limit)
            ).all()
        settled = 0
        for provider, account_id, deal_id, occurred_at in due:
            deal = DealKey(provider, account_id, deal_id)
            try:
                settled += self._settle_one(deal, occurred_at, now)
            except MemberBusy:  # rolled back, still due: settled on a later pass
                log.info("held outcome deferred: member busy", extra={"deal": deal_id})
            except _FINAL_ERRORS as exc:
                log.warning(
                    "held outcome rejected", extra={"deal": deal_id, "code": type(exc).__name__}
                )
                self._mark_settled(deal, occurred_at, now)
        return settled

    def _settle_one(self, deal: DealKey, occurred_at: datetime, now: datetime) -> int:
        table = deal_outcomes
        with self.store.transaction() as tx:
            stop_waiting(tx)  # a busy member: rolled back, settled on a later pass
            # Claim the settlement first (and with it SQLite's write lock); an outcome
            # replaced or settled meanwhile by another worker is left alone.
            claimed = tx.connection.execute(
                update(table)
                .where(
                    deal.matches(table),
                    table.c.occurred_at == occurred_at,
                    table.c.settled_at.is_(None),
                )
                .values(settled_at=now)
            )
            if claimed.rowcount != 1:
                return 0
            applied = Applied()
            settle_outcome(
                tx,
                deal=deal,
                rules=self.rules,
                event_rules=self.event_rules,
                now=now,
                applied=applied,
            )
            event_ref = tx.connection.execute(
                select(table.c.event_ref).where(deal.matches(table))
            ).scalar_one()
            if isinstance(self.writeback, TransactionalWriteBack) and applied.changed:
                self.writeback.records_changed_in(
                    tx, list(applied.changed), reason="hold period ended", event_ref=event_ref
                )
        if (
            not isinstance(self.writeback, TransactionalWriteBack)
            and applied.changed
            and self.writeback is not None
        ):
            self.writeback.records_changed(
                list(applied.changed), reason="hold period ended", event_ref=event_ref
            )
        return 1

    def _mark_settled(self, deal: DealKey, occurred_at: datetime, now: datetime) -> None:
        table = deal_outcomes
        with self.store.transaction() as tx:
            tx.connection.execute(
                update(table)
                .where(deal.matches(table), table.c.occurred_at == occurred_at)
                .values(settled_at=now)
            )

    # --- running on a thread -----------------------------------------------------------------

    def wake(self) -> None:
        """Ask the loop to look at the inbox now (called after events were received)."""
        self._wake.set()

    def run(self) -> None:
        """Step until :meth:`stop`; waits ``poll_interval`` (or a wake-up) when idle."""
        self.beat(force=True)
        while not self._stop.is_set():
            self._heartbeat = time.monotonic()
            try:
                result = self.step()
            except Exception:  # the store may be down; keep polling
                log.exception("inbox step failed")
                result = StepResult()
            self.beat(result)
            if result.idle:
                self._wake.wait(self.poll_interval)
                self._wake.clear()
        self.retire()

    def heartbeat_age(self) -> float | None:
        """Seconds since the loop last turned; None if it is not running on a thread."""
        if self._thread is None or not self._thread.is_alive() or self._heartbeat is None:
            return None
        return time.monotonic() - self._heartbeat

    def start(self) -> threading.Thread:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run, name="refnet-inbox", daemon=True)
            self._thread.start()
        return self._thread

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
