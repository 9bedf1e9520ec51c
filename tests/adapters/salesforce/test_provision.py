"""Provisioning through sf.mdapi (zeep SOAP) against a stateful fake Metadata API."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import responses

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.errors import ProvisioningError
from adapters.salesforce.package import package_components as desired_components
from adapters.salesforce.provision import differences, plan
from mappings.spec import MappingSet
from tests.adapters.salesforce.fakes import MetadataOrg


@pytest.fixture
def org() -> Iterator[MetadataOrg]:
    fake = MetadataOrg()
    # Not every test reaches the permission set assignment (dry runs, refusals); the
    # Metadata calls each test makes are asserted through ``org.calls``.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.register(rsps)
        yield fake


def _writes(org: MetadataOrg) -> list[tuple[str, str, int]]:
    return [call for call in org.calls if call[0] != "readMetadata"]


def test_provisioning_twice_creates_once_then_changes_nothing(
    org: MetadataOrg, make_adapter: Callable[..., SalesforceAdapter], mappings: MappingSet
) -> None:
    adapter = make_adapter()
    components = desired_components(mappings)

    first = adapter.provision()
    first_calls = list(org.calls)
    org.calls.clear()
    second = adapter.provision()

    assert len(first) == len(components)
    assert all(line.startswith("create ") for line in first)
    assert {name for _, name in org.components} == {c.full_name for c in components}
    assert all(count <= 10 for _, _, count in first_calls)  # the Metadata API's limit
    # objects before fields before the app's components before the permission set, and the
    # translations of the fields last
    kinds = [kind for operation, kind, _ in first_calls if operation == "createMetadata"]
    order = ["CustomObject", "CustomField", "CompactLayout", "ListView", "Layout", "CustomTab"]
    last = ["CustomApplication", "PermissionSet", "CustomObjectTranslation"]
    assert kinds == sorted(kinds, key=[*order, *last].index)

    assert second == []
    assert _writes(org) == []
    assert {operation for operation, _, _ in org.calls} == {"readMetadata"}
    # The integration set is assigned to the running user once; the second run finds it.
    assert org.assignments == [
        {"AssigneeId": MetadataOrg.USER_ID, "PermissionSetId": MetadataOrg.SET_ID}
    ]


def test_what_was_created_is_what_the_mappings_say(
    org: MetadataOrg, make_adapter: Callable[..., SalesforceAdapter]
) -> None:
    make_adapter().provision()

    status = ("CustomField", "Refnet_Referral__c.Status__c")
    assert org.value(*status, "valueSet/valueSetDefinition/value/fullName") == [
        "open",
        "contacted",
        "qualified",
        "won",
        "lost",
    ]
    assert org.value(*status, "valueSet/valueSetDefinition/value/default") == [
        "true",
        "false",
        "false",
        "false",
        "false",
    ]
    assert org.value("CustomField", "Contact.Refnet_Id__c", "externalId") == ["true"]
    assert org.value("CustomObject", "Refnet_Referral__c", "nameField/displayFormat") == [
        "REF-{000000}"
    ]


def test_a_changed_label_updates_only_that_field(
    org: MetadataOrg, make_adapter: Callable[..., SalesforceAdapter]
) -> None:
    adapter = make_adapter()
    adapter.provision()
    key = ("CustomField", "Refnet_Referral__c.Note__c")
    for element in org.components[key]:
        if element.tag.endswith("}label"):
            element.text = "Renamed by an admin"
    org.calls.clear()

    changed = adapter.provision()

    assert changed == ["update CustomField Refnet_Referral__c.Note__c (label)"]
    assert _writes(org) == [("updateMetadata", "CustomField", 1)]
    assert org.value(*key, "label") == ["Note"]


def test_a_dry_run_reads_and_plans_but_writes_nothing(
    org: MetadataOrg, make_adapter: Callable[..., SalesforceAdapter], mappings: MappingSet
) -> None:
    adapter = make_adapter()
    report = adapter.provision_report(dry_run=True)

    assert len(report.changed) == len(desired_components(mappings))
    assert _writes(org) == []
    assert adapter.api_calls == len(org.calls)  # SOAP calls are counted too


def test_refused_components_are_named_and_the_rest_still_created(
    make_adapter: Callable[..., SalesforceAdapter], mappings: MappingSet
) -> None:
    refused = "Refnet_Referral__c.Amount__c"
    org = MetadataOrg(refuse={refused: ("FIELD_INTEGRITY_EXCEPTION", "bad precision")})
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        org.register(rsps, rest=False)  # a refused run assigns nothing
        with pytest.raises(ProvisioningError) as caught:
            make_adapter().provision()

    assert caught.value.failures == {refused: ["FIELD_INTEGRITY_EXCEPTION"]}
    assert f"{refused}: FIELD_INTEGRITY_EXCEPTION" in str(caught.value)
    assert ("CustomField", refused) not in org.components
    assert org.assignments == []
    assert len(org.components) == len(desired_components(mappings)) - 1
    assert len(caught.value.changed) == len(desired_components(mappings)) - 1


def test_comparison_looks_only_at_what_refnet_sets() -> None:
    desired = {
        "label": "Status",
        "required": False,
        "valueSet": {
            "restricted": True,
            "valueSetDefinition": {
                "value": [{"fullName": "open", "default": True}, {"fullName": "won"}]
            },
        },
    }
    existing = {
        "label": "Status",
        "inlineHelpText": "added by an admin",  # not ours: ignored
        "required": None,  # reads leave out false flags
        "valueSet": {
            "restricted": True,
            "valueSetDefinition": {
                "sorted": False,
                "value": [
                    {"fullName": "open", "default": True, "color": None},
                    {"fullName": "won", "default": False},
                ],
            },
        },
    }
    assert differences(desired, existing) == []

    reordered = {
        **existing,
        "valueSet": {
            "restricted": True,
            "valueSetDefinition": {"value": [{"fullName": "won"}, {"fullName": "open"}]},
        },
    }
    assert differences(desired, reordered) == ["valueSet"]


def test_permissions_granted_elsewhere_do_not_cause_updates() -> None:
    desired = {"fieldPermissions": [{"field": "A__c.X__c", "readable": True}]}
    existing = {
        "fieldPermissions": [
            {"field": "Other__c.Y__c", "readable": True},
            {"field": "A__c.X__c", "readable": True, "editable": True},
        ]
    }
    assert differences(desired, existing) == []
    assert differences(desired, {"fieldPermissions": []}) == ["fieldPermissions"]


def test_the_plan_creates_missing_updates_different_and_skips_equal(
    mappings: MappingSet,
) -> None:
    components = desired_components(mappings)[:3]
    existing = {
        components[1].label: dict(components[1].body),
        components[2].label: {**components[2].body, "label": "Old"},
    }
    assert [(c.action, c.differences) for c in plan(components, existing)] == [
        ("create", ()),
        ("unchanged", ()),
        ("update", ("label",)),
    ]
