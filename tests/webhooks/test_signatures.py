"""The signature checks as pure functions: known answers, windows, every parse failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from connector.errors import SignatureError
from webhooks.signatures import (
    hubspot_v3_signature,
    refnet_signature_header,
    verify_hubspot_v3,
    verify_refnet_signature,
)

# HubSpot v3 known answer (also in shared/reference/crm-apis.md, checked against the SDK).
HS_SECRET = "test-secret"
HS_URL = "https://example.com/hooks/hubspot?x=1"
HS_BODY = b'[{"eventId":1,"subscriptionType":"contact.creation","objectId":101}]'
HS_TS = "1700000000000"
HS_SIGNATURE = "QZS/6egiUqBrow2qR2FhTgeX9VUNV4Sz+oyG5OCUUtc="
HS_NOW = datetime.fromtimestamp(1_700_000_000, tz=UTC)


def _hs_headers(signature: str = HS_SIGNATURE, timestamp: str = HS_TS) -> dict[str, str]:
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": timestamp}


def test_hubspot_fixed_vector_verifies() -> None:
    assert (
        hubspot_v3_signature(HS_SECRET, method="POST", url=HS_URL, body=HS_BODY, timestamp=HS_TS)
        == HS_SIGNATURE
    )
    verify_hubspot_v3(HS_BODY, _hs_headers(), secret=HS_SECRET, url=HS_URL, now=HS_NOW)


def test_hubspot_header_names_are_case_insensitive() -> None:
    headers = {"x-hubspot-signature-v3": HS_SIGNATURE, "x-hubspot-request-timestamp": HS_TS}
    verify_hubspot_v3(HS_BODY, headers, secret=HS_SECRET, url=HS_URL, now=HS_NOW)


def test_hubspot_uri_escapes_from_the_docs_are_decoded_before_signing() -> None:
    # Written out by hand: HubSpot signs the URI with %3A etc. decoded, %20 left alone.
    url_as_called = "https://hooks.example.com/hubspot/events?portal=62515&label=a%3Ab"
    expected = "fRSEF4ZGBokppwe7BHg44n6u4JA0jkhkSU3gkdWwmc4="  # over "...label=a:b"
    decoded_by_hand = url_as_called.replace("%3A", ":")
    source = b"POST" + decoded_by_hand.encode() + b"[]" + HS_TS.encode()
    independent = base64.b64encode(
        hmac.new(HS_SECRET.encode(), source, hashlib.sha256).digest()
    ).decode()
    assert independent == expected
    verify_hubspot_v3(b"[]", _hs_headers(expected), secret=HS_SECRET, url=url_as_called, now=HS_NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": HS_BODY + b" "}, "does not match"),
        ({"url": "https://example.com/hooks/hubspot"}, "does not match"),
        ({"secret": "other"}, "does not match"),
        ({"method": "PUT"}, "does not match"),
    ],
)
def test_hubspot_any_signed_part_changed_fails(change: dict[str, str], message: str) -> None:
    args: dict[str, object] = {"body": HS_BODY, "secret": HS_SECRET, "url": HS_URL}
    args.update(change)
    body = args.pop("body")
    assert isinstance(body, bytes)
    with pytest.raises(SignatureError, match=message):
        verify_hubspot_v3(body, _hs_headers(), now=HS_NOW, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(minutes=5, seconds=1), "too old"),
        (timedelta(minutes=-5, seconds=-1), "future"),
    ],
)
def test_hubspot_timestamps_outside_five_minutes_fail_both_ways(
    offset: timedelta, message: str
) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_hubspot_v3(HS_BODY, _hs_headers(), secret=HS_SECRET, url=HS_URL, now=HS_NOW + offset)


def test_hubspot_edges_of_the_window_pass() -> None:
    for offset in (timedelta(minutes=5), timedelta(minutes=-5)):
        verify_hubspot_v3(HS_BODY, _hs_headers(), secret=HS_SECRET, url=HS_URL, now=HS_NOW + offset)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-HubSpot-Signature-v3": HS_SIGNATURE},
        {"X-HubSpot-Request-Timestamp": HS_TS},
        # v1/v2 only: refused, v3 is the only accepted version.
        {"X-HubSpot-Signature": "a" * 64, "X-HubSpot-Signature-Version": "v2"},
        _hs_headers(timestamp="17e11"),
        _hs_headers(timestamp="-1700000000000"),
        _hs_headers(timestamp="9" * 16),
        _hs_headers(signature="n\u00e4h"),
    ],
)
def test_hubspot_malformed_or_missing_headers_are_signature_errors(
    headers: dict[str, str],
) -> None:
    with pytest.raises(SignatureError):
        verify_hubspot_v3(HS_BODY, headers, secret=HS_SECRET, url=HS_URL, now=HS_NOW)


# refnet HMAC (Salesforce callouts): fixed vector and an independent computation.
RF_SECRET = "whsec-test"
RF_BODY = b'{"organizationId":"00Dxx0000001gPLEAA","events":[]}'
RF_MAC = "2f179bbba3cde112a86902016e93a2b995beb924e9d552432257f8285cf68f4f"
RF_NOW = datetime.fromtimestamp(1_700_000_000, tz=UTC)


def test_refnet_fixed_vector_and_independent_computation_agree() -> None:
    independent = hmac.new(RF_SECRET.encode(), b"1700000000." + RF_BODY, hashlib.sha256).hexdigest()
    assert independent == RF_MAC
    header = refnet_signature_header(RF_BODY, secret=RF_SECRET, timestamp=1_700_000_000)
    assert header == f"t=1700000000,v1={RF_MAC}"
    verify_refnet_signature(RF_BODY, {"X-Refnet-Signature": header}, secret=RF_SECRET, now=RF_NOW)


def test_refnet_one_matching_candidate_of_several_suffices() -> None:
    header = f"t=1700000000,v1={'0' * 64},v1={RF_MAC.upper()}"
    verify_refnet_signature(RF_BODY, {"x-refnet-signature": header}, secret=RF_SECRET, now=RF_NOW)


@pytest.mark.parametrize(
    ("offset", "message"),
    [(timedelta(seconds=301), "too old"), (timedelta(seconds=-301), "future")],
)
def test_refnet_timestamps_outside_the_window_fail(offset: timedelta, message: str) -> None:
    header = f"t=1700000000,v1={RF_MAC}"
    with pytest.raises(SignatureError, match=message):
        verify_refnet_signature(
            RF_BODY, {"X-Refnet-Signature": header}, secret=RF_SECRET, now=RF_NOW + offset
        )


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"v1={RF_MAC}",
        "t=1700000000",
        f"t=abc,v1={RF_MAC}",
        f"t=1700000000,v1={RF_MAC[:-1]}",
        f"t=1700000000,v1={RF_MAC[:-1]}g",
        f"t=1700000001,v1={RF_MAC}",
        f"t={'9' * 16},v1={RF_MAC}",
    ],
)
def test_refnet_bad_headers_are_signature_errors(header: str) -> None:
    with pytest.raises(SignatureError):
        verify_refnet_signature(
            RF_BODY, {"X-Refnet-Signature": header}, secret=RF_SECRET, now=RF_NOW
        )


def test_refnet_tampered_body_fails() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_refnet_signature(
            RF_BODY + b"\n",
            {"X-Refnet-Signature": f"t=1700000000,v1={RF_MAC}"},
            secret=RF_SECRET,
            now=RF_NOW,
        )
