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
from functools import partial
from pathlib import Path

from pydantic import SecretStr
from synthetic import synthetic_network  # bench/synthetic.py, beside this script

from adapters.hubspot.adapter import HubSpotAdapter
from adapters.hubspot.target import writable_objects
from adapters.salesforce.adapter import SalesforceAdapter
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.hubspot_target import hubspot_adapter
from adapters.sandbox.target import salesforce_adapter
from connector.crm import CrmAdapter
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import RunSummary, run_sync
from connector.sync.objects import desired_ids
from mappings.objects import MappedObject, mapped_objects

MEMBERS, REFERRALS = 300, 1_500
UPSERT = "salesforce.collections_upsert"
HUBSPOT_UPSERT = "hubspot.batch_upsert"


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
    crm: str = "salesforce"


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


def _held_in_hubspot(sandbox: Sandbox, adapter: HubSpotAdapter, name: str) -> Counter[str]:
    kind = sandbox.hubspot.schema.resolve(adapter.portal_ids().object_type(name))
    assert kind is not None, name
    records = sandbox.hubspot.records.all(kind)
    return Counter(
        str(r.properties.get("refnet_id")) for r in records if r.properties.get("refnet_id")
    )


def _target(
    scenario: Scenario, sandbox: Sandbox, root: Path
) -> tuple[CrmAdapter, list[MappedObject], Callable[[str], Counter[str]]]:
    """The adapter, the member and referral objects, and how to read what the CRM holds."""
    if scenario.crm == "hubspot":
        settings = load_settings(sandbox_dir=root / "sandbox")
        hubspot = hubspot_adapter(settings, sandbox)
        hubspot.provision()
        objects = writable_objects(hubspot, settings)
        return hubspot, _members_and_referrals(objects), partial(_held_in_hubspot, sandbox, hubspot)
    salesforce_adapter(load_settings(), sandbox).provision()
    adapter = _adapter(sandbox, scenario.renewable_login, scenario.request_timeout)
    objects = mapped_objects(adapter.mappings, RulesConfig().multiplier)
    return adapter, _members_and_referrals(objects), partial(_held, sandbox)


def _members_and_referrals(objects: list[MappedObject]) -> list[MappedObject]:
    return [o for o in objects if o.kind in ("member", "referral")]


def run(scenario: Scenario) -> tuple[Outcome, int, int, int, int]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = Store.open(f"sqlite:///{root / 'refnet.db'}")
        synthetic_network(store, members=MEMBERS, referrals=REFERRALS)
        with run_sandbox(root / "sandbox") as sandbox:
            adapter, objects, held_in_crm = _target(scenario, sandbox, root)
            outcome = Outcome()
            scenario.inject(sandbox)
            summary: RunSummary | None = None
            while summary is None or summary.status != "completed" or summary.counts.failed:
                if outcome.runs:
                    scenario.heal(sandbox)
                    # Run again as an admin or a scheduler would: a new process, so a new
                    # adapter (whatever the last one learnt about limits starts afresh).
                    adapter, objects, held_in_crm = _target(scenario, sandbox, root)
                assert outcome.runs < 10, f"{scenario.name}: no complete run after 10 tries"
                summary = run_sync(store, adapter, objects, target="sandbox")
                outcome.runs += 1
                outcome.stops += summary.status == "stopped"
                outcome.failed_records += summary.counts.failed
            outcome.error_answers = sum(
                1 for r in sandbox.faults.requests(f"{scenario.crm}.*") if (r.status or 0) >= 400
            )
            sandbox.faults.restore_sessions()  # so the check itself can read the CRM
            desired = _desired(store, objects)
            lost = duplicates = stray = 0
            for name, ids in desired.items():
                held = held_in_crm(name)
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
    Scenario("none", "-", _nothing, _nothing, crm="hubspot"),
    Scenario(
        "5xx burst",
        "3 x 502 on batch upserts",
        lambda s: s.faults.fail_next(HUBSPOT_UPSERT, times=3, status=502, retry_after=0),
        _nothing,
        crm="hubspot",
    ),
    Scenario(
        "429 storm (ten-secondly)",
        "4 x 429 TEN_SECONDLY_ROLLING",
        lambda s: s.faults.rate_limit_next("hubspot.*", times=4),
        _nothing,
        crm="hubspot",
    ),
    Scenario(
        "429 DAILY",
        "1 x 429 DAILY, next day fine",
        lambda s: s.faults.rate_limit_next(HUBSPOT_UPSERT, times=1, policy="DAILY"),
        _nothing,
        crm="hubspot",
    ),
    Scenario(
        "207 partial batch failures",
        "validation rule refusing status 'lost'",
        lambda s: s.faults.reject_records("hubspot", "refnet_referral", "status", "lost"),
        _faults,
        crm="hubspot",
    ),
    Scenario(
        "connection resets",
        "3 batch upserts cut off without an answer",
        lambda s: s.faults.reset_next(HUBSPOT_UPSERT, times=3),
        _nothing,
        crm="hubspot",
    ),
]


def _row(cells: tuple[object, ...], widths: tuple[int, ...]) -> str:
    """Cells padded to ``widths`` (negative: left-aligned)."""
    return "  " + " ".join(
        f"{cell!s:<{-w}}" if w < 0 else f"{cell!s:>{w}}"
        for cell, w in zip(cells, widths, strict=True)
    )


def main() -> None:
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    # The adapter logs each retry as a warning; the table says how runs went.
    logging.basicConfig(level=logging.ERROR)
    print(f"faults during refnet sync to the sandbox ({MEMBERS} members, {REFERRALS:,} "
          "referrals: contacts, accounts or companies, and referrals)")  # fmt: skip
    columns = ("crm", "fault", "injected", "errors", "runs", "stops", "refused", "desired")
    widths = (-10, -32, -50, 6, 4, 5, 7, 7, 4, 5, 5)
    print(_row((*columns, "lost", "dupes", "stray"), widths))
    bad = 0
    for scenario in SCENARIOS:
        outcome, desired, lost, duplicates, stray = run(scenario)
        bad += lost + duplicates + stray
        cells = (scenario.crm, scenario.name, scenario.injected, outcome.error_answers)
        counts = (outcome.runs, outcome.stops, outcome.failed_records, desired)
        print(_row((*cells, *counts, lost, duplicates, stray), widths))
    print("  OK: every run ended with the CRM equal to refnet" if not bad else f"  FAILED: {bad}")


if __name__ == "__main__":
    main()
