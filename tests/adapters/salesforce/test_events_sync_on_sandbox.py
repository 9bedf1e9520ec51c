"""Joint events and last contacts where a Salesforce sales user looks (issue #18, item 10):
synced through simple-salesforce into the sandbox, which checks every field against the
provisioned schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.intelligence import IntelligenceConfig, analyse_upkeep
from connector.joint_events import add_event
from connector.model import JointEventKind, Member
from connector.rules import RulesConfig
from connector.services import Actor
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from mappings.objects import mapped_objects
from tests.connector.upkeep.network import small_network


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


def test_events_with_host_and_attendees_and_last_contacts_reach_salesforce(
    store: Store, sandbox: Sandbox
) -> None:
    small_network(store)
    event = add_event(
        store,
        title="Partnerabend bei Vogel",
        held_on=date(2025, 11, 20),
        host_id="emp",
        kind=JointEventKind.PARTNER_EVENT,
        attendee_ids=["p1", "c2"],
        reason="Partnerabend",
        actor=Actor("test"),
    ).event
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
    (synced,) = crm.query_all(
        "SELECT Refnet_Id__c, Title__c, Held_On__c, Kind__c, Host__c, Attendees__c, "
        "Attendee_Count__c FROM Refnet_Joint_Event__c"
    )["records"]
    assert synced == {
        **synced,
        "Refnet_Id__c": event.id,
        "Title__c": "Partnerabend bei Vogel",
        "Held_On__c": "2025-11-20",
        "Kind__c": "partner_event",
        "Host__c": contacts["emp"],
        "Attendees__c": "Vogel GmbH, Kunde 2",
        "Attendee_Count__c": 2,
    }
    last = {
        r["Refnet_Id__c"]: r["Last_Contact_On__c"]
        for r in crm.query_all("SELECT Refnet_Id__c, Last_Contact_On__c FROM Refnet_Connection__c")[
            "records"
        ]
    }
    # The event moved emp–c2 forward; emp–p1 kept its later contact; c2–c3 has none.
    assert last["con-emp-c2"] == "2025-11-20"
    assert last["con-emp-p1"] == "2025-12-01"
    assert last["con-c2-c3"] is None


def test_the_contacts_last_activity_is_read_back_and_keeps_a_tie_warm(
    store: Store, sandbox: Sandbox
) -> None:
    small_network(store)
    adapter = salesforce_adapter(load_settings(), sandbox)
    adapter.provision()
    objects = mapped_objects(adapter.mappings, RulesConfig().multiplier)
    assert run_sync(store, adapter, objects, target="sandbox").counts.failed == 0
    crm = sandbox.salesforce_client()
    (kunde1,) = crm.query("SELECT Id FROM Contact WHERE Refnet_Id__c = 'c1'")["records"]
    # The org keeps LastActivityDate itself: the API refuses to write it.
    (refused,) = crm.restful(
        "composite/sobjects/Contact/Refnet_Id__c",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {
                    "attributes": {"type": "Contact"},
                    "Refnet_Id__c": "c1",
                    "LastActivityDate": "2025-12-01",
                }
            ],
        },
    )
    assert not refused["success"]
    assert refused["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    # A sales user closes a call task with Kunde 1 on 01.12.2025; the next sync reads it back.
    sandbox.salesforce.records.log_activity(kunde1["Id"], "2025-12-01")
    assert run_sync(store, adapter, objects, target="sandbox").counts.failed == 0
    config = IntelligenceConfig()
    with store.reading() as tx:
        assert tx.get(Member, "c1").crm_last_activity_on == date(2025, 12, 1)
        upkeep = analyse_upkeep(tx, config.paths, config.upkeep, as_of=date(2025, 12, 31))
    # emp–c1 (last met 01.02.2025) was cooling; the logged call keeps it warm.
    assert [(t.employee_id, t.member_id) for t in upkeep.cooling] == [("emp2", "c3")]
