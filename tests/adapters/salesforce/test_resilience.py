"""Limits, outages and expired sessions, over HTTP with the real client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import responses
from responses.registries import OrderedRegistry

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.errors import ApiBudgetExhausted, ApiLimitReached
from connector.crm import OutboundRecord
from connector.errors import ConfigError, PermanentError, TransientError
from tests.adapters.salesforce.fakes import (
    BASE,
    LOGIN_URL,
    BulkJob,
    Collections,
    Usage,
    add_login,
    error_body,
    password_settings,
    session_settings,
)

OBJ = "Refnet_Referral__c"
URL = Collections().url(OBJ)
LIMIT = error_body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
EXPIRED = error_body("INVALID_SESSION_ID", "Session expired or invalid")


def _records(count: int) -> list[OutboundRecord]:
    return [OutboundRecord(f"ref-{n}", {"Status__c": "open"}) for n in range(count)]


def _ordered() -> responses.RequestsMock:
    return responses.RequestsMock(registry=OrderedRegistry, assert_all_requests_are_fired=True)


def test_the_daily_limit_stops_the_run_with_a_resumable_error_and_no_retry(
    make_adapter: Callable[..., SalesforceAdapter], sleeps: list[float]
) -> None:
    adapter = make_adapter()
    with _ordered() as rsps:
        rsps.add(responses.PATCH, URL, status=403, body=LIMIT)
        with pytest.raises(ApiLimitReached) as caught:
            adapter.upsert_batch(OBJ, _records(3))
        assert len(rsps.calls) == 1

    # The sync engine stops on TransientError and resumes from its checkpoint.
    assert isinstance(caught.value, TransientError)
    assert "REQUEST_LIMIT_EXCEEDED" in str(caught.value)
    assert sleeps == []


def test_the_concurrent_request_limit_is_waited_out_not_a_stop(
    make_adapter: Callable[..., SalesforceAdapter], sleeps: list[float]
) -> None:
    adapter = make_adapter()
    fake = Collections()
    busy = error_body("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
    with _ordered() as rsps:
        rsps.add(responses.PATCH, URL, status=403, body=busy)
        fake.register(rsps, OBJ)
        result = adapter.upsert_batch(OBJ, _records(3))

    assert len(result.succeeded) == 3
    assert len(sleeps) == 1


def test_503_is_retried_after_the_servers_retry_after_then_succeeds(
    make_adapter: Callable[..., SalesforceAdapter], sleeps: list[float]
) -> None:
    adapter = make_adapter()
    fake = Collections()
    unavailable = error_body("SERVER_UNAVAILABLE", "down for maintenance")
    with _ordered() as rsps:
        rsps.add(responses.PATCH, URL, status=503, body=unavailable, headers={"Retry-After": "7"})
        rsps.add(responses.PATCH, URL, status=503, body=unavailable)
        fake.register(rsps, OBJ)
        result = adapter.upsert_batch(OBJ, _records(3))

    assert len(result.succeeded) == 3
    assert result.api_calls == 3  # two refused attempts and the one that worked
    assert sleeps[0] == 7.0  # the server's Retry-After, honoured
    assert len(sleeps) == 2 and 0 <= sleeps[1] <= 60  # then a jittered backoff


def test_an_outage_that_outlasts_the_retries_surfaces_as_transient(
    make_adapter: Callable[..., SalesforceAdapter], sleeps: list[float]
) -> None:
    adapter = make_adapter()
    with _ordered() as rsps:
        for _ in range(5):
            rsps.add(responses.PATCH, URL, status=502, body="<html>bad gateway</html>")
        with pytest.raises(TransientError) as caught:
            adapter.upsert_batch(OBJ, _records(1))

    assert not isinstance(caught.value, ApiLimitReached)
    assert len(sleeps) == 4
    assert "bad gateway" not in str(caught.value)


def test_a_retry_after_longer_than_the_cap_is_not_slept_through(
    make_adapter: Callable[..., SalesforceAdapter], sleeps: list[float]
) -> None:
    adapter = make_adapter()
    with _ordered() as rsps:
        rsps.add(responses.PATCH, URL, status=503, headers={"Retry-After": "3600"})
        with pytest.raises(TransientError) as caught:
            adapter.upsert_batch(OBJ, _records(1))

    assert caught.value.retry_after == 3600.0
    assert sleeps == []


def test_an_expired_session_logs_in_again_exactly_once_then_succeeds(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter(password_settings())
    fake = Collections()
    with _ordered() as rsps:
        add_login(rsps, "SESSION-1")
        rsps.add(responses.PATCH, URL, status=401, body=EXPIRED)
        add_login(rsps, "SESSION-2")
        fake.register(rsps, OBJ)
        result = adapter.upsert_batch(OBJ, _records(2))
        logins = [c for c in rsps.calls if c.request.url == LOGIN_URL]

    assert len(logins) == 2  # the first login and exactly one renewal
    assert fake.tokens == ["Bearer SESSION-2"]
    assert len(result.succeeded) == 2
    assert result.api_calls == 2  # the refused call and the retried one; logins do not count


def test_an_expired_session_in_a_bulk_job_logs_in_again_exactly_once(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    # simple-salesforce renews REST sessions itself but not Bulk 2.0 ones: the retry layer does.
    adapter = make_adapter(password_settings(bulk_threshold=2))
    job = BulkJob(polls_in_progress=0)
    with _ordered() as rsps:
        add_login(rsps, "SESSION-1")
        rsps.add(responses.POST, f"{BASE}jobs/ingest", status=401, body=EXPIRED)
        add_login(rsps, "SESSION-2")
        job.register(rsps)
        result = adapter.upsert_batch(OBJ, _records(2))
        tokens = [c.request.headers.get("Authorization") for c in rsps.calls[3:]]

    assert adapter.logins == 2
    assert adapter.policy.reauthentications == 1
    assert set(tokens) == {"Bearer SESSION-2"}
    assert len(result.succeeded) == 2


def test_a_session_rejected_again_after_renewal_is_permanent(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter(password_settings(bulk_threshold=2))
    with _ordered() as rsps:
        add_login(rsps, "SESSION-1")
        rsps.add(responses.POST, f"{BASE}jobs/ingest", status=401, body=EXPIRED)
        add_login(rsps, "SESSION-2")
        rsps.add(responses.POST, f"{BASE}jobs/ingest", status=401, body=EXPIRED)
        with pytest.raises(PermanentError, match="rejected again"):
            adapter.upsert_batch(OBJ, _records(2))

    assert adapter.logins == 2


def test_a_bare_session_id_that_expired_is_a_config_error(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter(session_settings())
    with _ordered() as rsps:
        rsps.add(responses.PATCH, URL, status=401, body=EXPIRED)
        with pytest.raises(ConfigError, match="session_id") as caught:
            adapter.upsert_batch(OBJ, _records(1))

    assert "SESSION-TOKEN-0" not in str(caught.value)


def test_the_budget_guard_stops_before_the_configured_share_is_used(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    # 80 % of 100 calls is refnet's share; the org has used 76 when the run starts.
    adapter = make_adapter(session_settings(api_budget_share=0.8))
    fake = Collections(usage=Usage(used=76, total=100))
    with _ordered() as rsps:
        fake.register(rsps, OBJ, times=3)  # usage after each: 77, 78, 79
        for _ in range(3):
            adapter.upsert_batch(OBJ, _records(200))
        # the next call would bring usage to 80, the share itself: stop before it
        with pytest.raises(ApiBudgetExhausted) as caught:
            adapter.upsert_batch(OBJ, _records(200))

    assert isinstance(caught.value, ApiLimitReached)
    assert adapter.budget.used == 79 < 0.8 * 100
    assert len(fake.requests) == 3
    assert "79 of 100" in str(caught.value)


def test_malformed_requests_fail_the_call_without_leaking_the_response(
    make_adapter: Callable[..., SalesforceAdapter], sleeps: list[float]
) -> None:
    adapter = make_adapter()
    body = error_body("INVALID_FIELD", "No such column 'Secret__c' value alice@example.com")
    with _ordered() as rsps:
        rsps.add(responses.PATCH, URL, status=400, body=body)
        with pytest.raises(PermanentError) as caught:
            adapter.upsert_batch(OBJ, _records(1))

    text = str(caught.value)
    assert "INVALID_FIELD" in text and "HTTP 400" in text
    assert "alice@example.com" not in text and "SESSION-TOKEN-0" not in text
    assert caught.value.__suppress_context__  # the SDK exception is not chained into tracebacks
    assert sleeps == []
