"""HubSpot tenants and proxies: the portal allow-list and the public URL behind proxies."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from connector.cli.app import app as refnet_cli
from connector.errors import ConfigError
from connector.inbox.schema import deal_outcomes, webhook_inbox
from connector.model import Referral, ReferralStatus
from connector.store import Store
from tests.connector.factories import member, referral
from tests.webhooks.conftest import (
    HUBSPOT_SECRET,
    PORTAL_ID,
    PUBLIC_BASE,
    T0,
    Clock,
    context_of,
    hubspot_event,
    hubspot_headers,
    make_settings,
    post_hubspot,
)
from webhooks import create_app

OTHER_PORTAL = 99_999


def _stored(store: Store) -> int:
    with store.reading() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(webhook_inbox)).scalar())


def test_an_event_of_a_portal_off_the_allow_list_is_refused_and_never_stored(
    client: FlaskClient, store: Store
) -> None:
    foreign = hubspot_event(1, "deal.creation", 9, portalId=OTHER_PORTAL)
    response = post_hubspot(client, [foreign], at=T0)
    assert response.status_code == 403
    assert response.json["error"] == "portal"
    assert _stored(store) == 0
    assert client.get("/metrics").get_json()["rejected_requests"]["portal"] == 1


def test_a_mixed_batch_keeps_only_the_allowed_portals_events(
    client: FlaskClient, store: Store
) -> None:
    events = [
        hubspot_event(1, "deal.creation", 9),
        hubspot_event(2, "deal.creation", 9, portalId=OTHER_PORTAL),
        {k: v for k, v in hubspot_event(3, "deal.creation", 9).items() if k != "portalId"},
    ]
    response = post_hubspot(client, events, at=T0)
    assert response.status_code == 200
    assert response.json == {"accepted": 1, "duplicates": 0, "refused": 2}
    with store.reading() as tx:
        payloads = tx.connection.execute(select(webhook_inbox.c.payload)).scalars().all()
    # Stored as HubSpot sent it (validated when a worker claims it).
    assert [payload["event"]["portalId"] for payload in payloads] == [PORTAL_ID]


def test_start_up_needs_the_portal_allow_list(store: Store) -> None:
    with pytest.raises(ConfigError, match="REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS"):
        create_app(make_settings(hubspot_portal_ids=[]), store=store, start_worker=False)


def test_deal_outcomes_are_keyed_by_portal_and_deal(store: Store, clock: Clock) -> None:
    settings = make_settings(hubspot_portal_ids=[PORTAL_ID, OTHER_PORTAL])
    app = create_app(settings, store=store, clock=clock, start_worker=False)
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p1", circle="prospect")])
        tx.put(referral("r1", "c1", "p1").model_copy(update={"deal_id": "9001"}))
    won = hubspot_event(
        1, "deal.propertyChange", 9001, property_name="dealstage", property_value="closedwon"
    )
    # The same deal id in another portal, closed a minute later, is another deal: keyed by
    # deal id alone its loss would have superseded the win and marked the referral lost.
    lost = hubspot_event(
        2,
        "deal.propertyChange",
        9001,
        occurred_at=T0 + timedelta(minutes=1),
        property_name="dealstage",
        property_value="closedlost",
        portalId=OTHER_PORTAL,
    )
    assert post_hubspot(app.test_client(), [won, lost], at=T0).status_code == 200
    context_of(app).worker.drain(max_steps=10)
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(deal_outcomes.c.account_id, deal_outcomes.c.deal_id, deal_outcomes.c.outcome)
        ).all()
        status = tx.get(Referral, "r1").status
    assert sorted(tuple(row) for row in rows) == [
        (str(PORTAL_ID), "9001", "won"),
        (str(OTHER_PORTAL), "9001", "lost"),
    ]
    assert status is ReferralStatus.WON


def test_start_up_refuses_hubspot_without_a_public_url_or_trusted_proxies(store: Store) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(make_settings(hubspot_public_base_url=None), store=store, start_worker=False)
    message = str(caught.value)
    assert "REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL" in message
    assert "REFNET_WEBHOOK_TRUSTED_PROXY_HOPS" in message
    assert "\n" not in message


def test_refnet_serve_exits_6_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("REFNET_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("REFNET_WEBHOOK_PROVIDERS", '["hubspot"]')
    monkeypatch.setenv("REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET", HUBSPOT_SECRET)
    monkeypatch.setenv("REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS", f"[{PORTAL_ID}]")
    monkeypatch.delenv("REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("REFNET_WEBHOOK_TRUSTED_PROXY_HOPS", raising=False)
    result = CliRunner().invoke(refnet_cli, ["serve"])
    assert result.exit_code == 6
    # One sentence (the test terminal wraps it at 80 columns).
    output = " ".join(result.output.split())
    assert output.startswith("error: HubSpot intake needs REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL")
    assert output.count("error:") == 1


def test_trusted_proxy_hops_rebuild_the_signed_url_from_forwarded_headers(
    store: Store, clock: Clock
) -> None:
    settings = make_settings(hubspot_public_base_url=None, trusted_proxy_hops=1)
    client = create_app(settings, store=store, clock=clock).test_client()
    body = json.dumps([hubspot_event(1, "deal.creation", 9)]).encode()
    signed = hubspot_headers(body, url="https://crm-hooks.example.de/refnet/hubspot/events", at=T0)
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "crm-hooks.example.de",
        "X-Forwarded-Prefix": "/refnet",
        "X-Forwarded-For": "203.0.113.7",
    }
    ok = client.post("/hubspot/events", data=body, headers={**signed, **forwarded})
    assert ok.status_code == 200, ok.json
    # Without the proxy's headers the URL differs (http://localhost/...) and the check fails.
    assert client.post("/hubspot/events", data=body, headers=signed).status_code == 401


def test_a_configured_public_url_wins_over_forwarded_headers(client: FlaskClient) -> None:
    body = json.dumps([hubspot_event(1, "deal.creation", 9)]).encode()
    signed = hubspot_headers(body, url=f"{PUBLIC_BASE}/hubspot/events", at=T0)
    spoofed = {**signed, "X-Forwarded-Host": "attacker.example", "X-Forwarded-Proto": "http"}
    assert client.post("/hubspot/events", data=body, headers=spoofed).status_code == 200
