"""Joint events and last contacts where a HubSpot sales user looks (issue #18, item 10):
through hubspot-api-client into the sandbox portal, which checks every property."""

from __future__ import annotations

from datetime import date

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox
from connector.joint_events import add_event
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
