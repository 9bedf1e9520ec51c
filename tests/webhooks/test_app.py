"""The app factory, health, metrics, store outages, the CLI and the write-back protocol."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pydantic import SecretStr
from sqlalchemy import create_engine
from typer.testing import CliRunner

from connector.errors import ConfigError
from connector.model import Referral, ReferralStatus
from connector.rules import RulesConfig
from connector.store import Store
from connector.writeback import RecordKey
from tests.connector.factories import member, referral
from tests.webhooks.conftest import (
    HUBSPOT_SECRET,
    ORG_ID,
    PUBLIC_BASE,
    SALESFORCE_SECRET,
    T0,
    Clock,
    context_of,
    hubspot_event,
    hubspot_headers,
    make_settings,
    post_hubspot,
)
from webhooks import create_app
from webhooks.cli import app as cli_app
from webhooks.settings import load_webhook_settings


def test_start_up_refuses_missing_secrets_naming_them_not_values(store: Store) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(
            make_settings(hubspot_client_secret=None, salesforce_org_ids=[]),
            store=store,
            start_worker=False,
        )
    message = str(caught.value)
    assert "REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET" in message
    assert "REFNET_WEBHOOK_SALESFORCE_ORG_IDS" in message
    assert SALESFORCE_SECRET not in message
    with pytest.raises(ConfigError, match="HUBSPOT_CLIENT_SECRET"):
        create_app(make_settings(hubspot_client_secret=SecretStr("  ")), store=store)


def test_only_enabled_providers_need_secrets_and_get_routes(store: Store, clock: Clock) -> None:
    settings = make_settings(
        providers=["hubspot"], salesforce_hmac_secret=None, salesforce_org_ids=[]
    )
    client = create_app(settings, store=store, clock=clock).test_client()
    assert client.post("/salesforce/outbound", data=b"<x/>").status_code == 404
    assert post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0).status_code == 200


def test_settings_come_from_the_environment_and_bad_ones_name_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET", "from-env")
    monkeypatch.setenv("REFNET_WEBHOOK_SALESFORCE_ORG_IDS", f'["{ORG_ID}"]')
    monkeypatch.setenv("REFNET_WEBHOOK_HOLD_PERIOD", "P1D")
    monkeypatch.setenv("REFNET_WEBHOOK_EVENTS__WON_STAGES", '["closedwon", "signed"]')
    loaded = load_webhook_settings()
    assert loaded.hubspot_client_secret is not None
    assert loaded.hubspot_client_secret.get_secret_value() == "from-env"
    assert "from-env" not in repr(loaded)
    assert loaded.event_rules().hold_period.days == 1
    assert loaded.event_rules().won_stages == ("closedwon", "signed")
    assert loaded.max_body_bytes == 1024 * 1024
    monkeypatch.setenv("REFNET_WEBHOOK_SALESFORCE_ORG_IDS", '["not-an-org-id-secret"]')
    with pytest.raises(ConfigError) as caught:
        load_webhook_settings()
    assert "salesforce_org_ids" in str(caught.value)
    assert "not-an-org-id-secret" not in str(caught.value)


JSON = {"Content-Type": "application/json"}


def test_healthz_and_metrics(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "alive"}
    post_hubspot(client, [hubspot_event(1, "deal.creation", 9)] * 2, at=T0)
    client.post("/hubspot/events", data=b"[]", headers=JSON)
    metrics = client.get("/metrics").get_json()
    assert metrics["events"] == {"received": 2, "accepted": 1, "duplicates": 1}
    assert metrics["rejected_requests"]["signature"] == 1
    assert metrics["inbox"]["pending"] == 1
    assert metrics["inbox"]["lag_seconds"] == 0.0


def test_inbox_lag_is_the_age_of_the_oldest_pending_event(
    client: FlaskClient, clock: Clock
) -> None:
    post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0)
    clock.advance(seconds=90)
    assert client.get("/metrics").get_json()["inbox"]["lag_seconds"] == 90.0


def test_a_store_that_is_down_answers_503_so_the_crm_retries(tmp_path: Path, clock: Clock) -> None:
    dead = Store(create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"))
    client = create_app(make_settings(), store=dead, clock=clock).test_client()
    response = post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    # Alive (a restart would not help), but not ready, and it says why.
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["store"] == "not writable"
    assert client.get("/metrics").get_json()["inbox"] is None
    # Only the store decides 5xx: a bad signature is still 401 while it is down.
    assert client.post("/hubspot/events", data=b"[]", headers=JSON).status_code == 401


def test_a_body_of_exactly_the_limit_is_accepted(store: Store, clock: Clock) -> None:
    client = create_app(make_settings(max_body_bytes=1024), store=store, clock=clock).test_client()
    body = json.dumps([hubspot_event(1, "deal.creation", 9)]).encode()
    body = body[:-1] + b" " * (1024 - len(body)) + b"]"
    assert len(body) == 1024
    headers = hubspot_headers(body, url=f"{PUBLIC_BASE}/hubspot/events", at=T0)
    assert client.post("/hubspot/events", data=body, headers=headers).status_code == 200


class _Recorder:
    """A write-back that is not transactional: called after the change has committed."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[RecordKey], str | None]] = []

    def records_changed(
        self, keys: Sequence[RecordKey], *, reason: str = "", event_ref: str | None = None
    ) -> None:
        self.calls.append((list(keys), event_ref))


def test_a_plain_write_back_is_called_with_every_changed_record(store: Store, clock: Clock) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p1", circle="prospect")])
        tx.put(referral("r1", "c1", "p1").model_copy(update={"deal_id": "9001"}))
    recorder = _Recorder()
    app = create_app(
        make_settings(), store=store, rules=RulesConfig(), clock=clock, writeback=recorder
    )
    event = hubspot_event(
        1, "deal.propertyChange", 9001, property_name="dealstage", property_value="closedwon"
    )
    post_hubspot(app.test_client(), [event], at=T0)
    context_of(app).worker.step()
    assert recorder.calls == [([("referral", "r1"), ("member", "c1")], "hubspot:62515:4711:1:9001")]


def test_refnet_worker_drain_processes_the_inbox(
    store: Store, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p1", circle="prospect")])
        tx.put(referral("r1", "c1", "p1").model_copy(update={"deal_id": "9001"}))
    event = hubspot_event(
        1, "deal.propertyChange", 9001, property_name="dealstage", property_value="closedwon"
    )
    post_hubspot(client, [event], at=T0)
    monkeypatch.setenv("REFNET_DATABASE_URL", store.engine.url.render_as_string(False))
    monkeypatch.setenv("REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET", HUBSPOT_SECRET)
    result = CliRunner().invoke(cli_app, ["worker", "--drain"])
    assert result.exit_code == 0, result.output
    assert "done 1" in result.output
    with store.reading() as tx:
        assert tx.get(Referral, "r1").status is ReferralStatus.WON


def test_refnet_serve_refuses_to_start_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HUBSPOT_CLIENT_SECRET", "SALESFORCE_HMAC_SECRET", "SALESFORCE_ORG_IDS"):
        monkeypatch.delenv(f"REFNET_WEBHOOK_{name}", raising=False)
    result = CliRunner().invoke(cli_app, ["serve"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET" in str(result.exception)
