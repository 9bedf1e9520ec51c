"""Reading and writing the sync engine's per-record state and run records."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from connector.crm import RecordOutcome
from connector.model import utcnow
from connector.sync.schema import sync_failures, sync_runs, sync_state, sync_watermarks


@functools.cache
def _state_upsert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (target, object, record) DO UPDATE`` of every other column."""
    module: Any = sqlite if dialect == "sqlite" else postgresql
    statement = module.insert(sync_state)
    updates = {c.name: statement.excluded[c.name] for c in sync_state.columns if not c.primary_key}
    return statement.on_conflict_do_update(
        index_elements=["target", "object_name", "record_id"], set_=updates
    )


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
        return self.watermark_and_ids(object_name)[0]

    def watermark_and_ids(self, object_name: str) -> tuple[datetime | None, frozenset[str]]:
        """The watermark and the CRM ids already read at exactly that moment."""
        row = self.connection.execute(
            select(sync_watermarks.c.pulled_until, sync_watermarks.c.ids_at_mark).where(
                sync_watermarks.c.target == self.target,
                sync_watermarks.c.object_name == object_name,
            )
        ).first()
        if row is None:
            return None, frozenset()
        return row[0], frozenset(str(i) for i in row[1] or [])

    def set_watermark(
        self, object_name: str, pulled_until: datetime, ids_at_mark: Iterable[str] = ()
    ) -> None:
        values = {
            "pulled_until": pulled_until,
            "ids_at_mark": sorted(set(ids_at_mark)),
            "updated_at": utcnow(),
        }
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
        """Write each record's outcome: confirmed content becomes the new diff baseline.

        Set-based: one read of the batch's previous states, one ``INSERT … ON CONFLICT DO
        UPDATE`` executemany for the batch and one for its failures (not a statement per
        record).
        """
        now = utcnow()
        outcomes = list(outcomes)
        known = self.states(object_name, [o.key for o in outcomes])
        rows: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for outcome in outcomes:
            digest, fields = sent[outcome.key]
            previous = known.get(outcome.key)
            row: dict[str, Any] = {
                "target": self.target,
                "object_name": object_name,
                "record_id": outcome.key,
                "content_hash": previous.content_hash if previous else None,
                "fields": previous.fields if previous else None,
                "crm_id": previous.crm_id if previous else None,
                "updated_at": now,
            }
            if outcome.ok:
                row.update(
                    content_hash=digest,
                    fields=fields,
                    crm_id=outcome.crm_id or row["crm_id"],
                    status="synced",
                    failed_hash=None,
                    attempts=0,
                    error_code=None,
                    error_message=None,
                )
            else:
                same_content = previous is not None and previous.failed_hash == digest
                row.update(
                    status="failed",
                    failed_hash=digest,
                    attempts=(previous.attempts if previous and same_content else 0) + 1,
                    error_code=outcome.code,
                    error_message=outcome.message,
                )
                failures.append(
                    {
                        "run_id": run_id,
                        "object_name": object_name,
                        "record_id": outcome.key,
                        "code": outcome.code,
                        "message": outcome.message,
                        "at": now,
                    }
                )
            rows.append(row)
        if rows:
            self.connection.execute(_state_upsert(self.connection.dialect.name), rows)
        if failures:
            self.connection.execute(insert(sync_failures), failures)

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
