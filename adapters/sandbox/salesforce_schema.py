"""The fake org's schema: sObjects and their fields, as describe and the Metadata API see them.

Account, Contact and Opportunity exist from the start (with a small, realistic set of
fields). Custom objects and fields come from the Metadata API (``CustomObject`` /
``CustomField`` components), whose field types map onto describe types here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from adapters.sandbox.ids import custom_key_prefix
from adapters.sandbox.store import Store

__all__ = [
    "API_VERSION",
    "SYSTEM_FIELDS",
    "SalesforceSchema",
    "SfField",
    "SfObject",
    "field_from_metadata",
]

API_VERSION = "62.0"  # the newest API version the sandbox answers to


@dataclass(frozen=True)
class SfField:
    """One field as describe reports it (``type`` is the describe type, e.g. ``picklist``)."""

    name: str
    label: str
    type: str
    length: int = 0
    external_id: bool = False
    unique: bool = False
    required: bool = False
    case_sensitive: bool = False
    picklist: tuple[str, ...] = ()
    default_picklist: str | None = None
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    custom: bool = False
    writable: bool = True
    auto_number: bool = False
    precision: int = 0
    scale: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SfField:
        data = json.loads(text)
        data["picklist"] = tuple(data["picklist"])
        data["reference_to"] = tuple(data["reference_to"])
        return cls(**data)


@dataclass(frozen=True)
class SfObject:
    name: str
    label: str
    plural_label: str
    key_prefix: str
    custom: bool = False
    display_format: str | None = None  # AutoNumber name fields

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SfObject:
        return cls(**json.loads(text))


def _system(name: str, label: str, type_: str, **extra: Any) -> SfField:
    return SfField(name=name, label=label, type=type_, writable=False, **extra)


SYSTEM_FIELDS: tuple[SfField, ...] = (
    _system("Id", "Record ID", "id", length=18, unique=True),
    _system("IsDeleted", "Deleted", "boolean"),
    _system("CreatedDate", "Created Date", "datetime"),
    _system("CreatedById", "Created By ID", "reference", length=18, reference_to=("User",)),
    _system("LastModifiedDate", "Last Modified Date", "datetime"),
    _system("LastModifiedById", "Last Modified By ID", "reference", length=18),
    _system("SystemModstamp", "System Modstamp", "datetime"),
)

# The record's owner. Read-only here: refnet never reassigns records, and records of other
# users only come from the populated org (adapters.sandbox.salesforce_population).
_OWNER = _system(
    "OwnerId", "Owner ID", "reference", length=18, reference_to=("User",), relationship_name="Owner"
)

_STAGES = ("Prospecting", "Qualification", "Negotiation/Review", "Closed Won", "Closed Lost")

_STANDARD: dict[str, tuple[SfObject, list[SfField]]] = {
    "Account": (
        SfObject("Account", "Account", "Accounts", "001"),
        [
            SfField("Name", "Account Name", "string", length=255, required=True),
            SfField("Website", "Website", "url", length=255),
            SfField("Industry", "Industry", "picklist", length=255, picklist=("Technology",)),
            SfField("Description", "Account Description", "textarea", length=32000),
            _OWNER,
        ],
    ),
    "Contact": (
        SfObject("Contact", "Contact", "Contacts", "003"),
        [
            SfField("FirstName", "First Name", "string", length=40),
            SfField("LastName", "Last Name", "string", length=80, required=True),
            SfField("Name", "Full Name", "string", length=121, writable=False),
            SfField("Email", "Email", "email", length=80),
            SfField("Phone", "Business Phone", "phone", length=40),
            SfField("Title", "Title", "string", length=128),
            SfField(
                "AccountId",
                "Account ID",
                "reference",
                length=18,
                reference_to=("Account",),
                relationship_name="Account",
            ),
            _OWNER,
            # Issue #18. Salesforce Object Reference, Contact: LastActivityDate (date; Filter,
            # Group, Nillable, Sort; not createable or updateable) is the most recent of the
            # due date of the latest event logged against the record and of the latest
            # closed task; the org sets it, never the API (see SalesforceRecords.log_activity).
            _system("LastActivityDate", "Last Activity", "date"),
        ],
    ),
    # Setup objects: the user, permission sets (one record per deployed PermissionSet) and
    # their assignments. DOC Object Reference: User, PermissionSet, PermissionSetAssignment.
    "User": (
        SfObject("User", "User", "Users", "005"),
        [
            SfField("Username", "Username", "string", length=80, writable=False),
            SfField("Name", "Full Name", "string", length=121, writable=False),
            SfField("IsActive", "Active", "boolean", writable=False),
        ],
    ),
    "PermissionSet": (
        SfObject("PermissionSet", "Permission Set", "Permission Sets", "0PS"),
        [
            SfField("Name", "Name", "string", length=80, required=True, unique=True),
            SfField("Label", "Label", "string", length=80, required=True),
        ],
    ),
    "PermissionSetAssignment": (
        SfObject(
            "PermissionSetAssignment",
            "Permission Set Assignment",
            "Permission Set Assignments",
            "0Pa",
        ),
        [
            SfField(
                "AssigneeId",
                "Assignee ID",
                "reference",
                length=18,
                required=True,
                reference_to=("User",),
                relationship_name="Assignee",
            ),
            SfField(
                "PermissionSetId",
                "Permission Set ID",
                "reference",
                length=18,
                required=True,
                reference_to=("PermissionSet",),
                relationship_name="PermissionSet",
            ),
        ],
    ),
    "Opportunity": (
        SfObject("Opportunity", "Opportunity", "Opportunities", "006"),
        [
            SfField("Name", "Name", "string", length=120, required=True),
            SfField("StageName", "Stage", "picklist", length=255, required=True, picklist=_STAGES),
            SfField("CloseDate", "Close Date", "date", required=True),
            SfField("Amount", "Amount", "currency", precision=18, scale=2),
            # Derived from the stage by Salesforce (read-only in the API): Opportunity object
            # reference, "IsClosed", "IsWon".
            _system("IsClosed", "Closed", "boolean"),
            _system("IsWon", "Won", "boolean"),
            SfField(
                "AccountId",
                "Account ID",
                "reference",
                length=18,
                reference_to=("Account",),
                relationship_name="Account",
            ),
        ],
    ),
}

# Metadata API field type -> (describe type, default length).
_METADATA_TYPES: dict[str, tuple[str, int]] = {
    "Text": ("string", 255),
    "TextArea": ("textarea", 255),
    "LongTextArea": ("textarea", 32768),
    "Html": ("textarea", 32768),
    "Email": ("email", 80),
    "Phone": ("phone", 40),
    "Url": ("url", 255),
    "Number": ("double", 0),
    "Currency": ("currency", 0),
    "Percent": ("percent", 0),
    "Checkbox": ("boolean", 0),
    "Date": ("date", 0),
    "DateTime": ("datetime", 0),
    "Picklist": ("picklist", 255),
    "MultiselectPicklist": ("multipicklist", 4099),
    "Lookup": ("reference", 18),
    "MasterDetail": ("reference", 18),
    "AutoNumber": ("string", 30),
}


def field_from_metadata(name: str, spec: dict[str, Any]) -> SfField:
    """An :class:`SfField` from a parsed CustomField component (a dict of its elements)."""
    md_type = str(spec.get("type", "Text"))
    describe_type, default_length = _METADATA_TYPES.get(md_type, ("string", 255))

    def flag(key: str) -> bool:
        return str(spec.get(key, "false")).lower() == "true"

    length = int(spec.get("length") or default_length)
    values: list[str] = []
    default_value: str | None = None
    value_set = spec.get("valueSet")
    restricted = False
    if isinstance(value_set, dict):
        restricted = str(value_set.get("restricted", "false")).lower() == "true"
        definition = value_set.get("valueSetDefinition")
        entries = definition.get("value", []) if isinstance(definition, dict) else []
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict) and "fullName" in entry:
                values.append(str(entry["fullName"]))
                if str(entry.get("default", "false")).lower() == "true":
                    default_value = str(entry["fullName"])
    reference = spec.get("referenceTo")
    return SfField(
        name=name,
        label=str(spec.get("label") or name),
        type=describe_type,
        length=length if describe_type not in ("double", "currency", "percent") else 0,
        external_id=flag("externalId"),
        unique=flag("unique"),
        required=flag("required") or md_type == "MasterDetail",
        case_sensitive=flag("caseSensitive"),
        picklist=tuple(values),
        default_picklist=default_value,
        restricted=restricted,
        reference_to=(str(reference),) if reference else (),
        relationship_name=(str(spec["relationshipName"]) + "__r")
        if spec.get("relationshipName")
        else None,
        custom=True,
        writable=md_type != "AutoNumber",
        auto_number=md_type == "AutoNumber",
        precision=int(spec.get("precision") or 0),
        scale=int(spec.get("scale") or 0),
    )


class SalesforceSchema:
    """Objects and fields of the fake org, persisted in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # Standard objects missing from the store (also from a store of an older sandbox).
        for obj, fields in _STANDARD.values():
            if self.object(obj.name) is None:
                self.save_object(obj)
                for f in fields:
                    self.save_field(obj.name, f)

    def objects(self) -> list[SfObject]:
        rows = self._store.query("SELECT spec FROM sf_objects ORDER BY name")
        return [SfObject.from_json(row["spec"]) for row in rows]

    def object(self, name: str) -> SfObject | None:
        row = self._store.query_one("SELECT spec FROM sf_objects WHERE name = ?", (name,))
        return SfObject.from_json(row["spec"]) if row else None

    def object_by_prefix(self, key_prefix: str) -> SfObject | None:
        row = self._store.query_one(
            "SELECT spec FROM sf_objects WHERE key_prefix = ?", (key_prefix,)
        )
        return SfObject.from_json(row["spec"]) if row else None

    def fields(self, object_name: str) -> list[SfField]:
        """System fields first, then the object's own fields in creation order."""
        rows = self._store.query(
            "SELECT spec FROM sf_fields WHERE object = ? ORDER BY position", (object_name,)
        )
        return [*SYSTEM_FIELDS, *(SfField.from_json(row["spec"]) for row in rows)]

    def field_map(self, object_name: str) -> dict[str, SfField]:
        """Fields by lower-cased name: Salesforce field names are case-insensitive."""
        return {f.name.lower(): f for f in self.fields(object_name)}

    def new_custom_object(
        self, name: str, label: str, plural_label: str, name_field: dict[str, Any]
    ) -> SfObject:
        """Create a custom object with its Name field (Text, or AutoNumber with a format)."""
        is_auto = str(name_field.get("type", "Text")) == "AutoNumber"
        obj = SfObject(
            name=name,
            label=label,
            plural_label=plural_label,
            key_prefix=custom_key_prefix(self._store.next_value("sf.key_prefix", start=0)),
            custom=True,
            display_format=str(name_field.get("displayFormat") or "{0}") if is_auto else None,
        )
        self.save_object(obj)
        name_spec = SfField(
            name="Name",
            label=str(name_field.get("label") or f"{label} Name"),
            type="string",
            length=80,
            required=not is_auto,
            writable=not is_auto,
            auto_number=is_auto,
        )
        self.save_field(name, name_spec)
        return obj

    def update_object(self, name: str, label: str, plural_label: str) -> SfObject | None:
        current = self.object(name)
        if current is None:
            return None
        updated = replace(current, label=label or current.label, plural_label=plural_label)
        self.save_object(updated)
        return updated

    def save_object(self, obj: SfObject, xml: str | None = None) -> None:
        with self._store.transaction() as conn:
            conn.execute(
                "INSERT INTO sf_objects (name, key_prefix, spec, xml) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET spec = excluded.spec, "
                "xml = COALESCE(excluded.xml, sf_objects.xml)",
                (obj.name, obj.key_prefix, obj.to_json(), xml),
            )

    def save_field(self, object_name: str, spec: SfField, xml: str | None = None) -> None:
        with self._store.transaction() as conn:
            position = conn.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM sf_fields WHERE object = ?",
                (object_name,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO sf_fields (object, name, position, spec, xml) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(object, name) DO UPDATE SET spec = excluded.spec, "
                "xml = COALESCE(excluded.xml, sf_fields.xml)",
                (object_name, spec.name, position, spec.to_json(), xml),
            )

    def field_xml(self, object_name: str) -> list[tuple[str, str | None]]:
        """(field name, stored CustomField XML) of an object's custom fields."""
        rows = self._store.query(
            "SELECT name, xml FROM sf_fields WHERE object = ? ORDER BY position", (object_name,)
        )
        return [(row["name"], row["xml"]) for row in rows]

    def object_xml(self, name: str) -> str | None:
        row = self._store.query_one("SELECT xml FROM sf_objects WHERE name = ?", (name,))
        return None if row is None else row["xml"]
