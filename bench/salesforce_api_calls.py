"""API calls the Salesforce adapter spends per volume, against `responses` (no network).

For each volume the adapter upserts N referrals with Bulk 2.0 off (threshold above N), by
sObject Collections and by Composite (``write_path = "composite"``), and with the default
threshold (2,000). Printed per run: the path taken, the API calls counted by the adapter,
and the ratio to the documented minimum of counted calls, ceil(N/1000): a Composite
request of five sObject Collections upserts (5 x 200 records) counts as one call (REST API
Developer Guide, "Send Multiple Requests Using Composite"). Composite must reach 1.00;
collections alone need ceil(N/200), up to 5x the minimum. A Bulk 2.0 job costs a fixed
handful of calls whatever N (here: create, upload, close, one poll, successful results;
failed results only when rows failed).

    .venv/bin/python bench/salesforce_api_calls.py
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

import responses
from requests import PreparedRequest

from adapters.salesforce.adapter import COLLECTION_SIZE, SalesforceAdapter
from adapters.salesforce.composite import COMPOSITE_RECORDS
from connector.crm import OutboundRecord
from connector.settings import SalesforceSettings
from mappings import load_mappings

INSTANCE = "https://bench.my.salesforce.com"
BASE = f"{INSTANCE}/services/data/v62.0/"
OBJ, EXT = "Refnet_Referral__c", "Refnet_Id__c"
JOB = f"{BASE}jobs/ingest/750BENCH"
VOLUMES = (1, 199, 200, 201, 2_000, 10_000, 50_000)
Answer = tuple[int, dict[str, str], str]


def _collections(request: PreparedRequest) -> Answer:
    records = json.loads(request.body or b"{}")["records"]
    results = [
        {"id": f"a01{n:012d}", "success": True, "errors": [], "created": True}
        for n, _ in enumerate(records)
    ]
    return 200, {}, json.dumps(results)


def _composite(request: PreparedRequest) -> Answer:
    """Salesforce's Composite answer: one entry per collections subrequest, in order."""
    parts = json.loads(request.body or b"{}")["compositeRequest"]
    if len(parts) > 5:  # at most 5 sObject Collections subrequests per Composite request
        return 400, {}, json.dumps([{"errorCode": "INVALID_INPUT", "message": "too many"}])
    answers = [
        {
            "body": [
                {"id": f"a01{n:012d}", "success": True, "errors": [], "created": True}
                for n, _ in enumerate(part["body"]["records"])
            ],
            "httpHeaders": {},
            "httpStatusCode": 200,
            "referenceId": part["referenceId"],
        }
        for part in parts
    ]
    return 200, {}, json.dumps({"compositeResponse": answers})


class _Job:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def upload(self, request: PreparedRequest) -> Answer:
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        self.keys = [line.split(",", 1)[0] for line in body.decode().splitlines()[1:]]
        return 201, {}, ""

    def results(self, request: PreparedRequest) -> Answer:
        rows = "".join(f"a01{n:012d},true,{key}\n" for n, key in enumerate(self.keys))
        return 200, {}, f"sf__Id,sf__Created,{EXT}\n{rows}"

    def state(self, request: PreparedRequest) -> Answer:
        info = {
            "id": "750BENCH",
            "state": "JobComplete",
            "numberRecordsFailed": 0,
            "numberRecordsProcessed": len(self.keys),
        }
        return 200, {}, json.dumps(info)


def _run(volume: int, threshold: int, write_path: str) -> tuple[str, int, float]:
    settings = SalesforceSettings.model_validate(
        {
            "session_id": "bench",
            "instance_url": INSTANCE,
            "api_version": "62.0",
            "bulk_threshold": threshold,
            "write_path": write_path,
        }
    )
    adapter = SalesforceAdapter(settings, load_mappings("salesforce"), sleep=lambda _: None)
    records = [
        OutboundRecord(f"ref-{n:06d}", {"Status__c": "open", "Referrer__r": {EXT: f"m-{n % 997}"}})
        for n in range(volume)
    ]
    job = _Job()
    started = time.perf_counter()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(
            responses.PATCH, f"{BASE}composite/sobjects/{OBJ}/{EXT}", callback=_collections
        )
        rsps.add_callback(responses.POST, f"{BASE}composite", callback=_composite)
        rsps.add(responses.POST, f"{BASE}jobs/ingest", json={"id": "750BENCH", "state": "Open"})
        rsps.add_callback(responses.PUT, f"{JOB}/batches", callback=job.upload)
        rsps.add(responses.PATCH, JOB, json={"id": "750BENCH", "state": "UploadComplete"})
        rsps.add_callback(responses.GET, JOB, callback=job.state)
        rsps.add_callback(responses.GET, f"{JOB}/successfulResults/", callback=job.results)
        result = adapter.upsert_batch(OBJ, records)
    elapsed = time.perf_counter() - started
    if len(result.succeeded) != volume:
        raise SystemExit(f"{volume}: only {len(result.succeeded)} outcomes succeeded")
    path = "bulk 2.0" if adapter.bulk.jobs else write_path
    return path, result.api_calls, elapsed


def main() -> int:
    rows: list[tuple[Any, ...]] = []
    ok = True
    runs = (
        ("off", 10**9, "collections"),
        ("off", 10**9, "composite"),
        ("on (2,000)", 2_000, "collections"),
    )
    for label, threshold, write_path in runs:
        for volume in VOLUMES:
            path, calls, elapsed = _run(volume, threshold, write_path)
            # The documented minimum of counted calls: a Composite request of five
            # collections subrequests (5 x 200 records) counts as one call.
            minimum = math.ceil(volume / COMPOSITE_RECORDS)
            per_path = math.ceil(volume / COLLECTION_SIZE) if path == "collections" else minimum
            ratio = f"{calls / minimum:.2f}" if path != "bulk 2.0" else "-"
            ok &= path == "bulk 2.0" or calls == per_path
            rows.append((label, volume, path, calls, minimum, ratio, f"{elapsed:.2f}s"))
    header = ("bulk", "records", "path", "API calls", "ceil(N/1000)", "ratio", "time")
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(str(cell).rjust(width) for cell, width in zip(row, widths, strict=True)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
