"""Removals, seeds and pulls through the real adapter and simple-salesforce, on the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.metadata import ARCHIVE_FIELD
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.crm import RemovedRecord
from connector.errors import ConfigError
from connector.model import Circle, Member, Profile, Referral
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import RunSummary, SyncOptions, run_sync
from mappings.objects import mapped_objects
from tests.connector.factories import member, referral

REFERRAL = "Refnet_Referral__c"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


@pytest.fixture
def adapter(sandbox: Sandbox) -> SalesforceAdapter:
    made = salesforce_adapter(load_settings(), sandbox)
    made.provision()
    return made


def _rows(sandbox: Sandbox, soql: str) -> dict[str, dict[str, Any]]:
    return {r["Refnet_Id__c"]: r for r in sandbox.salesforce_client().query_all(soql)["records"]}


def _network(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                member(
                    "c1",
                    organisation="Keller GmbH",
                    profile=Profile(vision="Every drive in the region from us"),
                ),
                member("c2", organisation="Brandt KG"),
                *(member(f"p{i}", circle=Circle.PROSPECT) for i in range(3)),
            ]
        )
        tx.put_many(
            [
                referral("r0", "c1", "p0").model_copy(update={"note": "met at the fair"}),
                referral("r1", "c1", "p1"),
                referral("r2", "c2", "p2").model_copy(update={"deal_id": "hubspot-deal-7"}),
            ]
        )


def _move(store: Store, member_id: str, organisation: str) -> None:
    with store.transaction() as tx:
        found = tx.get(Member, member_id)
        tx.put(found.model_copy(update={"organisation": organisation}))


def _sync(store: Store, adapter: SalesforceAdapter, **options: Any) -> RunSummary:
    objects = mapped_objects(adapter.mappings, RulesConfig().multiplier)
    return run_sync(store, adapter, objects, target="sandbox", options=SyncOptions(**options))


def test_delete_by_id_by_external_id_and_of_a_record_already_gone(
    store: Store, adapter: SalesforceAdapter, sandbox: Sandbox
) -> None:
    _network(store)
    assert _sync(store, adapter).counts.failed == 0
    ids = {
        key: row["Id"]
        for key, row in _rows(sandbox, f"SELECT Id, Refnet_Id__c FROM {REFERRAL}").items()
    }
    result = adapter.delete_batch(
        REFERRAL,
        [RemovedRecord("r0", ids["r0"]), RemovedRecord("r1", None), RemovedRecord("zz", None)],
    )
    assert [(o.key, o.ok) for o in result.outcomes] == [("r0", True), ("r1", True), ("zz", True)]
    assert set(_rows(sandbox, f"SELECT Id, Refnet_Id__c FROM {REFERRAL}")) == {"r2"}
    again = adapter.delete_batch(REFERRAL, [RemovedRecord("r0", ids["r0"])])
    assert again.outcomes[0].ok, "deleting a deleted record is what was wanted"
    with pytest.raises(ConfigError, match="never deletes Contact"):
        adapter.delete_batch("Contact", [RemovedRecord("c1", None)])


def test_an_organisation_no_member_belongs_to_any_more_is_archived_never_deleted(
    store: Store, adapter: SalesforceAdapter, sandbox: Sandbox
) -> None:
    _network(store)
    _sync(store, adapter)
    _move(store, "c2", "Keller GmbH")  # e.g. the organisation had been entered wrongly
    summary = _sync(store, adapter, removals="delete")
    accounts = _rows(sandbox, f"SELECT Refnet_Id__c, {ARCHIVE_FIELD} FROM Account")
    assert {"org:keller", "org:brandt"} <= set(accounts), "an Account is never deleted"
    assert accounts["org:brandt"][ARCHIVE_FIELD] is True
    assert accounts["org:keller"][ARCHIVE_FIELD] is False
    assert summary.counts.removed == 1
    _move(store, "c2", "Brandt KG")
    _sync(store, adapter, removals="delete")
    accounts = _rows(sandbox, f"SELECT Refnet_Id__c, {ARCHIVE_FIELD} FROM Account")
    assert accounts["org:brandt"][ARCHIVE_FIELD] is False, "back in refnet, back in view"


def test_crm_owned_fields_are_seeded_once_then_read_back(
    store: Store, adapter: SalesforceAdapter, sandbox: Sandbox
) -> None:
    _network(store)
    _sync(store, adapter)
    referrals = _rows(sandbox, f"SELECT Refnet_Id__c, Note__c FROM {REFERRAL}")
    assert referrals["r0"]["Note__c"] == "met at the fair"
    contacts = _rows(sandbox, "SELECT Refnet_Id__c, Refnet_Vision__c FROM Contact")
    assert contacts["c1"]["Refnet_Vision__c"] == "Every drive in the region from us"

    crm = sandbox.salesforce_client()
    crm.Refnet_Referral__c.upsert("Refnet_Id__c/r1", {"Note__c": "called back, visit on Tuesday"})
    crm.Refnet_Referral__c.upsert("Refnet_Id__c/r0", {"Note__c": None})
    summary = _sync(store, adapter)
    with store.reading() as tx:
        assert tx.get(Referral, "r1").note == "called back, visit on Tuesday"
        assert tx.get(Referral, "r0").note is None, "clearing it in Salesforce clears it here"
        vision = tx.get(Member, "c1").profile.vision
        deal = tx.get(Referral, "r2").deal_id
    assert vision == "Every drive in the region from us", "the first pull wiped nothing"
    assert deal == "hubspot-deal-7", "an empty Opportunity link wipes no deal refnet knows"
    assert summary.counts.pulled == 2
    assert summary.counts.sent == 0, "pulled fields are not pushed back"


def test_archiving_a_record_a_user_deleted_creates_no_empty_shell(
    store: Store, adapter: SalesforceAdapter, sandbox: Sandbox
) -> None:
    _network(store)
    _sync(store, adapter)
    soql = f"SELECT Id, Refnet_Id__c, {ARCHIVE_FIELD} FROM {REFERRAL}"
    ids = {key: row["Id"] for key, row in _rows(sandbox, soql).items()}
    sandbox.salesforce_client().Refnet_Referral__c.delete(ids["r1"])  # a sales user cleans up
    result = adapter.archive_batch(
        REFERRAL, [RemovedRecord("r0", ids["r0"]), RemovedRecord("r1", ids["r1"])]
    )
    assert [(o.key, o.ok) for o in result.outcomes] == [("r0", True), ("r1", True)]
    rows = _rows(sandbox, soql)
    assert set(rows) == {"r0", "r2"}, "r1 stays deleted"
    assert rows["r0"][ARCHIVE_FIELD] is True and rows["r2"][ARCHIVE_FIELD] is False
