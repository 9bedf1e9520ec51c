"""Write-back of changed records to the CRMs: the protocol the webhook worker calls.

After the worker has applied an event it names every record the rules changed. The
durable implementation, :class:`OutboxWriteBack`, appends them to the ``writeback_outbox``
table in the *same* transaction as the change, so a change without its write-back entry
cannot exist; the sync engine drains the outbox with :func:`pending_writebacks` and
:func:`mark_written`. Other implementations (a direct sync trigger, a test double) are
called after the change has committed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Engine, insert, select, text, update

from connector.inbox.schema import writeback_outbox
from connector.model import utcnow
from connector.store import Store, Tx

__all__ = [
    "OutboxClaim",
    "OutboxEntry",
    "OutboxWriteBack",
    "RecordKey",
    "TransactionalWriteBack",
    "WriteBack",
    "claim_writebacks",
    "mark_written",
    "pending_writebacks",
]

# (record kind as in connector.store.KINDS, refnet id), e.g. ("referral", "ref-1").
RecordKey = tuple[str, str]


class WriteBack(Protocol):
    """Receives the records the rules changed, once the change is committed."""

    def records_changed(
        self, keys: Sequence[RecordKey], *, reason: str = "", event_ref: str | None = None
    ) -> None: ...


@runtime_checkable
class TransactionalWriteBack(Protocol):
    """A write-back that can record inside the transaction of the change itself."""

    def records_changed(
        self, keys: Sequence[RecordKey], *, reason: str = "", event_ref: str | None = None
    ) -> None: ...

    def records_changed_in(
        self, tx: Tx, keys: Sequence[RecordKey], *, reason: str, event_ref: str | None
    ) -> None: ...


_OUTBOX_INSERT = insert(writeback_outbox)


def _unique(keys: Iterable[RecordKey]) -> list[RecordKey]:
    return list(dict.fromkeys(keys))


class OutboxWriteBack:
    """Pending write-backs as rows of ``writeback_outbox`` (kind, record id, reason, event)."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock

    def records_changed(
        self, keys: Sequence[RecordKey], *, reason: str = "", event_ref: str | None = None
    ) -> None:
        with self.store.transaction() as tx:
            self.records_changed_in(tx, keys, reason=reason, event_ref=event_ref)

    def records_changed_in(
        self, tx: Tx, keys: Sequence[RecordKey], *, reason: str, event_ref: str | None
    ) -> None:
        # Deferred: a batch of events sends its outbox rows together, in its transaction;
        # nothing reads them back before the commit.
        for kind, record_id in _unique(keys):
            tx.defer(
                _OUTBOX_INSERT,
                {
                    "kind": kind,
                    "record_id": record_id,
                    "reason": reason or "changed",
                    "event_ref": event_ref,
                    "created_at": self.clock(),
                },
            )


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    record_id: str
    reason: str
    event_ref: str | None
    created_at: datetime


def _pending_query(limit: int) -> Any:
    table = writeback_outbox
    return select(table).where(table.c.processed_at.is_(None)).order_by(table.c.id).limit(limit)


def _entries(rows: Iterable[Any]) -> list[OutboxEntry]:
    return [
        OutboxEntry(
            id=row["id"],
            kind=row["kind"],
            record_id=row["record_id"],
            reason=row["reason"],
            event_ref=row["event_ref"],
            created_at=row["created_at"],
        )
        for row in rows
    ]


def pending_writebacks(store: Store, *, limit: int = 500) -> list[OutboxEntry]:
    """The oldest entries not yet written back, in the order they were recorded."""
    with store.reading() as tx:
        return _entries(tx.connection.execute(_pending_query(limit)).mappings().all())


@dataclass
class OutboxClaim:
    """Pending entries one drainer holds; :meth:`mark_written` settles them once sent."""

    entries: list[OutboxEntry]
    _mark: Callable[[list[int]], int] = field(repr=False)

    def mark_written(self) -> int:
        return self._mark([entry.id for entry in self.entries])


# A fixed key of a PostgreSQL advisory lock: one outbox drain at a time across processes.
_DRAIN_LOCK_KEY = 0x7265666E65740001  # "refnet" + 1
_SQLITE_DRAIN_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_SQLITE_GUARD = threading.Lock()


@contextmanager
def claim_writebacks(store: Store, *, limit: int = 500) -> Iterator[OutboxClaim | None]:
    """Hold the oldest pending entries for one drain; ``None`` if another drainer is busy.

    A drain runs the sync engine for whole object kinds, so two drains at once would only
    send the same records twice: the claim is exclusive, and a worker that finds it taken
    skips its drain (the entries stay pending for the holder or the next pass).

    On PostgreSQL the claim is a transaction holding a transaction-level advisory lock and
    the entries' rows (``FOR UPDATE SKIP LOCKED``); it ends, and the entries are marked,
    when the block ends, and a worker that dies mid-drain releases both with its
    connection. SQLite has a single writer and the sync needs it, so there the claim is a
    lock per engine in this process (SQLite stores serve one process's workers).
    """
    if store.engine.dialect.name == "postgresql":
        with store.transaction() as tx:
            held = tx.connection.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _DRAIN_LOCK_KEY}
            ).scalar_one()
            if not held:
                yield None
                return
            rows = tx.connection.execute(
                _pending_query(limit).with_for_update(skip_locked=True)
            ).mappings()
            yield OutboxClaim(_entries(rows), lambda ids: _mark(tx.connection, ids, utcnow()))
        return
    with _SQLITE_GUARD:
        lock = _SQLITE_DRAIN_LOCKS.setdefault(store.engine, threading.Lock())
    if not lock.acquire(blocking=False):
        yield None
        return
    try:
        yield OutboxClaim(
            pending_writebacks(store, limit=limit), lambda ids: mark_written(store, ids)
        )
    finally:
        lock.release()


def _mark(connection: Any, ids: list[int], at: datetime) -> int:
    if not ids:
        return 0
    table = writeback_outbox
    result = connection.execute(
        update(table)
        .where(table.c.id.in_(ids), table.c.processed_at.is_(None))
        .values(processed_at=at)
    )
    return int(result.rowcount)


def mark_written(store: Store, entry_ids: Iterable[int], *, at: datetime | None = None) -> int:
    """Mark entries as written back (after the CRM confirmed); returns how many were open."""
    ids = list(entry_ids)
    if not ids:
        return 0
    with store.transaction() as tx:
        return _mark(tx.connection, ids, at or utcnow())
