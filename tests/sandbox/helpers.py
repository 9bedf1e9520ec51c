"""Provisioning shared by the Salesforce tests: a Referral__c object through the Metadata API."""

from __future__ import annotations

from typing import Any

from simple_salesforce import Salesforce

REFERRAL = "Referral__c"
EXTERNAL_ID = "External_Id__c"


def provision_referral(sf: Salesforce) -> None:
    """Create Referral__c (AutoNumber name) with an external id, a restricted picklist,
    an amount and a lookup to Contact, exactly as refnet's provisioning would."""
    md = sf.mdapi
    md.CustomObject.create(
        [
            md.CustomObject(
                fullName=REFERRAL,
                label="Referral",
                pluralLabel="Referrals",
                nameField=md.CustomField(
                    label="Referral Name",
                    type=md.FieldType("AutoNumber"),
                    displayFormat="REF-{0000}",
                ),
                deploymentStatus=md.DeploymentStatus("Deployed"),
                sharingModel=md.SharingModel("ReadWrite"),
            )
        ]
    )
    md.CustomField.create(
        [
            md.CustomField(
                fullName=f"{REFERRAL}.{EXTERNAL_ID}",
                label="External Id",
                type=md.FieldType("Text"),
                length=64,
                externalId=True,
                unique=True,
                caseSensitive=False,
            ),
            md.CustomField(
                fullName=f"{REFERRAL}.Stage__c",
                label="Stage",
                type=md.FieldType("Picklist"),
                valueSet=md.ValueSet(
                    restricted=True,
                    valueSetDefinition=md.ValueSetValuesDefinition(
                        sorted=False,
                        value=[
                            md.CustomValue(fullName="New", default=True, label="New"),
                            md.CustomValue(fullName="Won", default=False, label="Won"),
                        ],
                    ),
                ),
            ),
            md.CustomField(
                fullName=f"{REFERRAL}.Amount__c",
                label="Amount",
                type=md.FieldType("Currency"),
                precision=16,
                scale=2,
            ),
            md.CustomField(
                fullName=f"{REFERRAL}.Referred_By__c",
                label="Referred By",
                type=md.FieldType("Lookup"),
                referenceTo="Contact",
                relationshipName="Referrals_Made",
                deleteConstraint=md.DeleteConstraint("SetNull"),
            ),
        ]
    )
    grant_referral_access(sf)


REFERRAL_FIELDS = ("External_Id__c", "Stage__c", "Amount__c", "Referred_By__c")


def grant_referral_access(sf: Salesforce, fields: tuple[str, ...] = REFERRAL_FIELDS) -> None:
    """Deploy a permission set for Referral__c and ``fields`` and assign it to the user:
    fields created through the Metadata API are invisible until one grants them."""
    md = sf.mdapi
    md.PermissionSet.upsert(
        [
            md.PermissionSet(
                fullName="Referral_Sync",
                label="Referral Sync",
                objectPermissions=[
                    {
                        "object": REFERRAL,
                        "allowCreate": True,
                        "allowRead": True,
                        "allowEdit": True,
                        "allowDelete": True,
                        "viewAllRecords": False,
                        "modifyAllRecords": False,
                    }
                ],
                fieldPermissions=[
                    {"field": f"{REFERRAL}.{name}", "readable": True, "editable": True}
                    for name in fields
                ],
            )
        ]
    )
    assign_permission_set(sf, "Referral_Sync")


def assign_permission_set(sf: Salesforce, name: str) -> None:
    """A PermissionSetAssignment of set ``name`` to the running user (REST)."""
    set_id = sf.query(f"SELECT Id FROM PermissionSet WHERE Name = '{name}'")["records"][0]["Id"]
    user_id = sf.query("SELECT Id FROM User")["records"][0]["Id"]
    assigned = sf.query(
        "SELECT Id FROM PermissionSetAssignment "
        f"WHERE AssigneeId = '{user_id}' AND PermissionSetId = '{set_id}'"
    )["totalSize"]
    if not assigned:
        sf.PermissionSetAssignment.create({"AssigneeId": user_id, "PermissionSetId": set_id})


def referral(key: str, **fields: Any) -> dict[str, Any]:
    """One sObject Collections record."""
    return {"attributes": {"type": REFERRAL}, EXTERNAL_ID: key, **fields}


def collections_upsert(
    sf: Salesforce, records: list[dict[str, Any]], all_or_none: bool = False
) -> list[dict[str, Any]]:
    result = sf.restful(
        f"composite/sobjects/{REFERRAL}/{EXTERNAL_ID}",
        method="PATCH",
        json={"allOrNone": all_or_none, "records": records},
    )
    assert isinstance(result, list)
    return result
