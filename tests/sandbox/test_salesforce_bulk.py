"""Bulk API 2.0 ingest through simple-salesforce's ``sf.bulk2`` against the sandbox."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceOperationError

from adapters.sandbox import Sandbox
from adapters.sandbox.salesforce_bulk import BULK_PROCESSING_ENDPOINT
from tests.sandbox.helpers import (
    EXTERNAL_ID,
    REFERRAL,
    collections_upsert,
    provision_referral,
    referral,
)

pytestmark = pytest.mark.usefixtures("mdapi_trusts_sandbox")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_bulk_upsert_reports_failed_rows_without_failing_the_job(
    sf: Salesforce, sandbox: Sandbox, tmp_path: Path
) -> None:
    provision_referral(sf)
    existing = collections_upsert(sf, [referral("b-1", Stage__c="New")])[0]["id"]
    csv_data = (
        f"{EXTERNAL_ID},Stage__c,Amount__c\n"
        "b-1,Won,\n"  # empty cell: leave the amount unchanged
        "b-2,New,10.5\n"
        "b-3,Bogus,1\n"
        "b-4,New,not-a-number\n"
    )
    upload = tmp_path / "referrals.csv"
    upload.write_text(csv_data)
    (result,) = getattr(sf.bulk2, REFERRAL).upsert(
        csv_file=str(upload), external_id_field=EXTERNAL_ID, wait=0
    )
    assert result["numberRecordsProcessed"] == 4
    assert result["numberRecordsFailed"] == 2
    assert result["numberRecordsTotal"] == 4
    job = getattr(sf.bulk2, REFERRAL)
    successful = _rows(job.get_successful_records(result["job_id"]))
    first = successful[0]
    assert (first["sf__Id"], first["sf__Created"], first[EXTERNAL_ID]) == (existing, "false", "b-1")
    assert successful[1]["sf__Created"] == "true" and len(successful[1]["sf__Id"]) == 18
    failed = _rows(job.get_failed_records(result["job_id"]))
    assert [r[EXTERNAL_ID] for r in failed] == ["b-3", "b-4"]
    assert failed[0]["sf__Error"].startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:")
    assert failed[1]["sf__Error"].startswith("INVALID_TYPE_ON_FIELD_IN_RECORD:")
    raw = job.get_failed_records(result["job_id"])
    assert raw.splitlines()[0] == f'"sf__Id","sf__Error","{EXTERNAL_ID}","Stage__c","Amount__c"'
    stages = sf.query_all(f"SELECT {EXTERNAL_ID}, Stage__c FROM {REFERRAL} ORDER BY {EXTERNAL_ID}")
    assert [(r[EXTERNAL_ID], r["Stage__c"]) for r in stages["records"]] == [
        ("b-1", "Won"),
        ("b-2", "New"),
    ]
    # create, upload, close, poll, final get: the calls simple-salesforce makes per job
    assert sandbox.request_count("salesforce.bulk_*") == 5 + 3


def test_bulk_records_argument_and_na_clears_a_field(sf: Salesforce) -> None:
    provision_referral(sf)
    collections_upsert(sf, [referral("b-1", Stage__c="New", Amount__c=3)])
    getattr(sf.bulk2, REFERRAL).upsert(
        records=[{EXTERNAL_ID: "b-1", "Amount__c": "#N/A"}], external_id_field=EXTERNAL_ID, wait=0
    )
    row = sf.query(f"SELECT Stage__c, Amount__c FROM {REFERRAL}")["records"][0]
    assert (row["Stage__c"], row["Amount__c"]) == ("New", None)


def test_a_job_that_fails_raises_the_clients_operation_error(
    sf: Salesforce, sandbox: Sandbox
) -> None:
    provision_referral(sf)
    sandbox.faults.fail_next(BULK_PROCESSING_ENDPOINT)
    with pytest.raises(SalesforceOperationError, match="sandbox fault"):
        getattr(sf.bulk2, REFERRAL).upsert(
            records=[{EXTERNAL_ID: "b-1"}], external_id_field=EXTERNAL_ID, wait=0
        )
    assert sf.query(f"SELECT COUNT() FROM {REFERRAL}")["totalSize"] == 0


def test_aborted_jobs_list_their_rows_as_unprocessed(sf: Salesforce) -> None:
    provision_referral(sf)
    job = getattr(sf.bulk2, REFERRAL)
    client = job._client  # the job-level calls, to stop between upload and close
    info = client.create_job("upsert", external_id_field=EXTERNAL_ID)
    client.upload_job_data(info["id"], f"{EXTERNAL_ID},Stage__c\nb-1,New\n")
    assert client.abort_job(info["id"], False)["state"] == "Aborted"
    unprocessed = _rows(job.get_unprocessed_records(info["id"]))
    assert unprocessed == [{EXTERNAL_ID: "b-1", "Stage__c": "New"}]
    assert sf.query(f"SELECT COUNT() FROM {REFERRAL}")["totalSize"] == 0


def test_jobs_for_unknown_objects_or_fields_are_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as unknown_object:
        sf.bulk2.Nope__c.upsert(records=[{"Id": "x"}], external_id_field="Id", wait=0)
    assert unknown_object.value.content[0]["errorCode"] == "INVALIDJOB"
    provision_referral(sf)
    with pytest.raises(SalesforceMalformedRequest) as not_external:
        getattr(sf.bulk2, REFERRAL).upsert(
            records=[{"Stage__c": "New"}], external_id_field="Stage__c", wait=0
        )
    assert "not an External ID" in not_external.value.content[0]["message"]
