"""Write-back of changed records to the CRMs: the protocol the webhook worker calls.

After the worker has applied an event it names every record the rules changed. The
durable implementation, :class:`OutboxWriteBack`, appends them to the ``writeback_outbox``
table in the *same* transaction as the change, so a change without its write-back entry
cannot exist; the sync engine drains the outbox with :func:`pending_writebacks` and
:func:`mark_written`. Other implementations (a direct sync trigger, a test double) are
called after the change has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import insert, select, update

from connector.inbox.schema import writeback_outbox
from connector.model import utcnow
from connector.store import Store, Tx

__all__ = [
    "OutboxEntry",
    "OutboxWriteBack",
    "RecordKey",
    "TransactionalWriteBack",
    "WriteBack",
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
        rows = [
            {
                "kind": kind,
                "record_id": record_id,
                "reason": reason or "changed",
                "event_ref": event_ref,
                "created_at": self.clock(),
            }
            for kind, record_id in _unique(keys)
        ]
        if rows:
            tx.connection.execute(insert(writeback_outbox), rows)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    record_id: str
    reason: str
    event_ref: str | None
    created_at: datetime


def pending_writebacks(store: Store, *, limit: int = 500) -> list[OutboxEntry]:
    """The oldest entries not yet written back, in the order they were recorded."""
    table = writeback_outbox
    query = select(table).where(table.c.processed_at.is_(None)).order_by(table.c.id).limit(limit)
    with store.reading() as tx:
        rows = tx.connection.execute(query).mappings().all()
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


def mark_written(store: Store, entry_ids: Iterable[int], *, at: datetime | None = None) -> int:
    """Mark entries as written back (after the CRM confirmed); returns how many were open."""
    ids = list(entry_ids)
    if not ids:
        return 0
    table = writeback_outbox
    with store.transaction() as tx:
        result = tx.connection.execute(
            update(table)
            .where(table.c.id.in_(ids), table.c.processed_at.is_(None))
            .values(processed_at=at or utcnow())
        )
    return int(result.rowcount)
