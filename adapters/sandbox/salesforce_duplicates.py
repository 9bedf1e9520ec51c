"""Duplicate rules and record visibility of the fake org, as a live org has them switched on.

**Duplicate rules.** Every org starts with the *Standard Contact Duplicate Rule* and the
*Standard Account Duplicate Rule* active. Their default action on create is "Allow" with an
*alert* ("Use one of these records?"); on edit they only report (Salesforce Help, "Standard
Account Duplicate Rule" / "Standard Contact Duplicate Rule",
https://help.salesforce.com/apex/HTViewHelpDoc?id=sales.duplicate_rules_standard_account_rule.htm).
Through the API an alert blocks the save unless the request's duplicate rule header says
``allowSave=true`` (REST API Developer Guide, "Duplicate Rule Header":
``Sforce-Duplicate-Rule-Header: allowSave=true; includeRecordDetails=true;
runAsCurrentUser=true``, every field false by default,
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_duplicaterules.htm).
The refused record's error is ``DUPLICATES_DETECTED`` carrying a ``duplicateResult``
(SOAP API Developer Guide, "DuplicateResult": ``allowSave``, ``duplicateRule``,
``duplicateRuleEntityType``, ``errorMessage``, ``matchResults[]`` of ``entityType``,
``errors``, ``matchEngine``, ``matchRecords[]`` (``additionalInformation``, ``fieldDiffs``,
``matchConfidence``, ``record``), ``rule``, ``size``, ``success``;
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_duplicateresult.htm).

The standard matching rules are fuzzy (name, company, e-mail, address...). The sandbox
matches a Contact on its e-mail (exact, case-insensitive) and an Account on its name with
case, umlauts, punctuation and legal form ignored: every record a live org would surely
flag is flagged. The standard rules enforce sharing ("Default Record-Level Security
Setting: Enforce Sharing Rules"), so only records the running user can see are compared.

**Private Contacts.** A Contact without an Account is private: only its owner (and an
administrator) can see it (Salesforce Help, "Considerations for Using Private Contacts" /
sharing settings for Contacts: "Contacts that aren't linked to an account are always
private"). The sandbox's API user is not an administrator of other users' records, so such
a Contact of another owner never shows in its SOQL results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from adapters.sandbox.auth import USER_ID

if TYPE_CHECKING:
    from adapters.sandbox.salesforce_records import SalesforceRecords
from connector.organisations import normalise_organisation

__all__ = [
    "DUPLICATE_HEADER",
    "MATCH_KEY",
    "allows_duplicates",
    "duplicate_result",
    "find_duplicates",
    "match_value",
    "org_counts",
    "visible",
]

DUPLICATE_HEADER = "Sforce-Duplicate-Rule-Header"
# The sandbox's index row holding a record's matching-rule value (no field has this name:
# API names cannot contain parentheses). A create looks its duplicates up there instead of
# reading every record of the object, which made a 100x sync quadratic.
MATCH_KEY = "(duplicate match)"
_ALERT = "Use one of these records?"
# object → (duplicate rule, matching rule) of the standard rules active in every new org
_RULES = {
    "Contact": ("Standard_Contact_Duplicate_Rule", "Standard_Contact_Match_Rule_v1_1"),
    "Account": ("Standard_Account_Duplicate_Rule", "Standard_Account_Match_Rule_v1_0"),
}


def allows_duplicates(header: str | None) -> bool:
    """Whether the request's duplicate rule header says ``allowSave=true``."""
    if not header:
        return False
    for part in header.replace(",", ";").split(";"):
        name, _, value = part.partition("=")
        if name.strip().casefold() == "allowsave":
            return value.strip().casefold() == "true"
    return False


def visible(record: Mapping[str, Any]) -> bool:
    """Whether the API user may see ``record`` (private Contacts of other owners: no)."""
    if record.get("attributes", {}).get("type") != "Contact":
        return True
    if record.get("AccountId"):
        return True
    return record.get("OwnerId") in (None, USER_ID)


def match_value(object_name: str, record: Mapping[str, Any]) -> str | None:
    """What the standard matching rule of ``object_name`` compares (None: nothing to match)."""
    if object_name not in _RULES:
        return None
    if object_name == "Contact":
        email = record.get("Email")
        return str(email).strip().casefold() if email else None
    if object_name == "Account":
        name = record.get("Name")
        return normalise_organisation(str(name)) or None if name else None
    return None


def find_duplicates(
    object_name: str, new_record: Mapping[str, Any], existing: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Ids of visible records the standard rule of ``object_name`` flags for ``new_record``."""
    wanted = match_value(object_name, new_record)
    if wanted is None:
        return []
    return [
        str(record["Id"])
        for record in existing
        if visible(record) and match_value(object_name, record) == wanted
    ]


def duplicate_result(object_name: str, ids: list[str], version: str) -> dict[str, Any]:
    """The ``duplicateResult`` of a ``DUPLICATES_DETECTED`` error (record ids only, as
    with ``includeRecordDetails=false``, the header's default)."""
    rule, match_rule = _RULES[object_name]
    return {
        "allowSave": True,  # the standard rules alert; the header may allow the save
        "duplicateRule": rule,
        "duplicateRuleEntityType": object_name,
        "errorMessage": _ALERT,
        "matchResults": [
            {
                "entityType": object_name,
                "errors": [],
                "matchEngine": "FuzzyMatchEngine",
                "matchRecords": [
                    {
                        "additionalInformation": [],
                        "fieldDiffs": [],
                        "matchConfidence": 100.0,
                        "record": {
                            "attributes": {
                                "type": object_name,
                                "url": f"/services/data/v{version}/sobjects/{object_name}/{i}",
                            },
                            "Id": i,
                        },
                    }
                    for i in ids
                ],
                "rule": match_rule,
                "size": len(ids),
                "success": True,
            }
        ],
    }


def org_counts(records: SalesforceRecords) -> dict[str, int]:
    """Records per object and the duplicates among them, as the duplicate rules see them.

    Counts every record, private ones included (an administrator's view), so the numbers
    before and after a sync prove whether the sync added a duplicate.
    """
    counts: dict[str, int] = {}
    duplicates = 0
    for name in ("Account", "Contact", "Opportunity"):
        rows = records.all(name)
        counts[name] = len(rows)
        values = [v for v in (match_value(name, row) for row in rows) if v is not None]
        duplicates += len(values) - len(set(values))
    counts["duplicates"] = duplicates
    return counts
