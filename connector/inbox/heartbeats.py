"""Worker heartbeats in the store: who processes the inbox, where, and when it last did.

A worker's liveness used to be a field of the thread running it, which only the web process
hosting that thread could see; a `refnet worker` process was invisible to `/readyz`. Each
worker (thread or process) now upserts one row of ``inbox_workers`` as its loop turns, so
any process reading the store can tell whether someone is working the inbox.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from connector.inbox.schema import inbox_workers
from connector.store import Store, Tx

__all__ = ["WorkerBeat", "WorkerIdentity", "beat", "forget", "freshest_beat", "list_workers"]

_T = inbox_workers


@dataclass(frozen=True)
class WorkerIdentity:
    """One worker: a fresh id per start, so a restarted worker is a new row."""

    worker_id: str
    host: str
    pid: int
    started_at: datetime

    @classmethod
    def new(cls, started_at: datetime) -> WorkerIdentity:
        host = socket.gethostname()[:255]
        return cls(
            f"{host[:40]}-{os.getpid()}-{secrets.token_hex(4)}", host, os.getpid(), started_at
        )


@dataclass(frozen=True)
class WorkerBeat:
    worker_id: str
    host: str
    pid: int
    started_at: datetime
    last_beat_at: datetime
    events_applied: int

    def age_seconds(self, now: datetime) -> float:
        return max((now - self.last_beat_at).total_seconds(), 0.0)


def beat(store: Store, worker: WorkerIdentity, *, now: datetime, applied: int = 0) -> None:
    """Record that ``worker`` is alive at ``now`` and has applied ``applied`` more events."""
    values = {"last_beat_at": now, "events_applied": _T.c.events_applied + applied}
    with store.transaction() as tx:
        dialect = tx.connection.dialect.name
        row = {
            "worker_id": worker.worker_id,
            "host": worker.host,
            "pid": worker.pid,
            "started_at": worker.started_at,
            "last_beat_at": now,
            "events_applied": applied,
        }
        if dialect in ("sqlite", "postgresql"):
            module: Any = sqlite if dialect == "sqlite" else postgresql
            statement = module.insert(_T).values(**row)
            tx.connection.execute(
                statement.on_conflict_do_update(index_elements=["worker_id"], set_=values)
            )
            return
        _beat_portable(tx, worker, row, values)


def _beat_portable(
    tx: Tx, worker: WorkerIdentity, row: dict[str, Any], values: dict[str, Any]
) -> None:
    updated = tx.connection.execute(
        update(_T).where(_T.c.worker_id == worker.worker_id).values(**values)
    )
    if updated.rowcount == 0:
        tx.connection.execute(_T.insert().values(**row))


def forget(store: Store, worker: WorkerIdentity) -> None:
    """Remove a worker that stopped cleanly (a killed one stays, and shows as stale)."""
    with store.transaction() as tx:
        tx.connection.execute(delete(_T).where(_T.c.worker_id == worker.worker_id))


def freshest_beat(store: Store) -> datetime | None:
    """When any worker last beat; None when no worker ever did."""
    with store.reading() as tx:
        # ORDER BY … LIMIT 1 rather than MAX(): the column's type (aware UTC) applies, and
        # the index on last_beat_at serves it.
        return tx.connection.execute(
            select(_T.c.last_beat_at).order_by(_T.c.last_beat_at.desc()).limit(1)
        ).scalar()


def list_workers(
    store: Store, *, now: datetime, within: timedelta | None = None
) -> list[WorkerBeat]:
    """Known workers, freshest first; ``within`` keeps only those that beat that recently."""
    query = select(_T).order_by(_T.c.last_beat_at.desc(), _T.c.worker_id)
    if within is not None:
        query = query.where(_T.c.last_beat_at >= now - within)
    with store.reading() as tx:
        rows = tx.connection.execute(query).mappings().all()
    return [WorkerBeat(**dict(row)) for row in rows]
