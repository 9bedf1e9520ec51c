"""refnet in an org that already holds data: linked, never duplicated; outcomes read back.

The sandbox starts like a customer's org (adapters.sandbox.salesforce_population) with the
standard duplicate rules on; every write goes through the real adapter and client library.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.linking import AMBIGUOUS
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.auth import USER_ID
from adapters.sandbox.salesforce_duplicates import org_counts
from adapters.sandbox.server import SandboxConfig
from adapters.sandbox.target import salesforce_adapter
from connector.crm import OutboundRecord
from connector.model import Circle, CrmIds, LadderStage, Member, Referral, ReferralStatus
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import RunSummary, SyncOptions, run_sync
from connector.sync.history import get_run
from connector.sync.outcomes import DealSource
from mappings.objects import mapped_objects
from tests.connector.factories import member, referral


@pytest.fixture
def populated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox", SandboxConfig(salesforce_populated=True)) as running:
        yield running


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    with run_sandbox(tmp_path / "empty") as running:
        yield running


def _adapter(sandbox: Sandbox, header: str | None = None) -> SalesforceAdapter:
    settings = load_settings()
    settings.salesforce.duplicate_rule_header = header
    made = salesforce_adapter(settings, sandbox)
    made.provision()
    return made


def _sync(store: Store, adapter: SalesforceAdapter, **options: Any) -> RunSummary:
    objects = mapped_objects(adapter.mappings, RulesConfig().multiplier)
    return run_sync(
        store,
        adapter,
        objects,
        target="sandbox",
        options=SyncOptions(**options),
        deals=DealSource("Opportunity", "salesforce"),
    )


def _customers(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                # an existing Contact by e-mail, and its Account by name
                member(
                    "m-eva",
                    email="eva.ott@wagner-metallbau.example",
                    organisation="Wagner Metallbau GmbH",
                ),
                # e-mail in other case; Account entered as "ZIMMERMANN METALLBAU"
                member(
                    "m-markus",
                    email="markus.lang@zimmermann-metallbau.example",
                    organisation="Zimmermann Metallbau e.K.",
                ),
                # the org holds this company twice: ambiguous
                member(
                    "m-frank",
                    email="frank.becker@fuchs-verpackungen.example",
                    organisation="Fuchs Verpackungen GmbH",
                ),
                # two customers of one company the org does not know
                member(
                    "m-ines", email="ines@neu-antriebe.example", organisation="Neu Antriebe GmbH"
                ),
                member("m-otto", email="otto@neu-antriebe.example", organisation="NEU ANTRIEBE"),
                member("p-1", Circle.PROSPECT, email="p1@kunde.example", organisation="Kunde AG"),
            ]
        )


def _rows(sandbox: Sandbox, soql: str) -> list[dict[str, Any]]:
    return list(sandbox.salesforce_client().query_all(soql)["records"])


def _failures(store: Store, run_id: int) -> dict[str, str]:
    _, failures = get_run(store, run_id)
    return {f.record_id: f.code for f in failures}


def test_existing_contacts_and_accounts_are_linked_not_duplicated(
    store: Store, populated: Sandbox
) -> None:
    existing = {
        c["Email"].casefold(): c["Id"]
        for c in _rows(populated, "SELECT Id, Email FROM Contact")
        if c["Email"]
    }
    before = org_counts(populated.salesforce.records)
    _customers(store)
    summary = _sync(store, _adapter(populated))
    after = org_counts(populated.salesforce.records)

    # New: Accounts "Neu Antriebe" (shared by two) and "Kunde"; Contacts ines, otto, p-1.
    assert after["Account"] == before["Account"] + 2
    assert after["Contact"] == before["Contact"] + 3
    assert after["duplicates"] == before["duplicates"], "not one duplicate added"
    contacts = {
        c["Refnet_Id__c"]: c
        for c in _rows(populated, "SELECT Id, AccountId, Refnet_Id__c FROM Contact")
        if c["Refnet_Id__c"]
    }
    assert contacts["m-eva"]["Id"] == existing["eva.ott@wagner-metallbau.example"]
    assert contacts["m-markus"]["Id"] == existing["markus.lang@zimmermann-metallbau.example"]
    assert all(c["AccountId"] for c in contacts.values()), "every Contact has an Account"
    assert contacts["m-ines"]["AccountId"] == contacts["m-otto"]["AccountId"], "one company"
    accounts = {
        a["Refnet_Id__c"]: a["Name"]
        for a in _rows(populated, "SELECT Name, Refnet_Id__c FROM Account")
        if a["Refnet_Id__c"]
    }
    assert accounts["org:zimmermann-metallbau"] == "ZIMMERMANN METALLBAU", "linked, not renamed"
    assert "org:fuchs-verpackungen" not in accounts
    failures = _failures(store, summary.run_id)
    assert failures["org:fuchs-verpackungen"] == AMBIGUOUS
    assert "m-frank" in failures, "its Account is ambiguous, so its Contact waits too"
    assert set(failures) == {"org:fuchs-verpackungen", "m-frank"}


def test_an_ambiguous_contact_is_reported_and_not_duplicated(store: Store, empty: Sandbox) -> None:
    records = empty.salesforce.records
    firm = records.seed("Account", {"Name": "Zwilling KG"}, owner_id=USER_ID)
    for first in ("Jan", "Jana"):
        records.seed(
            "Contact",
            {
                "FirstName": first,
                "LastName": "Zwilling",
                "Email": "info@zwilling.example",
                "AccountId": firm,
            },
            owner_id=USER_ID,
        )
    with store.transaction() as tx:
        tx.put(member("m-z", email="INFO@zwilling.example", organisation="Zwilling KG"))
    summary = _sync(store, _adapter(empty))

    assert org_counts(records)["Contact"] == 2, "neither linked nor created"
    assert _failures(store, summary.run_id) == {"m-z": AMBIGUOUS}
    linked = _rows(empty, "SELECT Id, Refnet_Id__c FROM Account WHERE Refnet_Id__c != null")
    assert [a["Id"] for a in linked] == [firm], "the Account alone was unique: linked"


def test_an_imported_salesforce_id_links_before_the_email(store: Store, empty: Sandbox) -> None:
    records = empty.salesforce.records
    owner = USER_ID
    old = records.seed("Contact", {"LastName": "Alt", "Email": "alt@firma.example"}, owner_id=owner)
    records.seed("Contact", {"LastName": "Neu", "Email": "neu@firma.example"}, owner_id=owner)
    with store.transaction() as tx:
        tx.put(
            member(
                "m-1",
                email="neu@firma.example",
                organisation="Firma GmbH",
                crm=CrmIds(salesforce_contact_id=old),
            )
        )
    assert _sync(store, _adapter(empty)).counts.failed == 0
    linked = _rows(empty, "SELECT Id FROM Contact WHERE Refnet_Id__c = 'm-1'")
    assert [c["Id"] for c in linked] == [old]
    assert org_counts(records)["Contact"] == 2


def test_duplicates_detected_links_the_record_the_rule_names(empty: Sandbox) -> None:
    records = empty.salesforce.records
    there = records.seed(
        "Contact", {"LastName": "Da", "Email": "da@firma.example"}, owner_id=USER_ID
    )
    # A record refnet believes it sent before (so it does not look it up first): the
    # duplicate rule refuses the create and names the existing Contact.
    gone = OutboundRecord("m-da", {"LastName": "Da", "Email": "da@firma.example"}, new=False)
    result = _adapter(empty).upsert_batch("Contact", [gone])

    assert [(o.ok, o.crm_id) for o in result.outcomes] == [(True, there)]
    assert org_counts(records)["Contact"] == 1
    assert _rows(empty, "SELECT Refnet_Id__c FROM Contact") == [
        {
            "attributes": {
                "type": "Contact",
                "url": f"/services/data/v62.0/sobjects/Contact/{there}",
            },
            "Refnet_Id__c": "m-da",
        }
    ]


def test_the_duplicate_rule_header_is_sent_only_as_configured(empty: Sandbox) -> None:
    records = empty.salesforce.records
    records.seed("Contact", {"LastName": "Da", "Email": "da@firma.example"}, owner_id=USER_ID)
    record = OutboundRecord("m-2", {"LastName": "Zwei", "Email": "da@firma.example"}, new=False)
    # The admin chose to let duplicates be saved: the header says so and the org obeys.
    result = _adapter(empty, header="allowSave=true").upsert_batch("Contact", [record])
    assert result.outcomes[0].created
    assert org_counts(records)["Contact"] == 2


def test_the_dry_run_shows_matched_ambiguous_and_new(store: Store, populated: Sandbox) -> None:
    _customers(store)
    before = org_counts(populated.salesforce.records)
    summary = _sync(store, _adapter(populated), dry_run=True)
    links = {plan.name: plan.links for plan in summary.objects if plan.links}
    assert links == {
        "Account": {"matched": 2, "ambiguous": 1, "new": 2},
        "Contact": {"matched": 2, "ambiguous": 0, "new": 4},
    }
    assert org_counts(populated.salesforce.records) == before, "a dry run writes nothing"


def test_a_won_opportunity_reaches_refnet_through_the_sync_alone(
    store: Store, populated: Sandbox
) -> None:
    _customers(store)
    with store.transaction() as tx:
        tx.put(referral("r-1", "m-eva", "p-1"))
    adapter = _adapter(populated)
    _sync(store, adapter)
    crm = populated.salesforce_client()
    (deal,) = _rows(populated, "SELECT Id FROM Opportunity WHERE Name LIKE 'Wagner%'")
    # A sales user links the referral's Opportunity, then wins it: no Flow, no webhook.
    crm.Refnet_Referral__c.upsert("Refnet_Id__c/r-1", {"Opportunity__c": deal["Id"]})
    assert _sync(store, adapter).outcomes is not None
    with store.reading() as tx:
        assert tx.get(Referral, "r-1").status is ReferralStatus.OPEN, "the deal is still open"
    crm.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Opportunity"}, "id": deal["Id"], "StageName": "Closed Won"}
            ],
        },
    )
    summary = _sync(store, adapter)

    assert summary.outcomes is not None and summary.outcomes.referrals_closed == 1
    with store.reading() as tx:
        won = tx.get(Referral, "r-1")
        referrer = tx.get(Member, "m-eva")
        audit = tx.audit_trail("r-1")
    assert won.status is ReferralStatus.WON and won.amount == Decimal("48000")
    assert referrer.ladder_stage is LadderStage.REFERRER, "the ladder follows the win"
    assert any(
        entry.new_value == "won" and deal["Id"] in entry.reason and entry.event_ref
        for entry in audit
    ), "audited like a webhook event, naming the deal"
    (row,) = _rows(populated, "SELECT Status__c, Amount__c FROM Refnet_Referral__c")
    assert (row["Status__c"], row["Amount__c"]) == ("won", 48000.0), "written back in the run"
