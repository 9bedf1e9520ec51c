"""Bulk API 2.0 ingest jobs of the fake Salesforce (insert, update, upsert over CSV).

Lifecycle as documented: create (``Open``) → one ``PUT .../batches`` of CSV → ``PATCH``
``UploadComplete`` → the job runs at once and ``GET`` shows ``JobComplete`` (or
``Failed``) with ``numberRecordsProcessed``/``numberRecordsFailed``; result CSVs carry
``sf__Id``/``sf__Created`` or ``sf__Id``/``sf__Error`` before the uploaded columns.
Row failures never fail the job. A scripted fault on the virtual endpoint
``salesforce.bulk_processing`` makes the next job end ``Failed`` instead.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from adapters.sandbox.auth import USER_ID
from adapters.sandbox.ids import salesforce_id
from adapters.sandbox.salesforce_backend import SalesforceBackend, sf_error, sf_json
from adapters.sandbox.salesforce_records import SfError, UpsertInput
from adapters.sandbox.store import iso_salesforce

__all__ = ["BULK_PROCESSING_ENDPOINT", "register_bulk"]

BULK_PROCESSING_ENDPOINT = "salesforce.bulk_processing"
_DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
_OPERATIONS = ("insert", "update", "upsert")
_JOBS = "/services/data/v<version>/jobs/ingest"


@dataclass
class _Job:
    id: str
    object: str
    operation: str
    external_id_field: str
    column_delimiter: str
    line_ending: str
    created: str
    api_version: str
    state: str = "Open"
    modstamp: str = ""
    data: str | None = None
    processed: int = 0
    failed: int = 0
    error_message: str | None = None
    successful_rows: list[list[str]] = field(default_factory=list)
    failed_rows: list[list[str]] = field(default_factory=list)
    unprocessed_rows: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": USER_ID,
            "createdDate": self.created,
            "systemModstamp": self.modstamp or self.created,
            "state": self.state,
            "externalIdFieldName": self.external_id_field,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "jobType": "V2Ingest",
            "contentUrl": f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
            "numberRecordsProcessed": self.processed,
            "numberRecordsFailed": self.failed,
            "retries": 0,
            "totalProcessingTime": 0,
            "apiActiveProcessingTime": 0,
            "apexProcessingTime": 0,
        }
        if self.error_message:
            body["errorMessage"] = self.error_message
        return body


def _delimiter(job: _Job) -> str:
    return _DELIMITERS.get(job.column_delimiter, ",")


def _error_text(errors: list[SfError]) -> str:
    """Bulk's ``sf__Error`` cell: ``CODE:message:field,field --`` for the first error."""
    first = errors[0]
    return f"{first.status_code}:{first.message}:{','.join(first.fields)} --"


def _csv(header: list[str], rows: list[list[str]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(buffer.getvalue(), status=200, mimetype="text/csv")


def _not_found() -> Response:
    return sf_error(404, "NOT_FOUND", "The requested resource does not exist")


def _rows(job: _Job) -> tuple[list[str], list[list[str]]]:
    """The uploaded CSV's header and (non-empty) data rows."""
    rows = list(csv.reader(io.StringIO(job.data or ""), delimiter=_delimiter(job)))
    return (rows[0], [row for row in rows[1:] if row]) if rows else ([], [])


class _BulkViews:
    def __init__(self, backend: SalesforceBackend) -> None:
        self.backend = backend
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def _find(self, job_id: str) -> _Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def create_job(self, version: str) -> Response:
        body = request.get_json(silent=True) or {}
        name = str(body.get("object", ""))
        obj = self.backend.schema.object(name)
        if obj is None:
            return sf_error(400, "INVALIDJOB", f"InvalidJob : Unable to find object: {name}")
        operation = str(body.get("operation", ""))
        if operation not in _OPERATIONS:
            supported = ", ".join(_OPERATIONS)
            return sf_error(400, "INVALIDJOB", f"InvalidJob : the sandbox supports {supported}")
        external = str(body.get("externalIdFieldName") or "Id")
        spec = self.backend.schema.field_map(obj.name).get(external.lower())
        if spec is None or not (spec.external_id or spec.name == "Id"):
            return sf_error(
                400,
                "INVALIDJOB",
                f"InvalidJob : Field name provided, {external} is not an External ID or "
                f"indexed field for {obj.name}",
            )
        store = self.backend.store
        job = _Job(
            id=salesforce_id("750", store.next_value("sf.bulk_job")),
            object=obj.name,
            operation=operation,
            external_id_field=spec.name,
            column_delimiter=str(body.get("columnDelimiter") or "COMMA"),
            line_ending=str(body.get("lineEnding") or "LF"),
            created=iso_salesforce(store.clock.now_ms()),
            api_version=version,
        )
        with self._lock:
            self._jobs[job.id] = job
        return sf_json(job.info())

    def upload(self, version: str, job_id: str) -> Response:
        job = self._find(job_id)
        if job is None:
            return _not_found()
        if job.state != "Open" or job.data is not None:
            return sf_error(
                400,
                "BULK_API_ERROR",
                f"Found multiple contents for job: <{job.id}>, please 'Close' / 'Abort' / "
                "'Delete' the current Job then create a new Job and make sure you only do 'PUT' "
                "once on a given job.",
            )
        job.data = request.get_data(as_text=True)
        return Response(status=201)

    def set_state(self, version: str, job_id: str) -> Response:
        job = self._find(job_id)
        if job is None:
            return _not_found()
        wanted = str((request.get_json(silent=True) or {}).get("state", ""))
        if wanted == "Aborted" and job.state in ("Open", "UploadComplete"):
            job.state = "Aborted"
            job.header, job.unprocessed_rows = _rows(job)
            return sf_json(job.info())
        if wanted != "UploadComplete" or job.state != "Open":
            return sf_error(
                400, "INVALIDJOBSTATE", f"Invalid job state transition: {job.state} to {wanted}"
            )
        job.state = "UploadComplete"
        answer = job.info()
        self._process(job)
        return sf_json(answer)

    def _process(self, job: _Job) -> None:
        """Run the job at once: Salesforce would queue it; the answers are the same."""
        job.modstamp = iso_salesforce(self.backend.store.clock.now_ms())
        fault = self.backend.faults.take_scripted(BULK_PROCESSING_ENDPOINT)
        if fault is not None or not job.data:
            job.state = "Failed"
            job.error_message = (
                "InvalidBatch : Failed to process the job (sandbox fault)"
                if fault is not None
                else "InvalidBatch : No data uploaded"
            )
            return
        job.header, body_rows = _rows(job)
        lowered = [column.lower() for column in job.header]
        key_name = job.external_id_field.lower()
        key_column = lowered.index(key_name) if key_name in lowered else None
        obj = self.backend.schema.object(job.object)
        fields = self.backend.schema.field_map(job.object)
        spec = fields["id"] if job.operation == "insert" else fields[key_name]
        assert obj is not None  # checked when the job was created
        inputs: list[UpsertInput] = []
        runnable: list[list[str]] = []
        for row in body_rows:
            key = row[key_column] if key_column is not None and key_column < len(row) else ""
            if job.operation == "insert":
                key = ""
            elif job.operation == "update" and not key:
                # An update without an Id would otherwise create a record.
                missing = SfError("MISSING_ARGUMENT", "Id not specified", ("Id",))
                job.failed_rows.append(["", _error_text([missing]), *row])
                continue
            runnable.append(row)
            inputs.append(UpsertInput(key or None, dict(zip(job.header, row, strict=False))))
        outcomes = self.backend.records.upsert(obj, spec, inputs, from_csv=True)
        for row, outcome in zip(runnable, outcomes, strict=True):
            if outcome.success:
                created = "true" if outcome.created else "false"
                job.successful_rows.append([outcome.id or "", created, *row])
            else:
                job.failed_rows.append(["", _error_text(outcome.errors), *row])
        job.processed = len(body_rows)
        job.failed = len(job.failed_rows)
        job.state = "JobComplete"

    def job_info(self, version: str, job_id: str) -> Response:
        job = self._find(job_id)
        return _not_found() if job is None else sf_json(job.info())

    def delete_job(self, version: str, job_id: str) -> Response:
        with self._lock:
            removed = self._jobs.pop(job_id, None)
        return _not_found() if removed is None else Response(status=204)

    def results(self, version: str, job_id: str, kind: str) -> Response:
        job = self._find(job_id)
        if job is None:
            return _not_found()
        kind = kind.lower()
        if kind == "successfulresults":
            return _csv(["sf__Id", "sf__Created", *job.header], job.successful_rows)
        if kind == "failedresults":
            return _csv(["sf__Id", "sf__Error", *job.header], job.failed_rows)
        if kind == "unprocessedrecords":
            return _csv(job.header, job.unprocessed_rows)
        return _not_found()


def register_bulk(app: Flask, backend: SalesforceBackend) -> None:
    """Add the Bulk 2.0 ingest resources (endpoint names ``salesforce.bulk_<name>``)."""
    views = _BulkViews(backend)
    routes: list[tuple[str, str, Callable[..., Response], list[str]]] = [
        ("bulk_create_job", "", views.create_job, ["POST"]),
        ("bulk_upload", "/<job_id>/batches", views.upload, ["PUT"]),
        ("bulk_set_state", "/<job_id>", views.set_state, ["PATCH"]),
        ("bulk_job_info", "/<job_id>", views.job_info, ["GET"]),
        ("bulk_delete_job", "/<job_id>", views.delete_job, ["DELETE"]),
        ("bulk_results", "/<job_id>/<kind>", views.results, ["GET"]),
    ]
    for name, rule, view, methods in routes:
        app.add_url_rule(
            _JOBS + rule, endpoint=f"salesforce.{name}", view_func=view, methods=methods
        )
