"""The club where a Salesforce sales user looks: on the Contact, the club and introductions,
synced through simple-salesforce into the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.model import Club, IntroductionStatus, Membership, MembershipStatus
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from mappings.objects import mapped_objects
from tests.connector.club.builders import introduction, synthetic_club


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


def test_club_fields_reach_contacts_club_and_introductions(store: Store, sandbox: Sandbox) -> None:
    synthetic_club(
        store, active=3, referrals_between=2, won_value_each="1000.00", non_member_referrals=0
    )
    with store.transaction() as tx:
        tx.put(tx.get(Club, "club-1").model_copy(update={"moderator_id": "emp"}))
        tx.put(tx.get(Membership, "ms-1").model_copy(update={"status": MembershipStatus.TRIAL}))
        tx.put(
            introduction(
                "int-1",
                "m1",
                "m2",
                status=IntroductionStatus.BUSINESS_DONE,
                follow_up_on=date(2025, 6, 1),
                outcome="Auftrag über Drehteile",
                value=Decimal("8500.00"),
            )
        )
    adapter = salesforce_adapter(load_settings(), sandbox)
    adapter.provision()
    summary = run_sync(
        store, adapter, mapped_objects(adapter.mappings, RulesConfig().multiplier), target="sandbox"
    )
    assert summary.counts.failed == 0
    crm = sandbox.salesforce_client()
    contacts = {
        r["Refnet_Id__c"]: r
        for r in crm.query_all(
            "SELECT Id, Refnet_Id__c, Refnet_Club_Status__c, Refnet_Club_Trial_Ends__c FROM Contact"
        )["records"]
    }
    assert contacts["m1"]["Refnet_Club_Status__c"] == "Kundenclub: trial"
    assert contacts["m1"]["Refnet_Club_Trial_Ends__c"] == "2026-01-01"
    assert contacts["m2"]["Refnet_Club_Status__c"] == "Kundenclub: member"
    assert contacts["m4"]["Refnet_Club_Status__c"] == "Kundenclub: left"
    assert contacts["n1"]["Refnet_Club_Status__c"] is None
    (club,) = crm.query_all(
        "SELECT Moderator__c, Pilot_Starts_On__c, Pilot_Ends_On__c, Pilot_Goal_Members__c, "
        "Pilot_Goal_Business__c FROM Refnet_Club__c"
    )["records"]
    assert club["Moderator__c"] == contacts["emp"]["Id"]
    assert (club["Pilot_Starts_On__c"], club["Pilot_Ends_On__c"]) == ("2025-01-01", "2025-12-31")
    assert (club["Pilot_Goal_Members__c"], club["Pilot_Goal_Business__c"]) == (4, 10000.0)
    (intro,) = crm.query_all(
        "SELECT Follow_Up_On__c, Outcome__c, Value__c FROM Refnet_Introduction__c"
    )["records"]
    assert intro == {
        **intro,
        "Follow_Up_On__c": "2025-06-01",
        "Outcome__c": "Auftrag über Drehteile",
        "Value__c": 8500.0,
    }
    (left,) = crm.query_all(
        "SELECT Left_On__c, Responded_On__c FROM Refnet_Membership__c WHERE Refnet_Id__c = 'ms-4'"
    )["records"]
    assert (left["Left_On__c"], left["Responded_On__c"]) == ("2025-03-01", "2024-12-15")
