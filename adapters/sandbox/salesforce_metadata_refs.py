"""What the sandbox's Metadata API checks beyond the schema: that components name what exists.

Salesforce refuses a component that names an object, field, tab or Outbound Message the org
does not have (``INVALID_CROSS_REFERENCE_KEY``, or ``FIELD_INTEGRITY_EXCEPTION`` for a field;
Metadata API Developer Guide, "Metadata API Error Handling" / StatusCode), so order matters:
fields before the layouts and list views that show them, tabs before the app, the Outbound
Message before the Flow that calls it. Where the exact rule could not be confirmed the
sandbox refuses (e.g. a related list that is not a lookup onto the layout's object).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # expat >= 2.4.1 refuses entity expansion attacks
from collections.abc import Callable
from typing import Any

from adapters.sandbox.salesforce_schema import SalesforceSchema

__all__ = ["reference_error"]

Error = tuple[str, str]
StoredReader = Callable[[str, str], dict[str, Any] | None]

# Fields Salesforce has that the sandbox's describe leaves out: every owned object's owner
# (CustomObject sharingModel ReadWrite/Read/Private objects are owned) and Opportunity's
# outcome flags (Object Reference, Opportunity: IsClosed, IsWon).
_IMPLICIT_FIELDS = {"ownerid"}
_IMPLICIT_BY_OBJECT = {"opportunity": {"isclosed", "iswon"}}
# A standard related list (Contact roles, activities…) is named Related…List.
_STANDARD_RELATED_LIST = re.compile(r"Related[A-Za-z]+List")
# Bulk API, sharing and streaming make an "Enterprise Application" object together (Object
# Manager, "Object Classification"): Salesforce refuses one without the others.
_ENTERPRISE_FLAGS = ("enableBulkApi", "enableSharing", "enableStreamingApi")
# The languages the sandbox org translates into. A deploy of translations needs the
# Translation Workbench on and the language added (Salesforce Help, "Enable and Disable the
# Translation Workbench", "Add Translated Languages and Translators"); the sandbox org is one
# set up for refnet's users, with German added. Any other language is refused: a real org
# refuses a language it has not added, and the sandbox cannot know which ones an org has.
_TRANSLATION_LANGUAGES = frozenset({"de"})


def _items(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in _items(value) if isinstance(item, dict)]


def _missing(code: str, kind: str, name: str) -> Error:
    return (code, f"In field: fullName - no {kind} named {name} found")


class _Checker:
    def __init__(self, schema: SalesforceSchema, read_stored: StoredReader) -> None:
        self.schema = schema
        self.read_stored = read_stored

    def has_field(self, obj: str, field: str) -> bool:
        name = field.lower()
        implicit = _IMPLICIT_FIELDS | _IMPLICIT_BY_OBJECT.get(obj.lower(), set())
        return name in implicit or name in self.schema.field_map(obj)

    def fields_error(self, obj: str, fields: list[str]) -> Error | None:
        if self.schema.object(obj) is None:
            return _missing("INVALID_CROSS_REFERENCE_KEY", "CustomObject", obj)
        for field in fields:
            if not self.has_field(obj, field):
                return _missing("FIELD_INTEGRITY_EXCEPTION", "field", f"{obj}.{field}")
        return None

    def custom_object(self, name: str, spec: dict[str, Any]) -> Error | None:
        flags = {str(spec.get(flag, "false")).lower() for flag in _ENTERPRISE_FLAGS}
        if len(flags) > 1:
            return (
                "FIELD_INTEGRITY_EXCEPTION",
                f"{name}: enableBulkApi, enableSharing and enableStreamingApi go together",
            )
        assigned = spec.get("compactLayoutAssignment")
        if (
            assigned
            and assigned != "SYSTEM"
            and self.read_stored("CompactLayout", f"{name}.{assigned}") is None
        ):
            return _missing("INVALID_CROSS_REFERENCE_KEY", "CompactLayout", assigned)
        return None

    def compact_layout(self, name: str, spec: dict[str, Any]) -> Error | None:
        obj = name.partition(".")[0]
        return self.fields_error(obj, [str(f) for f in _items(spec.get("fields"))])

    def list_view(self, name: str, spec: dict[str, Any]) -> Error | None:
        obj = name.partition(".")[0]
        fields = [str(c) for c in _items(spec.get("columns")) if c != "NAME"]
        fields += [str(f.get("field")) for f in _dicts(spec.get("filters"))]
        return self.fields_error(obj, fields)

    def layout(self, name: str, spec: dict[str, Any]) -> Error | None:
        obj = name.partition("-")[0]
        fields = [
            str(item["field"])
            for section in _dicts(spec.get("layoutSections"))
            for column in _dicts(section.get("layoutColumns"))
            for item in _dicts(column.get("layoutItems"))
            if item.get("field")
        ]
        error = self.fields_error(obj, fields)
        if error:
            return error
        for related in _dicts(spec.get("relatedLists")):
            list_name = str(related.get("relatedList", ""))
            if _STANDARD_RELATED_LIST.fullmatch(list_name):
                continue
            child, _, lookup = list_name.partition(".")
            spec_field = self.schema.field_map(child).get(lookup.lower())
            if spec_field is None or obj not in spec_field.reference_to:
                return _missing("INVALID_CROSS_REFERENCE_KEY", "related list", list_name)
        return None

    def picklist_labels(self, obj: str, field: str) -> set[str]:
        """The labels of a custom picklist's values, as its stored CustomField has them."""
        xml = dict(self.schema.field_xml(obj)).get(field)
        if not xml:
            return set()
        element = ET.fromstring(xml)  # noqa: S314 - XML the sandbox wrote itself
        return {
            str(value.findtext("label") or value.findtext("fullName") or "")
            for value in element.iterfind("valueSet/valueSetDefinition/value")
        }

    def object_translation(self, name: str, spec: dict[str, Any]) -> Error | None:
        """A ``CustomObjectTranslation`` names an object, its fields and their values.

        Metadata API Developer Guide, "CustomObjectTranslation": the full name is
        ``<object>-<language>`` and ``fields`` translate "the custom fields associated with
        the custom object"; a ``PicklistValueTranslation`` pairs a value's ``masterLabel``
        (its label in the org's language) with its translation. What Salesforce answers for
        a field or value that does not exist could not be confirmed, so the sandbox refuses
        it (INVALID_CROSS_REFERENCE_KEY, as for every other missing reference), as it does
        object names (caseValues, gender) on a standard object, whose names Salesforce
        translates itself (Rename Tabs and Labels).
        """
        obj, _, language = name.rpartition("-")
        if not obj or language not in _TRANSLATION_LANGUAGES:
            return (
                "FIELD_INTEGRITY_EXCEPTION",
                f"{name}: '{language}' is not a language the Translation Workbench translates into",
            )
        described = self.schema.object(obj)
        if described is None:
            return _missing("INVALID_CROSS_REFERENCE_KEY", "CustomObject", obj)
        if not described.custom and any(
            spec.get(key) for key in ("caseValues", "gender", "nameFieldLabel")
        ):
            return (
                "FIELD_INTEGRITY_EXCEPTION",
                f"{name}: a standard object's name is not translated here",
            )
        fields = self.schema.field_map(obj)
        for translation in _dicts(spec.get("fields")):
            field_name = str(translation.get("name", ""))
            field = fields.get(field_name.lower())
            if field is None or not field.custom:
                return _missing("INVALID_CROSS_REFERENCE_KEY", "CustomField", f"{obj}.{field_name}")
            if translation.get("relationshipLabel") and field.type != "reference":
                return (
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{obj}.{field_name}: relationshipLabel on a field that is no lookup",
                )
            labels = self.picklist_labels(obj, field.name)
            for value in _dicts(translation.get("picklistValues")):
                master = str(value.get("masterLabel", ""))
                if master not in labels:
                    return _missing(
                        "INVALID_CROSS_REFERENCE_KEY",
                        "picklist value",
                        f"{obj}.{field_name}.{master}",
                    )
        return None

    def custom_field(self, name: str, spec: dict[str, Any]) -> Error | None:
        # "trackHistory: … history tracking must be enabled for the object" (CustomField,
        # Metadata API Developer Guide): a custom object tracks history only with
        # enableHistory. Standard objects switch it on in Setup, which the sandbox allows.
        if str(spec.get("trackHistory", "false")).lower() != "true":
            return None
        obj = name.partition(".")[0]
        found = self.schema.object(obj)
        if found is None or not found.custom:
            return None
        xml = self.schema.object_xml(obj) or ""
        if "<enableHistory>true</enableHistory>" not in xml:
            return (
                "FIELD_INTEGRITY_EXCEPTION",
                f"{name}: field history tracking needs enableHistory on {obj}",
            )
        return None

    def custom_tab(self, name: str, spec: dict[str, Any]) -> Error | None:
        if str(spec.get("customObject", "false")).lower() == "true":
            found = self.schema.object(name)
            if found is None or not found.custom:
                return _missing("INVALID_CROSS_REFERENCE_KEY", "CustomObject", name)
        return None

    def application(self, name: str, spec: dict[str, Any]) -> Error | None:
        for tab in _items(spec.get("tabs")):
            if not str(tab).startswith("standard-") and not self.read_stored("CustomTab", tab):
                return _missing("INVALID_CROSS_REFERENCE_KEY", "CustomTab", str(tab))
        return None

    def workflow(self, name: str, spec: dict[str, Any]) -> Error | None:
        for message in _dicts(spec.get("outboundMessages")):
            error = self.fields_error(name, [str(f) for f in _items(message.get("fields"))])
            if error:
                return error
        return None

    def flow(self, name: str, spec: dict[str, Any]) -> Error | None:
        start = spec.get("start") or {}
        obj = start.get("object") if isinstance(start, dict) else None
        if obj and self.schema.object(str(obj)) is None:
            return _missing("INVALID_CROSS_REFERENCE_KEY", "CustomObject", str(obj))
        for action in _dicts(spec.get("actionCalls")):
            if action.get("actionType") != "outboundMessage":
                continue
            target, _, message = str(action.get("actionName", "")).partition(".")
            workflow = self.read_stored("Workflow", target) or {}
            names = {m.get("fullName") for m in _dicts(workflow.get("outboundMessages"))}
            if message not in names:
                return _missing(
                    "INVALID_CROSS_REFERENCE_KEY", "WorkflowOutboundMessage", f"{target}.{message}"
                )
        return None


def reference_error(
    kind: str,
    full_name: str,
    spec: dict[str, Any],
    schema: SalesforceSchema,
    read_stored: StoredReader,
) -> Error | None:
    """The (statusCode, message) Salesforce answers when ``spec`` names what is missing."""
    checker = _Checker(schema, read_stored)
    check: dict[str, Callable[[str, dict[str, Any]], Error | None]] = {
        "CustomObject": checker.custom_object,
        "CustomField": checker.custom_field,
        "CompactLayout": checker.compact_layout,
        "ListView": checker.list_view,
        "Layout": checker.layout,
        "CustomTab": checker.custom_tab,
        "CustomApplication": checker.application,
        "Workflow": checker.workflow,
        "Flow": checker.flow,
        "CustomObjectTranslation": checker.object_translation,
    }
    rule = check.get(kind)
    return rule(full_name, spec) if rule else None
