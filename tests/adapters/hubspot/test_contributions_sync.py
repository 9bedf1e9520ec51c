"""Contributions and pending rewards where a HubSpot sales user looks: records of the
refnet_contribution object associated with the contacts, through hubspot-api-client into
the sandbox portal."""

from __future__ import annotations

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox
from connector.model import ContributionKind
from connector.rules import RulesConfig
from connector.store import Store
from connector.sync.engine import run_sync
from mappings import MappingSet
from mappings.objects import mapped_objects
from tests.connector.club.builders import synthetic_club
from tests.connector.contributions.builders import contribution, pending_reward


def test_contributions_and_pending_rewards_reach_the_portal(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    synthetic_club(
        store, active=3, referrals_between=2, won_value_each="1000.00", non_member_referrals=0
    )
    with store.transaction() as tx:
        tx.put_many(
            [
                contribution("ctb-1", ContributionKind.FAVOUR, "m1", "m2", value="750.00"),
                contribution("ctb-3", ContributionKind.JOINT_EVENT, None, "m3", event_ref="e-1"),
                pending_reward("rwd-1", "m1", "rb-0"),
            ]
        )
    objects = mapped_objects(hubspot_mappings, RulesConfig().multiplier)
    summary = run_sync(store, adapter, objects, target="hubspot")
    assert summary.counts.failed == 0

    contacts = sandbox.hubspot.schema.resolve("contacts")
    assert contacts is not None
    m1 = sandbox.hubspot.records.find(contacts, "refnet_id", "m1")
    m2 = sandbox.hubspot.records.find(contacts, "refnet_id", "m2")
    assert m1 is not None and m2 is not None

    ids = adapter.portal_ids()
    object_type = ids.object_type("refnet_contribution")
    kind = sandbox.hubspot.schema.resolve(object_type)
    assert kind is not None
    favour = sandbox.hubspot.records.find(kind, "refnet_id", "ctb-1")
    assert favour is not None
    assert favour.properties["refnet_name"] == "favour: Member m1 → Member m2"
    assert favour.properties["kind"] == "favour"
    assert favour.properties["status"] == "given"
    assert favour.properties["given_on"] == "2025-05-01"
    assert favour.properties["contribution_value"] == "750.0"
    linked = set(sandbox.hubspot.associations.targets(object_type, favour.id, "0-1"))
    assert linked == {m1.id, m2.id}
    event = sandbox.hubspot.records.find(kind, "refnet_id", "ctb-3")
    assert event is not None
    assert event.properties["refnet_name"] == "joint_event: us → Member m3"
    reward = sandbox.hubspot.records.find(kind, "refnet_id", "rwd-1")
    assert reward is not None
    assert reward.properties["status"] == "pending"
    assert not reward.properties.get("given_on")
