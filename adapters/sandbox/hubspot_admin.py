"""Schema side of the fake HubSpot: custom object schemas, properties, property groups.

- ``/crm-object-schemas/v3/schemas``: list, create (201 ``ObjectSchema`` with
  ``objectTypeId`` ``2-…``, ``fullyQualifiedName`` and ``associations``), read, update
  (``ObjectTypeDefinition``), create an association definition. With custom objects off
  (a portal without Enterprise) writes answer 403 ``MISSING_SCOPES`` and the list is empty.
- ``/crm/v3/properties/{objectType}``: list, create (201; 409 ``OBJECT_ALREADY_EXISTS``),
  read, update, ``batch/create``, ``batch/read``; ``/groups`` list, create, read, update.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from adapters.sandbox.hubspot_backend import (
    HubSpotBackend,
    batch_envelope,
    hs_error,
    hs_json,
    unknown_type,
)
from adapters.sandbox.hubspot_schema import ObjectType
from adapters.sandbox.hubspot_scopes import missing_scopes_answer
from adapters.sandbox.store import iso_hubspot

__all__ = ["register_admin"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PROPERTY_TYPES = {"string", "number", "date", "datetime", "enumeration", "bool", "phone_number"}
_ASSOCIATED = {"CONTACT": "0-1", "COMPANY": "0-2", "DEAL": "0-3"}
_SCHEMAS = "/crm-object-schemas/v3/schemas"
_PROPERTIES = "/crm/v3/properties/<object_type>"


def _missing_scopes() -> Response:
    """A portal without custom objects cannot get the custom schema scope."""
    return missing_scopes_answer(["crm.schemas.custom.write"], granular=True)


class _AdminViews:
    """Schemas, properties and property groups."""

    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        self.schema = self.backend.schema
        self.store = self.backend.store
        self.associations = self.backend.associations

    def body(self) -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    # -- schemas ----------------------------------------------------------------------------

    def schema_json(self, object_type: ObjectType) -> dict[str, Any]:
        definitions = []
        for other in self.schema.types():
            for kind in self.associations.types(object_type.type_id, other.type_id):
                if kind.category == "USER_DEFINED" and kind.label is None:
                    definitions.append(
                        self.association_definition(
                            object_type.type_id, other.type_id, kind.type_id, kind.name
                        )
                    )
        return {
            **self.definition_json(object_type),
            "properties": self.schema.properties(object_type.type_id),
            "associations": definitions,
        }

    def definition_json(self, object_type: ObjectType) -> dict[str, Any]:
        return {
            "id": object_type.type_id.split("-", 1)[1],
            "objectTypeId": object_type.type_id,
            "fullyQualifiedName": object_type.fully_qualified_name,
            "name": object_type.name,
            "labels": {"singular": object_type.singular, "plural": object_type.plural},
            "description": object_type.description,
            "primaryDisplayProperty": object_type.primary_display_property,
            "secondaryDisplayProperties": object_type.secondary_display_properties,
            "requiredProperties": object_type.required_properties,
            "searchableProperties": object_type.searchable_properties,
            "portalId": self.backend.portal_id,
            "archived": False,
            "createdAt": iso_hubspot(object_type.created_ms),
            "updatedAt": iso_hubspot(object_type.updated_ms),
        }

    def association_definition(
        self, from_type: str, to_type: str, type_id: int, name: str | None
    ) -> dict[str, Any]:
        now = iso_hubspot(self.store.clock.now_ms())
        return {
            "id": str(type_id),
            "fromObjectTypeId": from_type,
            "toObjectTypeId": to_type,
            "name": name,
            "createdAt": now,
            "updatedAt": now,
        }

    def custom_type(self, name: str) -> ObjectType | Response:
        object_type = self.backend.resolve(name)
        if object_type is None or not object_type.custom:
            return unknown_type(name)
        return object_type

    def list_schemas(self) -> Response:
        custom = [t for t in self.schema.types() if t.custom] if self.backend.custom_objects else []
        return hs_json({"results": [self.schema_json(t) for t in custom]})

    def create_schema(self) -> Response:
        if not self.backend.custom_objects:
            return _missing_scopes()
        egg = self.body()
        problem = self.validate_egg(egg)
        if problem:
            return hs_error(400, "VALIDATION_ERROR", problem)
        targets = []
        for target in egg.get("associatedObjects") or []:
            resolved = self.schema.resolve(_ASSOCIATED.get(str(target).upper(), str(target)))
            if resolved is None:
                return hs_error(400, "VALIDATION_ERROR", f"Unknown associated object {target}")
            targets.append(resolved)
        object_type = self.schema.new_custom_type(egg)
        for target in targets:
            self.associations.define(
                object_type.type_id, target.type_id, name=f"{object_type.name}_to_{target.name}"
            )
        return hs_json(self.schema_json(object_type), 201)

    def validate_egg(self, egg: dict[str, Any]) -> str | None:
        name = str(egg.get("name") or "")
        if not _NAME.match(name):
            return "name must start with a letter and contain only letters, digits and underscores"
        if any(t.name.lower() == name.lower() for t in self.schema.types()):
            return f"An object type with name {name} already exists"
        labels = egg.get("labels") or {}
        if not labels.get("singular") or not labels.get("plural"):
            return "labels.singular and labels.plural are required"
        properties = egg.get("properties") or []
        names = {str(p.get("name")) for p in properties if isinstance(p, dict)}
        for spec in properties:
            problem = self.validate_property(spec, require_group=False)
            if problem:
                return problem
        referenced = [
            *(egg.get("requiredProperties") or []),
            *(egg.get("searchableProperties") or []),
            *(egg.get("secondaryDisplayProperties") or []),
            *([egg["primaryDisplayProperty"]] if egg.get("primaryDisplayProperty") else []),
        ]
        unknown = sorted({str(n) for n in referenced} - names)
        return f"Properties {unknown} are not defined in properties" if unknown else None

    def get_schema(self, object_type: str) -> Response:
        found = self.custom_type(object_type)
        return found if isinstance(found, Response) else hs_json(self.schema_json(found))

    def update_schema(self, object_type: str) -> Response:
        if not self.backend.custom_objects:
            return _missing_scopes()
        found = self.custom_type(object_type)
        if isinstance(found, Response):
            return found
        patch = self.body()
        labels = patch.get("labels") or {}
        found.singular = str(labels.get("singular") or found.singular)
        found.plural = str(labels.get("plural") or found.plural)
        for key, attribute in (
            ("requiredProperties", "required_properties"),
            ("searchableProperties", "searchable_properties"),
            ("secondaryDisplayProperties", "secondary_display_properties"),
        ):
            if patch.get(key) is not None:
                setattr(found, attribute, list(patch[key]))
        if patch.get("primaryDisplayProperty"):
            found.primary_display_property = str(patch["primaryDisplayProperty"])
        if patch.get("description") is not None:
            found.description = str(patch["description"])
        found.updated_ms = self.store.clock.now_ms()
        self.schema.save_type(found)
        return hs_json(self.definition_json(found))

    def create_schema_association(self, object_type: str) -> Response:
        if not self.backend.custom_objects:
            return _missing_scopes()
        egg = self.body()
        from_type = self.backend.resolve(str(egg.get("fromObjectTypeId", object_type)))
        to_type = self.backend.resolve(str(egg.get("toObjectTypeId", "")))
        if from_type is None or to_type is None:
            return hs_error(
                400,
                "VALIDATION_ERROR",
                "fromObjectTypeId and toObjectTypeId must name object types",
            )
        forward, _ = self.associations.define(
            from_type.type_id, to_type.type_id, name=egg.get("name")
        )
        return hs_json(
            self.association_definition(
                from_type.type_id, to_type.type_id, forward.type_id, forward.name
            ),
            201,
        )

    # -- properties and groups --------------------------------------------------------------

    def validate_property(
        self, spec: Any, require_group: bool, type_id: str | None = None
    ) -> str | None:
        if not isinstance(spec, dict):
            return "Each property must be an object"
        missing = [k for k in ("name", "label", "type", "fieldType") if not spec.get(k)]
        if require_group and not spec.get("groupName"):
            missing.append("groupName")
        if missing:
            return f"Missing required fields: {missing}"
        if not _PROPERTY_NAME.match(str(spec["name"])):
            return (
                f"Property name {spec['name']} must be lower case letters, digits and underscores"
            )
        if spec["type"] not in _PROPERTY_TYPES:
            return f"Unknown property type {spec['type']}"
        if (
            type_id
            and spec.get("groupName")
            and self.schema.group(type_id, str(spec["groupName"])) is None
        ):
            return f"Property group {spec['groupName']} does not exist"
        return None

    def list_properties(self, object_type: ObjectType) -> Response:
        return hs_json({"results": self.schema.properties(object_type.type_id)})

    def create_one_property(self, object_type: ObjectType, spec: Any) -> tuple[int, dict[str, Any]]:
        problem = self.validate_property(spec, True, object_type.type_id)
        if problem:
            return 400, {"category": "VALIDATION_ERROR", "message": problem}
        if self.schema.property(object_type.type_id, str(spec["name"])) is not None:
            return 409, {
                "category": "OBJECT_ALREADY_EXISTS",
                "message": f"Property named '{spec['name']}' already exists.",
            }
        created = self.schema.property_from_create(
            spec, str(spec["groupName"]), self.store.clock.now_ms()
        )
        self.schema.save_property(object_type.type_id, created)
        return 201, created

    def create_property(self, object_type: ObjectType) -> Response:
        status, answer = self.create_one_property(object_type, self.body())
        if status != 201:
            return hs_error(status, answer["category"], answer["message"])
        return hs_json(answer, 201)

    def batch_create_properties(self, object_type: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        results, errors = [], []
        for spec in self.body().get("inputs") or []:
            status, answer = self.create_one_property(object_type, spec)
            if status == 201:
                results.append(answer)
            else:
                errors.append(
                    {"status": "error", **answer, "context": {"name": [str(spec.get("name"))]}}
                )
        envelope = batch_envelope(started, self.store.clock.now_ms(), results)
        if errors:
            envelope.update(numErrors=len(errors), errors=errors)
        return hs_json(envelope, 207 if errors else 201)

    def batch_read_properties(self, object_type: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        names = [str(i.get("name")) for i in self.body().get("inputs") or [] if isinstance(i, dict)]
        found = [p for p in (self.schema.property(object_type.type_id, n) for n in names) if p]
        missing = [n for n in names if self.schema.property(object_type.type_id, n) is None]
        envelope = batch_envelope(started, self.store.clock.now_ms(), found)
        if missing:
            envelope.update(
                numErrors=1,
                errors=[
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": "Properties not found",
                        "context": {"names": missing},
                    }
                ],
            )
        return hs_json(envelope, 207 if missing else 200)

    def property_not_found(self, object_type: ObjectType, name: str) -> Response:
        return hs_error(
            404,
            "OBJECT_NOT_FOUND",
            f"Unable to find property with name '{name}' for {object_type.name}",
        )

    def get_property(self, object_type: ObjectType, name: str) -> Response:
        found = self.schema.property(object_type.type_id, name)
        return self.property_not_found(object_type, name) if found is None else hs_json(found)

    def update_property(self, object_type: ObjectType, name: str) -> Response:
        found = self.schema.property(object_type.type_id, name)
        if found is None:
            return self.property_not_found(object_type, name)
        if found["hubspotDefined"]:
            return hs_error(
                400,
                "VALIDATION_ERROR",
                f"Property {name} is defined by HubSpot and cannot be changed",
            )
        patch = self.body()
        if patch.get("options") is not None:
            patch = {
                **patch,
                "options": self.schema.property_from_create(
                    {**found, **patch}, found["groupName"], 0
                )["options"],
            }
        for key in (
            "label",
            "description",
            "groupName",
            "type",
            "fieldType",
            "options",
            "displayOrder",
            "hidden",
            "formField",
        ):
            if patch.get(key) is not None:
                found[key] = patch[key]
        found["updatedAt"] = iso_hubspot(self.store.clock.now_ms())
        self.schema.save_property(object_type.type_id, found)
        return hs_json(found)

    def list_groups(self, object_type: ObjectType) -> Response:
        return hs_json({"results": self.schema.groups(object_type.type_id)})

    def create_group(self, object_type: ObjectType) -> Response:
        spec = self.body()
        if not spec.get("name") or not spec.get("label"):
            return hs_error(400, "VALIDATION_ERROR", "name and label are required")
        if self.schema.group(object_type.type_id, str(spec["name"])) is not None:
            return hs_error(
                409,
                "OBJECT_ALREADY_EXISTS",
                f"Property group named '{spec['name']}' already exists.",
            )
        group = {
            "name": str(spec["name"]),
            "label": str(spec["label"]),
            "displayOrder": int(spec.get("displayOrder", -1)),
            "archived": False,
        }
        self.schema.save_group(object_type.type_id, group)
        return hs_json(group, 201)

    def get_group(self, object_type: ObjectType, name: str) -> Response:
        group = self.schema.group(object_type.type_id, name)
        if group is None:
            return hs_error(404, "OBJECT_NOT_FOUND", f"Unable to find property group {name}")
        return hs_json(group)

    def update_group(self, object_type: ObjectType, name: str) -> Response:
        group = self.schema.group(object_type.type_id, name)
        if group is None:
            return hs_error(404, "OBJECT_NOT_FOUND", f"Unable to find property group {name}")
        patch = self.body()
        for key in ("label", "displayOrder"):
            if patch.get(key) is not None:
                group[key] = patch[key]
        self.schema.save_group(object_type.type_id, group)
        return hs_json(group)


def register_admin(app: Flask, backend: HubSpotBackend) -> None:
    """Add schemas, properties and groups (endpoint names ``hubspot.<name>``)."""
    views = _AdminViews(backend)
    routes: list[tuple[str, str, Callable[..., Response], str]] = [
        ("list_schemas", _SCHEMAS, views.list_schemas, "GET"),
        ("create_schema", _SCHEMAS, views.create_schema, "POST"),
        ("get_schema", f"{_SCHEMAS}/<object_type>", views.get_schema, "GET"),
        ("update_schema", f"{_SCHEMAS}/<object_type>", views.update_schema, "PATCH"),
        (
            "create_schema_association",
            f"{_SCHEMAS}/<object_type>/associations",
            views.create_schema_association,
            "POST",
        ),
        ("list_properties", _PROPERTIES, backend.typed(views.list_properties), "GET"),
        ("create_property", _PROPERTIES, backend.typed(views.create_property), "POST"),
        (
            "batch_create_properties",
            f"{_PROPERTIES}/batch/create",
            backend.typed(views.batch_create_properties),
            "POST",
        ),
        (
            "batch_read_properties",
            f"{_PROPERTIES}/batch/read",
            backend.typed(views.batch_read_properties),
            "POST",
        ),
        ("list_property_groups", f"{_PROPERTIES}/groups", backend.typed(views.list_groups), "GET"),
        (
            "create_property_group",
            f"{_PROPERTIES}/groups",
            backend.typed(views.create_group),
            "POST",
        ),
        (
            "get_property_group",
            f"{_PROPERTIES}/groups/<name>",
            backend.typed(views.get_group),
            "GET",
        ),
        (
            "update_property_group",
            f"{_PROPERTIES}/groups/<name>",
            backend.typed(views.update_group),
            "PATCH",
        ),
        ("get_property", f"{_PROPERTIES}/<name>", backend.typed(views.get_property), "GET"),
        ("update_property", f"{_PROPERTIES}/<name>", backend.typed(views.update_property), "PATCH"),
    ]
    for name, rule, view, method in routes:
        app.add_url_rule(rule, endpoint=f"hubspot.{name}", view_func=view, methods=[method])
