"""Bulk API 2.0 upserts with per-record outcomes, for batches above the bulk threshold.

The job lifecycle, one HTTP request per step, each under the retry layer::

    POST  jobs/ingest                      create the upsert job (object, external id field)
    PUT   jobs/ingest/{id}/batches         upload the CSV (≤ 100 MB raw per job)
    PATCH jobs/ingest/{id}                 state UploadComplete
    GET   jobs/ingest/{id}                 poll (injectable sleep, growing interval)
    GET   jobs/ingest/{id}/successfulResults/   sf__Id, sf__Created, <columns>
    GET   jobs/ingest/{id}/failedResults/       sf__Id, sf__Error, <columns> (only if any failed)

Every state change is idempotent: a ``PATCH`` whose answer is lost (a timeout after
Salesforce applied it) is retried by the retry layer, and the retry is refused with
``INVALIDJOBSTATE`` because the job has already moved on. Whenever a state change fails,
the job's state is read (``GET jobs/ingest/{id}``) and the run goes on if the change took
effect (Bulk API 2.0 Developer Guide, "Close or Abort a Job" and "Get Information About a
Job": UploadComplete is followed by InProgress, then JobComplete or Failed). Any other
failure of a job stops the run as a resumable :class:`~connector.errors.TransientError`
after aborting the job: its records are sent again by the next run (upserts by external id).

simple-salesforce's ``sf.bulk2.<Object>.upsert`` does the same but sleeps with ``time.sleep``,
builds CSV columns from a ``set`` and reports only counts, so its own transport primitive
(``simple_salesforce.util.call_salesforce``, which also maps errors to its exceptions) is used
step by step instead. Row failures never raise: each comes back as a :class:`RecordOutcome`
keyed by the external id column, which Salesforce echoes in both result files.

CSV semantics: an empty cell leaves a field unchanged, ``#N/A`` sets it to null. A lookup by
external id becomes the column ``Referrer__r.Refnet_Id__c``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.util import call_salesforce

from adapters.salesforce.budget import ApiBudget
from adapters.salesforce.retry import RetryPolicy
from connector.crm import OutboundRecord, RecordOutcome
from connector.errors import RefnetError, TransientError
from connector.i18n import gettext as _

__all__ = ["BulkOptions", "BulkUpsert", "to_csv_rows"]

_JSON = "application/json"
_CSV = "text/csv"
_DONE = {"JobComplete", "Failed", "Aborted"}
# The states a job can be in once each requested state was applied (Bulk API 2.0
# Developer Guide, "Job states": Open → UploadComplete → InProgress → JobComplete | Failed;
# Aborted only by request).
_REACHED = {
    "UploadComplete": frozenset({"UploadComplete", "InProgress", "JobComplete", "Failed"}),
    "Aborted": frozenset({"Aborted"}),
}
_NULL = "#N/A"
_MAX_MESSAGE = 500


@dataclass(frozen=True)
class BulkOptions:
    poll_interval: float = 2.0  # first wait; doubles up to max_poll_interval
    max_poll_interval: float = 30.0
    timeout: float = 2 * 3600.0  # give up waiting for a job after this long
    max_upload_bytes: int = 95_000_000  # Salesforce takes 100 MB raw per job; keep a margin
    request_timeout: float = 120.0


def _cell(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten(fields: dict[str, Any]) -> dict[str, str]:
    row: dict[str, str] = {}
    for name, value in fields.items():
        if isinstance(value, dict):  # {"Referrer__r": {"Refnet_Id__c": "m-1"}}
            for sub, item in value.items():
                row[f"{name}.{sub}"] = _cell(item)
        else:
            row[name] = _cell(value)
    return row


def to_csv_rows(
    external_id_field: str, records: Sequence[OutboundRecord]
) -> tuple[list[str], list[list[str]]]:
    """Header and rows for ``records``: the external id first, then every column, sorted."""
    flat = [_flatten(dict(r.fields)) for r in records]
    columns = sorted({c for row in flat for c in row} - {external_id_field})
    header = [external_id_field, *columns]
    rows = [
        [r.key, *(row.get(c, "") for c in columns)] for r, row in zip(records, flat, strict=True)
    ]
    return header, rows


def _csv_line(cells: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def _split(text: str) -> tuple[str, str]:
    code, _, message = text.partition(":")
    return code.strip() or "UNKNOWN", message.strip()[:_MAX_MESSAGE]


class BulkUpsert:
    """Drives Bulk 2.0 upsert jobs and maps their result files back to record keys."""

    def __init__(
        self,
        client: Callable[[], Salesforce],
        policy: RetryPolicy,
        budget: ApiBudget,
        *,
        sleep: Callable[[float], None] = time.sleep,
        options: BulkOptions | None = None,
    ) -> None:
        self._client = client
        self._policy = policy
        self._budget = budget
        self._sleep = sleep
        self.options = options or BulkOptions()
        self.jobs: list[str] = []  # ids of the jobs run, for logs and tests
        # State changes whose answer was lost but which the job's state showed applied.
        self.confirmed_state_changes = 0

    def _request(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        body: Any = None,
        data: bytes | None = None,
        content_type: str = _JSON,
        accept: str = _JSON,
    ) -> requests.Response:
        def send() -> requests.Response:
            sf = self._client()  # read each time: a re-authentication replaces it
            headers = {**sf.headers, "Content-Type": content_type, "Accept": accept}
            return call_salesforce(
                url=f"{sf.bulk2_url}{path}",
                method=method,
                session=sf.session,
                headers=headers,
                data=json.dumps(body) if body is not None else data,
                timeout=self.options.request_timeout,
            )

        return self._policy.call(send, operation=operation)

    def upsert(
        self, object_name: str, external_id_field: str, records: Sequence[OutboundRecord]
    ) -> list[RecordOutcome]:
        """Upsert ``records`` in as few jobs as the upload limit allows; one outcome each."""
        header, rows = to_csv_rows(external_id_field, records)
        head = _csv_line(header)
        outcomes: dict[str, RecordOutcome] = {}
        keys: list[str] = []
        lines: list[bytes] = []
        size = len(head)
        for row in rows:
            line = _csv_line(row)
            if lines and size + len(line) > self.options.max_upload_bytes:
                outcomes.update(self._job(object_name, external_id_field, head, lines, keys))
                keys, lines, size = [], [], len(head)
            keys.append(row[0])
            lines.append(line)
            size += len(line)
        if lines:
            outcomes.update(self._job(object_name, external_id_field, head, lines, keys))
        return [outcomes[r.key] for r in records]

    def _job(
        self,
        object_name: str,
        external_id_field: str,
        head: bytes,
        lines: list[bytes],
        keys: list[str],
    ) -> dict[str, RecordOutcome]:
        operation = f"bulk upsert {object_name}"
        self._budget.check(operation)
        job = self._request(
            "POST",
            "ingest",
            f"{operation}: create job",
            body={
                "object": object_name,
                "externalIdFieldName": external_id_field,
                "contentType": "CSV",
                "operation": "upsert",
                "columnDelimiter": "COMMA",
                "lineEnding": "LF",
            },
        ).json()
        job_id = str(job["id"])
        self.jobs.append(job_id)
        try:
            self._request(
                "PUT",
                f"ingest/{job_id}/batches",
                f"{operation}: upload",
                data=head + b"".join(lines),
                content_type=_CSV,
            )
            self._set_state(job_id, "UploadComplete", f"{operation}: close")
            info = self._wait(job_id, operation)
            return self._outcomes(job_id, info, external_id_field, keys, operation)
        except TransientError:
            self._abort(job_id, operation)
            raise
        except RefnetError as failed:
            self._abort(job_id, operation)
            # Not a refusal of the records (those come back per row): the job itself could
            # not be run. Stop resumably; the next run sends the records again.
            raise TransientError(
                _(
                    "salesforce {operation}: job {job_id} stopped ({failed}); aborted, the "
                    "records will be sent again by the next run"
                ).format(operation=operation, job_id=job_id, failed=failed)
            ) from failed

    def _set_state(self, job_id: str, wanted: str, operation: str) -> None:
        """Ask for ``wanted``; if the request fails, go on when the job shows it took effect."""
        try:
            self._request("PATCH", f"ingest/{job_id}", operation, body={"state": wanted})
        except RefnetError:
            state = self._state(job_id, operation)
            if state not in _REACHED[wanted]:
                raise
            self.confirmed_state_changes += 1

    def _state(self, job_id: str, operation: str) -> str | None:
        info = self._request("GET", f"ingest/{job_id}", f"{operation}: read state").json()
        return str(info.get("state")) if isinstance(info, dict) else None

    def _wait(self, job_id: str, operation: str) -> dict[str, Any]:
        waited, interval = 0.0, self.options.poll_interval
        while True:
            info: dict[str, Any] = self._request(
                "GET", f"ingest/{job_id}", f"{operation}: poll"
            ).json()
            if info.get("state") in _DONE:
                return info
            if waited >= self.options.timeout:
                raise TransientError(
                    _(
                        "salesforce {operation}: job {job_id} still {value} after {waited:.0f}s; "
                        "aborted, the records will be sent again"
                    ).format(
                        operation=operation, job_id=job_id, value=info.get("state"), waited=waited
                    )
                )
            self._sleep(interval)
            waited += interval
            interval = min(interval * 2, self.options.max_poll_interval)

    def _abort(self, job_id: str, operation: str) -> None:
        # Best effort: the error that made us abort is the one to report.
        with contextlib.suppress(Exception):
            self._set_state(job_id, "Aborted", f"{operation}: abort")

    def _results(self, job_id: str, kind: str, operation: str) -> list[dict[str, str]]:
        text = self._request(
            "GET", f"ingest/{job_id}/{kind}/", f"{operation}: {kind}", accept=_CSV
        ).text
        return list(csv.DictReader(io.StringIO(text)))

    def _outcomes(
        self,
        job_id: str,
        info: dict[str, Any],
        external_id_field: str,
        keys: list[str],
        operation: str,
    ) -> dict[str, RecordOutcome]:
        outcomes: dict[str, RecordOutcome] = {}
        for row in self._results(job_id, "successfulResults", operation):
            key = row.get(external_id_field, "")
            outcomes[key] = RecordOutcome(
                key,
                ok=True,
                crm_id=row.get("sf__Id") or None,
                created=row.get("sf__Created") == "true",
            )
        if int(info.get("numberRecordsFailed") or 0) or info.get("state") != "JobComplete":
            for row in self._results(job_id, "failedResults", operation):
                key = row.get(external_id_field, "")
                code, message = _split(row.get("sf__Error", ""))
                outcomes[key] = RecordOutcome(key, ok=False, code=code, message=message)
        state = str(info.get("state"))
        reason = str(info.get("errorMessage") or f"job {job_id} ended {state}")[:_MAX_MESSAGE]
        code = "UNPROCESSED" if state == "JobComplete" else f"BULK_JOB_{state.upper()}"
        return {
            key: outcomes.get(key) or RecordOutcome(key, ok=False, code=code, message=reason)
            for key in keys
        }
