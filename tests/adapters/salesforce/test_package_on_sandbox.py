"""The whole package (schema, sales app, deal events) provisioned onto the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from zeep.helpers import serialize_object

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.deal_events import OutboundEndpoint
from adapters.salesforce.package import package_components
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.settings import load_settings

TOKEN = "tok-0123456789abcdefghijklmnopqrstuv"
ENDPOINT = OutboundEndpoint(
    "https://refnet.vogel.example", SecretStr(TOKEN), "integration@vogel.example", "62.0"
)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


@pytest.fixture
def adapter(sandbox: Sandbox) -> SalesforceAdapter:
    return salesforce_adapter(load_settings(), sandbox)


def _read(adapter: SalesforceAdapter, kind: str, name: str) -> dict[str, Any]:
    record = getattr(adapter.client().mdapi, kind).read([name])
    body: dict[str, Any] = serialize_object(record, dict)
    return body


def test_everything_is_created_once_and_a_second_run_only_reads(
    adapter: SalesforceAdapter,
) -> None:
    components = package_components(adapter.mappings, endpoint=ENDPOINT)

    first = adapter.provision(endpoint=ENDPOINT)
    second = adapter.provision(endpoint=ENDPOINT)

    assert len(first) == len(components)
    kinds = {c.type for c in components}
    assert {"Layout", "CustomTab", "CustomApplication", "Workflow", "Flow"} <= kinds
    assert second == []


def test_the_flow_sends_the_outbound_message_to_the_token_url(adapter: SalesforceAdapter) -> None:
    report = adapter.provision_report(endpoint=ENDPOINT)

    assert TOKEN not in repr(ENDPOINT)
    assert not [line for line in report.changed if TOKEN in line]  # what the CLI prints

    workflow = _read(adapter, "Workflow", "Opportunity")
    (message,) = workflow["outboundMessages"]
    assert message["endpointUrl"] == f"https://refnet.vogel.example/salesforce/outbound/{TOKEN}"
    assert {"StageName", "IsWon", "IsClosed", "Refnet_Referral_Id__c"} <= set(message["fields"])
    assert message["includeSessionId"] is False

    flow = _read(adapter, "Flow", "Refnet_Deal_Event")
    assert flow["start"]["object"] == "Opportunity"
    assert flow["start"]["triggerType"] == "RecordAfterSave"
    (action,) = flow["actionCalls"]
    assert (action["actionType"], action["actionName"]) == (
        "outboundMessage",
        f"Opportunity.{message['fullName']}",
    )


def test_sales_users_get_related_lists_on_contact_and_opportunity(
    adapter: SalesforceAdapter,
) -> None:
    adapter.provision()

    contact = _read(adapter, "Layout", "Contact-Contact Layout")
    related = {r["relatedList"] for r in contact["relatedLists"]}
    assert {
        "Refnet_Referral__c.Referrer__c",  # referrals given
        "Refnet_Referral__c.Recipient__c",  # referrals received
        "Refnet_Partnership__c.Partner__c",
        "Refnet_Membership__c.Member__c",
    } <= related
    opportunity = _read(adapter, "Layout", "Opportunity-Opportunity Layout")
    assert [r["relatedList"] for r in opportunity["relatedLists"]] == [
        "Refnet_Referral__c.Opportunity__c"
    ]
    app = _read(adapter, "CustomApplication", "Refnet")
    assert "Refnet_Referral__c" in app["tabs"] and app["uiType"] == "Lightning"


def test_an_admins_related_list_and_app_tab_survive_a_second_provision(
    adapter: SalesforceAdapter,
) -> None:
    adapter.provision()
    mdapi = adapter.client().mdapi
    layout = {k: v for k, v in _read(adapter, "Layout", "Contact-Contact Layout").items() if v}
    layout["relatedLists"].append({"relatedList": "RelatedContactRoleList"})
    mdapi.Layout.update([mdapi.Layout(**layout)])
    app = {k: v for k, v in _read(adapter, "CustomApplication", "Refnet").items() if v}
    app["tabs"] = [t for t in app["tabs"] if t != "Refnet_Connection__c"] + ["standard-Lead"]
    mdapi.CustomApplication.update([mdapi.CustomApplication(**app)])

    assert adapter.provision() == ["update CustomApplication Refnet (tabs)"]

    related = [
        r["relatedList"] for r in _read(adapter, "Layout", "Contact-Contact Layout")["relatedLists"]
    ]
    assert "RelatedContactRoleList" in related
    tabs = _read(adapter, "CustomApplication", "Refnet")["tabs"]
    assert "Refnet_Connection__c" in tabs and "standard-Lead" in tabs
