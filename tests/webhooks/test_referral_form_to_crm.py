"""A form submission reaches both CRMs where sales users look: the new contact and the
open referral, written back by the inbox worker through the real adapters (sandbox)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from adapters.hubspot.target import writable_objects
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.hubspot_target import hubspot_adapter
from adapters.sandbox.target import salesforce_adapter
from connector.model import Referral
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from connector.sync.targets import SyncTarget
from connector.writeback import pending_writebacks
from mappings.objects import mapped_objects
from tests.webhooks.conftest import context_of
from tests.webhooks.referral_form_fixtures import REFERRER, form_app, form_settings, new_link

_HIDDEN = re.compile(r'name="(csrf_token|submission)" type="hidden" value="([^"]+)"')


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it; undo after
    monkeypatch.setenv("REFNET_SANDBOX_DIR", str(tmp_path / "sandbox"))
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


def _submit(app: Flask, path: str) -> None:
    client = app.test_client()
    hidden = dict(_HIDDEN.findall(client.get(path).text))
    answer = client.post(
        path,
        data={
            **hidden,
            "name": "Jonas Berg",
            "company": "Berg Logistik GmbH",
            "email": "jonas.berg@berg-logistik.example",
            "note": "Sucht einen Partner für Antriebstechnik.",
            "consent": "y",
        },
    )
    assert answer.status_code == 200, answer.text


def test_the_referral_and_the_new_contact_reach_salesforce_and_hubspot(
    store: Store, sandbox: Sandbox
) -> None:
    settings = form_settings()
    link = new_link(store, settings)
    core = load_settings()
    salesforce = salesforce_adapter(core, sandbox)
    salesforce.provision()
    hubspot = hubspot_adapter(core, sandbox)
    hubspot.provision()
    targets = [
        SyncTarget(
            "sandbox", salesforce, mapped_objects(salesforce.mappings, RulesConfig().multiplier)
        ),
        SyncTarget("sandbox-hubspot", hubspot, writable_objects(hubspot, core)),
    ]
    for target in targets:  # the referrer is in both CRMs already
        assert (
            run_sync(store, target.adapter, target.objects, target=target.name).counts.failed == 0
        )
    contacts_before = sandbox.hubspot_counts()["contacts"]

    app = form_app(store, settings, start_worker=False, targets=targets)
    _submit(app, f"/empfehlen/{link.token}")
    step = context_of(app).worker.step()

    assert step.done == 1 and pending_writebacks(store) == []
    with store.reading() as tx:
        (referral,) = tx.find(Referral, referrer_id=REFERRER.id)
    crm = sandbox.salesforce_client()
    referrer_contact = crm.query(f"SELECT Id FROM Contact WHERE Refnet_Id__c = '{REFERRER.id}'")
    found = crm.query(
        "SELECT Status__c, Referrer__c, Note__c FROM Refnet_Referral__c "
        f"WHERE Refnet_Id__c = '{referral.id}'"
    )["records"]
    # The note is CRM-owned (pulled) but seeded when refnet creates the record.
    assert [(r["Status__c"], r["Referrer__c"], r["Note__c"]) for r in found] == [
        ("open", referrer_contact["records"][0]["Id"], "Sucht einen Partner für Antriebstechnik.")
    ]
    contact = crm.query(f"SELECT Email FROM Contact WHERE Refnet_Id__c = '{referral.referred_id}'")[
        "records"
    ]
    assert [c["Email"] for c in contact] == ["jonas.berg@berg-logistik.example"]
    assert sandbox.hubspot_counts()["contacts"] == contacts_before + 1
