"""A 100x Salesforce sync through Bulk 2.0 into the sandbox, with one close that times out.

The synthetic network at 100 times the sample (100,000 members, 111,333 referrals: 100,000
Contacts, 66,667 Accounts and 111,333 referrals, 278,000 records) is synced with the
default settings (Bulk 2.0 from 2,000 records, 10,000 per job) through the real adapter and
simple-salesforce into the sandbox. The first ``UploadComplete`` is applied by the sandbox
but answered only after the client stopped waiting (``Faults.answer_late_next``); the
client's retry is refused with ``INVALIDJOBSTATE``, as Salesforce refuses a second close.
The adapter reads the job's state, sees it closed, and the run goes on.

Printed: records, run status, failed records, Bulk jobs, state changes confirmed by
reading the job (at least the injected one; a close that runs longer than the client's
timeout on a loaded machine counts too), and the records the sandbox holds afterwards.

    .venv/bin/python bench/bulk_close_timeout.py             # 100x: 278,000 records
    .venv/bin/python bench/bulk_close_timeout.py --scale 1 --bulk-from 500 --bulk-chunk 500
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from synthetic import synthetic_network  # bench/synthetic.py

from adapters.salesforce.bulk import BulkOptions
from adapters.sandbox import run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import SyncOptions, run_sync
from mappings.objects import mapped_objects

CLIENT_WAITS = 60.0  # seconds the client waits for a Bulk answer
ANSWER_AFTER = 90.0  # seconds until the sandbox answers the first close


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=100, help="times the sample (100: 100x)")
    parser.add_argument("--bulk-from", type=int, default=2000, help="the Bulk 2.0 threshold")
    parser.add_argument("--bulk-chunk", type=int, default=10_000, help="records per Bulk job")
    arguments = parser.parse_args()
    scale = arguments.scale
    members, referrals = 1_000 * scale, 1_113 * scale + scale // 3
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        synthetic_network(store, members=members, referrals=referrals)
        with run_sandbox(root / "sandbox") as sandbox:
            settings = load_settings()
            settings.salesforce.bulk_threshold = arguments.bulk_from
            settings.salesforce.bulk_chunk_size = arguments.bulk_chunk
            # Real waits: the sandbox applies a job inside its close, so a close that outlasts
            # the client (the injected one, or a large job on a loaded machine) is still
            # being applied while the adapter polls; a no-op sleep made the poll's 2-hour
            # limit pass in seconds and stopped the run (the first 100x attempt).
            adapter = salesforce_adapter(settings, sandbox)
            adapter.provision()
            adapter.bulk.options = BulkOptions(request_timeout=CLIENT_WAITS, poll_interval=0.5)
            objects = mapped_objects(adapter.mappings, RulesConfig().multiplier)
            objects = [o for o in objects if o.kind in ("member", "referral")]
            sandbox.faults.answer_late_next("salesforce.bulk_set_state", seconds=ANSWER_AFTER)
            started = time.monotonic()
            summary = run_sync(
                store, adapter, objects, target="sandbox", options=SyncOptions(pull=False)
            )
            elapsed = time.monotonic() - started
            held = sum(
                len(sandbox.salesforce.records.all(name))
                for name in ("Contact", "Account", "Refnet_Referral__c")
            )
            refused = sum(
                1 for r in sandbox.faults.requests("salesforce.bulk_set_state") if r.status == 400
            )
        store.close()
    print(
        f"{scale}x Salesforce sync, Bulk 2.0 (default settings), first close answered after "
        f"{ANSWER_AFTER:.0f} s, client waits {CLIENT_WAITS:.0f} s:\n"
        f"  records sent {summary.counts.sent:,}, succeeded {summary.counts.succeeded:,}, "
        f"failed {summary.counts.failed:,}; run {summary.status} in {elapsed:,.0f} s"
        f"{'' if summary.stop_reason is None else f' ({summary.stop_reason})'}\n"
        f"  bulk jobs {len(adapter.bulk.jobs)}, closes refused INVALIDJOBSTATE {refused}, "
        f"state changes confirmed by reading the job {adapter.bulk.confirmed_state_changes}\n"
        f"  records the sandbox holds: {held:,}"
    )


if __name__ == "__main__":
    main()
