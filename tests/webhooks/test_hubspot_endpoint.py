"""POST /hubspot/events: verify first, store before the 2xx, refuse bad input precisely."""

from __future__ import annotations

import io
import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connector.inbox.schema import webhook_inbox
from connector.store import Store
from tests.webhooks.conftest import (
    PUBLIC_BASE,
    T0,
    Clock,
    hubspot_event,
    hubspot_headers,
    make_settings,
    post_hubspot,
)
from webhooks import create_app

URL = f"{PUBLIC_BASE}/hubspot/events"


def _stored(store: Store) -> int:
    with store.reading() as tx:
        return int(
            tx.connection.execute(select(func.count()).select_from(webhook_inbox)).scalar_one()
        )


def test_a_signed_batch_is_stored_before_the_answer(client: FlaskClient, store: Store) -> None:
    events = [
        hubspot_event(
            1, "deal.propertyChange", 9001, property_name="dealstage", property_value="closedwon"
        ),
        hubspot_event(2, "contact.creation", 7001, changeFlag="CREATED"),
    ]
    response = post_hubspot(client, events, at=T0)
    assert response.status_code == 200
    assert response.get_json() == {"accepted": 2, "duplicates": 0}
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(
                webhook_inbox.c.event_id, webhook_inbox.c.object_type, webhook_inbox.c.status
            ).order_by(webhook_inbox.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("62515:4711:1:9001", "deal", "pending"),
        ("62515:4711:2:7001", "contact", "pending"),
    ]


def test_a_redelivery_is_acknowledged_but_stored_once(client: FlaskClient, store: Store) -> None:
    event = hubspot_event(5, "deal.creation", 9001)
    assert post_hubspot(client, [event], at=T0).get_json() == {"accepted": 1, "duplicates": 0}
    retry = {**event, "attemptNumber": 1}
    assert post_hubspot(client, [retry, retry], at=T0).get_json() == {
        "accepted": 0,
        "duplicates": 2,
    }
    assert _stored(store) == 1


def test_wrong_or_missing_signature_is_401_and_stores_nothing(
    client: FlaskClient, store: Store
) -> None:
    body = json.dumps([hubspot_event(1, "deal.creation", 9)]).encode()
    forged = hubspot_headers(body, url=URL, at=T0, secret="not-the-secret")
    assert client.post("/hubspot/events", data=body, headers=forged).status_code == 401
    unsigned = client.post("/hubspot/events", data=body, content_type="application/json")
    assert unsigned.status_code == 401
    assert unsigned.get_json()["error"] == "signature"
    assert _stored(store) == 0


def test_the_signature_covers_the_public_url_not_the_internal_one(
    client: FlaskClient, store: Store
) -> None:
    body = json.dumps([hubspot_event(1, "deal.creation", 9)]).encode()
    internal = hubspot_headers(body, url="http://localhost/hubspot/events", at=T0)
    assert client.post("/hubspot/events", data=body, headers=internal).status_code == 401
    with_query = hubspot_headers(body, url=f"{URL}?app=refnet", at=T0)
    ok = client.post("/hubspot/events?app=refnet", data=body, headers=with_query)
    assert ok.status_code == 200


def test_stale_and_future_timestamps_are_401(
    client: FlaskClient, clock: Clock, store: Store
) -> None:
    clock.advance(minutes=6)
    assert post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0).status_code == 401
    clock.advance(minutes=-12)
    assert post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0).status_code == 401
    assert _stored(store) == 0


def test_malformed_bodies_are_400_with_a_reason(client: FlaskClient, store: Store) -> None:
    cases = {
        b"{not json": "not valid JSON",
        b'{"eventId": 1}': "JSON array",
        b"[]": "at least 1",
        b'[{"eventId": "x", "subscriptionType": "deal.creation", "occurredAt": 1}]': "0.eventId",
        b'[{"eventId": 1, "occurredAt": 1}]': "0.subscriptionType",
    }
    for body, reason in cases.items():
        response = client.post(
            "/hubspot/events", data=body, headers=hubspot_headers(body, url=URL, at=T0)
        )
        assert response.status_code == 400, body
        assert reason in response.get_json()["reason"], body
    assert _stored(store) == 0


def test_numbers_json_has_not_are_400_before_anything_is_stored(
    client: FlaskClient, store: Store
) -> None:
    # Python's json module reads NaN, Infinity and 1e400 as floats; they are no JSON numbers
    # (RFC 8259, section 6), and the inbox's JSON writer would store them as null.
    event = b'"subscriptionType": "deal.creation", "occurredAt": 1, "objectId": 9}]'
    for number in (b"NaN", b"Infinity", b"-Infinity", b"1e400"):
        body = b'[{"eventId": 1, "propertyValue": ' + number + b", " + event
        response = client.post(
            "/hubspot/events", data=body, headers=hubspot_headers(body, url=URL, at=T0)
        )
        assert response.status_code == 400, body
        assert "not valid JSON" in response.get_json()["reason"], body
    assert _stored(store) == 0


def test_unknown_event_types_are_stored_then_ignored(
    client: FlaskClient, store: Store, worker
) -> None:  # type: ignore[no-untyped-def]
    events = [
        hubspot_event(1, "ticket.creation", 31),
        hubspot_event(
            2,
            "object.propertyChange",
            32,
            objectTypeId="2-999",
            propertyName="x",
            propertyValue="y",
        ),
        hubspot_event(3, "conversation.newMessage", 33, messageId="m"),
    ]
    assert post_hubspot(client, events, at=T0).status_code == 200
    result = worker.step()
    assert (result.claimed, result.ignored, result.done, result.rejected) == (3, 3, 0, 0)
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(webhook_inbox.c.object_type, webhook_inbox.c.status)
        ).all()
    assert sorted(tuple(r) for r in rows) == [
        ("2-999", "ignored"),
        ("conversation", "ignored"),
        ("ticket", "ignored"),
    ]


def test_bodies_over_the_limit_are_413_by_header_and_by_bytes(store: Store, clock: Clock) -> None:
    app: Flask = create_app(make_settings(max_body_bytes=2048), store=store, clock=clock)
    client = app.test_client()
    big = json.dumps([hubspot_event(i, "deal.creation", i) for i in range(40)]).encode()
    assert len(big) > 2048
    headers = hubspot_headers(big, url=URL, at=T0)
    declared = client.post("/hubspot/events", data=big, headers=headers)
    assert declared.status_code == 413
    # No Content-Length (chunked): the bounded read still refuses it.
    chunked = client.post(
        "/hubspot/events",
        input_stream=io.BytesIO(big),
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert chunked.status_code == 413
    assert _stored(store) == 0
    metrics = client.get("/metrics").get_json()
    assert metrics["rejected_requests"]["too_large"] == 2
