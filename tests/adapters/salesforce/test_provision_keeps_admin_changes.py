"""A second provision keeps what an admin changed (read, merge, write), on the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from zeep.helpers import serialize_object

import mappings as mappings_package
from adapters.salesforce.adapter import SalesforceAdapter
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.settings import load_settings
from mappings import MappingSet, load_mappings

STATUS = "Refnet_Referral__c.Status__c"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


def _read_field(adapter: SalesforceAdapter, name: str) -> dict[str, Any]:
    record = adapter.client().mdapi.CustomField.read([name])
    body: dict[str, Any] = serialize_object(record, dict)
    return body


def _as_an_admin(adapter: SalesforceAdapter) -> None:
    """What an admin does in Setup: help text, field history, one more picklist value."""
    mdapi = adapter.client().mdapi
    body = {k: v for k, v in _read_field(adapter, STATUS).items() if v not in (None, [])}
    body["inlineHelpText"] = "Offen, bis sich der Vertrieb gemeldet hat."
    body["trackHistory"] = True
    values = body["valueSet"]["valueSetDefinition"]["value"]
    values.append({"fullName": "on_hold", "default": False, "label": "Zurückgestellt"})
    mdapi.CustomField.update([mdapi.CustomField(**body)])


def _relabelled(tmp_path: Path) -> MappingSet:
    """The shipped mappings with the referral's Status field renamed (refnet's own change)."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    shipped = Path(mappings_package.__file__).parent / "salesforce"
    for source in shipped.glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        if source.name == "referral.yaml":
            text = text.replace("label: Status}", "label: Referral Status}")
        (folder / source.name).write_text(text, encoding="utf-8")
    return load_mappings("salesforce", folder)


def test_help_text_history_and_an_extra_picklist_value_survive_a_second_provision(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    first = salesforce_adapter(load_settings(), sandbox)
    first.provision()
    _as_an_admin(first)

    # Nothing refnet owns changed: the admin's extra value is no reason to write.
    assert first.provision() == []

    # refnet's label changes, so the field is written — merged into what the admin made.
    relabelled = salesforce_adapter(load_settings(), sandbox)
    relabelled.mappings = _relabelled(tmp_path)
    # The German label follows: a new label the catalog lacks shows in English until the
    # catalog translates it (adapters.salesforce.translations).
    assert relabelled.provision() == [
        f"update CustomField {STATUS} (label)",
        "update CustomObjectTranslation Refnet_Referral__c-de (fields)",
    ]

    after = _read_field(relabelled, STATUS)
    assert after["label"] == "Referral Status"
    assert after["inlineHelpText"] == "Offen, bis sich der Vertrieb gemeldet hat."
    assert after["trackHistory"] is True
    values = after["valueSet"]["valueSetDefinition"]["value"]
    assert [v["fullName"] for v in values] == [
        "open",
        "contacted",
        "qualified",
        "won",
        "lost",
        "on_hold",
    ]
    assert after["valueSet"]["restricted"] is True
