"""Looking after the inbox by hand: list, show, retry and discard events (``refnet inbox``).

A retried event goes back to ``pending`` with its attempts reset and is then claimed,
leased and finished by the worker like any new event, so retrying uses the same
exactly-once path; an event already ``done`` can never be retried. Every retry and discard
is written to the audit log in the same transaction as the status change (kind
``inbox_event``, the row id as record, the event's ``provider:event_id`` as event ref).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, insert, or_, select, update

from connector.errors import IllegalTransition, NotFoundError
from connector.inbox.payloads import PayloadError, decode_payload
from connector.inbox.schema import webhook_inbox
from connector.store import Store
from connector.store.schema import audit_log

__all__ = [
    "DISCARDABLE",
    "RETRYABLE",
    "STATUSES",
    "InboxEntry",
    "discard_events",
    "get_entry",
    "list_entries",
    "retry_events",
]

_T = webhook_inbox
STATUSES = ("pending", "done", "ignored", "rejected", "failed", "discarded")
# Nothing was applied for these, so applying them now cannot apply anything twice.
RETRYABLE = ("failed", "rejected", "ignored", "discarded")
DISCARDABLE = ("pending", "failed", "rejected")
AUDIT_KIND = "inbox_event"


@dataclass(frozen=True)
class InboxEntry:
    id: int
    provider: str
    event_id: str
    event_type: str
    object_type: str
    object_id: str
    status: str
    outcome: str | None
    attempts: int
    occurred_at: datetime
    received_at: datetime
    available_at: datetime
    processed_at: datetime | None
    # The normalised event (CRM field values, never headers); only ``show`` has it.
    payload: dict[str, Any] | None = None

    @property
    def ref(self) -> str:
        return f"{self.provider}:{self.event_id}"


_COLUMNS = [c for c in _T.c if c.name not in {"payload", "lease_token", "lease_until"}]


def _entry(row: Any, *, payload: bool = False) -> InboxEntry:
    values = {c.name: getattr(row, c.name) for c in _COLUMNS}
    return InboxEntry(**values, payload=row.payload if payload else None)


def _filtered(
    query: Select[Any],
    *,
    statuses: Sequence[str],
    provider: str | None,
    older_than: timedelta | None,
    now: datetime,
) -> Select[Any]:
    if statuses:
        query = query.where(_T.c.status.in_(statuses))
    if provider is not None:
        query = query.where(_T.c.provider == provider)
    if older_than is not None:
        query = query.where(_T.c.received_at <= now - older_than)
    return query


def list_entries(
    store: Store,
    *,
    now: datetime,
    statuses: Sequence[str] = (),
    provider: str | None = None,
    older_than: timedelta | None = None,
    limit: int = 100,
) -> list[InboxEntry]:
    """Events matching every filter given, oldest first."""
    query = _filtered(
        select(*_COLUMNS), statuses=statuses, provider=provider, older_than=older_than, now=now
    )
    with store.reading() as tx:
        rows = tx.connection.execute(query.order_by(_T.c.id).limit(limit)).all()
    return [_entry(row) for row in rows]


def get_entry(store: Store, entry_id: int) -> InboxEntry:
    with store.reading() as tx:
        row = tx.connection.execute(
            select(*_COLUMNS, _T.c.payload).where(_T.c.id == entry_id)
        ).first()
    if row is None:
        raise NotFoundError("inbox event", str(entry_id))
    entry = _entry(row, payload=True)
    # The neutral event, whichever shape was stored (intake stores HubSpot events as sent);
    # an event that does not validate is shown as stored, so the bad field can be seen.
    try:
        event = decode_payload(row.payload, provider=row.provider, event_id=row.event_id)
    except PayloadError:
        return entry
    return replace(entry, payload=event.model_dump(mode="json"))


def _change_status(
    store: Store,
    entry_ids: Sequence[int],
    *,
    to: str,
    allowed_from: Sequence[str],
    values: dict[str, Any],
    actor: str,
    reason: str,
    now: datetime,
) -> list[InboxEntry]:
    """Move each event to ``to``, all or nothing; raises before writing if one may not move."""
    changed: list[InboxEntry] = []
    with store.transaction() as tx:
        for entry_id in dict.fromkeys(entry_ids):
            row = tx.connection.execute(
                select(*_COLUMNS, _T.c.lease_until).where(_T.c.id == entry_id)
            ).first()
            if row is None:
                raise NotFoundError("inbox event", str(entry_id))
            entry = _entry(row)
            leased = row.lease_until is not None and row.lease_until >= now
            if entry.status not in allowed_from or leased:
                raise IllegalTransition(
                    "inbox event",
                    str(entry_id),
                    entry.status + (" (claimed by a worker now)" if leased else ""),
                    to,
                    list(allowed_from),
                )
            # Conditional on the status read above: a worker finishing it meanwhile wins.
            result = tx.connection.execute(
                update(_T)
                .where(_T.c.id == entry_id, _T.c.status == entry.status)
                .where(or_(_T.c.lease_until.is_(None), _T.c.lease_until < now))
                .values(status=to, **values)
            )
            if result.rowcount != 1:
                raise IllegalTransition(
                    "inbox event", str(entry_id), "changed meanwhile", to, list(allowed_from)
                )
            tx.connection.execute(
                insert(audit_log).values(
                    at=now,
                    actor=actor,
                    kind=AUDIT_KIND,
                    record_id=str(entry_id),
                    field="status",
                    old_value=entry.status,
                    new_value=to,
                    reason=reason,
                    event_ref=entry.ref[:255],
                )
            )
            changed.append(entry)
    return changed


def retry_events(
    store: Store, entry_ids: Sequence[int], *, actor: str, reason: str, now: datetime
) -> list[InboxEntry]:
    """Re-queue events (failed, rejected, ignored or discarded) for the worker, audited."""
    values = {
        "attempts": 0,
        "available_at": now,
        "processed_at": None,
        "lease_token": None,
        "lease_until": None,
        "outcome": f"re-queued by {actor}",
    }
    return _change_status(
        store,
        entry_ids,
        to="pending",
        allowed_from=RETRYABLE,
        values=values,
        actor=actor,
        reason=reason,
        now=now,
    )


def discard_events(
    store: Store, entry_ids: Sequence[int], *, actor: str, reason: str, now: datetime
) -> list[InboxEntry]:
    """Set events aside for good (kept in the inbox, never processed), audited."""
    values = {"processed_at": now, "outcome": f"discarded by {actor}: {reason}"[:500]}
    return _change_status(
        store,
        entry_ids,
        to="discarded",
        allowed_from=DISCARDABLE,
        values=values,
        actor=actor,
        reason=reason,
        now=now,
    )
