"""Records of the fake org: upsert by external id with Salesforce's per-record validation.

One code path serves the single-record upsert, sObject Collections and Bulk 2.0, so all
three reject the same records with the same codes (``REQUIRED_FIELD_MISSING``,
``STRING_TOO_LONG``, ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ``DUPLICATE_VALUE``,
``FIELD_CUSTOM_VALIDATION_EXCEPTION`` from a fault rule, ...). Values arrive as JSON
values (REST) or CSV text (Bulk 2.0: an empty cell leaves a field unchanged, ``#N/A``
clears it).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from adapters.sandbox.auth import USER_ID
from adapters.sandbox.faults import Faults
from adapters.sandbox.ids import is_salesforce_id, salesforce_id, salesforce_id_suffix
from adapters.sandbox.salesforce_access import Grants, SalesforceAccess, Verb
from adapters.sandbox.salesforce_duplicates import (
    MATCH_KEY,
    duplicate_result,
    find_duplicates,
    match_value,
)
from adapters.sandbox.salesforce_schema import API_VERSION, SalesforceSchema, SfField, SfObject
from adapters.sandbox.store import Store, iso_salesforce, parse_iso_ms

__all__ = [
    "RecordSaved",
    "SalesforceRecords",
    "SaveListener",
    "SfError",
    "UpsertInput",
    "UpsertOutcome",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMERIC = ("double", "currency", "percent", "int")
_TEXTUAL = ("string", "textarea", "url", "phone", "email", "picklist", "multipicklist")


@dataclass(frozen=True)
class SfError:
    """One error of a record, as Salesforce's SaveResult/UpsertResult reports it."""

    status_code: str
    message: str
    fields: tuple[str, ...] = ()
    duplicate_result: Mapping[str, Any] | None = None  # DUPLICATES_DETECTED only

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "statusCode": self.status_code,
            "message": self.message,
            "fields": list(self.fields),
        }
        if self.duplicate_result is not None:
            body["duplicateResult"] = dict(self.duplicate_result)
        return body


@dataclass(frozen=True)
class UpsertInput:
    """One record to upsert: its external id value and its field values (JSON or CSV text)."""

    external_value: str | None
    values: Mapping[str, Any]


@dataclass
class UpsertOutcome:
    id: str | None = None
    created: bool = False
    errors: list[SfError] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.errors


class _RecordRejected(Exception):
    def __init__(self, errors: list[SfError]) -> None:
        super().__init__(errors[0].status_code)
        self.errors = errors


class _AllOrNoneFailed(Exception):
    """Raised inside the batch transaction to roll every write back."""


@dataclass(frozen=True)
class RecordSaved:
    """One committed create or update: what record-triggered automation looks at."""

    object_name: str
    before: Mapping[str, Any] | None  # None: the record was created
    after: Mapping[str, Any]


SaveListener = Callable[[list[RecordSaved]], None]


class SalesforceRecords:
    def __init__(
        self, store: Store, schema: SalesforceSchema, faults: Faults, profile: str = "standard"
    ) -> None:
        self._store = store
        self._schema = schema
        self._faults = faults
        self.access = SalesforceAccess(store, profile)
        # Told of every committed upsert (after the transaction, never inside it), e.g. by
        # the sandbox's record-triggered Flows (adapters.sandbox.salesforce_flows).
        self.save_listeners: list[SaveListener] = []
        if self.get(USER_ID) is None:  # the org's one user, whom assignments name
            with store.transaction() as conn:
                conn.execute(
                    "INSERT INTO sf_records (id, object, fields, created_ms, modstamp_ms) "
                    "VALUES (?, 'User', ?, 0, 0)",
                    (
                        USER_ID,
                        json.dumps(
                            {
                                "attributes": {"type": "User"},
                                "Id": USER_ID,
                                "Username": "integration@refnet.sandbox",
                                "Name": "Refnet Integration",
                                "IsActive": True,
                            }
                        ),
                    ),
                )
        # A sandbox folder written before creates looked duplicates up in the index gets its
        # records' matching values once, so a duplicate of an old record is still refused.
        store.meta("sf.duplicate_match_index", self._index_duplicate_matches)

    def _index_duplicate_matches(self) -> str:
        with self._store.transaction() as conn:
            for object_name in ("Account", "Contact"):
                for record in self.all(object_name):
                    matched = match_value(object_name, record)
                    if matched is not None:
                        conn.execute(
                            "INSERT OR IGNORE INTO sf_index (object, field, value, id) "
                            "VALUES (?, ?, ?, ?)",
                            (object_name, MATCH_KEY, matched, str(record["Id"])),
                        )
        return "1"

    # -- reading ----------------------------------------------------------------------------

    def all(self, object_name: str) -> list[dict[str, Any]]:
        rows = self._store.query(
            "SELECT fields FROM sf_records WHERE object = ? ORDER BY created_ms, id",
            (object_name,),
        )
        return [json.loads(row["fields"]) for row in rows]

    def get(self, record_id: str) -> dict[str, Any] | None:
        full_id = _full_id(record_id)
        row = self._store.query_one("SELECT fields FROM sf_records WHERE id = ?", (full_id,))
        return None if row is None else dict(json.loads(row["fields"]))

    def find(self, object_name: str, field_name: str, value: str) -> list[str]:
        """Ids of records whose indexed (external id / unique) field equals ``value``."""
        spec = self._schema.field_map(object_name).get(field_name.lower())
        if spec is None:
            return []
        rows = self._store.query(
            "SELECT id FROM sf_index WHERE object = ? AND field = ? AND value = ?",
            (object_name, spec.name, _index_key(spec, value)),
        )
        return [row["id"] for row in rows]

    # -- writing ----------------------------------------------------------------------------

    def delete(self, record_id: str) -> bool:
        """Delete one record (hard: the sandbox has no recycle bin); False if there is none."""
        full_id = _full_id(record_id)
        with self._store.transaction() as conn:
            gone = conn.execute("DELETE FROM sf_records WHERE id = ?", (full_id,)).rowcount
            conn.execute("DELETE FROM sf_index WHERE id = ?", (full_id,))
        return gone > 0

    def upsert(
        self,
        obj: SfObject,
        external_field: SfField,
        inputs: Sequence[UpsertInput],
        *,
        all_or_none: bool = False,
        others_failed: bool = False,
        from_csv: bool = False,
        allow_duplicates: bool = False,
    ) -> list[UpsertOutcome]:
        """Upsert ``inputs`` in order; one outcome per input, never an exception per record.

        New Contacts and Accounts pass the org's duplicate rules
        (:mod:`adapters.sandbox.salesforce_duplicates`) unless ``allow_duplicates`` (the
        request's ``allowSave=true`` header). With ``all_or_none`` nothing is written if
        any input fails, or if ``others_failed`` (records of the same request the caller
        already rejected); the valid inputs then report ``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
        """
        outcomes = [UpsertOutcome() for _ in inputs]
        saved: list[RecordSaved] = []
        duplicates = _duplicate_keys(external_field, inputs)
        grants = self.access.grants()  # once per request: assignments do not change within it
        try:
            with self._store.transaction() as conn:
                for item, outcome in zip(inputs, outcomes, strict=True):
                    key = item.external_value
                    if key and _index_key(external_field, key) in duplicates:
                        outcome.errors = [
                            SfError(
                                "DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {key}"
                            )
                        ]
                        continue
                    try:
                        outcome.id, outcome.created = self._upsert_one(
                            conn,
                            obj,
                            external_field,
                            item,
                            from_csv,
                            grants,
                            allow_duplicates,
                            saved,
                        )
                    except _RecordRejected as rejected:
                        outcome.errors = rejected.errors
                if all_or_none and (others_failed or any(not o.success for o in outcomes)):
                    raise _AllOrNoneFailed
        except _AllOrNoneFailed:
            rolled_back = SfError(
                "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "Record rolled back because not all records were valid and the request was "
                "using AllOrNone header",
            )
            for outcome in outcomes:
                if outcome.success:
                    outcome.errors = [rolled_back]
                outcome.id, outcome.created = None, False
            saved.clear()
        if saved:
            for listener in self.save_listeners:
                listener(saved)
        return outcomes

    def _upsert_one(
        self,
        conn: sqlite3.Connection,
        obj: SfObject,
        external_field: SfField,
        item: UpsertInput,
        from_csv: bool,
        grants: Grants,
        allow_duplicates: bool = False,
        saved: list[RecordSaved] | None = None,
    ) -> tuple[str, bool]:
        fields = self._schema.field_map(obj.name)
        values, errors = self._coerce_all(fields, obj, item.values, from_csv, grants)
        existing: dict[str, Any] | None = None
        if external_field.name == "Id":
            if item.external_value:
                existing = self.get(item.external_value)
                if existing is None or existing.get("attributes", {}).get("type") != obj.name:
                    raise _RecordRejected(
                        [SfError("NOT_FOUND", "The requested resource does not exist")]
                    )
        else:
            if not item.external_value:
                raise _RecordRejected(
                    [SfError("MISSING_ARGUMENT", f"{external_field.name} not specified")]
                )
            try:
                values[external_field.name] = _coerce(external_field, item.external_value, True)
            except _RecordRejected as rejected:
                errors.extend(rejected.errors)
            matches = self.find(obj.name, external_field.name, item.external_value)
            if len(matches) > 1:
                raise _RecordRejected(
                    [SfError("DUPLICATE_VALUE", f"Multiple records match {item.external_value}")]
                )
            existing = self.get(matches[0]) if matches else None
        verb: Verb = "create" if existing is None else "edit"
        if not grants.can(obj.name, verb):
            # DOC SOAP API, Core Data Types, StatusCode: INSUFFICIENT_ACCESS_OR_READONLY,
            # "you don't have sufficient permissions" (the object permission is missing).
            action = "inserted" if verb == "create" else "updated"
            raise _RecordRejected(
                [
                    SfError(
                        "INSUFFICIENT_ACCESS_OR_READONLY",
                        f"entity type cannot be {action}: {obj.name}",
                    )
                ]
            )
        merged = {**(existing or {}), **values}
        if existing is None:
            # Salesforce checkboxes are never null: a new record starts with them false.
            for spec in fields.values():
                if spec.type == "boolean" and spec.custom:
                    merged.setdefault(spec.name, False)
        errors.extend(self._check_record(obj, fields, merged, existing))
        if not errors and existing is None and not allow_duplicates:
            errors.extend(self._duplicates(obj, merged))
        if errors:
            raise _RecordRejected(errors)
        written = self._write(conn, obj, fields, merged, existing)
        if saved is not None:
            saved.append(RecordSaved(obj.name, existing, dict(merged)))
        return written

    def _duplicates(self, obj: SfObject, record: Mapping[str, Any]) -> list[SfError]:
        """The standard duplicate rule's alert, which blocks an API create (see module)."""
        wanted = match_value(obj.name, record)
        if wanted is None:
            return []
        candidates = self._store.query(
            "SELECT r.fields FROM sf_index AS i JOIN sf_records AS r ON r.id = i.id "
            "WHERE i.object = ? AND i.field = ? AND i.value = ? ORDER BY r.created_ms, r.id",
            (obj.name, MATCH_KEY, wanted),
        )
        ids = find_duplicates(obj.name, record, (json.loads(row["fields"]) for row in candidates))
        if not ids:
            return []
        result = duplicate_result(obj.name, ids, API_VERSION)
        return [SfError("DUPLICATES_DETECTED", str(result["errorMessage"]), (), result)]

    def seed(self, object_name: str, values: Mapping[str, Any], *, owner_id: str) -> str:
        """Write a record as an org's users made it, before refnet ever connected (no rules:
        a customer's org holds whatever its users and imports put there). Its id."""
        obj = self._schema.object(object_name)
        assert obj is not None, object_name
        fields = self._schema.field_map(obj.name)
        merged = {**values, "OwnerId": owner_id}
        with self._store.transaction() as conn:
            record_id, _ = self._write(conn, obj, fields, merged, None)
        return record_id

    def log_activity(self, record_id: str, day: str) -> None:
        """A sales user closed a task or logged an event due on ``day`` (YYYY-MM-DD) for a
        contact: Salesforce moves the read-only ``LastActivityDate`` to the latest such day
        (Object Reference, Contact; issue #18). The org's own doing, so no API path sets it."""
        existing = self.get(record_id)
        assert existing is not None, record_id
        obj = self._schema.object(str(existing["attributes"]["type"]))
        assert obj is not None
        merged = dict(existing)
        if not merged.get("LastActivityDate") or str(merged["LastActivityDate"]) < day:
            merged["LastActivityDate"] = day
        with self._store.transaction() as conn:
            self._write(conn, obj, self._schema.field_map(obj.name), merged, existing)

    def _coerce_all(
        self,
        fields: Mapping[str, SfField],
        obj: SfObject,
        raw_values: Mapping[str, Any],
        from_csv: bool,
        grants: Grants,
    ) -> tuple[dict[str, Any], list[SfError]]:
        values: dict[str, Any] = {}
        errors: list[SfError] = []
        # A field the user cannot see does not exist for them (INVALID_FIELD); one they see
        # but may not edit is INVALID_FIELD_FOR_INSERT_UPDATE. DOC: "Field-Level Security"
        # and REST API "Status Codes and Error Responses".
        fields = {k: f for k, f in fields.items() if grants.readable(obj, f)}
        for key, raw in _relationship_columns(raw_values) if from_csv else raw_values.items():
            if key == "attributes":
                continue
            spec = fields.get(key.lower())
            if spec is None and isinstance(raw, Mapping):
                resolved = self._resolve_relationship(fields, obj, key, raw)
                if isinstance(resolved, SfError):
                    errors.append(resolved)
                else:
                    values[resolved[0]] = resolved[1]
                continue
            if spec is None:
                errors.append(
                    SfError(
                        "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}"
                    )
                )
                continue
            if from_csv and raw == "":
                continue  # Bulk 2.0: an empty cell leaves the field unchanged
            if spec.name == "Id":
                continue  # the record's own id is matched, never written
            if not grants.editable(obj, spec):
                errors.append(
                    SfError(
                        "INVALID_FIELD_FOR_INSERT_UPDATE",
                        f"Unable to create/update fields: {spec.name}. Please check the security "
                        "settings of this field and verify that it is read/write for your "
                        "profile or permission set.",
                        (spec.name,),
                    )
                )
                continue
            try:
                values[spec.name] = (
                    None if from_csv and raw == "#N/A" else _coerce(spec, raw, from_csv)
                )
            except _RecordRejected as rejected:
                errors.extend(rejected.errors)
        for spec in fields.values():
            if spec.type == "reference" and values.get(spec.name):
                errors.extend(self._check_reference(spec, str(values[spec.name])))
                values[spec.name] = _full_id(str(values[spec.name]))
        return values, errors

    def _resolve_relationship(
        self, fields: Mapping[str, SfField], obj: SfObject, key: str, raw: Mapping[str, Any]
    ) -> tuple[str, str] | SfError:
        """``Referrer__r: {Refnet_Id__c: "m-1"}``: set the lookup to the record with that id.

        Salesforce resolves a lookup by the target's external id inside the same upsert;
        the error texts are the ones it answers with.
        """
        field_name = key[:-3] + "__c" if key.lower().endswith("__r") else None
        spec = next(
            (
                f
                for f in fields.values()
                if f.type == "reference"
                and (f.name == field_name or (f.relationship_name or "").lower() == key.lower())
            ),
            None,
        )
        if spec is None:
            return SfError("INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}")
        keys = [k for k in raw if k != "attributes"]
        if len(keys) != 1:
            return SfError(
                "INVALID_FIELD", f"{key}: a relationship needs exactly one external id field"
            )
        external_field, value = keys[0], str(raw[keys[0]])
        for target in spec.reference_to:
            ids = self.find(target, external_field, value)
            if len(ids) == 1:
                return spec.name, _full_id(ids[0])
            if len(ids) > 1:
                return SfError(
                    "INVALID_FIELD",
                    f"Foreign key external ID: {value} matches multiple records for field "
                    f"{external_field} in entity {target}",
                    (spec.name,),
                )
        entity = spec.reference_to[0] if spec.reference_to else "?"
        return SfError(
            "INVALID_FIELD",
            f"Foreign key external ID: {value} not found for field {external_field} "
            f"in entity {entity}",
            (spec.name,),
        )

    def _check_reference(self, spec: SfField, value: str) -> list[SfError]:
        if not is_salesforce_id(value):
            return [
                SfError(
                    "MALFORMED_ID",
                    f"{spec.label}: id value of incorrect type: {value}",
                    (spec.name,),
                )
            ]
        target = self.get(value)
        if target is None or (
            spec.reference_to and target["attributes"]["type"] not in spec.reference_to
        ):
            return [
                SfError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", (spec.name,))
            ]
        return []

    def _check_record(
        self,
        obj: SfObject,
        fields: Mapping[str, SfField],
        merged: Mapping[str, Any],
        existing: Mapping[str, Any] | None,
    ) -> list[SfError]:
        errors: list[SfError] = []
        missing = [
            spec.name
            for spec in fields.values()
            if spec.required and spec.writable and merged.get(spec.name) in (None, "")
        ]
        if missing:
            errors.append(
                SfError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    tuple(missing),
                )
            )
        if obj.name == "PermissionSetAssignment" and existing is None:
            errors.extend(self._check_new_assignment(merged))
        rule = self._faults.matching_rule("salesforce", {obj.name}, merged)
        if rule is not None:
            errors.append(SfError(rule.code, rule.message, (rule.field,)))
        own_id = existing["Id"] if existing else None
        for spec in fields.values():
            value = merged.get(spec.name)
            if spec.unique and spec.name != "Id" and value not in (None, ""):
                others = [i for i in self.find(obj.name, spec.name, str(value)) if i != own_id]
                if others:
                    errors.append(
                        SfError(
                            "DUPLICATE_VALUE",
                            f"duplicate value found: {spec.name} duplicates value on record "
                            f"with id: {others[0]}",
                        )
                    )
        return errors

    def _check_new_assignment(self, merged: Mapping[str, Any]) -> list[SfError]:
        """One assignment per user and permission set; a second is DUPLICATE_VALUE.

        DOC Object Reference, PermissionSetAssignment (unique AssigneeId + PermissionSetId).
        """
        pair = (str(merged.get("AssigneeId", ""))[:15], str(merged.get("PermissionSetId", ""))[:15])
        for other in self.all("PermissionSetAssignment"):
            if (str(other.get("AssigneeId"))[:15], str(other.get("PermissionSetId"))[:15]) == pair:
                return [
                    SfError(
                        "DUPLICATE_VALUE",
                        f"Duplicate PermissionSetAssignment. Assignee: {pair[0]}; "
                        f"Permission Set: {pair[1]}",
                    )
                ]
        return []

    def _write(
        self,
        conn: sqlite3.Connection,
        obj: SfObject,
        fields: Mapping[str, SfField],
        merged: dict[str, Any],
        existing: Mapping[str, Any] | None,
    ) -> tuple[str, bool]:
        now = iso_salesforce(modstamp := self._store.clock.now_ms())
        created = existing is None
        if created:
            record_id = salesforce_id(obj.key_prefix, self._store.next_value(f"sf.id.{obj.name}"))
            merged.update(
                attributes={"type": obj.name},
                Id=record_id,
                IsDeleted=False,
                CreatedDate=now,
                CreatedById=USER_ID,
            )
            name_field = fields.get("name")
            if name_field is not None and name_field.auto_number:
                number = self._store.next_value(f"sf.autonumber.{obj.name}")
                merged["Name"] = _auto_number(obj.display_format or "{0}", number)
        else:
            record_id = str(merged["Id"])
        merged.setdefault("OwnerId", USER_ID)
        if obj.name == "Opportunity":
            # Salesforce derives both flags from the stage (Opportunity: IsClosed, IsWon).
            stage = merged.get("StageName")
            merged["IsClosed"] = stage in ("Closed Won", "Closed Lost")
            merged["IsWon"] = stage == "Closed Won"
        if obj.name == "Contact":
            merged["Name"] = " ".join(
                str(part) for part in (merged.get("FirstName"), merged.get("LastName")) if part
            )
        merged.update(LastModifiedDate=now, LastModifiedById=USER_ID, SystemModstamp=now)
        conn.execute(
            "INSERT INTO sf_records (id, object, fields, created_ms, modstamp_ms) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET fields = excluded.fields, "
            "modstamp_ms = excluded.modstamp_ms",
            (record_id, obj.name, json.dumps(merged), modstamp, modstamp),
        )
        conn.execute("DELETE FROM sf_index WHERE object = ? AND id = ?", (obj.name, record_id))
        for spec in fields.values():
            value = merged.get(spec.name)
            if (spec.unique or spec.external_id) and spec.name != "Id" and value not in (None, ""):
                conn.execute(
                    "INSERT OR IGNORE INTO sf_index (object, field, value, id) VALUES (?, ?, ?, ?)",
                    (obj.name, spec.name, _index_key(spec, str(value)), record_id),
                )
        matched = match_value(obj.name, merged)
        if matched is not None:
            conn.execute(
                "INSERT OR IGNORE INTO sf_index (object, field, value, id) VALUES (?, ?, ?, ?)",
                (obj.name, MATCH_KEY, matched, record_id),
            )
        return record_id, created


def _relationship_columns(row: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A CSV row with Bulk 2.0's ``Referrer__r.Refnet_Id__c`` columns in JSON's form.

    An empty cell leaves the lookup unchanged, so it is dropped.
    """
    out: list[tuple[str, Any]] = []
    for key, raw in row.items():
        relationship, dot, field = key.partition(".")
        if not dot:
            out.append((key, raw))
        elif raw != "":
            out.append((relationship, {field: raw}))
    return out


def _duplicate_keys(external_field: SfField, inputs: Sequence[UpsertInput]) -> set[str]:
    seen: set[str] = set()
    duplicates: set[str] = set()
    for item in inputs:
        if item.external_value:
            key = _index_key(external_field, item.external_value)
            (duplicates if key in seen else seen).add(key)
    return duplicates


def _index_key(spec: SfField, value: str) -> str:
    if spec.type == "id":
        return _full_id(value)
    return value if spec.case_sensitive else value.lower()


def _full_id(value: str) -> str:
    return value + salesforce_id_suffix(value) if len(value) == 15 else value


def _auto_number(display_format: str, number: int) -> str:
    def pad(match: re.Match[str]) -> str:
        return str(number).zfill(len(match.group(1)))

    return re.sub(r"\{(0+)\}", pad, display_format)


def _type_error(spec: SfField, raw: Any) -> _RecordRejected:
    return _RecordRejected(
        [
            SfError(
                "INVALID_TYPE_ON_FIELD_IN_RECORD",
                f"{spec.label}: value not of required type: {raw}",
                (spec.name,),
            )
        ]
    )


def _in_range(spec: SfField, number: float, raw: Any) -> float:
    """A Number/Currency/Percent value within its precision and scale.

    Precision counts all digits, scale those after the point: at most ``precision - scale``
    digits before it, or the write fails with NUMBER_OUTSIDE_VALID_RANGE; extra decimals are
    rounded to the scale. DOC: Metadata API "CustomField" (precision, scale) and SOAP API
    "Core Data Types", StatusCode NUMBER_OUTSIDE_VALID_RANGE.
    """
    if spec.precision <= 0:
        return number
    if not math.isfinite(number) or abs(round(number, spec.scale)) >= 10 ** (
        spec.precision - spec.scale
    ):
        raise _RecordRejected(
            [
                SfError(
                    "NUMBER_OUTSIDE_VALID_RANGE",
                    f"{spec.label}: value outside of valid range on numeric field: {raw}",
                    (spec.name,),
                )
            ]
        )
    return round(number, spec.scale)


def _coerce(spec: SfField, raw: Any, from_csv: bool) -> Any:
    """A JSON value or CSV text as the field's stored value, or the error Salesforce gives."""
    if raw is None:
        return None
    if isinstance(raw, dict | list):
        raise _type_error(spec, raw)
    if spec.type == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise _type_error(spec, raw)
    if spec.type in _NUMERIC:
        if isinstance(raw, bool):
            raise _type_error(spec, raw)
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise _type_error(spec, raw) from None
        if spec.type == "int":
            return int(number)
        return _in_range(spec, number, raw)
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if isinstance(raw, bool) and spec.type in _TEXTUAL:
        text = "true" if raw else "false"
    if spec.type == "date":
        try:
            return date.fromisoformat(text.strip()[:10]).isoformat()
        except ValueError:
            raise _type_error(spec, raw) from None
    if spec.type == "datetime":
        ms = parse_iso_ms(text)
        if ms is None:
            raise _type_error(spec, raw)
        return iso_salesforce(ms)
    if spec.length and len(text) > spec.length:
        raise _RecordRejected(
            [
                SfError(
                    "STRING_TOO_LONG",
                    f"{spec.label}: data value too large: {text[:50]} (max length={spec.length})",
                    (spec.name,),
                )
            ]
        )
    if spec.type == "email" and text and not _EMAIL.match(text):
        raise _RecordRejected(
            [
                SfError(
                    "INVALID_EMAIL_ADDRESS",
                    f"{spec.label}: invalid email address: {text}",
                    (spec.name,),
                )
            ]
        )
    if spec.type == "picklist" and spec.restricted and text and text not in spec.picklist:
        raise _RecordRejected(
            [
                SfError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{spec.label}: bad value for restricted picklist field: {text}",
                    (spec.name,),
                )
            ]
        )
    return text
