"""The sync engine's diff, batching, checkpoints and failure handling.

The CRM here is an in-memory stand-in that keeps records by external id and counts calls;
the code under test is the engine. End-to-end runs against the sandbox CRM live elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from connector.crm import BatchResult, OutboundRecord, PulledRecord, RecordOutcome
from connector.errors import TransientError
from connector.model import Referral, ReferralStatus
from connector.store import Store, Tx
from connector.sync.engine import SyncOptions, run_sync
from connector.sync.objects import Desired
from connector.sync.schema import sync_runs
from connector.sync.state import StateStore
from tests.connector.factories import member, referral


class ReferralObject:
    name = "Referral__c"
    kind = "referral"

    def count(self, tx: Tx) -> int:
        return tx.count(Referral)

    def page(self, tx: Tx, after: str | None, limit: int) -> list[Desired]:
        return [
            Desired(r.id, {"Status__c": r.status.value, "Referrer__c": r.referrer_id})
            for r in tx.page(Referral, after, limit)
        ]


@dataclass
class MemoryCrm:
    """Keeps upserted records by external id; can refuse records or fail calls on demand."""

    max_batch_size: int = 10
    write_chunk_size: int = 10
    bulk_threshold: int | None = None
    name: str = "memory"
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    fail_on_call: dict[int, BaseException] = field(default_factory=dict)
    crash_after_write_on_call: int | None = None

    def provision(self) -> list[str]:
        return []

    def upsert_batch(self, object_name: str, records: Sequence[OutboundRecord]) -> BatchResult:
        call = len(self.calls) + 1
        assert len(records) <= self.max_batch_size
        if call in self.fail_on_call:
            self.calls.append([])
            raise self.fail_on_call[call]
        self.calls.append([r.key for r in records])
        outcomes = []
        for record in records:
            if record.key in self.refuse:
                outcomes.append(
                    RecordOutcome(record.key, ok=False, code="FIELD_INVALID", message="bad value")
                )
            else:
                self.records[record.key] = dict(record.fields)
                outcomes.append(RecordOutcome(record.key, ok=True, crm_id=f"crm-{record.key}"))
        if call == self.crash_after_write_on_call:
            raise KeyboardInterrupt("killed after the CRM wrote, before the checkpoint")
        return BatchResult(outcomes, api_calls=1)

    def fetch_changes(self, object_name: str, since: datetime | None) -> Any:
        return iter(list[PulledRecord]())


def _seed(store: Store, n: int) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), *(member(f"x{i:05d}", circle="prospect") for i in range(n))])
        tx.put_many([referral(f"r{i:05d}", "c1", f"x{i:05d}") for i in range(n)])


def _sync(store: Store, crm: MemoryCrm, **options: Any):  # type: ignore[no-untyped-def]
    return run_sync(
        store, crm, [ReferralObject()], target="memory", options=SyncOptions(page_size=7, **options)
    )


def test_first_sync_sends_everything_in_minimal_batches_then_nothing(store: Store) -> None:
    _seed(store, 95)
    crm = MemoryCrm()
    summary = _sync(store, crm)
    assert summary.status == "completed"
    assert len(crm.calls) == 10  # ceil(95 / 10)
    assert len(crm.records) == 95
    assert (summary.counts.planned, summary.counts.sent, summary.counts.succeeded) == (95, 95, 95)
    again = _sync(store, crm)
    assert len(crm.calls) == 10, "a second sync with nothing changed sends no write call"
    assert (again.counts.sent, again.counts.skipped) == (0, 95)


def test_one_changed_record_is_sent_alone(store: Store) -> None:
    _seed(store, 95)
    crm = MemoryCrm()
    _sync(store, crm)
    with store.transaction() as tx:
        changed = tx.get(Referral, "r00042").model_copy(update={"status": ReferralStatus.WON})
        tx.put(changed)
    summary = _sync(store, crm)
    assert crm.calls[-1] == ["r00042"] and len(crm.calls) == 11
    assert crm.records["r00042"]["Status__c"] == "won"
    assert summary.objects[0].updates == 1


def test_refused_records_keep_their_reason_and_do_not_stop_the_batch(store: Store) -> None:
    _seed(store, 20)
    crm = MemoryCrm(refuse={"r00003", "r00017"})
    summary = _sync(store, crm)
    assert (summary.counts.succeeded, summary.counts.failed) == (18, 2)
    assert len(crm.records) == 18
    with store.reading() as tx:
        states = StateStore(tx.connection, "memory").states("Referral__c", ["r00003", "r00004"])
    assert states["r00003"].status == "failed"
    assert (states["r00003"].error_code, states["r00003"].error_message) == (
        "FIELD_INVALID",
        "bad value",
    )
    assert states["r00004"].status == "synced"


def test_failed_records_are_retried_up_to_the_cap_then_again_when_they_change(store: Store) -> None:
    _seed(store, 3)
    crm = MemoryCrm(refuse={"r00001"})
    for _ in range(3):
        _sync(store, crm, max_attempts=3)
    assert [keys for keys in crm.calls] == [["r00000", "r00001", "r00002"], ["r00001"], ["r00001"]]
    capped = _sync(store, crm, max_attempts=3)
    assert len(crm.calls) == 3, "given up on after 3 attempts with the same content"
    assert capped.objects[0].rejected == 1
    crm.refuse.clear()
    with store.transaction() as tx:
        tx.put(tx.get(Referral, "r00001").model_copy(update={"status": ReferralStatus.LOST}))
    fixed = _sync(store, crm, max_attempts=3)
    assert crm.calls[-1] == ["r00001"] and fixed.counts.succeeded == 1


def test_a_temporary_failure_stops_cleanly_and_the_next_run_resumes(store: Store) -> None:
    _seed(store, 50)
    crm = MemoryCrm(fail_on_call={3: TransientError("daily API limit reached")})
    stopped = _sync(store, crm)
    assert stopped.status == "stopped" and "daily API limit" in (stopped.stop_reason or "")
    assert stopped.counts.succeeded == 20
    crm.fail_on_call.clear()
    resumed = _sync(store, crm)
    assert resumed.status == "completed"
    assert resumed.counts.sent == 30, "what was confirmed is not sent again"
    assert len(crm.records) == 50


def test_a_run_killed_after_the_crm_wrote_resends_only_the_unconfirmed_batch(store: Store) -> None:
    _seed(store, 30)
    crm = MemoryCrm(crash_after_write_on_call=2)
    with pytest.raises(KeyboardInterrupt):
        _sync(store, crm)
    crm.crash_after_write_on_call = None
    resumed = _sync(store, crm)
    assert crm.calls[1] == crm.calls[2], "the unconfirmed batch is upserted again"
    assert resumed.counts.sent == 20
    assert sorted(crm.records) == [f"r{i:05d}" for i in range(30)]


def test_dry_run_plans_field_by_field_without_a_single_write_call(store: Store) -> None:
    _seed(store, 12)
    crm = MemoryCrm()
    _sync(store, crm)
    with store.transaction() as tx:
        tx.put(tx.get(Referral, "r00005").model_copy(update={"status": ReferralStatus.QUALIFIED}))
        tx.put(member("c2"))
        tx.put(referral("r99999", "c2", "x00001"))
    calls = len(crm.calls)
    plan = _sync(store, crm, dry_run=True)
    assert len(crm.calls) == calls
    (obj,) = plan.objects
    assert (obj.creates, obj.updates, obj.unchanged) == (1, 1, 11)
    by_id = {p.record_id: p for p in obj.sample}
    (change,) = by_id["r00005"].changes
    assert (change.field, change.old, change.new) == ("Status__c", "open", "qualified")
    assert by_id["r99999"].action == "create"
    real = _sync(store, crm)
    assert real.counts.sent == 2, "a dry run does not mark anything as synced"


def test_full_resends_unchanged_records(store: Store) -> None:
    _seed(store, 5)
    crm = MemoryCrm()
    _sync(store, crm)
    assert _sync(store, crm, full=True).counts.sent == 5


def test_runs_are_recorded_with_their_counts(store: Store) -> None:
    _seed(store, 4)
    crm = MemoryCrm(refuse={"r00002"})
    summary = _sync(store, crm)
    with store.reading() as tx:
        row = (
            tx.connection.execute(select(sync_runs).where(sync_runs.c.id == summary.run_id))
            .mappings()
            .one()
        )
    assert (row["status"], row["planned"], row["sent"], row["succeeded"], row["failed"]) == (
        "completed",
        4,
        4,
        3,
        1,
    )
    assert row["api_calls"] == 1 and row["finished_at"] is not None


def test_with_a_bulk_path_big_chunks_go_whole_and_small_remainders_call_by_call(
    store: Store,
) -> None:
    _seed(store, 95)
    crm = MemoryCrm(max_batch_size=500, write_chunk_size=40, bulk_threshold=25)
    crm_calls = [len(keys) for keys in (_sync(store, crm) and crm.calls)]
    assert crm_calls == [40, 40, 15], "15 < 25: one ordinary call"
    fresh = MemoryCrm(max_batch_size=10, write_chunk_size=40, bulk_threshold=50)
    with store.transaction() as tx:
        tx.put_many(
            [tx.get(Referral, f"r{i:05d}").model_copy(update={"status": ReferralStatus.LOST})
             for i in range(95)]
        )  # fmt: skip
    _sync(store, fresh)
    assert [len(keys) for keys in fresh.calls] == [10] * 9 + [5], (
        "below the bulk threshold everything is sent max_batch_size at a time"
    )
