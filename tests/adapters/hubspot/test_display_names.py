"""What sales users see: custom-object records named after the people they connect."""

from __future__ import annotations

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox
from connector.model import (
    Agreement,
    Connection,
    Introduction,
    Membership,
    Partnership,
    Referral,
)
from connector.rules import RulesConfig
from connector.store import Store
from connector.sync.engine import run_sync
from mappings import MappingSet
from mappings.display import display_names
from mappings.objects import mapped_objects
from tests.connector.factories import agreement, club, member, membership, partnership, referral


def _network(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1").model_copy(update={"name": "Anna Weber"}),
                member("p1", circle="prospect").model_copy(update={"name": "Vogel GmbH"}),
                member("e1", circle="employee").model_copy(update={"name": "Jörg Schäfer"}),
            ]
        )
        tx.put(club())
        tx.put_many(
            [
                referral("r1", "c1", "p1"),
                partnership(id="pa-1", member_id="p1", owner_id="e1"),
                agreement(id="ag-1", partnership_id="pa-1"),
                membership(id="ms-1", club_id="club-1", member_id="c1"),
                Connection(id="cn-1", from_id="e1", to_id="p1", strength=4),
                Introduction(id="in-1", member_a_id="c1", member_b_id="p1", reason="Region"),
            ]
        )


def test_every_kind_gets_a_readable_name(store: Store) -> None:
    _network(store)
    with store.reading() as tx:
        pages = [
            tx.get(Referral, "r1"),
            tx.get(Partnership, "pa-1"),
            tx.get(Agreement, "ag-1"),
            tx.get(Membership, "ms-1"),
            tx.get(Connection, "cn-1"),
            tx.get(Introduction, "in-1"),
        ]
        names = {k: v["display_name"] for k, v in display_names(tx, pages).items()}
    assert names == {
        "r1": "Anna Weber → Vogel GmbH",
        "pa-1": "Vogel GmbH",
        "ag-1": "Zielvereinbarung Vogel GmbH",
        "ms-1": "Anna Weber · Kundenclub",
        "cn-1": "Jörg Schäfer ↔ Vogel GmbH",
        "in-1": "Anna Weber ↔ Vogel GmbH",
    }


def test_the_synced_referral_is_named_and_displayed_by_that_name(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    _network(store)
    objects = mapped_objects(hubspot_mappings, RulesConfig().multiplier)
    assert run_sync(store, adapter, objects, target="hubspot").counts.failed == 0
    for name in ("refnet_referral", "refnet_partnership", "refnet_introduction"):
        kind = sandbox.hubspot.schema.resolve(adapter.portal_ids().object_type(name))
        assert kind is not None
        assert kind.primary_display_property == "refnet_name"
    referral_kind = sandbox.hubspot.schema.resolve(
        adapter.portal_ids().object_type("refnet_referral")
    )
    assert referral_kind is not None
    stored = [r.properties for r in sandbox.hubspot.records.all(referral_kind)]
    assert [(p["refnet_id"], p["refnet_name"]) for p in stored] == [
        ("r1", "Anna Weber → Vogel GmbH")
    ]


def test_contacts_carry_the_companys_warm_path_for_the_card(
    adapter: HubSpotAdapter, sandbox: Sandbox, store: Store, hubspot_mappings: MappingSet
) -> None:
    _network(store)
    objects = mapped_objects(hubspot_mappings, RulesConfig().multiplier)
    assert run_sync(store, adapter, objects, target="hubspot").counts.failed == 0
    contacts = sandbox.hubspot.schema.resolve("contacts")
    assert contacts is not None
    paths = {
        r.properties["refnet_id"]: r.properties.get("refnet_warm_path")
        for r in sandbox.hubspot.records.all(contacts)
        if r.properties.get("refnet_id")
    }
    # Jörg (employee) knows Vogel GmbH at strength 4: one hop, trust 0.75.
    assert paths["p1"] == "Jörg Schäfer →(4) Vogel GmbH (quality 0.75)"
    assert paths["e1"] in (None, "")  # an employee needs no introduction
