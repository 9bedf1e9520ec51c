"""Reading and writing the sync engine's per-record state and run records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, tuple_, update

from connector.crm import RecordOutcome
from connector.model import utcnow
from connector.sync.schema import sync_failures, sync_runs, sync_state, sync_watermarks

# States of records the CRM holds because of refnet (confirmed, or at least attempted).
LIVE = ("synced", "failed")

__all__ = ["LIVE", "RecordState", "RunCounts", "StateStore"]


@dataclass(frozen=True)
class RecordState:
    record_id: str
    content_hash: str | None
    fields: dict[str, Any] | None
    crm_id: str | None
    status: str
    failed_hash: str | None
    attempts: int
    error_code: str | None
    error_message: str | None


@dataclass
class RunCounts:
    planned: int = 0
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    api_calls: int = 0
    pulled: int = 0  # records whose CRM-owned fields changed refnet's copy
    removed: int = 0  # CRM records archived or deleted because refnet no longer has them

    def as_row(self) -> dict[str, int]:
        return {
            "planned": self.planned,
            "sent": self.sent,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "skipped": self.skipped,
            "api_calls": self.api_calls,
            "pulled": self.pulled,
            "removed": self.removed,
        }


class StateStore:
    """Sync state of one target on one connection."""

    def __init__(self, connection: Connection, target: str) -> None:
        self.connection = connection
        self.target = target

    def mark_stale(self, object_name: str, record_id: str) -> None:
        """The CRM no longer holds what refnet last wrote: the next push sends the record.

        A confirmed content of "" matches no digest, so the diff plans an update.
        """
        self.connection.execute(
            update(sync_state)
            .where(
                sync_state.c.target == self.target,
                sync_state.c.object_name == object_name,
                sync_state.c.record_id == record_id,
            )
            .values(content_hash="")
        )

    def states(self, object_name: str, record_ids: Sequence[str]) -> dict[str, RecordState]:
        query = select(sync_state).where(
            sync_state.c.target == self.target,
            sync_state.c.object_name == object_name,
            sync_state.c.record_id.in_(list(record_ids)),
        )
        found: dict[str, RecordState] = {}
        for row in self.connection.execute(query).mappings():
            found[row["record_id"]] = RecordState(
                **{k: row[k] for k in RecordState.__dataclass_fields__}
            )
        return found

    def states_between(
        self, object_name: str, after: str | None, upto: str | None, *, with_fields: bool = True
    ) -> dict[str, RecordState]:
        """States of records with ids in ``(after, upto]`` (open ends when ``None``).

        The engine reads the states of a whole id range rather than of a page's ids, so the
        same query also finds records the CRM holds that refnet no longer has.
        """
        # Only what deciding needs: the confirmed fields are JSON to decode (only a dry
        # run's diffs need them) and the last error is only for reports.
        skipped = {"error_code", "error_message"} | (set() if with_fields else {"fields"})
        wanted = set(RecordState.__dataclass_fields__) - skipped
        columns = [c for c in sync_state.c if c.name in wanted]
        query = select(*columns).where(
            sync_state.c.target == self.target, sync_state.c.object_name == object_name
        )
        if after is not None:
            query = query.where(sync_state.c.record_id > after)
        if upto is not None:
            query = query.where(sync_state.c.record_id <= upto)
        names = [c.name for c in columns]
        found: dict[str, RecordState] = {}
        for row in self.connection.execute(query):
            values: dict[str, Any] = dict.fromkeys(RecordState.__dataclass_fields__)
            values.update(zip(names, row, strict=True))
            found[values["record_id"]] = RecordState(**values)
        return found

    def record_removals(
        self, object_name: str, outcomes: Iterable[RecordOutcome], status: str, run_id: int
    ) -> int:
        """Mark removed records ``status`` (archived/deleted); failures keep their old state.

        A removed record has no diff baseline: if it comes back it is sent again whole.
        Returns how many were removed.
        """
        now = utcnow()
        removed = 0
        for outcome in outcomes:
            where = tuple_(
                sync_state.c.target, sync_state.c.object_name, sync_state.c.record_id
            ) == (self.target, object_name, outcome.key)
            if outcome.ok:
                removed += 1
                values: dict[str, Any] = {
                    "status": status,
                    "content_hash": None,
                    "fields": None,
                    "failed_hash": None,
                    "attempts": 0,
                    "error_code": None,
                    "error_message": None,
                    "updated_at": now,
                }
                if status == "deleted":
                    values["crm_id"] = None
                self.connection.execute(update(sync_state).where(where).values(**values))
            else:
                self.connection.execute(
                    insert(sync_failures).values(
                        run_id=run_id,
                        object_name=object_name,
                        record_id=outcome.key,
                        code=outcome.code,
                        message=f"removing: {outcome.message}",
                        at=now,
                    )
                )
        return removed

    def record_failure(
        self, run_id: int, object_name: str, record_id: str, code: str, message: str
    ) -> None:
        """A failure that belongs to no push (a pulled value refnet cannot take)."""
        self.connection.execute(
            insert(sync_failures).values(
                run_id=run_id,
                object_name=object_name,
                record_id=record_id,
                code=code,
                message=message,
                at=utcnow(),
            )
        )

    def watermark(self, object_name: str) -> datetime | None:
        """Where the last pull of ``object_name``'s CRM-owned fields stopped."""
        row = self.connection.execute(
            select(sync_watermarks.c.pulled_until).where(
                sync_watermarks.c.target == self.target,
                sync_watermarks.c.object_name == object_name,
            )
        ).first()
        return None if row is None else row[0]

    def set_watermark(self, object_name: str, pulled_until: datetime) -> None:
        values = {"pulled_until": pulled_until, "updated_at": utcnow()}
        changed = self.connection.execute(
            update(sync_watermarks)
            .where(
                sync_watermarks.c.target == self.target,
                sync_watermarks.c.object_name == object_name,
            )
            .values(**values)
        )
        if changed.rowcount == 0:
            self.connection.execute(
                insert(sync_watermarks).values(
                    target=self.target, object_name=object_name, **values
                )
            )

    def record_outcomes(
        self,
        object_name: str,
        outcomes: Iterable[RecordOutcome],
        sent: dict[str, tuple[str, dict[str, Any]]],
        run_id: int,
    ) -> None:
        """Write each record's outcome: confirmed content becomes the new diff baseline."""
        now = utcnow()
        outcomes = list(outcomes)
        known = self.states(object_name, [o.key for o in outcomes])
        for outcome in outcomes:
            digest, fields = sent[outcome.key]
            previous = known.get(outcome.key)
            if outcome.ok:
                values: dict[str, Any] = {
                    "content_hash": digest,
                    "fields": fields,
                    "crm_id": outcome.crm_id or (previous.crm_id if previous else None),
                    "status": "synced",
                    "failed_hash": None,
                    "attempts": 0,
                    "error_code": None,
                    "error_message": None,
                }
            else:
                same_content = previous is not None and previous.failed_hash == digest
                values = {
                    "status": "failed",
                    "failed_hash": digest,
                    "attempts": (previous.attempts if previous and same_content else 0) + 1,
                    "error_code": outcome.code,
                    "error_message": outcome.message,
                }
                self.connection.execute(
                    insert(sync_failures).values(
                        run_id=run_id,
                        object_name=object_name,
                        record_id=outcome.key,
                        code=outcome.code,
                        message=outcome.message,
                        at=now,
                    )
                )
            values["updated_at"] = now
            if previous is None:
                self.connection.execute(
                    insert(sync_state).values(
                        target=self.target,
                        object_name=object_name,
                        record_id=outcome.key,
                        **{"content_hash": None, "fields": None, "crm_id": None, **values},
                    )
                )
            else:
                self.connection.execute(
                    update(sync_state)
                    .where(
                        tuple_(
                            sync_state.c.target, sync_state.c.object_name, sync_state.c.record_id
                        )
                        == (self.target, object_name, outcome.key)
                    )
                    .values(**values)
                )

    def start_run(self, *, dry_run: bool, full: bool, objects: list[str]) -> int:
        result = self.connection.execute(
            insert(sync_runs).values(
                target=self.target,
                started_at=utcnow(),
                status="running",
                dry_run=dry_run,
                full=full,
                objects=objects,
                **RunCounts().as_row(),
            )
        )
        key = result.inserted_primary_key
        assert key is not None  # an INSERT into a table with an integer key always has one
        return int(key[0])

    def checkpoint_run(self, run_id: int, counts: RunCounts) -> None:
        self.connection.execute(
            update(sync_runs).where(sync_runs.c.id == run_id).values(**counts.as_row())
        )

    def finish_run(
        self, run_id: int, counts: RunCounts, status: str, stop_reason: str | None = None
    ) -> datetime:
        finished = utcnow()
        self.connection.execute(
            update(sync_runs)
            .where(sync_runs.c.id == run_id)
            .values(finished_at=finished, status=status, stop_reason=stop_reason, **counts.as_row())
        )
        return finished
