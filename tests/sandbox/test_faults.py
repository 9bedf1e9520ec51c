"""Injected faults as the real clients see them: rate limits, refusals, 5xx, expiry, rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import urllib3
from hubspot import HubSpot
from hubspot.crm.objects import (
    ApiException,
    BatchInputSimplePublicObjectBatchInputUpsert,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputUpsert,
)
from hubspot.crm.objects.exceptions import ServiceException, UnauthorizedException
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from adapters.sandbox import HubSpotRateLimit, Sandbox, SandboxConfig, run_sandbox
from tests.sandbox.helpers import EXTERNAL_ID, collections_upsert, provision_referral, referral
from tests.waiting import wait_until


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def limited(tmp_path: Path, fake_time: FakeTime) -> Iterator[Sandbox]:
    """A sandbox with HubSpot limits of 3 requests per 10 s and 5 per day."""
    config = SandboxConfig(
        hubspot_rate_limit=HubSpotRateLimit(per_interval=3, interval_ms=10_000, daily=5),
        now=fake_time,
    )
    with run_sandbox(tmp_path / "limited", config) as running:
        yield running


def _search(hs: HubSpot) -> tuple[object, int, dict[str, str]]:
    result: tuple[object, int, dict[str, str]] = hs.crm.objects.search_api.do_search_with_http_info(
        "contacts", public_object_search_request=PublicObjectSearchRequest(limit=1)
    )
    return result


def test_hubspot_ten_secondly_limit_then_daily_limit(limited: Sandbox, fake_time: FakeTime) -> None:
    hs = HubSpot(access_token=limited.hubspot_token, host=limited.hubspot_url)
    remaining = []
    for _ in range(3):
        _, status, headers = _search(hs)
        assert status == 200
        remaining.append(headers["X-HubSpot-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    assert headers["X-HubSpot-RateLimit-Max"] == "3"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == "2"
    with pytest.raises(ApiException) as rolling:
        _search(hs)
    assert rolling.value.status == 429
    body = json.loads(rolling.value.body)
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert body["status"] == "error" and body["correlationId"]
    assert rolling.value.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    fake_time.now += 10.5  # the window rolls on
    for _ in range(2):
        assert _search(hs)[1] == 200
    fake_time.now += 10.5
    with pytest.raises(ApiException) as daily:
        _search(hs)
    assert daily.value.status == 429
    assert json.loads(daily.value.body)["policyName"] == "DAILY"
    assert daily.value.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


def test_scripted_hubspot_rate_limit_and_server_errors(sandbox: Sandbox, hs: HubSpot) -> None:
    sandbox.faults.rate_limit_next("hubspot.search", policy="DAILY")
    sandbox.faults.fail_next("hubspot.search", times=1, status=503, retry_after=2)
    with pytest.raises(ApiException) as limited:
        _search(hs)
    assert json.loads(limited.value.body)["policyName"] == "DAILY"
    assert limited.value.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    with pytest.raises(ServiceException) as unavailable:
        _search(hs)
    assert unavailable.value.status == 503 and unavailable.value.headers["Retry-After"] == "2"
    assert _search(hs)[1] == 200
    assert [r.status for r in sandbox.faults.requests("hubspot.search")] == [429, 503, 200]
    # No limits configured: ordinary answers carry no rate-limit headers.
    assert "X-HubSpot-RateLimit-Max" not in _search(hs)[2]


def test_salesforce_request_limit_is_a_refused_request(sandbox: Sandbox, sf: Salesforce) -> None:
    sandbox.faults.request_limit_next("salesforce.describe")
    with pytest.raises(SalesforceRefusedRequest) as scripted:
        sf.Contact.describe()
    assert scripted.value.status == 403
    assert scripted.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    sandbox.faults.set_salesforce_usage(used=14_999, total=15_000)
    sf.describe()  # the last call of the day
    with pytest.raises(SalesforceRefusedRequest) as exhausted:
        sf.describe()
    assert exhausted.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_salesforce_scripted_503_then_success(sandbox: Sandbox, sf: Salesforce) -> None:
    sandbox.faults.fail_next("salesforce.sobjects", times=2, status=503)
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as error:
            sf.describe()
        assert error.value.status == 503
    assert sf.describe() is not None
    assert sandbox.request_count("salesforce.sobjects") == 3


def test_expired_sessions(sandbox: Sandbox, sf: Salesforce, hs: HubSpot) -> None:
    login = sandbox.salesforce_login
    oauth = Salesforce(
        consumer_key=login.client_id,
        consumer_secret=login.client_secret,
        domain=sandbox.salesforce_login_domain,
        session=sandbox.salesforce_session(),
        version="62.0",
    )
    sandbox.faults.expire_sessions()
    with pytest.raises(SalesforceExpiredSession):
        sf.describe()  # a bare session id cannot be refreshed
    with pytest.raises(UnauthorizedException) as hubspot_error:
        _search(hs)
    assert json.loads(hubspot_error.value.body)["category"] == "EXPIRED_AUTHENTICATION"
    # simple-salesforce logs in again on INVALID_SESSION_ID when it has credentials.
    assert oauth.describe() is not None
    assert sandbox.request_count("salesforce.oauth_token") == 2
    sandbox.faults.restore_sessions()
    assert sf.describe() is not None


def test_record_rules_reject_single_records(
    sandbox: Sandbox, sf: Salesforce, hs: HubSpot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.combined_ca_bundle)
    provision_referral(sf)
    sandbox.faults.reject_records("salesforce", "Referral__c", "Stage__c", "Won", message="No wins")
    results = collections_upsert(sf, [referral("a", Stage__c="New"), referral("b", Stage__c="Won")])
    assert results[0]["success"] is True
    assert results[1]["errors"] == [
        {
            "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "message": "No wins",
            "fields": ["Stage__c"],
        }
    ]
    sandbox.faults.reject_records("hubspot", "contacts", "firstname", None, code="BLOCKED")
    answer, status, _ = hs.crm.objects.batch_api.upsert_with_http_info(
        "contacts",
        batch_input_simple_public_object_batch_input_upsert=BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(
                    id="a@x.com", id_property="email", properties={}
                ),
                SimplePublicObjectBatchInputUpsert(
                    id="b@x.com", id_property="email", properties={"firstname": "B"}
                ),
            ]
        ),
    )
    assert status == 207 and answer.errors[0].errors[0].code == "BLOCKED"
    assert answer.errors[0].context["ids"] == ["b@x.com"]
    sandbox.faults.clear()
    assert collections_upsert(sf, [referral("b", Stage__c="Won")])[0]["success"] is True
    assert sf.query(f"SELECT COUNT() FROM Referral__c WHERE {EXTERNAL_ID} = 'b'")["totalSize"] == 1


def test_requests_are_counted_per_endpoint(sandbox: Sandbox, sf: Salesforce, hs: HubSpot) -> None:
    sf.describe()
    sf.query("SELECT Id FROM Contact")
    _search(hs)
    _search(hs)
    assert sandbox.request_count("salesforce.sobjects") == 1
    assert sandbox.request_count("salesforce.query") == 1
    assert sandbox.request_count("hubspot.search") == 2
    assert sandbox.request_count("hubspot.*") == 2
    assert sandbox.request_count() == 4
    sandbox.faults.reset_counts()
    assert sandbox.request_count() == 0


def test_a_reset_connection_gets_no_answer_and_the_next_call_works(
    sandbox: Sandbox, sf: Salesforce, hs: HubSpot
) -> None:
    sandbox.faults.reset_next("salesforce.sobjects")
    with pytest.raises(requests.ConnectionError):
        sf.describe()
    assert sf.describe() is not None
    sandbox.faults.reset_next("hubspot.*")
    with pytest.raises(urllib3.exceptions.HTTPError):
        _search(hs)
    assert _search(hs)[1] == 200


def test_a_late_answer_times_the_client_out_but_the_write_still_happens(
    sandbox: Sandbox, sf: Salesforce, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.combined_ca_bundle)
    provision_referral(sf)
    sandbox.faults.slow_next("salesforce.collections_upsert", seconds=0.6)
    url = f"{sandbox.salesforce_url}/services/data/v{sandbox.api_version}/composite/sobjects"
    record = {"attributes": {"type": "Referral__c"}, EXTERNAL_ID: "late-1", "Stage__c": "New"}
    body = {"allOrNone": False, "records": [record]}
    with pytest.raises(requests.ReadTimeout):
        sf.session.patch(
            f"{url}/Referral__c/{EXTERNAL_ID}", json=body, headers=sf.headers, timeout=0.2
        )
    written: list[str] = []

    def landed() -> bool:  # the server is still waiting out its 0.6 s, then writes
        written[:] = [
            r[EXTERNAL_ID] for r in sf.query(f"SELECT {EXTERNAL_ID} FROM Referral__c")["records"]
        ]
        return bool(written)

    # No progress to watch inside the server's sleep: a generous bound that only a server
    # that never writes would reach.
    wait_until(landed, progress=lambda: None, what="the late write", stalled_after=120)
    assert written == ["late-1"]
