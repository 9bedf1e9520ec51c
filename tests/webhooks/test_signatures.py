"""The signature checks as pure functions: known answers, windows, every parse failure."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from connector.errors import SignatureError
from webhooks.signatures import (
    hubspot_v1_signature,
    hubspot_v2_signature,
    hubspot_v3_signature,
    refnet_signature_header,
    verify_hubspot,
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


# --- HubSpot v1 / v2 and the version dispatch ---------------------------------------------
# Known answers from HubSpot's documentation ("v1 request validation", "v2 request
# validation") and from hubspot-api-client's tests/spec/utils/test_signature.py.
DOC_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
DOC_V1_BODY = (
    b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
    b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)
DOC_V1_SIGNATURE = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
SDK_BODY = b"{'example_field':'example_value'}"
SDK_URL = "https://www.example.com/webhook_uri"
SDK_V1 = "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"
SDK_V2 = "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"
SDK_V2_GET = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
SDK_V3 = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="
SDK_V3_TS = "1693657560000"


def _legacy(signature: str, version: str) -> dict[str, str]:
    return {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": version}


def test_hubspot_v1_known_answers_from_the_docs_and_the_sdk() -> None:
    assert hubspot_v1_signature(DOC_SECRET, body=DOC_V1_BODY) == DOC_V1_SIGNATURE
    assert hubspot_v1_signature(DOC_SECRET, body=SDK_BODY) == SDK_V1
    version = verify_hubspot(
        DOC_V1_BODY, _legacy(DOC_V1_SIGNATURE, "v1"), secret=DOC_SECRET, url=SDK_URL, now=HS_NOW
    )
    assert version == "v1"


def test_hubspot_v2_known_answers_post_and_get() -> None:
    post = hubspot_v2_signature(DOC_SECRET, method="POST", url=SDK_URL, body=SDK_BODY)
    get = hubspot_v2_signature(DOC_SECRET, method="GET", url=SDK_URL, body=b"")
    assert (post, get) == (SDK_V2, SDK_V2_GET)
    headers = _legacy(SDK_V2.upper(), "V2")  # hex and version compared case-insensitively
    assert (
        verify_hubspot(
            SDK_BODY,
            headers,
            secret=DOC_SECRET,
            url=SDK_URL,
            now=HS_NOW,
            accepted=("v3", "v2", "v1"),
        )
        == "v2"
    )


def test_hubspot_v3_known_answer_of_the_sdk_goes_through_the_dispatch() -> None:
    signed_at = datetime.fromtimestamp(int(SDK_V3_TS) / 1000, tz=UTC)
    headers = {"X-HubSpot-Signature-v3": SDK_V3, "X-HubSpot-Request-Timestamp": SDK_V3_TS}
    assert verify_hubspot(SDK_BODY, headers, secret=DOC_SECRET, url=SDK_URL, now=signed_at) == "v3"


def test_hubspot_v2_is_refused_unless_accepted() -> None:
    with pytest.raises(SignatureError, match="v2 signatures are not accepted"):
        verify_hubspot(SDK_BODY, _legacy(SDK_V2, "v2"), secret=DOC_SECRET, url=SDK_URL, now=HS_NOW)


def test_hubspot_a_bad_v3_cannot_fall_back_to_a_good_v1() -> None:
    headers = {
        **_legacy(SDK_V1, "v1"),
        "X-HubSpot-Signature-v3": "bm90LWEtc2lnbmF0dXJl",
        "X-HubSpot-Request-Timestamp": HS_TS,
    }
    with pytest.raises(SignatureError, match="v3 signature does not match"):
        verify_hubspot(SDK_BODY, headers, secret=DOC_SECRET, url=SDK_URL, now=HS_NOW)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing X-HubSpot-Signature-v3"),
        (_legacy(SDK_V1, ""), "must be v1 or v2"),
        (_legacy(SDK_V1, "v4"), "must be v1 or v2"),
        (_legacy("zz" * 32, "v1"), "v1 signature does not match"),
        (_legacy(SDK_V1[:-1], "v1"), "v1 signature does not match"),
    ],
)
def test_hubspot_legacy_malformed_headers_are_signature_errors(
    headers: dict[str, str], message: str
) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_hubspot(SDK_BODY, headers, secret=DOC_SECRET, url=SDK_URL, now=HS_NOW)


def test_hubspot_v1_with_a_tampered_body_or_another_secret_fails() -> None:
    with pytest.raises(SignatureError):
        verify_hubspot(
            SDK_BODY + b" ", _legacy(SDK_V1, "v1"), secret=DOC_SECRET, url=SDK_URL, now=HS_NOW
        )
    with pytest.raises(SignatureError):
        verify_hubspot(SDK_BODY, _legacy(SDK_V1, "v1"), secret="other", url=SDK_URL, now=HS_NOW)
