"""Run history for admins: what each sync planned, sent, and which records failed and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from connector.errors import NotFoundError
from connector.store import Store
from connector.sync.schema import sync_failures, sync_runs, sync_state

__all__ = ["Failure", "RunRecord", "get_run", "list_runs", "rejected_records"]


@dataclass(frozen=True)
class RunRecord:
    id: int
    target: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    dry_run: bool
    full: bool
    objects: list[str]
    planned: int
    sent: int
    succeeded: int
    failed: int
    skipped: int
    api_calls: int
    stop_reason: str | None
    pulled: int
    removed: int

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class Failure:
    object_name: str
    record_id: str
    code: str | None
    message: str | None
    at: datetime


def list_runs(store: Store, *, limit: int = 20) -> list[RunRecord]:
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
        ).mappings()
        return [RunRecord(**row) for row in rows]


def get_run(store: Store, run_id: int) -> tuple[RunRecord, list[Failure]]:
    with store.reading() as tx:
        row = (
            tx.connection.execute(select(sync_runs).where(sync_runs.c.id == run_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFoundError("sync run", str(run_id))
        failures = tx.connection.execute(
            select(sync_failures)
            .where(sync_failures.c.run_id == run_id)
            .order_by(sync_failures.c.object_name, sync_failures.c.record_id)
        ).mappings()
        return RunRecord(**row), [
            Failure(f["object_name"], f["record_id"], f["code"], f["message"], f["at"])
            for f in failures
        ]


def rejected_records(store: Store, target: str) -> list[Failure]:
    """Records whose last write failed, with the CRM's reason: the rejected-records report."""
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(sync_state)
            .where(sync_state.c.target == target, sync_state.c.status == "failed")
            .order_by(sync_state.c.object_name, sync_state.c.record_id)
        ).mappings()
        return [
            Failure(
                r["object_name"],
                r["record_id"],
                r["error_code"],
                r["error_message"],
                r["updated_at"],
            )
            for r in rows
        ]
