"""A default no-change sync the day after a first sync: what it writes and reads, per CRM.

The synthetic network (default 10,000 referrals + 1,000 members, the 10x store of the call
benches) is synced with the default options (the pull on) into the sandbox's Salesforce
(sObject Collections and Bulk 2.0 at their defaults) and HubSpot, through the real adapters
and client libraries, on a Tuesday; then synced again on the Wednesday with nothing
changed anywhere. The sandbox counts every request. Printed per CRM: the first sync's
writes and its read-back after the push, then the next day's writes (must be 0), reads,
and reads per pulled object (at most 1: one query or search per object whose CRM-owned
fields refnet reads).

Scores follow time once per refresh period (``rules.multiplier.sync_refresh_days``, 7 days
from Mondays); the Monday after, time alone changes the scores, which is printed too.

    .venv/bin/python bench/quiet_next_day.py [referrals]
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from synthetic import synthetic_network  # bench/synthetic.py

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.crm import CrmAdapter
from connector.rules import RulesConfig
from connector.settings import HubSpotSettings, load_settings
from connector.store import Store
from connector.sync.engine import RunSummary, run_sync
from mappings import load_mappings
from mappings.objects import mapped_objects

TUESDAY = datetime(2026, 3, 3, 6, tzinfo=UTC)
WRITES = {
    "salesforce": ("salesforce.collections_*", "salesforce.composite", "salesforce.bulk_*"),
    "hubspot": (
        "hubspot.batch_upsert",
        "hubspot.batch_update",
        "hubspot.associations_batch_create",
    ),
}


def _hubspot(sandbox: Sandbox, root: Path) -> HubSpotAdapter:
    settings = HubSpotSettings.model_validate(
        {"access_token": sandbox.hubspot_token, "host": sandbox.hubspot_url}
    )
    adapter = HubSpotAdapter(settings, load_mappings("hubspot"), portal_file=root / "portal.json")
    adapter.provision()
    return adapter


def _salesforce(sandbox: Sandbox, root: Path) -> CrmAdapter:
    adapter = salesforce_adapter(load_settings(), sandbox)
    adapter.provision()
    return adapter


def measure(crm: str, make: Callable[[Sandbox, Path], CrmAdapter], referrals: int) -> None:
    members = max(10, referrals // 10)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        synthetic_network(store, members=members, referrals=referrals)
        with run_sandbox(root / "sandbox") as sandbox:
            adapter = make(sandbox, root)
            mappings = adapter.mappings  # type: ignore[attr-defined]

            def sync(day: datetime) -> tuple[RunSummary, int, int]:
                objects = mapped_objects(mappings, RulesConfig().multiplier, as_of=day)
                objects = [o for o in objects if o.kind in ("member", "referral")]
                before = sandbox.request_count(f"{crm}.*")
                writes = sum(sandbox.request_count(p) for p in WRITES[crm])
                summary = run_sync(store, adapter, objects, target=crm)
                assert summary.status == "completed", summary.stop_reason
                calls = sandbox.request_count(f"{crm}.*") - before
                wrote = sum(sandbox.request_count(p) for p in WRITES[crm]) - writes
                return summary, wrote, calls - wrote

            first, first_writes, first_reads = sync(TUESDAY)
            next_day, writes, reads = sync(TUESDAY + timedelta(days=1))
            monday, monday_writes, _ = sync(TUESDAY + timedelta(days=6))
        store.close()
    pulled = len([p for p in next_day.pulls if not p.after_push])
    read_back = sum(p.read for p in first.pulls if p.after_push)
    print(
        f"  {crm:<10} {referrals:,} referrals + {members:,} members: first sync "
        f"{first_writes} writes, {first_reads} reads (read-back {read_back:,} records)\n"
        f"  {'':<10} next day, nothing changed: {writes} writes, {next_day.counts.sent} "
        f"records sent, {reads} reads for {pulled} pulled objects "
        f"({reads / max(pulled, 1):.2f} per object), {sum(p.read for p in next_day.pulls)} "
        f"records read as new\n"
        f"  {'':<10} the Monday after (weekly score refresh): {monday_writes} writes, "
        f"{monday.counts.sent:,} records sent"
    )


def main() -> None:
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    referrals = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print("a default no-change sync the next day, sandbox CRMs:")
    measure("salesforce", _salesforce, referrals)
    measure("hubspot", _hubspot, referrals)


if __name__ == "__main__":
    main()
