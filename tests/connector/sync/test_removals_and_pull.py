"""Records refnet no longer has (keep / archive / delete), seeds, and reading CRM-owned fields.

The CRM is the in-memory stand-in of ``test_engine`` grown the optional parts of the adapter
interface; the code under test is the engine and its state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connector.crm import BatchResult, PulledRecord, RecordOutcome, RemovalMode, RemovedRecord
from connector.errors import ConfigError, RecordValidationError
from connector.model import Referral, ReferralStatus
from connector.store import Store, Tx
from connector.sync.engine import RunSummary, SyncOptions, run_sync
from connector.sync.objects import Desired, PullOutcome
from connector.sync.schema import sync_failures
from connector.sync.state import StateStore
from tests.connector.factories import member, referral
from tests.connector.sync.test_engine import MemoryCrm

ARCHIVED = "Archived__c"
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@dataclass
class RemovingCrm(MemoryCrm):
    """Also archives (by upserting a flag), deletes, and serves pulled changes."""

    deletable: bool = True
    deleted: list[str] = field(default_factory=list)
    delete_calls: int = 0
    archive_calls: int = 0
    changes: list[PulledRecord] = field(default_factory=list)
    pull_since: list[datetime | None] = field(default_factory=list)

    def archive_field(self, object_name: str) -> str | None:
        return ARCHIVED

    def can_delete(self, object_name: str) -> bool:
        return self.deletable

    def delete_batch(self, object_name: str, records: Sequence[RemovedRecord]) -> BatchResult:
        assert len(records) <= self.max_batch_size
        self.delete_calls += 1
        for r in records:
            self.records.pop(r.key, None)
            self.deleted.append(r.key)
        return BatchResult([RecordOutcome(r.key, ok=True) for r in records], api_calls=1)

    def archive_batch(self, object_name: str, records: Sequence[RemovedRecord]) -> BatchResult:
        assert len(records) <= self.max_batch_size
        self.archive_calls += 1
        for r in records:
            if r.key in self.records:  # an update: nothing is created
                self.records[r.key][ARCHIVED] = True
        return BatchResult([RecordOutcome(r.key, ok=True) for r in records], api_calls=1)

    def upsert_batch(self, object_name: str, records: Sequence[Any]) -> BatchResult:
        # Upserts merge into what the CRM holds, as a PATCH by external id does.
        before = {r.key: dict(self.records.get(r.key, {})) for r in records}
        result = super().upsert_batch(object_name, records)
        for r in records:
            if r.key in self.records:
                self.records[r.key] = {**before[r.key], **r.fields}
        return result

    def fetch_changes(self, object_name: str, since: datetime | None) -> Iterator[PulledRecord]:
        self.pull_since.append(since)
        return iter([c for c in self.changes if since is None or c.modified_at >= since])


class Referrals:
    """Referrals as a sync object; ``hidden`` ones are no longer wanted in the CRM; the note
    is CRM-owned (pulled, and seeded on create)."""

    name = "Referral__c"
    kind = "referral"
    pulls = True

    def __init__(self, hidden: set[str] | None = None) -> None:
        self.hidden = hidden or set()

    def count(self, tx: Tx) -> int:
        return tx.count(Referral)

    def page(self, tx: Tx, after: str | None, limit: int) -> list[Desired]:
        # Like a mapping's ``only`` filter: hidden records are skipped, pages stay full.
        wanted = (r for r in tx.find(Referral) if (after is None or r.id > after))
        shown = [r for r in wanted if r.id not in self.hidden][:limit]
        return [
            Desired(r.id, {"Status__c": r.status.value}, {"Note__c": r.note} if r.note else {})
            for r in shown
        ]

    def apply_pulled(
        self, tx: Tx, record_id: str, crm_fields: Mapping[str, Any], *, write: bool
    ) -> PullOutcome:
        found = tx.maybe(Referral, record_id)
        if found is None:
            return "unknown"
        note = crm_fields.get("Note__c")
        if note == "!":
            raise RecordValidationError(record_id, "Note__c", "refnet cannot take '!'")
        if note == found.note:
            return "unchanged"
        if write:
            tx.put(found.model_copy(update={"note": note}))
        return "changed"


def _seed(store: Store, n: int) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), *(member(f"x{i:02d}", circle="prospect") for i in range(n))])
        tx.put_many(
            [
                referral(f"r{i:02d}", "c1", f"x{i:02d}").model_copy(
                    update={"note": f"met at fair {i}" if i % 2 else None}
                )
                for i in range(n)
            ]
        )


def _sync(
    store: Store, crm: RemovingCrm, obj: Referrals, removals: RemovalMode = "keep", **more: Any
) -> RunSummary:
    options = SyncOptions(page_size=4, removals=removals, **more)
    return run_sync(store, crm, [obj], target="memory", options=options)


def test_gone_records_are_kept_by_default_and_only_reported(store: Store) -> None:
    _seed(store, 12)
    crm = RemovingCrm(max_batch_size=5, write_chunk_size=5)
    _sync(store, crm, Referrals())
    summary = _sync(store, crm, Referrals(hidden={"r03", "r11"}))
    assert summary.objects[0].gone == 2 and summary.objects[0].removed == 0
    assert len(crm.records) == 12 and crm.deleted == []
    assert summary.counts.removed == 0


@pytest.mark.parametrize("hidden", [{"r00"}, {"r05", "r06", "r07"}, {"r11"}, {"r09", "r10", "r11"}])
def test_archive_flags_exactly_the_gone_records_wherever_they_sit_in_the_pages(
    store: Store, hidden: set[str]
) -> None:
    _seed(store, 12)
    crm = RemovingCrm(max_batch_size=5, write_chunk_size=5)
    _sync(store, crm, Referrals())
    summary = _sync(store, crm, Referrals(hidden=hidden), "archive")
    flagged = {key for key, fields in crm.records.items() if fields.get(ARCHIVED)}
    assert flagged == hidden
    assert summary.counts.removed == len(hidden) == summary.objects[0].removed
    again = _sync(store, crm, Referrals(hidden=hidden), "archive")
    assert again.objects[0].gone == 0, "archived records are not archived again"


def test_an_archived_record_that_comes_back_is_sent_whole_and_unarchived(store: Store) -> None:
    _seed(store, 6)
    crm = RemovingCrm()
    _sync(store, crm, Referrals())
    _sync(store, crm, Referrals(hidden={"r03"}), "archive")
    assert crm.records["r03"][ARCHIVED] is True
    summary = _sync(store, crm, Referrals(), "archive")
    assert summary.objects[0].creates == 1
    assert crm.records["r03"][ARCHIVED] is False
    assert crm.records["r03"]["Note__c"] == "met at fair 3", "seeds go with a re-create"


def test_delete_removes_gone_records_in_batches_and_a_comeback_creates_again(
    store: Store,
) -> None:
    _seed(store, 12)
    crm = RemovingCrm(max_batch_size=5, write_chunk_size=5)
    _sync(store, crm, Referrals())
    hidden = {f"r{i:02d}" for i in range(7)}
    summary = _sync(store, crm, Referrals(hidden=hidden), "delete")
    assert sorted(crm.deleted) == sorted(hidden)
    assert crm.delete_calls == 2  # ceil(7 / 5)
    assert set(crm.records) == {f"r{i:02d}" for i in range(7, 12)}
    assert summary.counts.removed == 7
    back = _sync(store, crm, Referrals(), "delete")
    assert back.objects[0].creates == 7 and len(crm.records) == 12


def test_objects_that_cannot_be_deleted_are_archived_in_delete_mode(store: Store) -> None:
    _seed(store, 4)
    crm = RemovingCrm(deletable=False)
    _sync(store, crm, Referrals())
    _sync(store, crm, Referrals(hidden={"r01"}), "delete")
    assert crm.deleted == [] and crm.records["r01"][ARCHIVED] is True


def test_a_dry_run_counts_gone_records_and_removes_nothing(store: Store) -> None:
    _seed(store, 4)
    crm = RemovingCrm()
    _sync(store, crm, Referrals())
    calls = len(crm.calls)
    summary = _sync(store, crm, Referrals(hidden={"r01", "r02"}), "delete", dry_run=True)
    assert summary.objects[0].gone == 2
    assert len(crm.calls) == calls and crm.deleted == []


def test_a_target_that_cannot_remove_refuses_the_mode_before_writing(store: Store) -> None:
    _seed(store, 3)
    crm = MemoryCrm()
    with pytest.raises(ConfigError, match="cannot archive or delete"):
        run_sync(store, crm, [Referrals()], target="memory", options=SyncOptions(removals="delete"))
    assert crm.calls == []


def test_seeds_go_only_with_creates_so_crm_edits_are_never_overwritten(store: Store) -> None:
    _seed(store, 4)
    crm = RemovingCrm()
    _sync(store, crm, Referrals())
    assert crm.records["r01"]["Note__c"] == "met at fair 1"
    assert "Note__c" not in crm.records["r00"], "empty seeds are not sent"
    crm.records["r01"]["Note__c"] = "edited by sales"
    with store.transaction() as tx:
        tx.put(tx.get(Referral, "r01").model_copy(update={"status": ReferralStatus.CONTACTED}))
    _sync(store, crm, Referrals(), pull=False)
    assert crm.calls[-1] == ["r01"]
    assert crm.records["r01"] == {"Status__c": "contacted", "Note__c": "edited by sales"}


def _change(key: str | None, note: str, minutes: int) -> PulledRecord:
    return PulledRecord(f"id-{key}", key, {"Note__c": note}, T0 + timedelta(minutes=minutes))


def test_pulled_values_reach_refnet_and_the_watermark_moves(store: Store) -> None:
    _seed(store, 4)
    crm = RemovingCrm()
    crm.changes = [_change("r00", "called back", 1), _change("r02", "visit booked", 2)]
    first = _sync(store, crm, Referrals())
    # The pull, then the read-back after the push (it wrote the referrals).
    assert crm.pull_since == [None, T0 + timedelta(minutes=2)]
    assert [p.after_push for p in first.pulls] == [False, True]
    assert first.pulls[1].skipped == 1 and first.pulls[1].read == 0
    with store.reading() as tx:
        assert tx.get(Referral, "r00").note == "called back"
        assert tx.get(Referral, "r02").note == "visit booked"
        assert StateStore(tx.connection, "memory").watermark("Referral__c") == T0 + timedelta(
            minutes=2
        )
    assert first.counts.pulled == 2 and first.pulls[0].changed == 2
    second = _sync(store, crm, Referrals())
    assert crm.pull_since[-1] == T0 + timedelta(minutes=2)
    # The CRM answers the record at the watermark again (>=); it was read already.
    assert second.counts.pulled == 0
    assert (second.pulls[0].read, second.pulls[0].skipped) == (0, 1)
    assert len(second.pulls) == 1, "nothing written, nothing to read back"


def test_a_record_changed_again_in_the_watermarks_second_is_read(store: Store) -> None:
    _seed(store, 2)
    crm = RemovingCrm()
    crm.changes = [_change("r00", "called back", 1)]
    _sync(store, crm, Referrals(), pull=True)
    later = T0 + timedelta(minutes=1, milliseconds=400)
    crm.changes = [
        _change("r00", "called back", 1),
        PulledRecord("id-r01", "r01", {"Note__c": "new"}, later),
    ]
    summary = _sync(store, crm, Referrals())
    assert (summary.pulls[0].skipped, summary.pulls[0].changed) == (1, 1)
    with store.reading() as tx:
        assert tx.get(Referral, "r01").note == "new"


def test_a_value_refnet_cannot_take_is_recorded_and_the_rest_applied(store: Store) -> None:
    _seed(store, 4)
    crm = RemovingCrm()
    crm.changes = [
        _change("r00", "!", 1),
        _change("r01", "fine", 2),
        _change("nobody", "x", 3),
        _change(None, "user-made", 4),
    ]
    summary = _sync(store, crm, Referrals())
    plan = summary.pulls[0]
    assert (plan.read, plan.changed, plan.failed, plan.unknown) == (4, 1, 1, 2)
    with store.reading() as tx:
        assert tx.get(Referral, "r01").note == "fine"
        failures = tx.connection.execute(
            select(sync_failures.c.record_id, sync_failures.c.code, sync_failures.c.message)
        ).all()
    assert [(f.record_id, f.code) for f in failures] == [("r00", "PULL_INVALID")]
    assert "Note__c" in failures[0].message


def test_a_dry_run_reads_changes_but_applies_none(store: Store) -> None:
    _seed(store, 2)
    crm = RemovingCrm()
    crm.changes = [_change("r00", "called back", 1)]
    summary = _sync(store, crm, Referrals(), dry_run=True)
    assert summary.pulls[0].changed == 1
    with store.reading() as tx:
        assert tx.get(Referral, "r00").note is None
        assert StateStore(tx.connection, "memory").watermark("Referral__c") is None
