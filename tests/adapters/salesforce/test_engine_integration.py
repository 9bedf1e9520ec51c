"""The sync engine, the mappings and the Salesforce adapter together, over HTTP.

The daily limit must stop a run cleanly (checkpointed, resumable) and the next run must send
only what the stopped one did not.
"""

from __future__ import annotations

from collections.abc import Callable

import responses
from responses.registries import OrderedRegistry

from adapters.salesforce.adapter import SalesforceAdapter
from connector.model import Record
from connector.store import Store, Tx
from connector.sync.engine import run_sync
from connector.sync.objects import Desired
from mappings import MappingSet, ObjectMapping, to_crm_fields
from tests.adapters.salesforce.fakes import Collections, error_body
from tests.connector.factories import member, referral

OBJ = "Refnet_Referral__c"


class MappedObject:
    """A sync object whose CRM fields are exactly what its mapping pushes."""

    def __init__(self, mapping: ObjectMapping) -> None:
        self.mapping = mapping

    @property
    def name(self) -> str:
        return self.mapping.object

    @property
    def kind(self) -> str:
        return self.mapping.name

    def count(self, tx: Tx) -> int:
        return tx.count(self.mapping.model)

    def page(self, tx: Tx, after: str | None, limit: int) -> list[Desired]:
        records: list[Record] = tx.page(self.mapping.model, after, limit)
        return [Desired(r.id, to_crm_fields(self.mapping, r)) for r in records]


def test_the_daily_limit_stops_the_run_and_the_next_run_resumes(
    store: Store, make_adapter: Callable[..., SalesforceAdapter], mappings: MappingSet
) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), *(member(f"x{i:03d}", circle="prospect") for i in range(450))])
        tx.put_many([referral(f"r{i:03d}", "c1", f"x{i:03d}") for i in range(450)])
    mapping = mappings.by_object(OBJ)
    assert mapping is not None
    objects = [MappedObject(mapping)]
    fake = Collections()
    limit = error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")

    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        fake.register(rsps, OBJ)
        rsps.add(responses.PATCH, fake.url(OBJ), status=403, body=limit)
        stopped = run_sync(store, make_adapter(), objects, target="salesforce")

    assert stopped.status == "stopped"
    assert "ApiLimitReached" in (stopped.stop_reason or "")
    assert stopped.counts.succeeded == 200

    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        fake.register(rsps, OBJ, times=2)
        resumed = run_sync(store, make_adapter(), objects, target="salesforce")

    assert resumed.status == "completed"
    assert resumed.counts.sent == 250
    assert resumed.counts.api_calls == 2
    sent = [rec["Refnet_Id__c"] for body in fake.requests for rec in body["records"]]
    assert sorted(sent) == [f"r{i:03d}" for i in range(450)]  # each record written once
    first = fake.requests[0]["records"][0]
    assert first["Referrer__r"] == {"Refnet_Id__c": "c1"}
    assert first["Status__c"] == "open"
