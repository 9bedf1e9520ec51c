"""The Salesforce schema refnet needs, derived from the mappings: objects, fields, permissions.

Pure functions. One list of :class:`Component` feeds both the sfdx source export
(:mod:`adapters.salesforce.sfdx`) and provisioning through the Metadata API
(:mod:`adapters.salesforce.provision`), so the two can never disagree. Bodies are plain dicts
in Metadata API terms (``label``, ``valueSet``…); both writers render them as they are.

Only refnet's own components are described: custom objects, custom fields (also those on
Contact and Account) and the ``Refnet_Admin`` permission set. Standard objects and standard
fields are never created or changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from mappings.spec import FieldType, MappedField, MappingSet, ObjectMapping

__all__ = [
    "ARCHIVE_FIELD",
    "OBJECT_FEATURES",
    "PERMISSION_SET",
    "Component",
    "ComponentType",
    "InOrder",
    "desired_components",
    "field_components",
    "object_component",
    "permission_set",
]

PERMISSION_SET = "Refnet_Admin"
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
                    "label": value.replace("_", " ").title(),
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


def permission_set(mappings: MappingSet) -> Component:
    """``Refnet_Admin``: what the integration user needs on every object and custom field.

    Fields created through the Metadata API are invisible to everyone until a permission
    set grants them. refnet deletes only records of its own objects (the ``delete`` removal
    mode) and never creates or deletes Contacts or Accounts (members link to existing
    ones), so neither is granted on those.
    """
    objects = [
        {
            "object": m.object,
            "allowCreate": True,
            "allowDelete": True,
            "allowEdit": True,
            "allowRead": True,
            "modifyAllRecords": False,
            "viewAllRecords": False,
        }
        for m in mappings.mappings
        if m.custom
    ]
    objects.extend(
        {
            "object": name,
            "allowCreate": False,
            "allowDelete": False,
            "allowEdit": writes,
            "allowRead": True,
            "modifyAllRecords": False,
            "viewAllRecords": False,
        }
        for name, writes in _standard_objects(mappings)
    )
    fields = [
        {"field": c.full_name, "editable": True, "readable": True}
        for m in mappings.mappings
        for c in field_components(m)
    ]
    return Component(
        "PermissionSet",
        PERMISSION_SET,
        {
            "label": "Refnet Admin",
            "description": "Access to the objects and fields refnet syncs.",
            "hasActivationRequired": False,
            "objectPermissions": sorted(objects, key=lambda p: str(p["object"])),
            "fieldPermissions": sorted(fields, key=lambda p: str(p["field"])),
        },
    )


def desired_components(mappings: MappingSet) -> list[Component]:
    """Every component, in the order they must be created: objects, fields, permissions."""
    objects = [c for m in mappings.mappings if (c := object_component(m)) is not None]
    fields = [c for m in mappings.mappings for c in field_components(m)]
    return [*objects, *fields, permission_set(mappings)]
