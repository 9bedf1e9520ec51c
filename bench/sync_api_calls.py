"""Write calls a whole `refnet sync` spends against the sandbox's Salesforce, per volume.

The real engine, adapter and simple-salesforce talk HTTPS to the local sandbox, which counts
every request it serves. For each volume of referrals (plus their members) it prints:

* first sync: write calls counted against the org's API allowance, against the documented
  minimum: the sum over objects of ceil(records / 1000), since a Composite request carrying
  five sObject Collections upserts of 200 records counts as one call (REST API Developer
  Guide, "Send Multiple Requests Using Composite": "The entire series of requests counts as
  a single call toward your API limits"; at most 5 sObject Collections subrequests per
  Composite request). With ``write_path = "composite"`` (Bulk 2.0 off) the ratio must be
  1.00; collections alone need ceil(records / 200) (printed too); with the default bulk
  threshold an object from 2,000 records costs a fixed handful of calls instead;
* second sync with nothing changed: write calls (must be 0);
* one referral changed: write calls (must be 1).

    .venv/bin/python bench/sync_api_calls.py
    .venv/bin/python bench/sync_api_calls.py --volumes 10000 --paths composite   # the 10x store
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from synthetic import referral_id, synthetic_network  # bench/synthetic.py

from adapters.salesforce.adapter import COLLECTION_SIZE, SalesforceAdapter
from adapters.salesforce.composite import COMPOSITE_RECORDS
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.model import Referral, ReferralStatus
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from mappings.objects import MappedObject, mapped_objects

VOLUMES = (1_000, 10_000)
WRITES = ("salesforce.collections_upsert", "salesforce.composite", "salesforce.bulk_*")
PATHS = {
    "collections": "collections only",
    "composite": "Composite (5 x 200)",
    "bulk": "Bulk 2.0 from 2,000",
}


@dataclass(frozen=True)
class Volume:
    referrals: int

    @property
    def members(self) -> int:
        return max(10, self.referrals // 10)


def _writes(sandbox: Sandbox) -> int:
    return sum(sandbox.request_count(pattern) for pattern in WRITES)


def _minimum(store: Store, objects: list[MappedObject], per_call: int) -> int:
    with store.reading() as tx:
        return sum(math.ceil(obj.count(tx) / per_call) for obj in objects)


def _adapter(sandbox: Sandbox, path: str) -> SalesforceAdapter:
    settings = load_settings()
    # The sandbox serves one Composite request of 1,000 records in seconds on an idle
    # machine, but minutes under a shared machine's load; a client that gave up and retried
    # would count a call the load cost, not the sync. The count is the figure here.
    settings.salesforce.request_timeout = 3600.0
    if path != "bulk":  # a threshold no object reaches
        settings.salesforce.bulk_threshold = 10**9
    if path == "composite":
        settings.salesforce.write_path = "composite"
    adapter = salesforce_adapter(settings, sandbox)
    adapter.provision()
    return adapter


def measure(volume: Volume, *, path: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        synthetic_network(store, members=volume.members, referrals=volume.referrals)
        with run_sandbox(root / "sandbox") as sandbox:
            adapter = _adapter(sandbox, path)
            objects = mapped_objects(adapter.mappings, RulesConfig().multiplier)
            objects = [o for o in objects if o.kind in ("member", "referral")]

            def sync() -> int:
                before = _writes(sandbox)
                summary = run_sync(store, adapter, objects, target="sandbox")
                assert summary.counts.failed == 0, summary
                return _writes(sandbox) - before

            first = sync()
            minimum = _minimum(store, objects, COMPOSITE_RECORDS)
            collections = _minimum(store, objects, COLLECTION_SIZE)
            second = sync()
            with store.transaction() as tx:
                changed = tx.get(Referral, referral_id(7))
                other = next(s for s in ReferralStatus if s is not changed.status)
                tx.put(changed.model_copy(update={"status": other}))
            one = sync()
        store.close()
    ratio = f"ratio {first / minimum:4.2f}"
    print(
        f"  {volume.referrals:>6,} referrals + {volume.members:>5,} members  {PATHS[path]:<19} "
        f"first sync {first:>3} writes (minimum {minimum:>3}; collections {collections:>3}) "
        f"{ratio}  no change {second}  one changed {one}"
    )


def main() -> None:
    # zeep (the Metadata API) reads the CA bundle from the environment; keep ours local.
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--volumes",
        type=lambda text: [int(v) for v in text.split(",")],
        default=list(VOLUMES),
        help="referrals per run, comma-separated (10000: the 10x store)",
    )
    parser.add_argument(
        "--paths",
        type=lambda text: text.split(","),
        default=list(PATHS),
        help=f"write paths, comma-separated, of: {', '.join(PATHS)}",
    )
    arguments = parser.parse_args()
    unknown = set(arguments.paths) - set(PATHS)
    if unknown:
        parser.error(f"unknown path(s): {', '.join(sorted(unknown))}")
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    print("write calls of refnet sync against the sandbox's Salesforce (members, referrals):")
    for referrals in arguments.volumes:
        for path in arguments.paths:
            measure(Volume(referrals), path=path)


if __name__ == "__main__":
    main()
