"""The classifier table, one row at a time, and the Retry-After parser."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)
from zeep.exceptions import Fault, TransportError

from adapters.salesforce.budget import parse_retry_after
from adapters.salesforce.errors import (
    RULES,
    ApiLimitReached,
    SessionExpired,
    Verdict,
    classify,
    signal_of,
)
from connector.errors import ConfigError, PermanentError, RecordError, TransientError

URL = "https://acme.my.salesforce.com/services/data/v62.0/sobjects/X/Refnet_Id__c/secret-key"


def _body(code: str, message: str = "m") -> list[dict[str, object]]:
    return [{"errorCode": code, "message": message, "fields": []}]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            SalesforceRefusedRequest(
                URL, 403, "x", _body("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            ),
            ApiLimitReached,
        ),
        (
            SalesforceRefusedRequest(
                URL,
                403,
                "x",
                _body("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
            ),
            TransientError,
        ),
        (SalesforceRefusedRequest(URL, 403, "x", _body("INSUFFICIENT_ACCESS")), PermanentError),
        (SalesforceExpiredSession(URL, 401, "x", _body("INVALID_SESSION_ID")), SessionExpired),
        (SalesforceGeneralError(URL, 503, "x", "<html>down</html>"), TransientError),
        (SalesforceGeneralError(URL, 500, "x", _body("UNKNOWN_EXCEPTION")), TransientError),
        (SalesforceGeneralError(URL, 429, "x", ""), TransientError),
        (SalesforceMalformedRequest(URL, 400, "x", _body("UNABLE_TO_LOCK_ROW")), TransientError),
        (SalesforceMalformedRequest(URL, 400, "x", _body("JSON_PARSER_ERROR")), PermanentError),
        (SalesforceResourceNotFound(URL, 404, "x", _body("NOT_FOUND")), PermanentError),
        (SalesforceMoreThanOneRecord(URL, 300, "x", [{"id": 1}]), PermanentError),
        (
            SalesforceAuthenticationFailed("INVALID_LOGIN", "Invalid username, password"),
            ConfigError,
        ),
        (
            Fault("INVALID_SESSION_ID: Invalid Session ID", code="sf:INVALID_SESSION_ID"),
            SessionExpired,
        ),
        (Fault("REQUEST_LIMIT_EXCEEDED", code="sf:REQUEST_LIMIT_EXCEEDED"), ApiLimitReached),
        (Fault("INVALID_TYPE: bad", code="sf:INVALID_TYPE"), PermanentError),
        (TransportError("Server Error", 502, b"<html/>"), TransientError),
        (requests.ConnectTimeout("timed out"), TransientError),
        (requests.ConnectionError("reset"), TransientError),
    ],
)
def test_each_failure_maps_to_what_the_caller_does_next(
    exc: BaseException, expected: type[Exception]
) -> None:
    error = classify(exc, operation="upsert X")
    assert type(error) is expected
    assert "secret-key" not in str(error)  # never the URL (it may hold a record's key)


def test_a_400_for_a_known_record_is_a_record_error() -> None:
    exc = SalesforceMalformedRequest(URL, 400, "x", _body("STRING_TOO_LONG", "alice@x.y"))
    error = classify(exc, operation="upsert X", record_key="ref-1")
    assert isinstance(error, RecordError)
    assert (error.record_key, error.code) == ("ref-1", "STRING_TOO_LONG")
    assert "alice@x.y" not in str(error)


def test_transient_errors_carry_the_retry_after_they_were_given() -> None:
    error = classify(SalesforceGeneralError(URL, 503, "x", ""), operation="o", retry_after=12)
    assert isinstance(error, TransientError) and error.retry_after == 12


def test_login_failures_name_the_code_never_the_message() -> None:
    exc = SalesforceAuthenticationFailed("INVALID_LOGIN", "user bob@acme / pw hunter2 rejected")
    error = classify(exc, operation="login")
    assert "INVALID_LOGIN" in str(error)
    assert "hunter2" not in str(error)


def test_exceptions_that_are_not_salesforce_failures_are_left_alone() -> None:
    assert classify(KeyError("x"), operation="o") is None
    assert signal_of(ValueError("x")) is None


def test_the_table_ends_with_a_catch_all_and_every_verdict_is_reachable() -> None:
    assert RULES[-1].status is None and RULES[-1].codes is None
    assert {rule.verdict for rule in RULES} == set(Verdict)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("Sun, 01 Dec 2024 10:00:30 GMT", 30.0),
        ("Sun, 01 Dec 2024 09:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
        ("", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(
    header: str | None, seconds: float | None
) -> None:
    now = datetime(2024, 12, 1, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds
