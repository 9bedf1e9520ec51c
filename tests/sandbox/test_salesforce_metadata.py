"""The Metadata API subset through ``sf.mdapi`` (zeep over SOAP) against the sandbox."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from zeep.exceptions import Fault

from adapters.sandbox import Sandbox
from tests.sandbox.helpers import (
    EXTERNAL_ID,
    REFERRAL,
    REFERRAL_FIELDS,
    grant_referral_access,
    provision_referral,
)

pytestmark = pytest.mark.usefixtures("mdapi_trusts_sandbox")


def test_read_returns_the_object_with_its_fields(sf: Salesforce) -> None:
    provision_referral(sf)
    custom_object = sf.mdapi.CustomObject.read([REFERRAL])
    assert custom_object.fullName == REFERRAL
    assert custom_object.label == "Referral"
    assert custom_object.nameField.type == "AutoNumber"
    assert custom_object.nameField.displayFormat == "REF-{0000}"
    fields = {f.fullName: f for f in custom_object.fields}
    assert set(fields) == {EXTERNAL_ID, "Stage__c", "Amount__c", "Referred_By__c"}
    assert fields[EXTERNAL_ID].externalId is True and fields[EXTERNAL_ID].length == 64
    values = fields["Stage__c"].valueSet.valueSetDefinition.value
    assert [(v.fullName, v.default) for v in values] == [("New", True), ("Won", False)]
    field = sf.mdapi.CustomField.read([f"{REFERRAL}.Referred_By__c"])
    assert (field.fullName, field.referenceTo, field.type) == (
        f"{REFERRAL}.Referred_By__c",
        "Contact",
        "Lookup",
    )


def test_creating_twice_raises_with_the_status_code(sf: Salesforce) -> None:
    provision_referral(sf)
    md = sf.mdapi
    with pytest.raises(Exception, match="DUPLICATE_DEVELOPER_NAME"):
        md.CustomField.create(
            [
                md.CustomField(
                    fullName=f"{REFERRAL}.Stage__c", label="Stage", type=md.FieldType("Text")
                )
            ]
        )
    with pytest.raises(Exception, match="INVALID_CROSS_REFERENCE_KEY"):
        md.CustomField.create(
            [md.CustomField(fullName="Missing__c.Field__c", label="X", type=md.FieldType("Text"))]
        )


def test_update_and_upsert_change_the_schema(sf: Salesforce) -> None:
    provision_referral(sf)
    md = sf.mdapi
    md.CustomField.update(
        [
            md.CustomField(
                fullName=f"{REFERRAL}.Amount__c",
                label="Deal value",
                type=md.FieldType("Number"),
                precision=18,
                scale=2,
            )
        ]
    )
    md.CustomField.upsert(
        [
            md.CustomField(
                fullName=f"{REFERRAL}.Notes__c",
                label="Notes",
                type=md.FieldType("LongTextArea"),
                length=5000,
                visibleLines=3,
            )
        ]
    )
    grant_referral_access(sf, (*REFERRAL_FIELDS, "Notes__c"))
    fields = {f["name"]: f for f in sf.Referral__c.describe()["fields"]}
    assert (fields["Amount__c"]["label"], fields["Amount__c"]["type"]) == ("Deal value", "double")
    assert (fields["Notes__c"]["type"], fields["Notes__c"]["length"]) == ("textarea", 5000)
    with pytest.raises(Exception, match="INVALID_CROSS_REFERENCE_KEY"):
        md.CustomField.update(
            [md.CustomField(fullName=f"{REFERRAL}.Nope__c", label="N", type=md.FieldType("Text"))]
        )


def test_permission_sets_round_trip_and_are_listed(sf: Salesforce) -> None:
    provision_referral(sf)
    md = sf.mdapi
    md.PermissionSet.create(
        [
            md.PermissionSet(
                fullName="Refnet_Sync",
                label="Refnet Sync",
                objectPermissions=[
                    md.PermissionSetObjectPermissions(
                        object=REFERRAL,
                        allowCreate=True,
                        allowRead=True,
                        allowEdit=True,
                        allowDelete=False,
                        viewAllRecords=False,
                        modifyAllRecords=False,
                    )
                ],
                fieldPermissions=[
                    md.PermissionSetFieldPermissions(
                        field=f"{REFERRAL}.Stage__c", editable=True, readable=True
                    )
                ],
            )
        ]
    )
    permission_set = md.PermissionSet.read(["Refnet_Sync"])
    assert permission_set.label == "Refnet Sync"
    assert permission_set.objectPermissions[0].object == REFERRAL
    assert permission_set.fieldPermissions[0].field == f"{REFERRAL}.Stage__c"
    listed = md.list_metadata([md.ListMetadataQuery(type="CustomObject")])
    assert [item.fullName for item in listed] == [REFERRAL]


def test_reading_a_missing_component_answers_an_empty_record(sf: Salesforce) -> None:
    assert sf.mdapi.CustomObject.read(["Missing__c"]).fullName is None


def test_an_invalid_session_is_a_soap_fault(sandbox: Sandbox, sf: Salesforce) -> None:
    sandbox.faults.expire_sessions()
    with pytest.raises(Fault, match="INVALID_SESSION_ID"):
        sf.mdapi.CustomObject.read(["Referral__c"])
