"""The connector score reaches the CRM through the shipped Salesforce member mappings."""

from __future__ import annotations

from connector.model import Circle, Connection
from connector.rules import MultiplierWeights
from connector.store import Store
from mappings import load_mappings
from mappings.objects import mapped_objects
from tests.connector import factories


def test_members_carry_their_connector_score_on_contact_and_account(store: Store) -> None:
    # c1 — p1 — c2: p1 is the only bridge and recorded one willing, one unwilling connection.
    with store.transaction() as tx:
        tx.put_many(
            [
                factories.member("c1"),
                factories.member("c2"),
                factories.member("p1", Circle.PARTNER, organisation="Bank AG"),
                Connection(
                    id="k1", from_id="p1", to_id="c1", strength=3, willing_to_introduce=True
                ),
                Connection(id="k2", from_id="p1", to_id="c2", strength=3),
            ]
        )
    objects = {o.name: o for o in mapped_objects(load_mappings("salesforce"), MultiplierWeights())}
    with store.reading() as tx:
        contacts = {d.record_id: d.fields for d in objects["Contact"].page(tx, None, 10)}
        accounts = {d.record_id: d.fields for d in objects["Account"].page(tx, None, 10)}
    # bridge 1, willingness 1/2: 100 · (0.5 + 0.5 · 0.5)
    assert contacts["p1"]["Refnet_Connector_Score__c"] == 75.0
    assert contacts["c1"]["Refnet_Connector_Score__c"] == 0.0
    assert accounts["org:bank"]["Refnet_Connector_Score__c"] == 75.0, "keyed by organisation"
