"""The integration user's access: assign ``Refnet_Integration``, and check what a sync needs.

Assigning is a ``PermissionSetAssignment`` record created through REST (DOC Object Reference,
PermissionSetAssignment: ``AssigneeId`` + ``PermissionSetId``); an existing assignment is
fine, so provisioning stays idempotent. The running user comes from the OAuth UserInfo
endpoint (``/services/oauth2/userinfo``, ``user_id``), which every login flow's session can
call (DOC: "UserInfo Endpoint", Salesforce Help).

Checking reads describe, which Salesforce filters by the running user's permissions: an
object without Read is absent (404), a field without field-level security is missing from
``fields``, and ``createable``/``updateable`` say whether the user may write (DOC REST API
Developer Guide, "sObject Describe"; "Field-Level Security"). That is what the user's next
SOQL and DML will meet, whatever profile or permission set granted it, so no permission
tables are read (they would need "View Setup and Configuration").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound
from simple_salesforce.format import format_soql

from adapters.salesforce.metadata import (
    INTEGRATION_PERMISSION_SET,
    ObjectAccess,
    integration_fields,
    integration_objects,
)
from adapters.salesforce.retry import RetryPolicy
from connector.errors import ConfigError
from connector.i18n import gettext as _
from mappings.spec import MappingSet

__all__ = ["MissingPermission", "PermissionCheck", "assign_permission_set", "missing_permissions"]


@dataclass(frozen=True)
class MissingPermission:
    """One thing the connected user cannot do: ``kind`` object or field, what, and which."""

    kind: str  # "object" | "field"
    name: str  # "Contact" or "Contact.Email"
    permission: str  # "Read", "Create", "Edit", "Delete"

    def describe(self) -> str:
        return f"{self.permission} on {self.kind} {self.name}"

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "permission": self.permission}


@dataclass(frozen=True)
class PermissionCheck:
    user_id: str
    missing: list[MissingPermission]
    objects_checked: int
    fields_checked: int

    @property
    def ok(self) -> bool:
        return not self.missing


_OBJECT_FLAGS = {
    "Read": "queryable",
    "Create": "createable",
    "Edit": "updateable",
    "Delete": "deletable",
}


def _wanted(access: ObjectAccess) -> Iterator[str]:
    for permission, wanted in (
        ("Read", access.read),
        ("Create", access.create),
        ("Edit", access.edit),
        ("Delete", access.delete),
    ):
        if wanted:
            yield permission


def _describe(sf: Salesforce, object_name: str) -> dict[str, Any] | None:
    try:
        described = sf.restful(f"sobjects/{object_name}/describe")
    except SalesforceResourceNotFound:
        return None  # 404: the user cannot read the object, so it does not exist for them
    return described if isinstance(described, dict) else None


def running_user_id(client: Salesforce, policy: RetryPolicy) -> str:
    info: Any = policy.call(lambda: client.oauth2("userinfo"), operation="userinfo")
    user_id = info.get("user_id") if isinstance(info, dict) else None
    if not user_id:
        raise ConfigError(_("salesforce: the UserInfo endpoint named no user_id for this session"))
    return str(user_id)


def assign_permission_set(
    client: Callable[[], Salesforce], policy: RetryPolicy, name: str = INTEGRATION_PERMISSION_SET
) -> bool:
    """Assign permission set ``name`` to the running user; False if it already was."""
    sf = client()
    user_id = running_user_id(sf, policy)
    found: Any = policy.call(
        lambda: sf.query(format_soql("SELECT Id FROM PermissionSet WHERE Name = {}", name)),
        operation="find permission set",
    )
    if not found.get("records"):
        raise ConfigError(
            _("salesforce: permission set {name} is not deployed; run provision").format(name=name)
        )
    set_id = str(found["records"][0]["Id"])
    assigned: Any = policy.call(
        lambda: sf.query(
            format_soql(
                "SELECT Id FROM PermissionSetAssignment "
                "WHERE AssigneeId = {} AND PermissionSetId = {}",
                user_id,
                set_id,
            )
        ),
        operation="find permission set assignment",
    )
    if assigned.get("totalSize"):
        return False
    policy.call(
        lambda: sf.restful(
            "sobjects/PermissionSetAssignment",
            method="POST",
            json={"AssigneeId": user_id, "PermissionSetId": set_id},
        ),
        operation="assign permission set",
    )
    return True


def missing_permissions(
    client: Callable[[], Salesforce], policy: RetryPolicy, mappings: MappingSet
) -> PermissionCheck:
    """What the connected user lacks of ``Refnet_Integration``'s grants; one describe per object."""
    sf = client()
    user_id = running_user_id(sf, policy)
    wanted_fields: dict[str, dict[str, bool]] = {}
    for field in integration_fields(mappings):
        object_name, _, field_name = field.field.partition(".")
        wanted_fields.setdefault(object_name, {})[field_name] = field.editable
    missing: list[MissingPermission] = []
    objects = integration_objects(mappings)
    for access in objects:
        described = policy.call(
            partial(_describe, sf, access.object), operation=f"describe {access.object}"
        )
        if described is None:  # no Read: the object does not exist for this user
            missing.extend(MissingPermission("object", access.object, p) for p in _wanted(access))
            missing.extend(
                MissingPermission("field", f"{access.object}.{name}", "Read")
                for name in wanted_fields.get(access.object, {})
            )
            continue
        missing.extend(
            MissingPermission("object", access.object, permission)
            for permission in _wanted(access)
            if not described.get(_OBJECT_FLAGS[permission], False)
        )
        visible = {f["name"].lower(): f for f in described.get("fields", [])}
        for name, editable in wanted_fields.get(access.object, {}).items():
            seen = visible.get(name.lower())
            if seen is None:
                missing.append(MissingPermission("field", f"{access.object}.{name}", "Read"))
            elif editable and not (seen.get("updateable") or seen.get("createable")):
                missing.append(MissingPermission("field", f"{access.object}.{name}", "Edit"))
    return PermissionCheck(
        user_id=user_id,
        missing=missing,
        objects_checked=len(objects),
        fields_checked=sum(len(v) for v in wanted_fields.values()),
    )
