"""REST resources of the fake Salesforce: describe, upsert, sObject Collections, query, limits.

Answer shapes follow the REST API developer guide (resources ``sobjects``, ``describe``,
create, read and delete by id, read by external id, ``updated``/``deleted``, single
upsert, ``composite/sobjects`` upsert (also inside a ``composite`` request), update by id
and delete, ``query``/``queryAll``
with ``nextRecordsUrl``, ``limits``). A delete is hard (no recycle bin), so ``queryAll``
equals ``query`` and ``deleted`` is empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, request

from adapters.sandbox.salesforce_access import Grants
from adapters.sandbox.salesforce_backend import (
    SalesforceBackend,
    sf_error,
    sf_json,
)
from adapters.sandbox.salesforce_composite import CompositeViews
from adapters.sandbox.salesforce_duplicates import DUPLICATE_HEADER, allows_duplicates, visible
from adapters.sandbox.salesforce_records import UpsertInput, UpsertOutcome
from adapters.sandbox.salesforce_schema import SfField, SfObject
from adapters.sandbox.soql import SoqlError, parse_soql
from adapters.sandbox.store import iso_salesforce, parse_iso_ms

__all__ = ["MAX_COLLECTION_RECORDS", "register_rest"]

MAX_COLLECTION_RECORDS = 200
_DATA = "/services/data/v<version>"
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


def _object_urls(version: str, name: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def _object_summary(version: str, obj: SfObject, grants: Grants) -> dict[str, Any]:
    # describe reflects the user's object permissions (DOC REST API, sObject Describe:
    # createable/updateable/deletable "for the current user").
    return {
        "activateable": False,
        "createable": grants.can(obj.name, "create"),
        "custom": obj.custom,
        "customSetting": False,
        "deletable": grants.can(obj.name, "delete"),
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.plural_label,
        "layoutable": True,
        "mergeable": False,
        "mruEnabled": False,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": True,
        "updateable": grants.can(obj.name, "edit"),
        "urls": _object_urls(version, obj.name),
    }


def _describe_field(obj: SfObject, spec: SfField, grants: Grants) -> dict[str, Any]:
    writable = grants.editable(obj, spec)
    return {
        "autoNumber": spec.auto_number,
        "calculated": False,
        "caseSensitive": spec.case_sensitive,
        "createable": writable and grants.can(obj.name, "create"),
        "custom": spec.custom,
        "defaultedOnCreate": spec.auto_number or not spec.writable,
        "externalId": spec.external_id,
        "filterable": True,
        "idLookup": spec.name == "Id" or spec.external_id or spec.unique,
        "label": spec.label,
        "length": spec.length,
        "name": spec.name,
        "nillable": not spec.required and spec.name != "Id",
        "picklistValues": [
            {
                "active": True,
                "defaultValue": value == spec.default_picklist,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in spec.picklist
        ],
        "precision": spec.precision,
        "referenceTo": list(spec.reference_to),
        "relationshipName": spec.relationship_name,
        "restrictedPicklist": spec.restricted,
        "scale": spec.scale,
        "soapType": _SOAP_TYPES.get(spec.type, "xsd:string"),
        "sortable": True,
        "type": spec.type,
        "unique": spec.unique,
        "updateable": writable and grants.can(obj.name, "edit"),
    }


def _shape(
    version: str, object_name: str, record: Mapping[str, Any], fields: list[SfField]
) -> dict[str, Any]:
    """A record as query results show it: attributes first, then the selected fields."""
    shaped: dict[str, Any] = {
        "attributes": {
            "type": object_name,
            "url": f"/services/data/v{version}/sobjects/{object_name}/{record['Id']}",
        }
    }
    for spec in fields:
        shaped[spec.name] = record.get(spec.name)
    return shaped


def _upsert_result(outcome: UpsertOutcome) -> dict[str, Any]:
    if outcome.success:
        return {"id": outcome.id, "success": True, "errors": [], "created": outcome.created}
    return {"success": False, "errors": [e.as_json() for e in outcome.errors]}


def _errors_answer(outcome: UpsertOutcome) -> Response:
    """A single-record write's failure: 400 with the REST error array."""
    errors = [
        {"message": e.message, "errorCode": e.status_code, "fields": list(e.fields)}
        for e in outcome.errors
    ]
    return sf_json(errors, 400)


def _allow_duplicates() -> bool:
    """The request's ``Sforce-Duplicate-Rule-Header`` says ``allowSave=true``."""
    return allows_duplicates(request.headers.get(DUPLICATE_HEADER))


def _too_many_records() -> Response:
    return sf_error(
        400,
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {MAX_COLLECTION_RECORDS} "
        "records into this call",
    )


def _unknown_object() -> Response:
    return sf_error(404, "NOT_FOUND", "The requested resource does not exist")


class _RestViews:
    """The REST views; each method answers one resource."""

    def __init__(self, backend: SalesforceBackend) -> None:
        self.backend = backend
        self.schema = backend.schema
        self.records = backend.records

    def resources(self, version: str) -> Response:
        base = f"/services/data/v{version}"
        names = ("sobjects", "query", "queryAll", "composite", "jobs", "limits")
        return sf_json({name: f"{base}/{name}" for name in names})

    def limits(self, version: str) -> Response:
        used, total = self.backend.faults.salesforce_usage()
        return sf_json(
            {
                "DailyApiRequests": {"Max": total, "Remaining": max(total - used, 0)},
                "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
                "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            }
        )

    def _readable_object(self, name: str) -> tuple[SfObject | None, Grants]:
        """The object if the user may read it: one they may not is unknown to them."""
        grants = self.records.access.grants()
        obj = self.schema.object(name)
        return (obj if obj is not None and grants.can(obj.name, "read") else None), grants

    def sobjects(self, version: str) -> Response:
        grants = self.records.access.grants()
        return sf_json(
            {
                "encoding": "UTF-8",
                "maxBatchSize": MAX_COLLECTION_RECORDS,
                "sobjects": [
                    _object_summary(version, obj, grants)
                    for obj in self.schema.objects()
                    if grants.can(obj.name, "read")
                ],
            }
        )

    def sobject(self, version: str, name: str) -> Response:
        obj, grants = self._readable_object(name)
        if obj is None:
            return _unknown_object()
        return sf_json({"objectDescribe": _object_summary(version, obj, grants), "recentItems": []})

    def describe(self, version: str, name: str) -> Response:
        """Describe lists only the fields the user can see (DOC: "Field-Level Security")."""
        obj, grants = self._readable_object(name)
        if obj is None:
            return _unknown_object()
        body = _object_summary(version, obj, grants)
        body.update(
            childRelationships=[],
            fields=[
                _describe_field(obj, spec, grants)
                for spec in self.schema.fields(obj.name)
                if grants.readable(obj, spec)
            ],
            recordTypeInfos=[],
        )
        return sf_json(body)

    def get_record(self, version: str, name: str, record_id: str) -> Response:
        obj, grants = self._readable_object(name)
        record = self.records.get(record_id) if obj else None
        if obj is None or record is None or record["attributes"]["type"] != obj.name:
            return _unknown_object()
        selected = request.args.get("fields")
        fields = [f for f in self.schema.fields(obj.name) if grants.readable(obj, f)]
        if selected:
            wanted = {part.strip().lower() for part in selected.split(",")}
            fields = [f for f in fields if f.name.lower() in wanted]
        return sf_json(_shape(version, obj.name, record, fields))

    def get_by_external_id(self, version: str, name: str, field_name: str, value: str) -> Response:
        obj, grants = self._readable_object(name)
        spec = self._external_field(obj, field_name) if obj else None
        if obj is None or spec is None or not grants.readable(obj, spec):
            return _unknown_object()
        ids = self.records.find(obj.name, spec.name, value)
        records = [r for r in (self.records.get(i) for i in ids) if r is not None]
        fields = [f for f in self.schema.fields(obj.name) if grants.readable(obj, f)]
        if not records:
            return _unknown_object()
        if len(records) > 1:  # 300 Multiple Choices lists the matching record URLs
            base = f"/services/data/v{version}/sobjects/{obj.name}"
            return sf_json([f"{base}/{r['Id']}" for r in records], 300)
        return sf_json(_shape(version, obj.name, records[0], fields))

    def updated(self, version: str, name: str) -> Response:
        """getUpdated: ids whose SystemModstamp falls in [start, end]."""
        obj = self.schema.object(name)
        if obj is None:
            return _unknown_object()
        start = parse_iso_ms(request.args.get("start", ""))
        end = parse_iso_ms(request.args.get("end", ""))
        if start is None or end is None or end < start:
            return sf_error(
                400, "INVALID_REPLICATION_DATE", "start and end must be dates, start first"
            )
        covered = min(end, self.backend.store.clock.now_ms()) // 60_000 * 60_000
        ids = [
            str(r["Id"])
            for r in self.records.all(obj.name)
            if start <= (parse_iso_ms(str(r["SystemModstamp"])) or 0) <= end
        ]
        return sf_json({"ids": ids, "latestDateCovered": iso_salesforce(covered)})

    def deleted(self, version: str, name: str) -> Response:
        """getDeleted: the sandbox never deletes, so the list is always empty."""
        obj = self.schema.object(name)
        if obj is None:
            return _unknown_object()
        now = iso_salesforce(self.backend.store.clock.now_ms() // 60_000 * 60_000)
        return sf_json(
            {"deletedRecords": [], "earliestDateAvailable": now, "latestDateCovered": now}
        )

    def _external_field(self, obj: SfObject, field_name: str) -> SfField | None:
        spec = self.schema.field_map(obj.name).get(field_name.lower())
        if spec is None or not (spec.external_id or spec.name == "Id"):
            return None
        return spec

    def create_record(self, version: str, name: str) -> Response:
        obj, _ = self._readable_object(name)
        if obj is None:
            return _unknown_object()
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return sf_error(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
        id_field = self.schema.field_map(obj.name)["id"]
        (outcome,) = self.records.upsert(
            obj, id_field, [UpsertInput(None, body)], allow_duplicates=_allow_duplicates()
        )
        if not outcome.success:
            return _errors_answer(outcome)
        return sf_json({"id": outcome.id, "success": True, "errors": []}, 201)

    def upsert_one(self, version: str, name: str, field_name: str, value: str) -> Response:
        obj, grants = self._readable_object(name)
        if obj is None:
            return _unknown_object()
        spec = self._external_field(obj, field_name)
        if spec is None or not grants.readable(obj, spec):
            return sf_error(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {field_name}",
            )
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return sf_error(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
        (outcome,) = self.records.upsert(
            obj, spec, [UpsertInput(value, body)], allow_duplicates=_allow_duplicates()
        )
        if not outcome.success:
            return _errors_answer(outcome)
        return sf_json(_upsert_result(outcome), 201 if outcome.created else 200)

    def delete_record(self, version: str, name: str, record_id: str) -> Response:
        """``DELETE sobjects/{name}/{id}``: 204, or 404 when there is no such record."""
        obj, grants = self._readable_object(name)
        if obj is None:
            return _unknown_object()
        if not grants.can(obj.name, "delete"):
            return sf_error(
                403, "INSUFFICIENT_ACCESS_OR_READONLY", f"entity type cannot be deleted: {name}"
            )
        if not self.records.delete(record_id):
            return sf_error(404, "ENTITY_IS_DELETED", "entity is deleted")
        return Response(status=204)

    def collections_update(self, version: str) -> Response:
        """``PATCH composite/sobjects``: update records by their ``id``; one result each."""
        body = request.get_json(silent=True)
        items = body.get("records") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(items, list):
            return sf_error(400, "JSON_PARSER_ERROR", "Expected a 'records' array")
        if len(items) > MAX_COLLECTION_RECORDS:
            return _too_many_records()
        results: list[dict[str, Any]] = []
        for item in items:
            attributes = item.get("attributes") if isinstance(item, dict) else None
            obj = self.schema.object(str(attributes.get("type", ""))) if attributes else None
            record_id = item.get("id") if isinstance(item, dict) else None
            if obj is None or not record_id:
                results.append({"success": False, "errors": [_CONCRETE_TYPE_ERROR]})
                continue
            values = {k: v for k, v in item.items() if k.lower() != "id"}
            id_field = self.schema.field_map(obj.name)["id"]
            (outcome,) = self.records.upsert(obj, id_field, [UpsertInput(str(record_id), values)])
            results.append(_upsert_result(outcome))
        return sf_json(results)

    def collections_delete(self, version: str) -> Response:
        """``DELETE composite/sobjects?ids=…&allOrNone=false``: one result per id, in order."""
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not ids:
            return sf_error(400, "MISSING_ARGUMENT", "The ids parameter is required")
        if len(ids) > MAX_COLLECTION_RECORDS:
            return _too_many_records()
        results: list[dict[str, Any]] = []
        grants = self.records.access.grants()
        for record_id in ids:
            record = self.records.get(record_id)
            if record is not None and not grants.can(record["attributes"]["type"], "delete"):
                error = {
                    "statusCode": "INSUFFICIENT_ACCESS_OR_READONLY",
                    "message": "insufficient access rights on object id",
                }
                results.append({"success": False, "errors": [{**error, "fields": []}]})
                continue
            if self.records.delete(record_id):
                results.append({"id": record_id, "success": True, "errors": []})
            else:
                error = {"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted"}
                results.append({"success": False, "errors": [{**error, "fields": []}]})
        return sf_json(results)

    def collections_upsert(self, version: str, name: str, field_name: str) -> Response:
        return self.upsert_collection(name, field_name, request.get_json(silent=True))

    def upsert_collection(self, name: str, field_name: str, body: Any) -> Response:
        """``PATCH composite/sobjects/{name}/{field}`` with ``body``; also run as a
        Composite subrequest (:mod:`adapters.sandbox.salesforce_composite`)."""
        obj, grants = self._readable_object(name)
        if obj is None:
            return sf_error(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
        spec = self._external_field(obj, field_name)
        if spec is None or not grants.readable(obj, spec):
            return sf_error(
                400,
                "INVALID_FIELD",
                f"Field name provided, {field_name} is not an External ID or indexed field "
                f"for {obj.name}",
            )
        items = body.get("records") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(items, list):
            return sf_error(400, "JSON_PARSER_ERROR", "Expected a 'records' array")
        if len(items) > MAX_COLLECTION_RECORDS:
            return _too_many_records()
        # Records without the right attributes.type fail alone, as Salesforce answers them.
        typed: list[int] = []
        inputs: list[UpsertInput] = []
        results: list[dict[str, Any] | None] = []
        for item in items:
            attributes = item.get("attributes") if isinstance(item, dict) else None
            if (
                not isinstance(attributes, dict)
                or str(attributes.get("type", "")).lower() != obj.name.lower()
            ):
                results.append({"success": False, "errors": [_CONCRETE_TYPE_ERROR]})
                continue
            value = {k.lower(): v for k, v in item.items()}.get(spec.name.lower())
            typed.append(len(results))
            results.append(None)
            inputs.append(UpsertInput(None if value is None else str(value), item))
        outcomes = self.records.upsert(
            obj,
            spec,
            inputs,
            all_or_none=bool(body.get("allOrNone", False)),
            others_failed=len(typed) != len(items),
            allow_duplicates=_allow_duplicates(),
        )
        for position, outcome in zip(typed, outcomes, strict=True):
            results[position] = _upsert_result(outcome)
        return sf_json(results)

    def query(self, version: str) -> Response:
        return self._run_query(version, include_deleted=False)

    def query_all(self, version: str) -> Response:
        return self._run_query(version, include_deleted=True)

    def _run_query(self, version: str, include_deleted: bool) -> Response:
        text = request.args.get("q")
        if not text:
            return sf_error(400, "MALFORMED_QUERY", "A query string is required (q=...)")

        grants = self.records.access.grants()

        def resolve(object_name: str) -> Mapping[str, SfField] | None:
            # An object without Read is INVALID_TYPE, a field without field-level security
            # INVALID_FIELD, exactly as for names that do not exist. DOC: SOQL and SOSL
            # Reference, "Field-Level Security"; REST API "Status Codes and Error Responses".
            known = self.schema.object(object_name)
            if known is None or not grants.can(known.name, "read"):
                return None
            return {
                key: spec
                for key, spec in self.schema.field_map(object_name).items()
                if grants.readable(known, spec)
            }

        try:
            soql = parse_soql(text, resolve)
        except SoqlError as error:
            return sf_error(400, error.code, error.message)
        obj = self.schema.object(soql.object_name)
        assert obj is not None  # resolve() accepted it

        # Private Contacts of other owners are not the API user's to see (see
        # adapters.sandbox.salesforce_duplicates).
        def fetch(name: str) -> list[dict[str, Any]]:
            return [r for r in self.records.all(name) if visible(r)]

        matching = soql.run(fetch(obj.name), fetch)
        if soql.count_only:
            return sf_json({"totalSize": len(matching), "done": True, "records": []})
        shaped = [_shape(version, obj.name, r, soql.fields) for r in matching]
        return self._page(version, include_deleted, shaped, 0, self._batch_size(), None)

    def _batch_size(self) -> int:
        size = self.backend.query_batch_size
        options = request.headers.get("Sforce-Query-Options", "")
        for option in options.split(","):
            key, _, value = option.strip().partition("=")
            if key.lower() == "batchsize" and value.isdigit():
                size = min(max(int(value), 200), 2000)
        return size

    def _page(
        self,
        version: str,
        include_deleted: bool,
        shaped: list[dict[str, Any]],
        start: int,
        size: int,
        locator: str | None,
    ) -> Response:
        end = start + size
        body: dict[str, Any] = {"totalSize": len(shaped), "done": end >= len(shaped)}
        if end < len(shaped):
            locator = locator or self.backend.cursors.open(shaped, size)
            resource = "queryAll" if include_deleted else "query"
            body["nextRecordsUrl"] = f"/services/data/v{version}/{resource}/{locator}-{end}"
        body["records"] = shaped[start:end]
        return sf_json(body)

    def query_more(self, version: str, cursor: str) -> Response:
        locator, _, offset = cursor.rpartition("-")
        opened = self.backend.cursors.get(locator)
        if opened is None or not offset.isdigit():
            return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        shaped, size = opened
        include_deleted = "/queryAll/" in request.path
        return self._page(version, include_deleted, shaped, int(offset), size, locator)


_CONCRETE_TYPE_ERROR = {
    "statusCode": "INVALID_TYPE",
    "message": "Must send a concrete entity type.",
    "fields": [],
}


def register_rest(app: Flask, backend: SalesforceBackend) -> None:
    """Add the REST resources to ``app`` (endpoint names ``salesforce.<name>``)."""
    views = _RestViews(backend)
    routes: list[tuple[str, str, Callable[..., Response], list[str]]] = [
        ("resources", "/", views.resources, ["GET"]),
        ("limits", "/limits", views.limits, ["GET"]),
        ("sobjects", "/sobjects", views.sobjects, ["GET"]),
        ("sobject", "/sobjects/<name>", views.sobject, ["GET"]),
        ("create", "/sobjects/<name>", views.create_record, ["POST"]),
        ("describe", "/sobjects/<name>/describe", views.describe, ["GET"]),
        ("updated", "/sobjects/<name>/updated", views.updated, ["GET"]),
        ("deleted", "/sobjects/<name>/deleted", views.deleted, ["GET"]),
        ("get_record", "/sobjects/<name>/<record_id>", views.get_record, ["GET"]),
        ("delete_record", "/sobjects/<name>/<record_id>", views.delete_record, ["DELETE"]),
        (
            "get_by_external_id",
            "/sobjects/<name>/<field_name>/<path:value>",
            views.get_by_external_id,
            ["GET"],
        ),
        ("upsert", "/sobjects/<name>/<field_name>/<path:value>", views.upsert_one, ["PATCH"]),
        ("collections_delete", "/composite/sobjects", views.collections_delete, ["DELETE"]),
        ("collections_update", "/composite/sobjects", views.collections_update, ["PATCH"]),
        (
            "collections_upsert",
            "/composite/sobjects/<name>/<field_name>",
            views.collections_upsert,
            ["PATCH"],
        ),
        ("query", "/query", views.query, ["GET"]),
        ("query_all", "/queryAll", views.query_all, ["GET"]),
        ("query_more", "/query/<cursor>", views.query_more, ["GET"]),
        ("query_all_more", "/queryAll/<cursor>", views.query_more, ["GET"]),
    ]
    composite = CompositeViews(views.upsert_collection)
    routes.append(("composite", "/composite", composite.composite, ["POST"]))
    for name, rule, view, methods in routes:
        app.add_url_rule(
            _DATA + rule, endpoint=f"salesforce.{name}", view_func=view, methods=methods
        )
