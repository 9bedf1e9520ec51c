"""Contributions and pending rewards where a Salesforce sales user looks: as records of
Refnet_Contribution__c linked to the Contacts and the referral, through simple-salesforce
into the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.model import ContributionKind
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from mappings.objects import mapped_objects
from tests.connector.club.builders import synthetic_club
from tests.connector.contributions.builders import contribution, pending_reward


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


def test_contributions_and_pending_rewards_reach_salesforce(store: Store, sandbox: Sandbox) -> None:
    synthetic_club(
        store, active=3, referrals_between=2, won_value_each="1000.00", non_member_referrals=0
    )
    with store.transaction() as tx:
        tx.put_many(
            [
                contribution("ctb-1", ContributionKind.FAVOUR, "m1", "m2", value="750.00"),
                contribution("ctb-2", ContributionKind.INTRODUCTION, "emp", "m1"),
                contribution(
                    "ctb-3", ContributionKind.JOINT_EVENT, None, "m3", event_ref="evt-2025-05"
                ),
                pending_reward("rwd-1", "m1", "rb-0"),
            ]
        )
    adapter = salesforce_adapter(load_settings(), sandbox)
    adapter.provision()
    summary = run_sync(
        store, adapter, mapped_objects(adapter.mappings, RulesConfig().multiplier), target="sandbox"
    )
    assert summary.counts.failed == 0
    crm = sandbox.salesforce_client()
    contacts = {
        r["Refnet_Id__c"]: r["Id"]
        for r in crm.query_all("SELECT Id, Refnet_Id__c FROM Contact")["records"]
    }
    (referral,) = crm.query_all("SELECT Id FROM Refnet_Referral__c WHERE Refnet_Id__c = 'rb-0'")[
        "records"
    ]
    rows = {
        r["Refnet_Id__c"]: r
        for r in crm.query_all(
            "SELECT Refnet_Id__c, Kind__c, Giver__c, Receiver__c, Status__c, Given_On__c, "
            "Value__c, Value_Currency__c, Event_Ref__c, Referral__c FROM Refnet_Contribution__c"
        )["records"]
    }
    assert set(rows) == {"ctb-1", "ctb-2", "ctb-3", "rwd-1"}
    favour = rows["ctb-1"]
    assert (favour["Kind__c"], favour["Giver__c"], favour["Receiver__c"]) == (
        "favour",
        contacts["m1"],
        contacts["m2"],
    )
    assert (favour["Value__c"], favour["Value_Currency__c"], favour["Given_On__c"]) == (
        750.0,
        "EUR",
        "2025-05-01",
    )
    # The company's side stays empty: it has no Contact.
    assert (rows["ctb-3"]["Giver__c"], rows["ctb-3"]["Event_Ref__c"]) == (None, "evt-2025-05")
    reward = rows["rwd-1"]
    assert (reward["Status__c"], reward["Given_On__c"], reward["Referral__c"]) == (
        "pending",
        None,
        referral["Id"],
    )
