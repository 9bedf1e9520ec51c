"""The fake HubSpot as strict as a live portal: seeded records, query parameters, limits, scopes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputForCreate,
)

from adapters.sandbox import Sandbox, SandboxConfig, run_sandbox
from adapters.sandbox.hubspot_portal_seed import COMPANIES, CONTACTS, PROJECT_PIPELINE
from adapters.sandbox.hubspot_records import MAX_VALUE_LENGTH


def _contact(hs: HubSpot, **properties: str) -> str:
    created = hs.crm.objects.batch_api.create(
        "contacts",
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[SimplePublicObjectBatchInputForCreate(properties=properties, associations=[])]
        ),
    )
    return str(created.results[0].id)


def test_every_repeated_properties_parameter_is_read(sandbox: Sandbox, hs: HubSpot) -> None:
    contact_id = _contact(hs, email="a@b.example", firstname="Ada", lastname="Lovelace")

    # hubspot-api-client sends one properties= per name (collection format "multi").
    one = hs.crm.objects.basic_api.get_by_id(
        "contacts", contact_id, properties=["firstname", "email"]
    )
    page = hs.crm.objects.basic_api.get_page("contacts", properties=["lastname", "firstname"])
    mixed = requests.get(
        f"{sandbox.hubspot_url}/crm/v3/objects/contacts/{contact_id}",
        params=[("properties", "firstname"), ("properties", "lastname,email")],
        headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
        timeout=10,
    ).json()

    assert (one.properties["firstname"], one.properties["email"]) == ("Ada", "a@b.example")
    assert page.results[0].properties["lastname"] == "Lovelace"
    assert page.results[0].properties["firstname"] == "Ada"
    assert {"firstname", "lastname", "email"} <= set(mixed["properties"])


def test_a_value_over_65536_characters_is_refused(sandbox: Sandbox, hs: HubSpot) -> None:
    contacts = sandbox.hubspot.schema.resolve("contacts")
    assert contacts is not None
    fits = sandbox.hubspot.records.create(
        contacts, [{"properties": {"lastname": "x" * MAX_VALUE_LENGTH}}]
    )
    too_long = sandbox.hubspot.records.create(
        contacts, [{"properties": {"lastname": "x" * (MAX_VALUE_LENGTH + 1)}}]
    )

    assert MAX_VALUE_LENGTH == 65_536
    assert fits[0].error is None
    error = too_long[0].error
    assert error is not None and error.errors[0]["code"] == "INVALID_STRING_LENGTH"
    assert error.errors[0]["context"]["propertyName"] == ["lastname"]


def test_a_search_takes_one_sort_only(sandbox: Sandbox, hs: HubSpot) -> None:
    _contact(hs, lastname="B")
    _contact(hs, lastname="A")
    search = hs.crm.objects.search_api.do_search

    one = search("contacts", PublicObjectSearchRequest(sorts=["lastname"], limit=10))
    with pytest.raises(Exception) as refused:
        search("contacts", PublicObjectSearchRequest(sorts=["lastname", "createdate"], limit=10))

    assert [r.properties["lastname"] for r in one.results] == ["A", "B"]
    assert getattr(refused.value, "status", None) == 400
    assert "one sorting rule" in json.loads(refused.value.body)["message"]  # type: ignore[attr-defined]


def test_a_withheld_scope_answers_403_missing_scopes(sandbox: Sandbox, hs: HubSpot) -> None:
    sandbox.withhold_scopes("crm.objects.contacts.write")

    with pytest.raises(Exception) as refused:
        _contact(hs, lastname="X")
    listed = hs.crm.objects.basic_api.get_page("contacts")  # reading still works

    body = json.loads(refused.value.body)  # type: ignore[attr-defined]
    assert getattr(refused.value, "status", None) == 403 and body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredScopes"] == ["crm.objects.contacts.write"]
    assert listed.results == []


def test_a_populated_portal_holds_contacts_companies_and_a_numeric_stage_pipeline(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(hubspot_populated=True)
    with run_sandbox(tmp_path / "s", config) as sandbox:
        first = sandbox.hubspot_counts()
        hs = HubSpot(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)
        pipelines = hs.crm.pipelines.pipelines_api.get_all("deals").results
    with run_sandbox(tmp_path / "s", config) as again:  # restarted: seeded once only
        second = again.hubspot_counts()

    assert first == second == {"contacts": len(CONTACTS), "companies": len(COMPANIES), "deals": 0}
    (project,) = [p for p in pipelines if p.label == PROJECT_PIPELINE]
    assert all(stage.id.isdigit() for stage in project.stages)
    closed = {s.label: s.metadata for s in project.stages if s.metadata.get("isClosed") == "true"}
    assert sorted(m["probability"] for m in closed.values()) == ["0.0", "1.0"]
