"""The fake HubSpot portal's object types, properties and property groups.

Contacts (``0-1``), companies (``0-2``) and deals (``0-3``) exist from the start with a
few default properties. Custom object types (``2-<n>``, fully qualified name
``p<portal>_<name>``) come from the schemas API. Properties are kept in HubSpot's own
``Property`` JSON shape, so the API answers them as stored.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from adapters.sandbox.store import Store, iso_hubspot

__all__ = ["READ_ONLY_PROPERTIES", "HubSpotSchema", "ObjectType", "property_json"]

# HubSpot computes these itself; a write is refused with READ_ONLY_VALUE. notes_last_contacted
# (issue #18): HubSpot's default contact property "Last Contacted", "the last time a call,
# chat conversation, LinkedIn message, postal mail, meeting, sales email, SMS, or WhatsApp
# message was logged for a contact" (HubSpot Knowledge Base: "HubSpot's default contact
# properties"); calculated, so never writable through the API.
READ_ONLY_PROPERTIES = frozenset(
    {
        "hs_object_id",
        "createdate",
        "lastmodifieddate",
        "hs_lastmodifieddate",
        "hs_createdate",
        "notes_last_contacted",
    }
)
# Read-only date-times of the standard types beyond the created/modified stamps, by type id.
_ACTIVITY_PROPERTIES: dict[str, tuple[tuple[str, str], ...]] = {
    "0-1": (("notes_last_contacted", "Last Contacted"),),
}


@dataclass
class ObjectType:
    """One object type; ``name`` is the plural API name of standard types (``contacts``)."""

    type_id: str
    name: str
    singular: str
    plural: str
    custom: bool
    fully_qualified_name: str
    created_property: str
    modified_property: str
    default_properties: list[str]
    primary_display_property: str | None = None
    secondary_display_properties: list[str] = field(default_factory=list)
    required_properties: list[str] = field(default_factory=list)
    searchable_properties: list[str] = field(default_factory=list)
    description: str | None = None
    created_ms: int = 0
    updated_ms: int = 0

    def aliases(self) -> set[str]:
        """Every name the API accepts for this type in a path (compared lower-cased)."""
        names = {self.type_id, self.fully_qualified_name}
        if self.custom:
            names.add(f"p_{self.name}")
        else:
            names |= {self.name, self.singular.lower()}
        return {name.lower() for name in names}


def property_json(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    group: str,
    *,
    now: int,
    hubspot_defined: bool = False,
    read_only: bool = False,
    unique: bool = False,
    options: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A property in HubSpot's ``Property`` answer shape."""
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "description": extra.get("description", ""),
        "groupName": group,
        "options": options or [],
        "displayOrder": extra.get("displayOrder", -1),
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": unique,
        "hidden": bool(extra.get("hidden", False)),
        "hubspotDefined": hubspot_defined,
        "formField": bool(extra.get("formField", not read_only)),
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": hubspot_defined,
            "readOnlyValue": read_only,
        },
        "createdAt": iso_hubspot(now),
        "updatedAt": iso_hubspot(now),
        "archived": False,
    }


_STANDARD_TYPES: list[tuple[ObjectType, str, list[tuple[str, str, str, str]]]] = [
    (
        ObjectType(
            "0-1",
            "contacts",
            "Contact",
            "Contacts",
            False,
            "0-1",
            "createdate",
            "lastmodifieddate",
            ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
        ),
        "contactinformation",
        [
            ("email", "Email", "string", "text"),
            ("firstname", "First Name", "string", "text"),
            ("lastname", "Last Name", "string", "text"),
            ("phone", "Phone Number", "string", "phonenumber"),
            ("company", "Company Name", "string", "text"),
        ],
    ),
    (
        ObjectType(
            "0-2",
            "companies",
            "Company",
            "Companies",
            False,
            "0-2",
            "createdate",
            "hs_lastmodifieddate",
            ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
        ),
        "companyinformation",
        [
            ("name", "Name", "string", "text"),
            ("domain", "Company Domain Name", "string", "text"),
            ("industry", "Industry", "string", "text"),
        ],
    ),
    (
        ObjectType(
            "0-3",
            "deals",
            "Deal",
            "Deals",
            False,
            "0-3",
            "createdate",
            "hs_lastmodifieddate",
            [
                "amount",
                "closedate",
                "createdate",
                "dealname",
                "dealstage",
                "hs_lastmodifieddate",
                "hs_object_id",
                "pipeline",
            ],
        ),
        "dealinformation",
        [
            ("dealname", "Deal Name", "string", "text"),
            ("amount", "Amount", "number", "number"),
            ("closedate", "Close Date", "datetime", "date"),
            ("pipeline", "Pipeline", "enumeration", "select"),
            ("dealstage", "Deal Stage", "enumeration", "radio"),
        ],
    ),
]


class HubSpotSchema:
    def __init__(self, store: Store, portal_id: int) -> None:
        self._store = store
        self.portal_id = portal_id
        if store.query_one("SELECT 1 FROM hs_types") is None:
            for object_type, group, properties in _STANDARD_TYPES:
                self._install(object_type, group, properties)

    def _install(
        self, object_type: ObjectType, group: str, properties: list[tuple[str, str, str, str]]
    ) -> None:
        now = self._store.clock.now_ms()
        object_type.created_ms = object_type.updated_ms = now
        self.save_type(object_type)
        label = f"{object_type.singular} information"
        self.save_group(
            object_type.type_id,
            {"name": group, "label": label, "displayOrder": -1, "archived": False},
        )
        for name, prop_label, type_, field_type in properties:
            self.save_property(
                object_type.type_id,
                property_json(
                    name, prop_label, type_, field_type, group, now=now, hubspot_defined=True
                ),
            )
        for name, activity_label in _ACTIVITY_PROPERTIES.get(object_type.type_id, ()):
            self.save_property(
                object_type.type_id,
                property_json(
                    name,
                    activity_label,
                    "datetime",
                    "date",
                    group,
                    now=now,
                    hubspot_defined=True,
                    read_only=True,
                ),
            )
        for name in sorted(READ_ONLY_PROPERTIES):
            if name in (object_type.created_property, object_type.modified_property):
                self.save_property(
                    object_type.type_id,
                    property_json(
                        name,
                        name,
                        "datetime",
                        "date",
                        group,
                        now=now,
                        hubspot_defined=True,
                        read_only=True,
                    ),
                )
        self.save_property(
            object_type.type_id,
            property_json(
                "hs_object_id",
                "Record ID",
                "number",
                "number",
                group,
                now=now,
                hubspot_defined=True,
                read_only=True,
            ),
        )

    # -- object types -----------------------------------------------------------------------

    def types(self) -> list[ObjectType]:
        rows = self._store.query("SELECT spec FROM hs_types ORDER BY type_id")
        return [ObjectType(**json.loads(row["spec"])) for row in rows]

    def resolve(self, name: str) -> ObjectType | None:
        """The type a path segment names (type id, plural/singular name, FQN or ``p_<name>``)."""
        wanted = name.lower()
        for object_type in self.types():
            if wanted in object_type.aliases():
                return object_type
        return None

    def save_type(self, object_type: ObjectType) -> None:
        with self._store.transaction() as conn:
            conn.execute(
                "INSERT INTO hs_types (type_id, name, spec) VALUES (?, ?, ?) "
                "ON CONFLICT(type_id) DO UPDATE SET spec = excluded.spec",
                (object_type.type_id, object_type.name, json.dumps(asdict(object_type))),
            )

    def new_custom_type(self, egg: dict[str, Any]) -> ObjectType:
        """Create a custom type from an ``ObjectSchemaEgg`` (already validated)."""
        now = self._store.clock.now_ms()
        number = self._store.next_value("hs.custom_type", start=3_500_001)
        labels = egg.get("labels") or {}
        object_type = ObjectType(
            type_id=f"2-{number}",
            name=str(egg["name"]),
            singular=str(labels.get("singular") or egg["name"]),
            plural=str(labels.get("plural") or egg["name"]),
            custom=True,
            fully_qualified_name=f"p{self.portal_id}_{egg['name']}",
            created_property="hs_createdate",
            modified_property="hs_lastmodifieddate",
            default_properties=["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
            primary_display_property=egg.get("primaryDisplayProperty"),
            secondary_display_properties=list(egg.get("secondaryDisplayProperties") or []),
            required_properties=list(egg.get("requiredProperties") or []),
            searchable_properties=list(egg.get("searchableProperties") or []),
            description=egg.get("description"),
            created_ms=now,
            updated_ms=now,
        )
        self.save_type(object_type)
        group = f"{object_type.name}_information"
        self.save_group(
            object_type.type_id,
            {
                "name": group,
                "label": f"{object_type.singular} information",
                "displayOrder": -1,
                "archived": False,
            },
        )
        for name, label, type_ in (
            ("hs_object_id", "Record ID", "number"),
            ("hs_createdate", "Object create date/time", "datetime"),
            ("hs_lastmodifieddate", "Object last modified date/time", "datetime"),
        ):
            field_type = "number" if type_ == "number" else "date"
            self.save_property(
                object_type.type_id,
                property_json(
                    name,
                    label,
                    type_,
                    field_type,
                    group,
                    now=now,
                    hubspot_defined=True,
                    read_only=True,
                ),
            )
        for name, label in (("hs_pipeline", "Pipeline"), ("hs_pipeline_stage", "Pipeline stage")):
            self.save_property(
                object_type.type_id,
                property_json(
                    name, label, "enumeration", "select", group, now=now, hubspot_defined=True
                ),
            )
        for spec in egg.get("properties") or []:
            self.save_property(object_type.type_id, self.property_from_create(spec, group, now))
        return object_type

    def property_from_create(
        self, spec: dict[str, Any], default_group: str, now: int
    ) -> dict[str, Any]:
        """A stored property from a ``PropertyCreate``/``ObjectTypePropertyCreate`` body."""
        options = [
            {
                "label": str(option.get("label", option.get("value", ""))),
                "value": str(option.get("value", "")),
                "displayOrder": int(option.get("displayOrder", position)),
                "hidden": bool(option.get("hidden", False)),
                "description": str(option.get("description", "")),
            }
            for position, option in enumerate(spec.get("options") or [])
        ]
        return property_json(
            str(spec["name"]),
            str(spec.get("label") or spec["name"]),
            str(spec.get("type", "string")),
            str(spec.get("fieldType", "text")),
            str(spec.get("groupName") or default_group),
            now=now,
            unique=bool(spec.get("hasUniqueValue", False)),
            options=options,
            description=spec.get("description", ""),
            displayOrder=spec.get("displayOrder", -1),
            hidden=spec.get("hidden", False),
            formField=spec.get("formField", True),
        )

    # -- properties and groups --------------------------------------------------------------

    def properties(self, type_id: str) -> list[dict[str, Any]]:
        rows = self._store.query(
            "SELECT spec FROM hs_properties WHERE type_id = ? ORDER BY position", (type_id,)
        )
        return [json.loads(row["spec"]) for row in rows]

    def property(self, type_id: str, name: str) -> dict[str, Any] | None:
        row = self._store.query_one(
            "SELECT spec FROM hs_properties WHERE type_id = ? AND name = ?", (type_id, name)
        )
        return None if row is None else dict(json.loads(row["spec"]))

    def save_property(self, type_id: str, spec: dict[str, Any]) -> None:
        with self._store.transaction() as conn:
            position = conn.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM hs_properties WHERE type_id = ?",
                (type_id,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO hs_properties (type_id, name, position, spec) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(type_id, name) DO UPDATE SET spec = excluded.spec",
                (type_id, spec["name"], position, json.dumps(spec)),
            )

    def groups(self, type_id: str) -> list[dict[str, Any]]:
        rows = self._store.query(
            "SELECT spec FROM hs_groups WHERE type_id = ? ORDER BY name", (type_id,)
        )
        return [json.loads(row["spec"]) for row in rows]

    def group(self, type_id: str, name: str) -> dict[str, Any] | None:
        row = self._store.query_one(
            "SELECT spec FROM hs_groups WHERE type_id = ? AND name = ?", (type_id, name)
        )
        return None if row is None else dict(json.loads(row["spec"]))

    def save_group(self, type_id: str, spec: dict[str, Any]) -> None:
        self._store.execute(
            "INSERT INTO hs_groups (type_id, name, spec) VALUES (?, ?, ?) "
            "ON CONFLICT(type_id, name) DO UPDATE SET spec = excluded.spec",
            (type_id, spec["name"], json.dumps(spec)),
        )

    def unique_properties(self, object_type: ObjectType) -> set[str]:
        """Properties usable as ``idProperty`` (unique ones, and ``email`` for contacts)."""
        names = {p["name"] for p in self.properties(object_type.type_id) if p.get("hasUniqueValue")}
        if object_type.type_id == "0-1":
            names.add("email")
        return names
