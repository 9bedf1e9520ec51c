"""Joint events and last contacts where a HubSpot sales user looks (issue #18, item 10):
through hubspot-api-client into the sandbox portal, which checks every property."""

from __future__ import annotations

from datetime import UTC, date, datetime

import requests

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox
from connector.intelligence import IntelligenceConfig, analyse_upkeep
from connector.joint_events import add_event
from connector.model import Member
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store
from connector.sync.engine import run_sync
from mappings import MappingSet
from mappings.objects import mapped_objects
from tests.connector.upkeep.network import small_network


def test_events_and_last_contacts_reach_the_portal(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    small_network(store)
    event = add_event(
        store,
        title="Kundenabend",
        held_on=date(2025, 11, 20),
        host_id="emp",
        attendee_ids=["c1", "c2"],
        reason="Kundenabend",
        actor=Actor("test"),
    ).event
    summary = run_sync(
        store, adapter, mapped_objects(hubspot_mappings, RulesConfig().multiplier), target="hubspot"
    )
    assert summary.counts.failed == 0

    contacts = sandbox.hubspot.schema.resolve("contacts")
    assert contacts is not None
    emp = sandbox.hubspot.records.find(contacts, "refnet_id", "emp")
    assert emp is not None
    ids = adapter.portal_ids()
    event_type = ids.object_type("refnet_joint_event")
    kind = sandbox.hubspot.schema.resolve(event_type)
    assert kind is not None
    synced = sandbox.hubspot.records.find(kind, "refnet_id", event.id)
    assert synced is not None
    assert synced.properties["refnet_name"] == "Kundenabend · 20.11.2025"
    assert synced.properties["held_on"] == "2025-11-20"
    assert synced.properties["kind"] == "club_evening"
    assert synced.properties["attendees"] == "Kunde 1, Kunde 2"
    assert synced.properties["attendee_count"] == "2"
    assert list(sandbox.hubspot.associations.targets(event_type, synced.id, "0-1")) == [emp.id]

    connection_kind = sandbox.hubspot.schema.resolve(ids.object_type("refnet_connection"))
    assert connection_kind is not None
    tie = sandbox.hubspot.records.find(connection_kind, "refnet_id", "con-c1-c2")
    assert tie is not None
    assert tie.properties["last_contact_on"] == "2025-11-20"


def test_the_contacts_last_contacted_is_read_back_and_keeps_a_tie_warm(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    small_network(store)
    objects = mapped_objects(hubspot_mappings, RulesConfig().multiplier)
    assert run_sync(store, adapter, objects, target="hubspot").counts.failed == 0
    contacts = sandbox.hubspot.schema.resolve("contacts")
    assert contacts is not None
    kunde1 = sandbox.hubspot.records.find(contacts, "refnet_id", "c1")
    assert kunde1 is not None
    # HubSpot calculates "Last Contacted": the API refuses to write it.
    refused = requests.post(
        f"{sandbox.hubspot_url}/crm/v3/objects/contacts/batch/update",
        json={"inputs": [{"id": str(kunde1.id), "properties": {"notes_last_contacted": "1"}}]},
        headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
        timeout=10,
    )
    # A batch answers 207 with the record's error, as HubSpot does for partial failures.
    assert refused.status_code == 207 and "READ_ONLY_VALUE" in refused.text
    # A sales user logs a call with Kunde 1 at 00:30 Berlin time on 01.12.2025 (23:30 UTC the
    # day before); the next sync reads it back as the Berlin day.
    call = datetime(2025, 11, 30, 23, 30, tzinfo=UTC)
    sandbox.hubspot.records.log_activity(contacts, kunde1.id, int(call.timestamp() * 1000))
    assert run_sync(store, adapter, objects, target="hubspot").counts.failed == 0
    config = IntelligenceConfig()
    with store.reading() as tx:
        assert tx.get(Member, "c1").crm_last_activity_on == date(2025, 12, 1)
        upkeep = analyse_upkeep(tx, config.paths, config.upkeep, as_of=date(2025, 12, 31))
    assert [(t.employee_id, t.member_id) for t in upkeep.cooling] == [("emp2", "c3")]
