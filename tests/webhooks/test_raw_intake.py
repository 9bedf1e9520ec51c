"""Intake stores HubSpot events as sent; the worker validates them when it claims them.

Before the 2xx only the signature, the event's identity (dedupe key) and the inbox's
columns are checked; every other field is validated by the worker, which marks an event
that does not validate ``failed`` with an outcome naming the event and the field. Rows
stored before this change (the neutral event as payload) are still applied.
"""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import Text, cast, insert, select
from typer.testing import CliRunner

from connector.cli.app import app as cli
from connector.errors import InputError
from connector.inbox import InboxStore, InboxWorker
from connector.inbox.payloads import (
    HubSpotEvent,
    IncomingEvent,
    decode_payload,
    hubspot_incoming,
    hubspot_to_inbound,
)
from connector.inbox.schema import webhook_inbox
from connector.model import Circle, Member, Referral, ReferralStatus, utcnow
from connector.store import Store
from tests.connector.factories import member, referral
from tests.webhooks.conftest import PORTAL_ID, T0, Clock, hubspot_event, post_hubspot

WON = {"property_name": "dealstage", "property_value": "closedwon"}


@pytest.fixture(autouse=True)
def network(store: Store) -> None:
    """c1 referred p1; the referral is linked to HubSpot deal 9001."""
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                member("p1", circle=Circle.PROSPECT),
                referral("r1", "c1", "p1").model_copy(update={"deal_id": "9001"}),
            ]
        )


def _rows(store: Store) -> list[dict[str, Any]]:
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(
                webhook_inbox.c.event_id,
                webhook_inbox.c.event_type,
                webhook_inbox.c.object_type,
                webhook_inbox.c.object_id,
                webhook_inbox.c.status,
                webhook_inbox.c.outcome,
                webhook_inbox.c.payload,
                webhook_inbox.c.occurred_at,
                webhook_inbox.c.received_at,
                webhook_inbox.c.available_at,
            ).order_by(webhook_inbox.c.id)
        ).all()
    return [dict(row._mapping) for row in rows]


def _referral_status(store: Store) -> ReferralStatus:
    with store.reading() as tx:
        return tx.get(Referral, "r1").status


def test_intake_stores_the_event_as_sent_and_answers_before_validating_the_rest(
    client: FlaskClient, store: Store
) -> None:
    # propertyValue must be a scalar: the full model refuses an object, intake does not look.
    event = hubspot_event(1, "deal.propertyChange", 9001, propertyValue={"nested": 1})
    event["propertyName"] = "dealstage"
    response = post_hubspot(client, [event], at=T0)
    assert (response.status_code, response.get_json()) == (200, {"accepted": 1, "duplicates": 0})
    [row] = _rows(store)
    assert row["status"] == "pending"
    assert (row["event_id"], row["event_type"], row["object_type"], row["object_id"]) == (
        f"{PORTAL_ID}:4711:1:9001",
        "deal.propertyChange",
        "deal",
        "9001",
    )
    assert row["payload"] == {"raw": "hubspot", "event": event}
    # Read back through SQLAlchemy as the aware instants intake stored (clock: T0).
    assert row["occurred_at"] == row["received_at"] == row["available_at"] == T0


def test_intake_stores_the_text_sqlalchemy_stores_for_the_same_row(store: Store) -> None:
    """Intake's INSERT runs on the driver with its own conversions (each distinct instant
    once, the payload by orjson); the columns must read as SQLAlchemy's own INSERT writes
    them, or comparisons such as the claim's ``available_at <= now`` would go wrong."""
    instants = [T0, T0.replace(microsecond=250_000), T0.astimezone(timezone(timedelta(hours=1)))]
    event_as_sent = {"eventId": 1, "text": "Müller & Söhne", "n": 1.5, "ids": [2**64, "\ud800"]}
    payload = {"raw": "hubspot", "event": event_as_sent}
    for number, at in enumerate(instants):
        same = {"event_type": "deal.creation", "object_type": "deal", "object_id": str(number)}
        event = IncomingEvent(
            provider="hubspot",
            event_id=f"intake-{number}",
            occurred_at=at,
            payload=payload,
            account_id=None,
            **same,
        )
        assert InboxStore(store).receive([event], now=at).accepted == 1
        with store.transaction() as tx:
            tx.connection.execute(
                insert(webhook_inbox).values(
                    provider="hubspot",
                    event_id=f"sqlalchemy-{number}",
                    occurred_at=at,
                    received_at=at,
                    available_at=at,
                    payload=payload,
                    status="pending",
                    attempts=0,
                    **same,
                )
            )
    text = webhook_inbox.c
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(
                text.event_id,
                cast(text.occurred_at, Text),
                cast(text.received_at, Text),
                cast(text.available_at, Text),
                text.payload,
            ).order_by(text.id)
        ).all()
    by_source = {row[0]: tuple(row[1:]) for row in rows}
    for number in range(len(instants)):
        assert by_source[f"intake-{number}"] == by_source[f"sqlalchemy-{number}"]
    if store.engine.dialect.name == "sqlite":  # the text SQLAlchemy's SQLite DATETIME writes
        assert [by_source[f"intake-{n}"][0] for n in range(2)] == [
            "2026-03-02 09:00:00.000000",
            "2026-03-02 09:00:00.250000",
        ]
    assert by_source["intake-0"][3] == payload  # the integer beyond 64 bits kept exactly


def test_a_malformed_stored_event_is_failed_by_the_worker_naming_event_and_field(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    broken = hubspot_event(1, "deal.propertyChange", 9002, propertyName="dealstage")
    broken["propertyValue"] = ["closedwon"]
    good = hubspot_event(2, "deal.propertyChange", 9001, **WON)
    assert post_hubspot(client, [broken, good], at=T0).status_code == 200

    result = worker.step()
    # The broken event does not stop the batch: the good one is applied in the same step.
    assert (result.claimed, result.failed, result.done) == (2, 1, 1)
    assert _referral_status(store) is ReferralStatus.WON
    failed, done = _rows(store)
    assert (failed["status"], done["status"]) == ("failed", "done")
    assert failed["outcome"].startswith(f"hubspot event {PORTAL_ID}:4711:1:9002: propertyValue")
    assert worker.step().claimed == 0  # final: not claimed again

    metrics = client.get("/metrics").get_json()
    assert metrics["inbox"]["failed"] == 1


def test_a_failed_event_is_listed_shown_as_stored_and_can_be_retried(
    client: FlaskClient,
    worker: InboxWorker,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    clock: Clock,
) -> None:
    broken = hubspot_event(1, "deal.propertyChange", 9001, propertyName="x" * 300)
    assert post_hubspot(client, [broken], at=T0).status_code == 200
    assert worker.step().failed == 1

    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    runner = CliRunner()
    listed = json.loads(
        runner.invoke(cli, ["inbox", "list", "--status", "failed", "--json"]).output
    )
    assert [entry["event_id"] for entry in listed] == [f"{PORTAL_ID}:4711:1:9001"]
    assert "propertyName" in listed[0]["outcome"]
    shown = json.loads(runner.invoke(cli, ["inbox", "show", str(listed[0]["id"]), "--json"]).output)
    assert shown["payload"] == {"raw": "hubspot", "event": broken}  # what the CRM sent
    retried = runner.invoke(cli, ["inbox", "retry", str(listed[0]["id"]), "--reason", "test"])
    assert retried.exit_code == 0, retried.output
    clock.now = utcnow()  # the worker on the real clock, like the CLI
    assert worker.step().failed == 1  # the payload has not changed: it fails again, named


def test_a_large_request_counts_each_new_event_once_wherever_its_duplicates_lie(
    client: FlaskClient, store: Store
) -> None:
    """150 events, every seventh stored before and one sent twice: each count and each
    stored row comes from the event itself, not from its position in the request."""
    stored_before = [hubspot_event(n, "deal.creation", 5000 + n) for n in range(0, 150, 7)]
    assert post_hubspot(client, stored_before, at=T0).get_json() == {
        "accepted": len(stored_before),
        "duplicates": 0,
    }
    batch = [hubspot_event(n, "deal.creation", 5000 + n) for n in range(150)]
    batch.append(batch[70])  # once more in the same request
    response = post_hubspot(client, batch, at=T0)
    assert response.get_json() == {
        "accepted": 150 - len(stored_before),
        "duplicates": len(stored_before) + 1,
    }
    rows = _rows(store)
    assert sorted(row["object_id"] for row in rows) == sorted(str(5000 + n) for n in range(150))
    assert all(row["payload"]["event"]["objectId"] == int(row["object_id"]) for row in rows)


def test_duplicates_are_counted_whatever_json_type_carries_the_key(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    event = hubspot_event(1, "deal.propertyChange", 9001, **WON)
    # The same event with its ids as strings: pydantic's lax mode made the same key of it
    # before, and intake's key reading must too.
    as_text = {**event, "eventId": "1", "objectId": "9001", "attemptNumber": 1}
    first = post_hubspot(client, [event, event], at=T0)
    again = post_hubspot(client, [as_text], at=T0)
    assert first.get_json() == {"accepted": 1, "duplicates": 1}
    assert again.get_json() == {"accepted": 0, "duplicates": 1}
    assert len(_rows(store)) == 1
    assert worker.step().done == 1
    metrics = client.get("/metrics").get_json()
    assert metrics["events"] == {"received": 3, "accepted": 1, "duplicates": 2}


def test_key_fields_are_still_refused_at_intake_with_position_and_field(
    client: FlaskClient, store: Store
) -> None:
    cases = {
        "eventId": {"eventId": 1.5},
        "portalId": {"portalId": -1},
        "subscriptionType": {"subscriptionType": "x" * 65},
        "objectTypeId": {"subscriptionType": "object.propertyChange", "objectTypeId": ""},
    }
    for field, change in cases.items():
        event = {**hubspot_event(1, "deal.creation", 9), **change}
        response = post_hubspot(client, [hubspot_event(2, "deal.creation", 9), event], at=T0)
        assert response.status_code == 400, field
        assert f"1.{field}" in response.get_json()["reason"], field
    assert _rows(store) == []


def test_an_event_stored_in_the_old_format_is_still_applied(
    worker: InboxWorker, store: Store
) -> None:
    # What intake stored before the raw payloads: the neutral event itself, as JSON.
    old_payload = {
        "provider": "hubspot",
        "event_id": f"{PORTAL_ID}:4711:1:9001",
        "event_type": "deal.propertyChange",
        "object_type": "deal",
        "object_id": "9001",
        "occurred_at": "2026-03-02T09:00:00Z",
        "account_id": str(PORTAL_ID),
        "properties": {"dealstage": "closedwon"},
    }
    with store.transaction() as tx:
        tx.connection.execute(
            insert(webhook_inbox).values(
                provider="hubspot",
                event_id=old_payload["event_id"],
                event_type="deal.propertyChange",
                object_type="deal",
                object_id="9001",
                occurred_at=T0,
                received_at=T0,
                payload=old_payload,
                status="pending",
                attempts=0,
                available_at=T0,
            )
        )
    assert worker.step().done == 1
    assert _referral_status(store) is ReferralStatus.WON
    with store.reading() as tx:
        assert tx.get(Member, "c1").id == "c1"
        refs = {entry.event_ref for entry in tx.audit_trail()}
    assert refs == {f"hubspot:{PORTAL_ID}:4711:1:9001"}


_key_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2**64),
    st.sampled_from([0, 1, 2**63 - 1, 2**63, 253_402_300_799_999, 253_402_300_800_000]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1", " 7", "x", "", "0-3", "2-999", "deal.creation", "object.x", "a" * 65]),
)
_key_events = st.dictionaries(
    st.sampled_from(
        [
            "eventId",
            "subscriptionId",
            "portalId",
            "objectId",
            "fromObjectId",
            "occurredAt",
            "subscriptionType",
            "objectTypeId",
        ]
    ),
    _key_values,
)


@settings(max_examples=300, deadline=None)
@given(changes=_key_events)
def test_intake_reads_the_key_exactly_as_the_full_model_does(changes: dict[str, Any]) -> None:
    item = {**hubspot_event(1, "deal.creation", 9), **changes}
    try:
        model: HubSpotEvent | None = HubSpotEvent.model_validate(item)
    except ValidationError:
        model = None
    try:
        incoming: IncomingEvent | None = hubspot_incoming(0, item)
    except InputError:
        incoming = None
    if model is None or not model.object_type:
        assert incoming is None
        return
    assert incoming is not None
    expected = hubspot_to_inbound(model)
    assert (
        incoming.event_id,
        incoming.event_type,
        incoming.object_type,
        incoming.object_id,
        incoming.occurred_at,
        incoming.account_id,
    ) == (
        expected.event_id,
        expected.event_type,
        expected.object_type,
        expected.object_id,
        expected.occurred_at,
        expected.account_id,
    )
    # And the worker makes the same neutral event of what intake stored.
    assert decode_payload(incoming.payload, provider="hubspot", event_id="x") == expected
