"""The sandbox refuses what a live org refuses: invisible fields, bad values, bad metadata."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.sandbox.helpers import (
    REFERRAL,
    REFERRAL_FIELDS,
    assign_permission_set,
    grant_referral_access,
    provision_referral,
    referral,
)

pytestmark = pytest.mark.usefixtures("mdapi_trusts_sandbox")


def _create_error(sf: Salesforce, record: dict[str, Any]) -> str:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Referral__c.create(record)
    return str(refused.value.content[0]["errorCode"])


def test_a_field_without_field_permission_is_invisible_to_describe_soql_and_dml(
    sf: Salesforce,
) -> None:
    provision_referral(sf)
    grant_referral_access(sf, tuple(f for f in REFERRAL_FIELDS if f != "Amount__c"))

    names = {f["name"] for f in sf.Referral__c.describe()["fields"]}
    assert "Stage__c" in names
    assert "Amount__c" not in names
    with pytest.raises(SalesforceMalformedRequest) as soql:
        sf.query(f"SELECT Id, Amount__c FROM {REFERRAL}")
    assert soql.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert _create_error(sf, {"External_Id__c": "r-1", "Amount__c": 5}) == "INVALID_FIELD"


def test_a_read_only_field_permission_refuses_writes(sf: Salesforce) -> None:
    provision_referral(sf)
    md = sf.mdapi
    current = md.PermissionSet.read("Referral_Sync")
    for permission in current.fieldPermissions:
        if permission.field == f"{REFERRAL}.Stage__c":
            permission.editable = False
    md.PermissionSet.update([current])

    stage = next(f for f in sf.Referral__c.describe()["fields"] if f["name"] == "Stage__c")
    assert (stage["createable"], stage["updateable"]) == (False, False)
    error = _create_error(sf, {"External_Id__c": "r-1", "Stage__c": "New"})
    assert error == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_numbers_outside_precision_and_scale_are_refused(sf: Salesforce) -> None:
    provision_referral(sf)  # Amount__c: precision 16, scale 2 -> 14 digits before the point
    result = sf.Referral__c.create({"External_Id__c": "r-ok", "Amount__c": 1234.567})
    assert sf.Referral__c.get(result["id"])["Amount__c"] == 1234.57  # rounded to the scale
    error = _create_error(sf, {"External_Id__c": "r-big", "Amount__c": 100_000_000_000_000})
    assert error == "NUMBER_OUTSIDE_VALID_RANGE"


def test_text_length_and_restricted_picklists_are_enforced(sf: Salesforce) -> None:
    provision_referral(sf)
    assert _create_error(sf, {"External_Id__c": "x" * 65}) == "STRING_TOO_LONG"
    error = _create_error(sf, {"External_Id__c": "r-1", "Stage__c": "Maybe"})
    assert error == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_a_permission_set_is_assigned_once(sf: Salesforce) -> None:
    provision_referral(sf)  # assigns Referral_Sync
    set_id = sf.query("SELECT Id FROM PermissionSet WHERE Name = 'Referral_Sync'")["records"][0]
    user_id = sf.query("SELECT Id FROM User")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest) as twice:
        sf.PermissionSetAssignment.create({"AssigneeId": user_id, "PermissionSetId": set_id["Id"]})
    assert twice.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


def test_an_unassigned_permission_set_grants_nothing(sf: Salesforce) -> None:
    provision_referral(sf)
    sf.query(f"SELECT Stage__c FROM {REFERRAL}")  # granted through Referral_Sync
    rows = sf.query("SELECT Id FROM PermissionSetAssignment")["records"]
    sf.PermissionSetAssignment.delete(rows[0]["Id"])
    with pytest.raises(SalesforceMalformedRequest) as gone:
        sf.query(f"SELECT Id FROM {REFERRAL}")
    assert gone.value.content[0]["errorCode"] == "INVALID_TYPE"
    assign_permission_set(sf, "Referral_Sync")
    assert sf.query(f"SELECT Id FROM {REFERRAL}")["totalSize"] == 0


def _refused(create: Any, component: Any) -> str:
    with pytest.raises(Exception) as refused:  # simple-salesforce raises a plain Exception
        create([component])
    return str(refused.value)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"type": "LongTextArea", "length": 4000}, "Visible Lines"),  # no visibleLines
        ({"type": "LongTextArea", "length": 4000, "visibleLines": 1}, "Visible Lines"),
        ({"type": "Number", "precision": 19, "scale": 0}, "Precision"),
        ({"type": "Number", "precision": 5, "scale": 6}, "Scale"),
        ({"type": "Text", "length": 256}, "Length"),
        ({"type": "Text", "length": 10, "label": "L" * 41}, "Field label"),
        (
            {"type": "Text", "length": 10, "fullName": f"{REFERRAL}.{'N' * 41}__c"},
            "STRING_TOO_LONG",
        ),
        (
            {
                "type": "Lookup",
                "referenceTo": "Contact",
                "relationshipName": "Referrals_Made",  # Referred_By__c has it already
                "deleteConstraint": "SetNull",
            },
            "DUPLICATE_DEVELOPER_NAME",
        ),
    ],
)
def test_invalid_custom_fields_are_refused_on_deploy(
    sf: Salesforce, changes: dict[str, Any], code: str
) -> None:
    provision_referral(sf)
    md = sf.mdapi
    body: dict[str, Any] = {"fullName": f"{REFERRAL}.Extra__c", "label": "Extra", **changes}
    body["type"] = md.FieldType(body["type"])
    if "deleteConstraint" in body:
        body["deleteConstraint"] = md.DeleteConstraint(body["deleteConstraint"])
    assert code in _refused(md.CustomField.create, md.CustomField(**body))


NO_ACCESS = {
    "allowCreate": False,
    "allowDelete": False,
    "allowEdit": False,
    "allowRead": False,
    "modifyAllRecords": False,
    "viewAllRecords": False,
}


@pytest.mark.parametrize(
    ("object_permission", "field", "code"),
    [
        ({"allowRead": False, "allowEdit": True}, None, "depends on Read"),
        ({"allowRead": True, "allowDelete": True}, None, "depends on Read, Edit"),
        ({"allowRead": True}, "Contact.LastName", "required field"),
        ({"allowRead": True}, f"{REFERRAL}.Nope__c", "INVALID_CROSS_REFERENCE_KEY"),
    ],
)
def test_invalid_permission_sets_are_refused_on_deploy(
    sf: Salesforce, object_permission: dict[str, bool], field: str | None, code: str
) -> None:
    provision_referral(sf)
    md = sf.mdapi
    component = md.PermissionSet(
        fullName="Broken",
        label="Broken",
        objectPermissions=[{"object": REFERRAL, **NO_ACCESS, **object_permission}],
        fieldPermissions=[{"field": field, "readable": True, "editable": False}] if field else [],
    )
    assert code in _refused(md.PermissionSet.create, component)


def test_collections_report_invisible_fields_per_record(sf: Salesforce) -> None:
    provision_referral(sf)
    grant_referral_access(sf, ("External_Id__c",))  # upsert replaces the field grants
    results = sf.restful(
        f"composite/sobjects/{REFERRAL}/External_Id__c",
        method="PATCH",
        json={"allOrNone": False, "records": [referral("r-1"), referral("r-2", Stage__c="New")]},
    )
    assert results[0]["success"] is True
    assert results[1]["errors"][0]["statusCode"] == "INVALID_FIELD"
