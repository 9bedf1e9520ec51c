"""The Salesforce schema refnet needs, derived from the mappings: objects, fields, permissions.

Pure functions. One list of :class:`Component` feeds both the sfdx source export
(:mod:`adapters.salesforce.sfdx`) and provisioning through the Metadata API
(:mod:`adapters.salesforce.provision`), so the two can never disagree. Bodies are plain dicts
in Metadata API terms (``label``, ``valueSet``…); both writers render them as they are.

Only refnet's own components are described: custom objects, custom fields (also those on
Contact and Account) and two permission sets: ``Refnet_Integration`` (the integration user)
and ``Refnet_Sales_User`` (the sales team). Standard objects and standard
fields are never created or changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from adapters.salesforce.pull import LINKED_FIELDS
from mappings.labels import picklist_label
from mappings.spec import FieldType, MappedField, MappingSet, ObjectMapping

__all__ = [
    "ARCHIVE_FIELD",
    "INTEGRATION_PERMISSION_SET",
    "NOT_PERMISSIONABLE",
    "OBJECT_FEATURES",
    "SALES_USER_PERMISSION_SET",
    "Component",
    "ComponentType",
    "FieldAccess",
    "InOrder",
    "ObjectAccess",
    "desired_components",
    "field_components",
    "integration_fields",
    "integration_objects",
    "integration_permission_set",
    "object_component",
    "permission_sets",
    "permissionable",
    "sales_user_permission_set",
]

# The integration user's set (assigned by ``provision``) and the sales team's. ``Refnet_Admin``,
# the set of earlier versions, is no longer written; an org that has it keeps it untouched
# (provisioning never deletes), and nothing in refnet reads it.
INTEGRATION_PERMISSION_SET = "Refnet_Integration"
SALES_USER_PERMISSION_SET = "Refnet_Sales_User"
# Set on records refnet no longer has when a sync runs with the ``archive`` removal mode (and
# on Contacts and Accounts in ``delete`` mode, which refnet never deletes): reports and list
# views can filter them out while nothing a sales user wrote is lost.
ARCHIVE_FIELD = "Refnet_Archived__c"

ComponentType = Literal[
    "CustomObject",
    "CustomField",
    "CompactLayout",
    "ListView",
    "Layout",
    "CustomTab",
    "CustomApplication",
    "Workflow",
    "Flow",
    "PermissionSet",
    "CustomObjectTranslation",
]

# The object features Salesforce's own generator switches on for a new custom object
# (Object Manager "Optional Features" and "Object Classification"; Metadata API Developer
# Guide, CustomObject). Bulk API, sharing and streaming go together: all three make an
# "Enterprise Application" object, and Salesforce refuses a mix.
OBJECT_FEATURES: dict[str, bool] = {
    "enableActivities": True,
    "enableBulkApi": True,
    "enableFeeds": False,
    "enableHistory": True,
    "enableReports": True,
    "enableSearch": True,
    "enableSharing": True,
    "enableStreamingApi": True,
}


class InOrder(dict[str, Any]):
    """A body whose elements are written in this order, not alphabetically.

    Most metadata types list their elements alphabetically, but a type that extends another
    (a Flow's elements extend ``FlowNode``) lists the base type's elements first; the schema
    is a sequence, so the order matters.
    """


@dataclass(frozen=True)
class Component:
    """One metadata component: its type, full name and body (without ``fullName``)."""

    type: ComponentType
    full_name: str
    body: dict[str, Any]
    # Only merged into what the org already has (a standard object's page layout): the
    # export leaves it out, since a deploy would replace the admin's component with it.
    merge_only: bool = False
    # Properties that name components created after this one (an object's compact layout
    # assignment names a compact layout, which needs the object's fields): provisioning
    # writes them in a last pass, once everything else exists.
    deferred: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.type} {self.full_name}"


def object_component(mapping: ObjectMapping) -> Component | None:
    """The custom object of ``mapping``; ``None`` for a standard object (never changed)."""
    spec = mapping.spec
    if not mapping.custom or spec.name_field is None:  # the spec requires one when custom
        return None
    name_field: dict[str, Any] = {"label": spec.name_field.label, "type": spec.name_field.type}
    if spec.name_field.display_format:
        name_field["displayFormat"] = spec.name_field.display_format
    body: dict[str, Any] = {
        "label": spec.label,
        "pluralLabel": spec.plural_label,
        "nameField": name_field,
        "deploymentStatus": "Deployed",
        "sharingModel": spec.sharing_model,
        **OBJECT_FEATURES,
    }
    if spec.description:
        body["description"] = spec.description
    return Component("CustomObject", mapping.object, body)


def _picklist(field: MappedField) -> dict[str, Any]:
    default = field.picklist_default
    return {
        # Restricted: the values are the model's enum, so nothing else can be stored.
        "restricted": True,
        "valueSetDefinition": {
            "sorted": False,
            "value": [
                {
                    "fullName": value,
                    "default": value == default,
                    "label": picklist_label(value),
                }
                for value in field.picklist_values
            ],
        },
    }


def _field_body(field: MappedField) -> dict[str, Any]:
    spec = field.spec
    body: dict[str, Any] = {"label": spec.label}
    if spec.description:
        body["description"] = spec.description
    kind = spec.type
    if kind in (FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP):
        body.update(
            type="Lookup",
            referenceTo=field.reference_object,
            relationshipName=spec.relationship_name,
            relationshipLabel=spec.relationship_label or spec.label,
            deleteConstraint="SetNull",  # deleting a Contact must not delete referrals
            required=False,
        )
    elif kind in (FieldType.NUMBER, FieldType.CURRENCY):
        precision, scale = spec.number_format
        body.update(type=str(kind), precision=precision, scale=scale, required=False)
    elif kind is FieldType.CHECKBOX:
        body.update(type="Checkbox", defaultValue="false")
    elif kind in (FieldType.PICKLIST, FieldType.MULTISELECT_PICKLIST):
        body.update(type=str(kind), valueSet=_picklist(field))
    else:
        body["type"] = str(kind)
    if spec.effective_length is not None:
        body["length"] = spec.effective_length
    if spec.effective_visible_lines is not None:
        body["visibleLines"] = spec.effective_visible_lines
    return body


def _external_id(mapping: ObjectMapping) -> Component:
    spec = mapping.spec.external_id
    return Component(
        "CustomField",
        f"{mapping.object}.{spec.field}",
        {
            "label": spec.label,
            "type": "Text",
            "length": spec.length,
            "externalId": True,
            "unique": True,
            "caseSensitive": spec.case_sensitive,
            "required": False,
        },
    )


def _archive_flag(mapping: ObjectMapping) -> Component:
    return Component(
        "CustomField",
        f"{mapping.object}.{ARCHIVE_FIELD}",
        {
            "label": "Refnet Archived",
            "type": "Checkbox",
            "defaultValue": "false",
            "description": "Set by refnet when the record is no longer in its referral network.",
        },
    )


def field_components(mapping: ObjectMapping) -> list[Component]:
    """The external id field, the archive flag and every custom field of ``mapping``."""
    fields = [_external_id(mapping), _archive_flag(mapping)]
    fields.extend(
        Component("CustomField", f"{mapping.object}.{field.target}", _field_body(field))
        for field in mapping.fields
        if field.custom
    )
    return fields


# Standard fields that take no field permission: required fields and those Salesforce derives
# (describe reports ``permissionable: false``). A permission set naming one fails to deploy
# ("FieldPermissions: required fields cannot be set"); their visibility follows the object.
# DOC: Object Reference, FieldPermissions ("Field" notes: required and system fields aren't
# permissionable), https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/
# object_reference/sforce_api_objects_fieldpermissions.htm
NOT_PERMISSIONABLE: frozenset[str] = frozenset(
    {
        "Account.Name",
        "Contact.FirstName",  # part of the compound Name, whose FLS follows LastName
        "Contact.LastName",
        "Contact.Name",
        # Issue #18: the org maintains it (latest event or closed task), read-only for all;
        # it is visible whenever the Contact is, and a permission set may not name it.
        "Contact.LastActivityDate",
        "Opportunity.CloseDate",
        "Opportunity.IsClosed",
        "Opportunity.IsWon",
        "Opportunity.Name",
        "Opportunity.StageName",
    }
)
_STANDARD_READS: dict[str, tuple[str, ...]] = LINKED_FIELDS
# Standard fields refnet writes although no mapping pushes them: a Contact's Account link.
_STANDARD_WRITES: dict[str, tuple[str, ...]] = {"Contact": ("AccountId",)}


def permissionable(field: str) -> bool:
    """Whether a permission set may name ``Object.Field`` (a record's Name never may)."""
    return field not in NOT_PERMISSIONABLE and not field.endswith(".Name")


@dataclass(frozen=True)
class FieldAccess:
    """What a permission set grants on one field."""

    field: str
    editable: bool

    def as_body(self) -> dict[str, Any]:
        return {"editable": self.editable, "field": self.field, "readable": True}


@dataclass(frozen=True)
class ObjectAccess:
    """What a permission set grants on one object (never View All / Modify All)."""

    object: str
    create: bool
    read: bool
    edit: bool
    delete: bool

    def as_body(self) -> dict[str, Any]:
        return {
            "allowCreate": self.create,
            "allowDelete": self.delete,
            "allowEdit": self.edit,
            "allowRead": self.read,
            "modifyAllRecords": False,
            "object": self.object,
            "viewAllRecords": False,
        }


def _standard_objects(mappings: MappingSet) -> Iterator[tuple[str, bool]]:
    """Standard objects refnet touches: ``(name, writes)`` — mapped ones are written."""
    seen: set[str] = set()
    for mapping in mappings.mappings:
        if not mapping.custom and mapping.object not in seen:
            seen.add(mapping.object)
            yield mapping.object, True
    for mapping in mappings.mappings:
        for field in mapping.fields:
            ref = field.reference_object
            if ref and not ref.endswith("__c") and ref not in seen:
                seen.add(ref)
                yield ref, False


def integration_objects(mappings: MappingSet) -> list[ObjectAccess]:
    """Object permissions a sync and provisioning need.

    refnet deletes only records of its own objects (the ``delete`` removal mode); it
    creates and updates Contacts and Accounts (members) but never deletes them, and only
    reads the standard records its objects point at (Opportunity).
    """
    access = [ObjectAccess(m.object, True, True, True, True) for m in mappings.mappings if m.custom]
    access.extend(
        ObjectAccess(name, writes, True, writes, False)
        for name, writes in _standard_objects(mappings)
    )
    return sorted(access, key=lambda a: a.object)


def integration_fields(mappings: MappingSet) -> list[FieldAccess]:
    """Field permissions for every field refnet reads or writes, standard ones included."""
    grants: dict[str, bool] = {}
    for mapping in mappings.mappings:
        for component in field_components(mapping):
            grants[component.full_name] = True
        for field in mapping.fields:
            if not field.custom:
                # Pulled fields too: the sync seeds them when it creates a record.
                grants[f"{mapping.object}.{field.target}"] = True
    standard = {name for name, _ in _standard_objects(mappings)}
    for obj, fields in _STANDARD_READS.items():
        if obj in standard:
            for field_name in fields:
                grants.setdefault(f"{obj}.{field_name}", False)
            for field_name in _STANDARD_WRITES.get(obj, ()):
                grants[f"{obj}.{field_name}"] = True
    return sorted(
        (FieldAccess(name, editable) for name, editable in grants.items() if permissionable(name)),
        key=lambda a: a.field,
    )


def sales_user_fields(mappings: MappingSet) -> list[FieldAccess]:
    """Every refnet field readable; editable only where CRM users own the value (pulled)."""
    pulled = {f"{m.object}.{f.target}" for m in mappings.mappings for f in m.fields if not f.pushed}
    return sorted(
        (
            FieldAccess(c.full_name, c.full_name in pulled)
            for m in mappings.mappings
            for c in field_components(m)
        ),
        key=lambda a: a.field,
    )


def _permission_set(
    name: str, label: str, description: str, objects: list[ObjectAccess], fields: list[FieldAccess]
) -> Component:
    return Component(
        "PermissionSet",
        name,
        {
            "label": label,
            "description": description,
            "hasActivationRequired": False,
            "objectPermissions": [o.as_body() for o in objects],
            "fieldPermissions": [f.as_body() for f in fields],
        },
    )


def integration_permission_set(mappings: MappingSet) -> Component:
    """``Refnet_Integration``: all a sync and provisioning touch, for the integration user.

    Fields created through the Metadata API are invisible to everyone until a permission
    set grants them, so this set is what makes refnet's fields usable at all.
    """
    return _permission_set(
        INTEGRATION_PERMISSION_SET,
        "Refnet Integration",
        "For the user refnet logs in as: the objects and fields a sync reads and writes.",
        integration_objects(mappings),
        integration_fields(mappings),
    )


def sales_user_permission_set(mappings: MappingSet) -> Component:
    """``Refnet_Sales_User``: read refnet's records; edit only the fields sales users own."""
    objects = [
        ObjectAccess(m.object, False, True, False, False) for m in mappings.mappings if m.custom
    ]
    return _permission_set(
        SALES_USER_PERMISSION_SET,
        "Refnet Sales User",
        "For sales users: see referrals, partnerships and memberships; edit the fields "
        "refnet reads back (notes, manual status).",
        sorted(objects, key=lambda a: a.object),
        sales_user_fields(mappings),
    )


def permission_sets(mappings: MappingSet) -> list[Component]:
    return [integration_permission_set(mappings), sales_user_permission_set(mappings)]


def desired_components(mappings: MappingSet) -> list[Component]:
    """Every component, in the order they must be created: objects, fields, permissions."""
    objects = [c for m in mappings.mappings if (c := object_component(m)) is not None]
    fields = [c for m in mappings.mappings for c in field_components(m)]
    return [*objects, *fields, *permission_sets(mappings)]
