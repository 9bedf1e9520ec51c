"""The webhook endpoints under hostile and broken input: never a 500, never an unsigned event.

Hypothesis throws arbitrary bytes, arbitrary JSON and mutated requests at every endpoint,
correctly signed (so the parsers are reached) and forged (so the signature checks are).
Every answer must be a deliberate one (2xx, 400, 401, 403, 413), and the inbox may only
grow on a 2xx to a request signed with the right secret (or, for Outbound Messages, which
Salesforce does not sign, from an allowed organisation).
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from connector.inbox.schema import webhook_inbox
from connector.store import Store
from tests.webhooks.conftest import (
    ORG_ID,
    PUBLIC_BASE,
    T0,
    hubspot_event,
    hubspot_headers,
    refnet_headers,
)
from tests.webhooks.test_salesforce_endpoints import OUTBOUND_MESSAGE

HUBSPOT_URL = f"{PUBLIC_BASE}/hubspot/events"
DELIBERATE = {200, 202, 400, 401, 403, 413}
fuzz = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner),
    max_leaves=20,
)
# A HubSpot event with any of its keys replaced by arbitrary JSON.
mutated_hubspot_events = st.builds(
    lambda base, changes: {**base, **changes},
    st.just(hubspot_event(1, "deal.propertyChange", 42, property_name="dealstage")),
    st.dictionaries(
        st.sampled_from(
            ["eventId", "subscriptionType", "objectId", "occurredAt", "propertyValue", "portalId"]
        ),
        json_values,
    ),
)


def stored(store: Store) -> int:
    with store.reading() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(webhook_inbox)).scalar())


def post_signed_hubspot(client: FlaskClient, body: bytes, **headers: str) -> Any:
    signed = hubspot_headers(body, url=HUBSPOT_URL, at=T0)
    return client.post("/hubspot/events", data=body, headers={**signed, **headers})


def post_signed_callout(client: FlaskClient, body: bytes) -> Any:
    return client.post("/salesforce/events", data=body, headers=refnet_headers(body, at=T0))


@fuzz
@given(body=st.binary(max_size=2000))
def test_signed_arbitrary_bytes_are_answered_deliberately(
    client: FlaskClient, store: Store, body: bytes
) -> None:
    for response in (post_signed_hubspot(client, body), post_signed_callout(client, body)):
        assert response.status_code in DELIBERATE
        if response.status_code >= 400:
            assert response.is_json and response.json["error"]


@fuzz
@given(document=json_values)
def test_signed_arbitrary_json_is_answered_deliberately(
    client: FlaskClient, store: Store, document: Any
) -> None:
    body = json.dumps(document).encode()
    for response in (post_signed_hubspot(client, body), post_signed_callout(client, body)):
        assert response.status_code in DELIBERATE


@fuzz
@given(events=st.lists(mutated_hubspot_events, min_size=1, max_size=5))
def test_signed_hubspot_events_with_wrong_field_types_store_only_on_success(
    client: FlaskClient, store: Store, events: list[dict[str, Any]]
) -> None:
    before = stored(store)
    response = post_signed_hubspot(client, json.dumps(events).encode())
    # 403: every event names a portal off the allow-list (a mutated portalId).
    assert response.status_code in {200, 400, 403}
    if response.status_code in {400, 403}:
        assert stored(store) == before


# What can arrive in an HTTP header value: latin-1 without control characters.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
)


@fuzz
@given(
    signature=st.one_of(
        header_text,
        st.binary(min_size=32, max_size=32).map(lambda b: base64.b64encode(b).decode()),
    ),
    timestamp=st.one_of(header_text, st.integers().map(str)),
)
def test_forged_hubspot_signatures_are_refused_and_store_nothing(
    client: FlaskClient, store: Store, signature: str, timestamp: str
) -> None:
    body = json.dumps([hubspot_event(7, "deal.creation", 42)]).encode()
    headers = {
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    response = client.post("/hubspot/events", data=body, headers=headers)
    assert response.status_code == 401
    assert stored(store) == 0


@fuzz
@given(flip=st.integers(min_value=0), bit=st.integers(0, 7))
def test_a_body_changed_after_signing_is_refused(
    client: FlaskClient, store: Store, flip: int, bit: int
) -> None:
    body = json.dumps([hubspot_event(8, "deal.creation", 42)]).encode()
    for path, headers in (
        ("/hubspot/events", hubspot_headers(body, url=HUBSPOT_URL, at=T0)),
        ("/salesforce/events", refnet_headers(body, at=T0)),
    ):
        tampered = bytearray(body)
        tampered[flip % len(body)] ^= 1 << bit
        response = client.post(path, data=bytes(tampered), headers=headers)
        assert response.status_code == 401
    assert stored(store) == 0


def test_signatures_with_the_wrong_secret_or_out_of_window_store_nothing(
    client: FlaskClient, store: Store
) -> None:
    body = json.dumps([hubspot_event(9, "deal.creation", 42)]).encode()
    attempts = [
        hubspot_headers(body, url=HUBSPOT_URL, at=T0, secret="not-the-secret"),
        hubspot_headers(body, url=HUBSPOT_URL, at=T0 - timedelta(minutes=6)),
        hubspot_headers(body, url=HUBSPOT_URL, at=T0 + timedelta(minutes=6)),
        hubspot_headers(body, url=f"{PUBLIC_BASE}/other/path", at=T0),
    ]
    for headers in attempts:
        assert client.post("/hubspot/events", data=body, headers=headers).status_code == 401
    for headers in (
        refnet_headers(body, at=T0, secret="not-the-secret"),
        refnet_headers(body, at=T0 - timedelta(minutes=6)),
        refnet_headers(body, at=T0 + timedelta(minutes=6)),
    ):
        assert client.post("/salesforce/events", data=body, headers=headers).status_code == 401
    assert stored(store) == 0


def test_a_replayed_request_stores_its_events_once_and_not_after_the_window(
    client: FlaskClient, store: Store, clock: Any
) -> None:
    body = json.dumps([hubspot_event(10, "deal.creation", 42)]).encode()
    headers = hubspot_headers(body, url=HUBSPOT_URL, at=T0)
    first = client.post("/hubspot/events", data=body, headers=headers)
    again = client.post("/hubspot/events", data=body, headers=headers)
    assert (first.status_code, first.json) == (200, {"accepted": 1, "duplicates": 0})
    assert (again.status_code, again.json) == (200, {"accepted": 0, "duplicates": 1})
    clock.advance(minutes=6)
    assert client.post("/hubspot/events", data=body, headers=headers).status_code == 401
    assert stored(store) == 1


XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
 <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
  <OrganizationId>&xxe;</OrganizationId></notifications></soapenv:Body></soapenv:Envelope>"""
XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"/>"""
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    + b"&a;" * 10
    + b"</soapenv:Envelope>"
)
HOSTILE_XML = {
    "external entity": XXE_FILE,
    "parameter entity": XXE_PARAMETER,
    "quadratic blowup": QUADRATIC_BLOWUP,
    "utf-16 declared, utf-8 sent": OUTBOUND_MESSAGE.replace(b"UTF-8", b"UTF-16", 1),
    # Found by fuzzing: an unknown codec (LookupError) and one expat refuses (ValueError)
    # were both a 500.
    "unknown encoding": OUTBOUND_MESSAGE.replace(b"UTF-8", b"ATF-8", 1),
    "encoding expat cannot use": OUTBOUND_MESSAGE.replace(b"UTF-8", b"UTF-7", 1),
    "latin-1 bytes in utf-8": OUTBOUND_MESSAGE.replace(b"Weber", b"W\xe9ber"),
    "truncated": OUTBOUND_MESSAGE[: len(OUTBOUND_MESSAGE) // 2],
    "not xml": b"\x00\xff\xfe garbage",
    "empty": b"",
    "deep nesting": b"<a>" * 50_000 + b"</a>" * 50_000,
}


def test_hostile_outbound_messages_are_refused_without_storing(
    client: FlaskClient, store: Store
) -> None:
    for name, body in HOSTILE_XML.items():
        response = client.post(
            "/salesforce/outbound", data=body, headers={"Content-Type": "text/xml"}
        )
        assert response.status_code in {400, 413}, name
    assert stored(store) == 0


@fuzz
@given(cut=st.integers(min_value=0), junk=st.binary(max_size=40))
def test_corrupted_outbound_messages_never_answer_500(
    client: FlaskClient, store: Store, cut: int, junk: bytes
) -> None:
    at = cut % len(OUTBOUND_MESSAGE)
    body = OUTBOUND_MESSAGE[:at] + junk + OUTBOUND_MESSAGE[at + len(junk) :]
    response = client.post("/salesforce/outbound", data=body, headers={"Content-Type": "text/xml"})
    assert response.status_code in DELIBERATE


def test_an_outbound_message_from_another_organisation_stores_nothing(
    client: FlaskClient, store: Store
) -> None:
    foreign = OUTBOUND_MESSAGE.replace(ORG_ID.encode(), b"00Dyy0000009zZZEAA")
    response = client.post(
        "/salesforce/outbound", data=foreign, headers={"Content-Type": "text/xml"}
    )
    assert response.status_code == 403
    assert stored(store) == 0


def test_huge_bodies_are_refused_before_they_are_read(client: FlaskClient, store: Store) -> None:
    huge = b"[" + b'{"eventId": 1},' * 200_000 + b"{}]"  # ~3 MB, over the 1 MiB default
    for path in ("/hubspot/events", "/salesforce/events", "/salesforce/outbound"):
        response = client.post(path, data=huge, headers={"Content-Type": "application/json"})
        assert response.status_code == 413, path
    # A lying Content-Length cannot sneak a big body past the limit either.
    response = client.post(
        "/hubspot/events",
        data=huge,
        headers={"Content-Type": "application/json", "Content-Length": "10"},
    )
    assert response.status_code in {400, 401, 413}
    assert stored(store) == 0


def test_deep_nesting_and_nul_characters_are_malformed_not_server_errors(
    client: FlaskClient, store: Store
) -> None:
    nul_type = json.dumps([hubspot_event(11, "deal.x\x00y", 42)]).encode()
    nul_value = json.dumps(
        [
            hubspot_event(
                12, "deal.propertyChange", 42, property_name="dealstage", property_value="a\x00"
            )
        ]
    ).encode()
    nul_callout = json.dumps({"organizationId": ORG_ID, "events": [{"id": "a\x00"}]}).encode()
    deep = b"[" * 100_000 + b"]" * 100_000
    for body in (nul_type, nul_value, deep):
        # PostgreSQL cannot store U+0000: accepting it would mean a 503 and redelivery forever.
        response = post_signed_hubspot(client, body)
        assert (response.status_code, response.json["error"]) == (400, "malformed")
    for body in (nul_callout, deep):
        response = post_signed_callout(client, body)
        assert (response.status_code, response.json["error"]) == (400, "malformed")
    assert stored(store) == 0


def test_out_of_range_numbers_are_malformed_not_server_errors(
    client: FlaskClient, store: Store
) -> None:
    # Found by probing past the fuzzing: an objectId of 81 digits broke the neutral event's
    # id length, an occurredAt past year 9999 the datetime conversion; both were a 500.
    for field, value in (
        ("objectId", 10**80),
        ("portalId", 2**64),
        ("eventId", 2**63),
        ("occurredAt", 10**15),
    ):
        event = {**hubspot_event(13, "deal.creation", 42), field: value}
        response = post_signed_hubspot(client, json.dumps([event]).encode())
        assert (response.status_code, response.json["error"]) == (400, "malformed"), field
    assert stored(store) == 0
