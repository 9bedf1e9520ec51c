"""Deploy-time checks of CustomField and PermissionSet components, as the Metadata API makes them.

Each rule returns the ``(statusCode, message)`` Salesforce answers in a SaveResult, or ``None``.
Where the documentation gives a bound it is cited; what it does not confirm is refused.

* CustomField (DOC Metadata API Developer Guide, "CustomField"): ``fullName`` of at most 40
  characters before ``__c``; ``label`` at most 40; Text ``length`` 1-255; Number, Currency
  and Percent ``precision`` 1-18 with ``0 <= scale <= precision``; LongTextArea ``length``
  256-131,072 and ``visibleLines`` required (2-50, "required for long text area fields");
  a lookup's ``relationshipName`` unique among the relationships pointing at its target.
* PermissionSet (DOC Metadata API Developer Guide, "PermissionSet"; Object Reference,
  "ObjectPermissions", "FieldPermissions"): each object and field must exist; Create, Edit
  and Delete depend on Read (Delete also on Edit); ``editable`` needs ``readable``; a
  required field takes no field permission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.sandbox.salesforce_access import takes_field_permission
from adapters.sandbox.salesforce_schema import SalesforceSchema

__all__ = ["check_custom_field", "check_permission_set"]

Problem = tuple[str, str] | None
_MAX_NAME = 40  # characters of a custom field's API name before "__c"
_MAX_LABEL = 40
_NUMERIC = ("Number", "Currency", "Percent")


def _int(spec: dict[str, Any], key: str) -> int | None:
    try:
        return int(str(spec[key]))
    except (KeyError, ValueError):
        return None


def _as_list(value: Any) -> list[dict[str, Any]]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def _true(item: dict[str, Any], key: str) -> bool:
    return str(item.get(key, "false")).lower() == "true"


def check_custom_field(
    schema: SalesforceSchema, object_name: str, field_name: str, spec: dict[str, Any]
) -> Problem:
    """The first rule ``spec`` (a parsed CustomField) breaks, or ``None``."""
    stem = field_name.removesuffix("__c")
    if len(stem) > _MAX_NAME:
        return ("STRING_TOO_LONG", f"Field name: data value too large: {field_name} (max 40)")
    label = str(spec.get("label") or "")
    if not label or len(label) > _MAX_LABEL:
        return ("FIELD_INTEGRITY_EXCEPTION", "Field label: 1 to 40 characters are required")
    kind = str(spec.get("type", ""))
    length, precision, scale = _int(spec, "length"), _int(spec, "precision"), _int(spec, "scale")
    if kind == "Text" and (length is None or not 1 <= length <= 255):
        return ("FIELD_INTEGRITY_EXCEPTION", "Length: Text fields take 1 to 255 characters")
    if kind in _NUMERIC:
        if precision is None or not 1 <= precision <= 18:
            return ("FIELD_INTEGRITY_EXCEPTION", "Precision: must be between 1 and 18")
        if scale is None or not 0 <= scale <= precision:
            return ("FIELD_INTEGRITY_EXCEPTION", "Scale: must be between 0 and the precision")
    if kind == "LongTextArea":
        if length is None or not 256 <= length <= 131_072:
            return ("FIELD_INTEGRITY_EXCEPTION", "Length: long text takes 256 to 131,072")
        lines = _int(spec, "visibleLines")
        if lines is None or not 2 <= lines <= 50:
            return ("FIELD_INTEGRITY_EXCEPTION", "Visible Lines: required, 2 to 50")
    relationship = spec.get("relationshipName")
    target = spec.get("referenceTo")
    if relationship and target:
        wanted = f"{relationship}__r".lower()
        for obj in schema.objects():
            for other in schema.fields(obj.name):
                if (
                    (obj.name, other.name) != (object_name, field_name)
                    and target in other.reference_to
                    and (other.relationship_name or "").lower() == wanted
                ):
                    return (
                        "DUPLICATE_DEVELOPER_NAME",
                        f"Child Relationship Name: {relationship} is already used on {target}",
                    )
    return None


def _check_object_permission(
    schema: SalesforceSchema, item: dict[str, Any], known: Callable[[str], bool]
) -> Problem:
    name = str(item.get("object", ""))
    if not known(name):
        return ("INVALID_CROSS_REFERENCE_KEY", f"In field: object - no CustomObject named {name}")
    read, edit = _true(item, "allowRead"), _true(item, "allowEdit")
    if (_true(item, "allowCreate") or edit) and not read:
        return ("FIELD_INTEGRITY_EXCEPTION", f"Permission Create/Edit {name} depends on Read")
    if _true(item, "allowDelete") and not (read and edit):
        return ("FIELD_INTEGRITY_EXCEPTION", f"Permission Delete {name} depends on Read, Edit")
    return None


def _check_field_permission(schema: SalesforceSchema, item: dict[str, Any]) -> Problem:
    name = str(item.get("field", ""))
    object_name, _, field_name = name.partition(".")
    spec = schema.field_map(object_name).get(field_name.lower())
    if spec is None:
        return ("INVALID_CROSS_REFERENCE_KEY", f"In field: field - no CustomField named {name}")
    if not takes_field_permission(spec):
        return ("FIELD_INTEGRITY_EXCEPTION", f"You cannot deploy to a required field: {name}")
    if _true(item, "editable") and not _true(item, "readable"):
        return ("FIELD_INTEGRITY_EXCEPTION", f"{name}: editable field permission needs readable")
    return None


def check_permission_set(schema: SalesforceSchema, spec: dict[str, Any]) -> Problem:
    """The first rule ``spec`` (a parsed PermissionSet) breaks, or ``None``."""
    label = str(spec.get("label") or "")
    if not label or len(label) > 80:
        return ("FIELD_INTEGRITY_EXCEPTION", "Label: 1 to 80 characters are required")

    def known(name: str) -> bool:
        return schema.object(name) is not None

    for item in _as_list(spec.get("objectPermissions")):
        if problem := _check_object_permission(schema, item, known):
            return problem
    for item in _as_list(spec.get("fieldPermissions")):
        if problem := _check_field_permission(schema, item):
            return problem
    return None
