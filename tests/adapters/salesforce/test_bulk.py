"""Bulk API 2.0 above the threshold: a fixed handful of calls, failed rows mapped to keys."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import responses
from responses.registries import OrderedRegistry

from adapters.salesforce.adapter import SalesforceAdapter
from connector.crm import OutboundRecord
from connector.errors import TransientError
from tests.adapters.salesforce.fakes import BASE, BulkJob, Collections, session_settings

OBJ = "Refnet_Referral__c"


def _records(count: int) -> list[OutboundRecord]:
    return [
        OutboundRecord(
            f"ref-{n:05d}",
            {
                "Status__c": "open",
                "Referrer__r": {"Refnet_Id__c": f"m-{n}"},
                "Recipient__c": None,
                "Amount__c": 10.5,
            },
        )
        for n in range(count)
    ]


def test_above_the_threshold_one_bulk_job_upserts_everything(
    make_adapter: Callable[..., SalesforceAdapter], sleeps: list[float]
) -> None:
    adapter = make_adapter(session_settings(bulk_threshold=2000))
    job = BulkJob(
        failures={
            "ref-00007": "REQUIRED_FIELD_MISSING:Required fields are missing: [Referrer__c]:--",
            "ref-02500": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Status: bad value for "
            "restricted picklist field: opne:Status__c --",
        },
        polls_in_progress=1,
    )
    records = _records(5000)
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        job.register(rsps)
        result = adapter.upsert_batch(OBJ, records)
        calls = list(rsps.calls)

    # create, upload, close, poll (in progress), poll (complete), successes, failures
    assert result.api_calls == 7
    assert [(c.request.method, c.request.url.removeprefix(BASE)) for c in calls] == [
        ("POST", "jobs/ingest"),
        ("PUT", f"jobs/ingest/{job.job_id}/batches"),
        ("PATCH", f"jobs/ingest/{job.job_id}"),
        ("GET", f"jobs/ingest/{job.job_id}"),
        ("GET", f"jobs/ingest/{job.job_id}"),
        ("GET", f"jobs/ingest/{job.job_id}/successfulResults/"),
        ("GET", f"jobs/ingest/{job.job_id}/failedResults/"),
    ]
    assert sleeps == [2.0]
    assert job.created == {
        "object": OBJ,
        "externalIdFieldName": "Refnet_Id__c",
        "contentType": "CSV",
        "operation": "upsert",
        "columnDelimiter": "COMMA",
        "lineEnding": "LF",
    }
    assert json.loads(calls[2].request.body) == {"state": "UploadComplete"}
    assert len(job.uploaded) == 5000
    assert job.header == [
        "Refnet_Id__c",
        "Amount__c",
        "Recipient__c",
        "Referrer__r.Refnet_Id__c",
        "Status__c",
    ]
    # #N/A clears a field in Bulk CSV; an empty cell would leave it unchanged.
    assert job.uploaded[0] == {
        "Refnet_Id__c": "ref-00000",
        "Amount__c": "10.5",
        "Recipient__c": "#N/A",
        "Referrer__r.Refnet_Id__c": "m-0",
        "Status__c": "open",
    }
    assert [o.key for o in result.outcomes] == [r.key for r in records]
    failed = {o.key: (o.code, o.message) for o in result.failed}
    assert failed == {
        "ref-00007": (
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Referrer__c]:--",
        ),
        "ref-02500": (
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Status: bad value for restricted picklist field: opne:Status__c --",
        ),
    }
    assert len(result.succeeded) == 4998
    assert all(o.created and o.crm_id for o in result.succeeded)


def test_without_failures_the_failed_results_are_not_downloaded(
    make_adapter: Callable[..., SalesforceAdapter], sleeps: list[float]
) -> None:
    adapter = make_adapter(session_settings(bulk_threshold=10))
    job = BulkJob(polls_in_progress=3)
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        job.register(rsps)
        result = adapter.upsert_batch(OBJ, _records(10))

    assert result.api_calls == 3 + 4 + 1
    assert sleeps == [2.0, 4.0, 8.0]  # the poll interval grows
    assert len(result.succeeded) == 10


def test_a_failed_job_reports_its_unprocessed_records_as_failed(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter(session_settings(bulk_threshold=10))
    job = BulkJob(final_state="Failed", polls_in_progress=0)
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        rsps.add_callback(responses.POST, f"{BASE}jobs/ingest", callback=job.create)
        rsps.add_callback(responses.PUT, f"{job.url}/batches", callback=job.upload)
        rsps.add_callback(responses.PATCH, job.url, callback=job.close)
        rsps.add_callback(responses.GET, job.url, callback=job.poll("Failed"))
        rsps.add(responses.GET, f"{job.url}/successfulResults/", body="sf__Id,sf__Created\n")
        rsps.add(responses.GET, f"{job.url}/failedResults/", body="sf__Id,sf__Error\n")
        result = adapter.upsert_batch(OBJ, _records(10))

    assert len(result.failed) == 10
    assert {(o.code, o.message) for o in result.failed} == {
        ("BULK_JOB_FAILED", "InvalidBatch : boom")
    }


def test_a_refused_upload_aborts_the_job_and_stops_the_run_resumably(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter(session_settings(bulk_threshold=10))
    job = BulkJob()
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        rsps.add_callback(responses.POST, f"{BASE}jobs/ingest", callback=job.create)
        rsps.add(
            responses.PUT,
            f"{job.url}/batches",
            status=400,
            json=[{"errorCode": "INVALIDJOBSTATE", "message": "secret-row-data,x@y.z"}],
        )
        rsps.add(responses.PATCH, job.url, json={"id": job.job_id, "state": "Aborted"})
        with pytest.raises(TransientError) as caught:
            adapter.upsert_batch(OBJ, _records(10))
        abort = rsps.calls[-1].request

    assert json.loads(abort.body) == {"state": "Aborted"}
    assert "INVALIDJOBSTATE" in str(caught.value)
    assert "sent again by the next run" in str(caught.value)
    assert "secret-row-data" not in str(caught.value)


@pytest.mark.parametrize(("count", "bulk"), [(1999, False), (2000, True)])
def test_the_threshold_setting_decides_the_path(
    make_adapter: Callable[..., SalesforceAdapter], count: int, bulk: bool
) -> None:
    adapter = make_adapter(session_settings(bulk_threshold=2000))
    with responses.RequestsMock(
        registry=OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        if bulk:
            BulkJob(polls_in_progress=0).register(rsps)
        else:
            Collections().register(rsps, OBJ, times=10)
        result = adapter.upsert_batch(OBJ, _records(count))

    assert bool(adapter.bulk.jobs) is bulk
    assert result.api_calls == (5 if bulk else 10)  # create, upload, close, poll, results
    assert len(result.succeeded) == count
