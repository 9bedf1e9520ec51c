"""Records of the fake HubSpot portal: batch upsert/create/update/read with per-input errors.

Property values are validated like HubSpot does (unknown property, read-only value,
number, bool, date/datetime, enumeration options, pipeline stages, required properties of
custom types, unique values, plus sandbox fault rules). A failed input becomes one
``StandardError`` (category ``VALIDATION_ERROR``, ``errors[]`` with a ``code`` and the
``propertyName`` context, ``context.ids`` naming the input) while the rest of the batch
is written: the API answers 207 Multi-Status.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from adapters.sandbox.faults import Faults
from adapters.sandbox.hubspot_pipelines import HubSpotPipelines
from adapters.sandbox.hubspot_schema import READ_ONLY_PROPERTIES, HubSpotSchema, ObjectType
from adapters.sandbox.store import Store, iso_hubspot, parse_iso_ms

__all__ = [
    "BatchRejected",
    "HsError",
    "HsOutcome",
    "HsRecord",
    "HubSpotRecords",
    "not_found_error",
]

# "string: A plain text string, limited to 65,536 characters." (HubSpot, CRM properties
# guide, property type table, developers.hubspot.com/docs/api/crm/properties)
MAX_VALUE_LENGTH = 65_536
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PIPELINE_PROPERTIES = {"pipeline": "dealstage", "hs_pipeline": "hs_pipeline_stage"}
_STAGE_PROPERTIES = {stage: pipeline for pipeline, stage in _PIPELINE_PROPERTIES.items()}


class BatchRejected(Exception):
    """The whole batch is refused (HTTP 400), e.g. duplicate ids or a non-unique idProperty."""

    def __init__(self, message: str, category: str = "VALIDATION_ERROR") -> None:
        super().__init__(message)
        self.message = message
        self.category = category


@dataclass
class HsError:
    """HubSpot's ``StandardError`` as batch answers list it."""

    category: str
    message: str
    context: dict[str, list[str]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "error",
            "category": self.category,
            "message": self.message,
            "context": self.context,
            "errors": self.errors,
        }


@dataclass
class HsRecord:
    id: int
    properties: dict[str, str | None]
    created_ms: int
    updated_ms: int


@dataclass
class HsOutcome:
    record: HsRecord | None = None
    new: bool = False
    error: HsError | None = None


def _detail(code: str, message: str, name: str) -> dict[str, Any]:
    return {"message": message, "code": code, "context": {"propertyName": [name]}}


def _validation_error(details: list[dict[str, Any]], input_id: str | None) -> HsError:
    summary = [
        {
            "isValid": False,
            "message": d["message"],
            "error": d["code"],
            "name": d["context"]["propertyName"][0],
        }
        for d in details
    ]
    return HsError(
        "VALIDATION_ERROR",
        f"Property values were not valid: {json.dumps(summary)}",
        {"ids": [input_id]} if input_id else {},
        details,
    )


class HubSpotRecords:
    def __init__(
        self, store: Store, schema: HubSpotSchema, pipelines: HubSpotPipelines, faults: Faults
    ) -> None:
        self._store = store
        self._schema = schema
        self._pipelines = pipelines
        self._faults = faults

    # -- reading ----------------------------------------------------------------------------

    def all(self, object_type: ObjectType) -> list[HsRecord]:
        rows = self._store.query(
            "SELECT * FROM hs_records WHERE type_id = ? ORDER BY id", (object_type.type_id,)
        )
        return [self._row(row) for row in rows]

    def get(self, object_type: ObjectType, record_id: str) -> HsRecord | None:
        if not record_id.isdigit():
            return None
        row = self._store.query_one(
            "SELECT * FROM hs_records WHERE type_id = ? AND id = ?",
            (object_type.type_id, int(record_id)),
        )
        return None if row is None else self._row(row)

    def find(self, object_type: ObjectType, prop: str, value: str) -> HsRecord | None:
        """The record whose unique property ``prop`` has ``value`` (``hs_object_id`` = id)."""
        if prop == "hs_object_id":
            return self.get(object_type, value)
        row = self._store.query_one(
            "SELECT id FROM hs_index WHERE type_id = ? AND property = ? AND value = ?",
            (object_type.type_id, prop, _index_value(prop, value)),
        )
        return None if row is None else self.get(object_type, str(row["id"]))

    @staticmethod
    def _row(row: sqlite3.Row) -> HsRecord:
        return HsRecord(
            int(row["id"]),
            json.loads(row["properties"]),
            int(row["created_ms"]),
            int(row["updated_ms"]),
        )

    # -- writing ----------------------------------------------------------------------------

    def upsert(
        self, object_type: ObjectType, inputs: Sequence[Mapping[str, Any]]
    ) -> list[HsOutcome]:
        """Batch upsert by each input's ``idProperty``; one outcome per input."""
        unique = self._schema.unique_properties(object_type)
        keys: list[tuple[str, str]] = []
        for item in inputs:
            prop = str(item.get("idProperty") or "hs_object_id")
            if prop != "hs_object_id" and prop not in unique:
                raise BatchRejected(f"Property {prop} is not a unique identifier property")
            keys.append((prop, str(item.get("id") or "")))
        _reject_duplicates([(f"{p}:{_index_value(p, v)}", v) for p, v in keys if v])
        outcomes: list[HsOutcome] = []
        with self._store.transaction() as conn:
            for item, (prop, value) in zip(inputs, keys, strict=True):
                if not value:
                    outcomes.append(
                        HsOutcome(error=HsError("VALIDATION_ERROR", "Input is missing an id"))
                    )
                    continue
                existing = self.find(object_type, prop, value)
                properties = dict(item.get("properties") or {})
                if prop != "hs_object_id":
                    properties[prop] = value
                outcomes.append(self._save(conn, object_type, existing, properties, value, item))
        return outcomes

    def create(
        self, object_type: ObjectType, inputs: Sequence[Mapping[str, Any]]
    ) -> list[HsOutcome]:
        with self._store.transaction() as conn:
            return [
                self._save(conn, object_type, None, dict(item.get("properties") or {}), None, item)
                for item in inputs
            ]

    def update(
        self, object_type: ObjectType, inputs: Sequence[Mapping[str, Any]]
    ) -> list[HsOutcome]:
        ids = [str(item.get("id") or "") for item in inputs]
        _reject_duplicates([(i, i) for i in ids if i])
        outcomes: list[HsOutcome] = []
        with self._store.transaction() as conn:
            for item, record_id in zip(inputs, ids, strict=True):
                prop = str(item.get("idProperty") or "hs_object_id")
                existing = self.find(object_type, prop, record_id)
                if existing is None:
                    outcomes.append(HsOutcome(error=not_found_error(object_type, [record_id])))
                    continue
                properties = dict(item.get("properties") or {})
                outcomes.append(
                    self._save(conn, object_type, existing, properties, record_id, item)
                )
        return outcomes

    def log_activity(self, object_type: ObjectType, record_id: int, at_ms: int) -> HsRecord:
        """A sales user logged a call, meeting or e-mail with a contact at ``at_ms``: HubSpot
        moves its read-only "Last Contacted" (``notes_last_contacted``) forward and the record
        counts as modified (issue #18). The portal's own doing, so no API path sets it."""
        existing = self.get(object_type, str(record_id))
        assert existing is not None, record_id
        merged = dict(existing.properties)
        previous = parse_iso_ms(merged.get("notes_last_contacted") or "")
        if previous is None or previous < at_ms:
            merged["notes_last_contacted"] = iso_hubspot(at_ms)
        with self._store.transaction() as conn:
            record, _ = self._write(conn, object_type, existing, merged)
        return record

    def _save(
        self,
        conn: sqlite3.Connection,
        object_type: ObjectType,
        existing: HsRecord | None,
        raw: Mapping[str, Any],
        input_id: str | None,
        item: Mapping[str, Any],
    ) -> HsOutcome:
        values, details = self._validate(object_type, raw, existing)
        if details:
            error = _validation_error(details, input_id)
            trace = item.get("objectWriteTraceId")
            if trace:
                error.context["objectWriteTraceId"] = [str(trace)]
            return HsOutcome(error=error)
        merged = {**(existing.properties if existing else {}), **values}
        conflict = self._unique_conflict(object_type, merged, existing)
        if conflict:
            return HsOutcome(
                error=HsError(
                    "VALIDATION_ERROR",
                    f'A record with {conflict} "{merged[conflict]}" already exists',
                    {"ids": [input_id]} if input_id else {},
                    [_detail("CONFLICTING_UNIQUE_VALUE", "value already used", conflict)],
                )
            )
        return HsOutcome(*self._write(conn, object_type, existing, merged))

    def _validate(
        self, object_type: ObjectType, raw: Mapping[str, Any], existing: HsRecord | None
    ) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
        specs = {p["name"]: p for p in self._schema.properties(object_type.type_id)}
        values: dict[str, str | None] = {}
        details: list[dict[str, Any]] = []
        for name, value in raw.items():
            spec = specs.get(name)
            if spec is None:
                details.append(
                    _detail("PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist', name)
                )
                continue
            if name in READ_ONLY_PROPERTIES:
                details.append(
                    _detail(
                        "READ_ONLY_VALUE",
                        f'"{name}" is a read only property; its value cannot be set.',
                        name,
                    )
                )
                continue
            try:
                values[name] = self._normalize(object_type, spec, value, raw)
            except ValueError as error:
                code, _, message = str(error).partition(":")
                details.append(_detail(code, message, name))
        if existing is None:
            for name in object_type.required_properties:
                if not values.get(name):
                    details.append(
                        _detail("REQUIRED_PROPERTY", f'Property "{name}" is required', name)
                    )
        merged = {**(existing.properties if existing else {}), **values}
        rule = self._faults.matching_rule(
            "hubspot",
            {object_type.type_id, object_type.name, object_type.fully_qualified_name},
            merged,
        )
        if rule is not None:
            details.append(_detail(rule.code, rule.message, rule.field))
        return values, details

    def _normalize(
        self, object_type: ObjectType, spec: Mapping[str, Any], value: Any, raw: Mapping[str, Any]
    ) -> str | None:
        if value is None or value == "":
            return "" if value == "" else None
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        kind, name = spec["type"], spec["name"]
        if len(text) > MAX_VALUE_LENGTH:
            # No documented error code for this refusal: the sandbox names the limit.
            raise ValueError(
                f"INVALID_STRING_LENGTH:{len(text)} characters exceed the limit of "
                f"{MAX_VALUE_LENGTH}"
            )
        if kind == "number":
            try:
                float(text)
            except ValueError:
                raise ValueError(f"INVALID_DECIMAL:{text} is not a valid number") from None
        elif kind == "bool":
            if text.lower() not in ("true", "false"):
                raise ValueError(f"INVALID_BOOLEAN:{text} is not a valid boolean")
            text = text.lower()
        elif kind in ("date", "datetime"):
            text = _normalize_time(kind, text)
        elif name in _STAGE_PROPERTIES:
            pipeline = raw.get(_STAGE_PROPERTIES[name])
            if text not in self._pipelines.stage_ids(
                object_type.type_id, str(pipeline) if pipeline else None
            ):
                raise ValueError(f"INVALID_OPTION:{text} is not a valid pipeline stage")
        elif name in _PIPELINE_PROPERTIES:
            if self._pipelines.get(object_type.type_id, text) is None:
                raise ValueError(f"INVALID_OPTION:{text} is not a valid pipeline")
        elif kind == "enumeration" and spec.get("options"):
            allowed = [option["value"] for option in spec["options"]]
            for part in text.split(";") if spec.get("fieldType") == "checkbox" else [text]:
                if part not in allowed:
                    raise ValueError(
                        f"INVALID_OPTION:{part} was not one of the allowed options: {allowed}"
                    )
        elif name == "email" and object_type.type_id == "0-1" and not _EMAIL.match(text):
            raise ValueError(f"INVALID_EMAIL:Email address {text} is invalid")
        return text

    def _unique_conflict(
        self, object_type: ObjectType, merged: Mapping[str, Any], existing: HsRecord | None
    ) -> str | None:
        for prop in sorted(self._schema.unique_properties(object_type)):
            value = merged.get(prop)
            if value:
                other = self.find(object_type, prop, str(value))
                if other is not None and (existing is None or other.id != existing.id):
                    return prop
        return None

    def _write(
        self,
        conn: sqlite3.Connection,
        object_type: ObjectType,
        existing: HsRecord | None,
        merged: dict[str, str | None],
    ) -> tuple[HsRecord, bool]:
        now = self._store.clock.now_ms()
        if existing is None:
            record_id = self._store.next_value("hs.record", start=10_000_001)
            created_ms = now
            merged[object_type.created_property] = iso_hubspot(now)
        else:
            record_id, created_ms = existing.id, existing.created_ms
        merged["hs_object_id"] = str(record_id)
        merged[object_type.modified_property] = iso_hubspot(now)
        conn.execute(
            "INSERT INTO hs_records (id, type_id, properties, created_ms, updated_ms) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "properties = excluded.properties, updated_ms = excluded.updated_ms",
            (record_id, object_type.type_id, json.dumps(merged), created_ms, now),
        )
        conn.execute(
            "DELETE FROM hs_index WHERE type_id = ? AND id = ?", (object_type.type_id, record_id)
        )
        for prop in self._schema.unique_properties(object_type):
            if merged.get(prop):
                conn.execute(
                    "INSERT OR IGNORE INTO hs_index (type_id, property, value, id) "
                    "VALUES (?, ?, ?, ?)",
                    (object_type.type_id, prop, _index_value(prop, str(merged[prop])), record_id),
                )
        return HsRecord(record_id, merged, created_ms, now), existing is None

    # -- answers ----------------------------------------------------------------------------

    @staticmethod
    def shape(
        object_type: ObjectType, record: HsRecord, wanted: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """A ``SimplePublicObject``: default properties plus ``wanted`` (or all written ones)."""
        if wanted is None:
            names = sorted(set(object_type.default_properties) | set(record.properties))
        else:
            names = sorted(set(object_type.default_properties) | set(wanted))
        return {
            "id": str(record.id),
            "properties": {name: record.properties.get(name) for name in names},
            "createdAt": iso_hubspot(record.created_ms),
            "updatedAt": iso_hubspot(record.updated_ms),
            "archived": False,
        }


def not_found_error(object_type: ObjectType, ids: list[str]) -> HsError:
    """The OBJECT_NOT_FOUND error batch answers give for ids that do not exist."""
    return HsError(
        "OBJECT_NOT_FOUND",
        f"Could not get some {object_type.name} objects, they may be deleted or not exist. "
        "Check that ids are valid.",
        {"ids": ids},
    )


def _reject_duplicates(pairs: list[tuple[str, str]]) -> None:
    """Refuse a batch naming one record twice; ``pairs`` are (comparison key, shown id)."""
    seen: set[str] = set()
    duplicates: set[str] = set()
    for key, shown in pairs:
        if key in seen:
            duplicates.add(shown)
        seen.add(key)
    if duplicates:
        raise BatchRejected(f"Duplicate IDs found in batch input: {sorted(duplicates)}")


def _index_value(prop: str, value: str) -> str:
    return value.lower() if prop == "email" else value


def _normalize_time(kind: str, text: str) -> str:
    """HubSpot takes epoch milliseconds or ISO 8601; answers ISO (dates as YYYY-MM-DD)."""
    ms = int(text) if text.isdigit() else parse_iso_ms(text)
    if ms is None:
        raise ValueError(f"INVALID_DATE:{text} is not a valid {kind}")
    if kind == "date":
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
        if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
            raise ValueError(f"INVALID_DATE:{text} is not midnight UTC")
        return date(moment.year, moment.month, moment.day).isoformat()
    return iso_hubspot(ms)
