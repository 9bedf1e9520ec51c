"""Local cost of planning a sync, and its peak memory as the network grows.

Everything here is local: the CRM is an adapter that confirms every record without I/O, so
what is measured is the engine's own work per record (page the store, map the record to
CRM fields, hash, look up the last confirmed state, decide, checkpoint).

Printed for 100,000 referrals, each against a baseline measured in the same run on the
same store: **merely serialising and hashing** the same records (page the store by id,
``model_dump_json``, SHA-256), the least any diffing sync can do.

* ``first plan``: a dry run of a first sync (every record a create);
* ``first run, all confirmed``: a real first sync; every record is confirmed, so this adds
  writing the sync state (one ``INSERT … ON CONFLICT`` per batch) to the planning;
* ``no-change run``: a real run after everything was confirmed (the daily case: nothing
  to send), which is what admins wait for;
* ``member plan``: a dry run of the members (Contacts), whose scores and win-win balances
  come from the referrals touching each member (time per member).

Peak memory: a fresh process per size (100,000 and 1,000,000 referrals) runs the no-change
planning and prints its peak resident memory above the interpreter's own (imports done,
store open). Streaming keeps it flat; loading everything would grow it tenfold.

    .venv/bin/python bench/sync_planning.py            # 100k timing + memory for 100k and 1M
    .venv/bin/python bench/sync_planning.py --quick    # 20k timing, memory for 20k and 200k
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from synthetic import synthetic_network  # bench/synthetic.py, beside this script

from connector.crm import BatchResult, OutboundRecord, PulledRecord, RecordOutcome
from connector.model import Referral
from connector.rules import RulesConfig
from connector.store import Store
from connector.sync.engine import SyncOptions, run_sync
from mappings.loader import load_mappings
from mappings.objects import MappedObject

OBJECT = "Refnet_Referral__c"
MEMBERS = 2_000


class ConfirmingCrm:
    """Confirms every record at once: no I/O, so only the engine's work is timed."""

    name = "bench"
    max_batch_size = 200
    write_chunk_size = 200
    bulk_threshold = None

    def provision(self) -> list[str]:
        return []

    def upsert_batch(self, object_name: str, records: Sequence[OutboundRecord]) -> BatchResult:
        return BatchResult([RecordOutcome(r.key, ok=True, crm_id=r.key) for r in records], 1)

    def fetch_changes(self, object_name: str, since: datetime | None) -> list[PulledRecord]:
        return []


def build_store(path: Path, referrals: int) -> None:
    store = Store.open(f"sqlite:///{path}")
    synthetic_network(store, members=MEMBERS, referrals=referrals)
    store.close()


def _referrals_object() -> MappedObject:
    mapping = load_mappings("salesforce").by_object(OBJECT)
    assert mapping is not None
    return MappedObject(mapping, RulesConfig().multiplier)


def serialise_and_hash(store: Store) -> int:
    """The baseline: every record paged by id, serialised and hashed, nothing else."""
    done, after = 0, None
    with store.reading() as tx:
        while page := tx.page(Referral, after, 1000):
            for record in page:
                hashlib.sha256(record.model_dump_json().encode()).hexdigest()
            done += len(page)
            after = page[-1].id
    return done


def _members_object() -> MappedObject:
    mapping = load_mappings("salesforce").by_object("Contact")
    assert mapping is not None
    return MappedObject(mapping, RulesConfig().multiplier)


def _sync(store: Store, *, dry_run: bool, members: bool = False) -> int:
    summary = run_sync(
        store,
        ConfirmingCrm(),
        [_members_object() if members else _referrals_object()],
        target="bench-members" if members else "bench",
        options=SyncOptions(dry_run=dry_run, pull=False),
    )
    return summary.counts.planned


def _timed(label: str, fn: object, baseline: float | None = None) -> float:
    start = time.perf_counter()
    count = fn()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    per = seconds / count * 1e6
    ratio = f"   ratio {seconds / baseline:4.2f}" if baseline else ""
    print(f"  {label:<34} {count:>9,} records  {seconds:6.2f} s  {per:6.1f} µs/record{ratio}")
    return seconds


def timing(referrals: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        build_store(path, referrals)
        store = Store.open(f"sqlite:///{path}")
        print(f"planning cost, {referrals:,} referrals (SQLite file, 200 per batch):")
        baseline = _timed("baseline: serialise + hash", lambda: serialise_and_hash(store))
        _timed("first plan (dry run, all creates)", lambda: _sync(store, dry_run=True), baseline)
        # The first real run: every record sent and confirmed, its state written.
        _timed("first run, all confirmed", lambda: _sync(store, dry_run=False), baseline)
        _timed("no-change run (0 to send)", lambda: _sync(store, dry_run=False), baseline)
        # Members (Contacts): each carries scores computed from the referrals touching it.
        _timed(
            "member plan (dry run, scores)",
            lambda: _sync(store, dry_run=True, members=True),
        )
        store.close()


def _status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024  # the kernel reports kB
    raise RuntimeError(f"no {key} in /proc/self/status")


def _current_mib() -> float:
    return _status_mib("VmRSS")


def _peak_mib() -> float:
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over an exec, so a child
    # would report the parent's peak (the process that built the store).
    return _status_mib("VmHWM")


def child(path: str) -> None:
    """In a fresh process: peak memory of planning the store at ``path``."""
    store = Store.open(f"sqlite:///{path}")
    _referrals_object()
    before = _current_mib()
    _sync(store, dry_run=False)  # first confirmed run (state written)
    _sync(store, dry_run=False)  # no-change run
    print(json.dumps({"before": before, "peak": _peak_mib()}))


def memory(sizes: Sequence[int]) -> None:
    print("peak memory of planning + a no-change run, fresh process per size:")
    results: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"bench-{size}.db"
            build_store(path, size)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            figures = json.loads(out.strip().splitlines()[-1])
            grown = figures["peak"] - figures["before"]
            results.append((size, grown))
            print(
                f"  {size:>9,} referrals: peak {figures['peak']:6.1f} MiB, "
                f"{grown:5.1f} MiB above the process at start"
            )
            path.unlink()
    (small, small_mib), (large, large_mib) = results[0], results[-1]
    growth = large_mib / max(small_mib, 0.1)
    print(f"  records x{large / small:.0f} -> memory above start x{growth:.2f}")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        child(argv[1])
        return
    quick = "--quick" in argv
    timing(20_000 if quick else 100_000)
    memory((20_000, 200_000) if quick else (100_000, 1_000_000))


if __name__ == "__main__":
    main(sys.argv[1:])
