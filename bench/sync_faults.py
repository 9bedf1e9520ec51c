"""Faults injected into the sandbox's Salesforce during `refnet sync`, and what the CRM holds.

Each scenario starts from an empty sandbox and the same network (members and referrals),
injects one kind of fault while the real engine, adapter and simple-salesforce sync, and
runs the sync again (as an admin or the scheduler would: after the fault has passed)
until a run completes. Then it compares, object by object, the records the CRM holds
with the records refnet wants there:

* **lost**: desired records missing from the CRM;
* **duplicates**: refnet ids the CRM holds more than once;
* **stray**: records the CRM holds that refnet does not want.

All three must be 0 in every row. ``errors`` counts the requests the sandbox marked as
failed (a connection it cut counts as one; a late answer is a 200 the client no longer
waited for), ``stops`` the runs that stopped cleanly to be resumed, ``refused`` the records
a validation rule refused before it was fixed.

The process killed mid-sync is in ``tests/e2e/test_kill_during_sync.py`` (four kill
points, same checks) and the webhook server killed mid-load in
``bench/webhooks_throughput.py``.

    .venv/bin/python bench/sync_faults.py
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from synthetic import synthetic_network  # bench/synthetic.py, beside this script

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import RunSummary, run_sync
from connector.sync.objects import desired_ids
from mappings.objects import MappedObject, mapped_objects

MEMBERS, REFERRALS = 300, 1_500
UPSERT = "salesforce.collections_upsert"


@dataclass
class Outcome:
    runs: int = 0
    stops: int = 0
    failed_records: int = 0  # refused in some run, before the fault passed
    error_answers: int = 0  # what the sandbox answered with an HTTP error (the faults hit)


@dataclass(frozen=True)
class Scenario:
    name: str
    injected: str
    inject: Callable[[Sandbox], None]  # before the first run
    heal: Callable[[Sandbox], None]  # before each later run: the fault has passed
    renewable_login: bool = False
    request_timeout: float | None = None  # seconds the client waits for an answer


def _nothing(sandbox: Sandbox) -> None:
    return None


def _adapter(sandbox: Sandbox, renewable: bool, timeout: float | None) -> SalesforceAdapter:
    settings = load_settings()
    if timeout is not None:
        settings.salesforce.request_timeout = timeout
    if not renewable:
        return salesforce_adapter(settings, sandbox)
    # The OAuth client-credentials flow, so an expired session can be renewed.
    login = sandbox.salesforce_login
    oauth = settings.salesforce.model_copy(
        update={
            "consumer_key": login.client_id,
            "consumer_secret": SecretStr(login.client_secret),
            "domain": sandbox.salesforce_login_domain,
            "api_version": sandbox.api_version,
        }
    )
    os.environ["REQUESTS_CA_BUNDLE"] = sandbox.combined_ca_bundle  # zeep, as the target does
    return SalesforceAdapter(
        oauth,
        session=sandbox.salesforce_session(),
        request_timeout=settings.salesforce.request_timeout,
    )


def _desired(store: Store, objects: list[MappedObject]) -> dict[str, set[str]]:
    with store.reading() as tx:
        return {obj.name: desired_ids(tx, obj) for obj in objects}


def _held(sandbox: Sandbox, object_name: str) -> Counter[str]:
    soql = f"SELECT Refnet_Id__c FROM {object_name}"
    rows = sandbox.salesforce_client().query_all(soql)["records"]
    return Counter(str(r["Refnet_Id__c"]) for r in rows if r["Refnet_Id__c"])


def run(scenario: Scenario) -> tuple[Outcome, int, int, int, int]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        synthetic_network(store, members=MEMBERS, referrals=REFERRALS)
        with run_sandbox(root / "sandbox") as sandbox:
            salesforce_adapter(load_settings(), sandbox).provision()
            adapter = _adapter(sandbox, scenario.renewable_login, scenario.request_timeout)
            objects = [
                o
                for o in mapped_objects(adapter.mappings, RulesConfig().multiplier)
                if o.kind in ("member", "referral")
            ]
            outcome = Outcome()
            scenario.inject(sandbox)
            summary: RunSummary | None = None
            while summary is None or summary.status != "completed" or summary.counts.failed:
                if outcome.runs:
                    scenario.heal(sandbox)
                assert outcome.runs < 10, f"{scenario.name}: no complete run after 10 tries"
                summary = run_sync(store, adapter, objects, target="sandbox")
                outcome.runs += 1
                outcome.stops += summary.status == "stopped"
                outcome.failed_records += summary.counts.failed
            outcome.error_answers = sum(
                1 for r in sandbox.faults.requests("salesforce.*") if (r.status or 0) >= 400
            )
            sandbox.faults.restore_sessions()  # so the check itself can read the CRM
            desired = _desired(store, objects)
            lost = duplicates = stray = 0
            for name, ids in desired.items():
                held = _held(sandbox, name)
                lost += len(ids - set(held))
                stray += len(set(held) - ids)
                duplicates += sum(1 for count in held.values() if count > 1)
        store.close()
    return outcome, sum(len(ids) for ids in desired.values()), lost, duplicates, stray


def _faults(sandbox: Sandbox) -> None:
    sandbox.faults.clear()


def _expire_after(upserts: int) -> Callable[[Sandbox], None]:
    """Expire every session once ``upserts`` upserts were served (a watcher thread)."""

    def inject(sandbox: Sandbox) -> None:
        def watch() -> None:
            deadline = time.monotonic() + 60
            while sandbox.request_count(UPSERT) < upserts and time.monotonic() < deadline:
                time.sleep(0.001)
            sandbox.faults.expire_sessions()

        threading.Thread(target=watch, daemon=True).start()

    return inject


SCENARIOS = [
    Scenario("none", "-", _nothing, _nothing),
    Scenario(
        "5xx burst",
        "3 x 503 on upserts",
        lambda s: s.faults.fail_next(UPSERT, times=3, status=503, retry_after=0),
        _nothing,
    ),
    Scenario(
        "outage longer than the retries",
        "503 on every upsert until the next run",
        lambda s: s.faults.fail_next(UPSERT, times=40, status=503, retry_after=0),
        _faults,
    ),
    Scenario(
        "connection resets",
        "3 upserts cut off without an answer",
        lambda s: s.faults.reset_next(UPSERT, times=3),
        _nothing,
    ),
    Scenario(
        "timeouts after the CRM wrote",
        "2 upserts answered after 1.5 s, client waits 0.5 s",
        lambda s: s.faults.slow_next(UPSERT, times=2, seconds=1.5),
        _nothing,
        request_timeout=0.5,
    ),
    Scenario(
        "partial batch failures",
        "validation rule refusing status 'lost'",
        lambda s: s.faults.reject_records(
            "salesforce", "Refnet_Referral__c", "Status__c", "lost", message="sandbox rule"
        ),
        _faults,  # the rule is fixed by an admin; refused records are retried
    ),
    Scenario(
        "expired session mid-run",
        "every session expired after 3 upserts",
        _expire_after(3),
        _nothing,
        renewable_login=True,
    ),
    Scenario(
        "daily API limit reached mid-run",
        "allowance 80% used minus 6 calls",
        lambda s: s.faults.set_salesforce_usage(12_000 - 6, 15_000),
        lambda s: s.faults.set_salesforce_usage(0, 15_000),  # the next day
    ),
    Scenario(
        "daily limit with 403 answers",
        "4 x 403 REQUEST_LIMIT_EXCEEDED",
        lambda s: s.faults.request_limit_next(UPSERT, times=4),
        _nothing,
    ),
]


def main() -> None:
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    # The adapter logs each retry as a warning; the table says how runs went.
    logging.basicConfig(level=logging.ERROR)
    print(f"faults during refnet sync to the sandbox's Salesforce ({MEMBERS} members, "
          f"{REFERRALS:,} referrals; Contact, Account and referral objects)")  # fmt: skip
    header = (
        f"  {'fault':<32} {'injected':<50} {'errors':>6} {'runs':>4} {'stops':>5} {'refused':>7} "
        f"{'desired':>7} {'lost':>4} {'dupes':>5} {'stray':>5}"
    )
    print(header)
    bad = 0
    for scenario in SCENARIOS:
        outcome, desired, lost, duplicates, stray = run(scenario)
        bad += lost + duplicates + stray
        print(
            f"  {scenario.name:<32} {scenario.injected:<50} {outcome.error_answers:>6} "
            f"{outcome.runs:>4} {outcome.stops:>5} "
            f"{outcome.failed_records:>7} {desired:>7} {lost:>4} {duplicates:>5} {stray:>5}"
        )
    print("  OK: every run ended with the CRM equal to refnet" if not bad else f"  FAILED: {bad}")


if __name__ == "__main__":
    main()
