"""The whole path: a signed HubSpot event → referral won → referrer promoted → written back
to the CRM (the sandbox's Salesforce, through the real adapter and client library)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.model import Circle, ReferralStatus
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from connector.sync.targets import SyncTarget
from connector.writeback import pending_writebacks
from mappings.objects import mapped_objects
from tests.connector.factories import member, referral
from tests.webhooks.conftest import (
    T0,
    Clock,
    context_of,
    hubspot_event,
    make_settings,
    post_hubspot,
)
from webhooks import create_app


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    # salesforce_adapter points zeep at the sandbox CA through the environment; undo it after.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


def test_a_won_deal_event_reaches_the_crm_without_anyone_clicking(
    store: Store, sandbox: Sandbox
) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1", organisation="Keller GmbH"),
                *(member(f"p{i}", circle=Circle.PROSPECT) for i in range(3)),
                referral("r0", "c1", "p0", status=ReferralStatus.QUALIFIED),
                referral("r1", "c1", "p1", status=ReferralStatus.WON),
                referral("r2", "c1", "p2").model_copy(update={"deal_id": "9001"}),
            ]
        )
    adapter = salesforce_adapter(load_settings(), sandbox)
    adapter.provision()
    target = SyncTarget(
        "sandbox", adapter, mapped_objects(adapter.mappings, RulesConfig().multiplier)
    )
    assert run_sync(store, adapter, target.objects, target="sandbox").counts.failed == 0

    app = create_app(make_settings(), store=store, rules=RulesConfig(), clock=Clock(),
                     targets=[target])  # fmt: skip
    client = app.test_client()
    won = hubspot_event(1, "deal.propertyChange", 9001, occurred_at=T0 - timedelta(seconds=5),
                        property_name="dealstage", property_value="closedwon")  # fmt: skip
    calls_before = sandbox.request_count("salesforce.collections_upsert")
    assert post_hubspot(client, [won], at=T0).status_code == 200
    step = context_of(app).worker.step()

    assert (step.done, step.written_back) == (1, 2)
    assert pending_writebacks(store) == []
    crm = sandbox.salesforce_client()
    ref = crm.query("SELECT Status__c FROM Refnet_Referral__c WHERE Refnet_Id__c = 'r2'")
    assert ref["records"][0]["Status__c"] == "won"
    contact = crm.query("SELECT Refnet_Ladder_Stage__c FROM Contact WHERE Refnet_Id__c = 'c1'")[
        "records"
    ][0]
    assert contact["Refnet_Ladder_Stage__c"] == "referrer"
    # Only what changed went out: the referral, and c1 on Contact and Account (its stage and
    # scores); nothing else was re-sent.
    assert sandbox.request_count("salesforce.collections_upsert") - calls_before == 3
