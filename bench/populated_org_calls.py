"""API calls of a first `refnet sync` into a populated org, linking included, against the minimum.

The sample network (examples/sample: 380 members, 371 organisations, 392 referrals, ...) is
synced into the sandbox started like a customer's org (adapters.sandbox.salesforce_population:
existing Accounts, Contacts, Opportunities, duplicate rules on). The real engine, adapter and
simple-salesforce talk HTTPS to the sandbox, which counts every request it serves.

The documented minimum of such a run, per part:

* pull: one SOQL query per object with CRM-owned fields and one per lookup the deal read
  follows (each answer holds up to 2,000 rows);
* linking: Contacts matched by e-mail, 200 values per SOQL ``IN`` list, so
  ceil(new Contacts / 200) queries; Accounts matched by normalised name, which SOQL cannot
  compare, so one read of the unlinked Accounts, ceil(Accounts / 2,000) pages; then one
  sObject Collections update per 200 links and object;
* push: ceil(records / 200) sObject Collections upserts per object (REST; Bulk 2.0 is off
  below 2,000 records per object by default).

    .venv/bin/python bench/populated_org_calls.py
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from adapters.salesforce.adapter import COLLECTION_SIZE
from adapters.sandbox import SandboxConfig, run_sandbox
from adapters.sandbox.salesforce_duplicates import org_counts
from adapters.sandbox.target import salesforce_adapter
from connector.importing.importer import import_file
from connector.rules import RulesConfig
from connector.services import Actor
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import SyncOptions, run_sync
from connector.sync.outcomes import DealSource
from mappings.objects import mapped_objects

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample"
FILES = ("members.csv", "connections.csv", "referrals.csv", "programme.json")
QUERY_PAGE = 2000


def _pages(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def main() -> None:
    os.environ.pop("REQUESTS_CA_BUNDLE", None)  # zeep reads it; keep ours local
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        rules = RulesConfig()
        for name in FILES:
            import_file(store, SAMPLE / name, rules=rules, actor=Actor("bench"))
        with run_sandbox(root / "sandbox", SandboxConfig(salesforce_populated=True)) as sandbox:
            before = org_counts(sandbox.salesforce.records)
            adapter = salesforce_adapter(load_settings(), sandbox)
            adapter.provision()
            objects = mapped_objects(adapter.mappings, rules.multiplier)
            calls_before = adapter.api_calls
            dry = run_sync(
                store,
                adapter,
                objects,
                target="sandbox",
                options=SyncOptions(dry_run=True),
                deals=DealSource("Opportunity", "salesforce"),
            )
            links = {plan.name: plan.links for plan in dry.objects if plan.links}
            calls_dry = adapter.api_calls - calls_before
            calls_before = adapter.api_calls
            summary = run_sync(
                store,
                adapter,
                objects,
                target="sandbox",
                deals=DealSource("Opportunity", "salesforce"),
            )
            calls = adapter.api_calls - calls_before
            after = org_counts(sandbox.salesforce.records)
            pulls = sum(1 for p in summary.pulls) + 1  # + the Opportunity read (one lookup)
            creates = {plan.name: plan.creates for plan in summary.objects}
            linking = (
                _pages(creates["Contact"], COLLECTION_SIZE)  # e-mail IN lists
                + _pages(before["Account"], QUERY_PAGE)  # unlinked Accounts, read once
                + sum(_pages(v["matched"], COLLECTION_SIZE) for v in links.values() if v["matched"])
            )
            push = sum(_pages(plan.to_send, COLLECTION_SIZE) for plan in summary.objects)
            minimum = pulls + linking + push
        store.close()
    print("first refnet sync of the sample network into a populated org (sandbox):")
    print(
        f"  org before: {before['Account']} Accounts, {before['Contact']} Contacts, "
        f"{before['duplicates']} duplicate pair(s)"
    )
    for name, found in links.items():
        print(
            f"  {name:<8} matched {found['matched']:>3}  ambiguous {found['ambiguous']:>3}  "
            f"new {found['new']:>4}"
        )
    added = after["duplicates"] - before["duplicates"]
    print(
        f"  org after:  {after['Account']} Accounts, {after['Contact']} Contacts, "
        f"{after['duplicates']} duplicate pair(s)  (added: {added})"
    )
    print(
        f"  API calls: {calls} (minimum {minimum} = pull {pulls} + linking {linking} + "
        f"push {push}), ratio {calls / minimum:4.2f}; dry run {calls_dry} (reads only)"
    )
    print(
        f"  records: sent {summary.counts.sent}, succeeded {summary.counts.succeeded}, "
        f"failed {summary.counts.failed} (the ambiguous organisation and what hangs on it)"
    )


if __name__ == "__main__":
    main()
