"""What the fake org's one user may see and change: profile baseline plus assigned permission sets.

Salesforce decides object access (Read, Create, Edit, Delete) and field-level security from
the user's profile and every permission set assigned to them, the union of all grants.
DOC: "Permission Sets" and "Field-Level Security" (Salesforce Help,
https://help.salesforce.com/s/articleView?id=sf.perm_sets_overview.htm and
https://help.salesforce.com/s/articleView?id=sf.admin_fls.htm).

The user's profile is one of two documented standard profiles:

* ``standard`` (the Standard User profile, the default): Read, Create, Edit and Delete on
  Account, Contact and Opportunity, every standard field visible; nothing on custom objects.
  DOC: "Standard Profiles" (https://help.salesforce.com/s/articleView?id=sf.standard_profiles.htm).
* ``minimum_access`` (Minimum Access - API Only Integrations, what Salesforce recommends for
  integration users): no object permission at all; everything comes from permission sets.
  DOC: "Give Integration Users API Only Access"
  (https://help.salesforce.com/s/articleView?id=sf.integration_user.htm).

Custom fields are visible to no one until a permission set grants them: fields created through
the Metadata API get no field permission on any profile (the FieldPermissions note in
crm-apis.md; DOC Object Reference ``FieldPermissions``). Fields that take no field permission
(required fields, Name, system fields) follow their object. Setup objects the provisioning
user needs (PermissionSet, PermissionSetAssignment) are always open: the user who may deploy
metadata holds "Assign Permission Sets" in every org refnet is provisioned into.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # expat >= 2.4.1 refuses entity expansion attacks
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from adapters.sandbox.auth import USER_ID
from adapters.sandbox.salesforce_schema import SfField, SfObject
from adapters.sandbox.store import Store

__all__ = [
    "PROFILES",
    "SETUP_OBJECTS",
    "Grants",
    "SalesforceAccess",
    "Verb",
    "takes_field_permission",
]

Verb = Literal["read", "create", "edit", "delete"]
PROFILES = ("standard", "minimum_access")
SETUP_OBJECTS = frozenset({"PermissionSet", "PermissionSetAssignment"})
_STANDARD_USER_OBJECTS = ("Account", "Contact", "Opportunity")
# The record name and the parts of a person's compound Name follow the object's access.
_NAME_PARTS = frozenset({"Id", "Name", "FirstName", "LastName", "Salutation"})
_ALL_VERBS: frozenset[Verb] = frozenset({"read", "create", "edit", "delete"})
_XML_VERBS: dict[str, Verb] = {
    "allowRead": "read",
    "allowCreate": "create",
    "allowEdit": "edit",
    "allowDelete": "delete",
}


def takes_field_permission(spec: SfField) -> bool:
    """Whether field-level security applies to ``spec`` (describe's ``permissionable``).

    Required fields, the record Name and system fields are not permissionable; they are
    visible whenever the object is (DOC Object Reference, FieldPermissions).
    """
    if spec.required or spec.name in _NAME_PARTS or spec.auto_number:
        return False
    if spec.custom:
        return True
    return spec.writable  # standard read-only fields here are system fields


@dataclass
class Grants:
    """The union of what the profile and the assigned permission sets grant."""

    objects: dict[str, set[Verb]] = field(default_factory=dict)
    fields: dict[str, bool] = field(default_factory=dict)  # "object.field" (lower) -> editable
    standard_fields_open: set[str] = field(default_factory=set)  # objects (profile FLS)

    def can(self, object_name: str, verb: Verb) -> bool:
        if object_name in SETUP_OBJECTS:
            return True
        if object_name == "User":
            return verb == "read"  # every user can see users; none are created here
        return verb in self.objects.get(object_name, set())

    def readable(self, obj: SfObject, spec: SfField) -> bool:
        if not self.can(obj.name, "read"):
            return False
        if obj.name in (*SETUP_OBJECTS, "User") or not takes_field_permission(spec):
            return True
        if not spec.custom and obj.name in self.standard_fields_open:
            return True
        return f"{obj.name}.{spec.name}".lower() in self.fields

    def editable(self, obj: SfObject, spec: SfField) -> bool:
        if not self.readable(obj, spec) or not spec.writable:
            return False
        if obj.name in SETUP_OBJECTS or not takes_field_permission(spec):
            return True
        if not spec.custom and obj.name in self.standard_fields_open:
            return True
        return self.fields.get(f"{obj.name}.{spec.name}".lower(), False)


def _flag(element: ET.Element, name: str) -> bool:
    return (element.findtext(name) or "").strip().lower() == "true"


class SalesforceAccess:
    """Reads the user's grants from the store on every call (assignments change at runtime)."""

    def __init__(self, store: Store, profile: str = "standard") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown Salesforce profile {profile!r}; one of {PROFILES}")
        self._store = store
        self.profile = profile

    def assigned_sets(self) -> list[str]:
        """Names of the permission sets assigned to the sandbox's user."""
        names = []
        for row in self._store.query(
            "SELECT fields FROM sf_records WHERE object = 'PermissionSetAssignment'"
        ):
            assignment = _json(row["fields"])
            if str(assignment.get("AssigneeId", ""))[:15] != USER_ID[:15]:
                continue
            target = self._store.query_one(
                "SELECT fields FROM sf_records WHERE id = ?",
                (str(assignment.get("PermissionSetId", "")),),
            )
            if target is not None:
                names.append(str(_json(target["fields"]).get("Name", "")))
        return names

    def grants(self) -> Grants:
        grants = Grants()
        if self.profile == "standard":
            for name in _STANDARD_USER_OBJECTS:
                grants.objects[name] = set(_ALL_VERBS)
                grants.standard_fields_open.add(name)
        for name in self.assigned_sets():
            row = self._store.query_one(
                "SELECT xml FROM sf_metadata WHERE type = 'PermissionSet' AND full_name = ?",
                (name,),
            )
            if row is None:
                continue
            root = ET.fromstring(str(row["xml"]))  # noqa: S314 - XML the sandbox stored itself
            for permission in root.iter("objectPermissions"):
                verbs = grants.objects.setdefault(permission.findtext("object") or "", set())
                verbs.update(verb for tag, verb in _XML_VERBS.items() if _flag(permission, tag))
            for permission in root.iter("fieldPermissions"):
                key = (permission.findtext("field") or "").lower()
                if _flag(permission, "readable") or _flag(permission, "editable"):
                    grants.fields[key] = grants.fields.get(key, False) or _flag(
                        permission, "editable"
                    )
        return grants

    def visible(self, obj: SfObject, fields: Mapping[str, SfField]) -> dict[str, SfField]:
        """``fields`` without those the user cannot see (they are unknown to SOQL and DML)."""
        grants = self.grants()
        return {key: spec for key, spec in fields.items() if grants.readable(obj, spec)}


def _json(text: str) -> dict[str, object]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}
