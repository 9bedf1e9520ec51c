"""Secrets never leave the process: not in logs, errors, run records, CLI output or answers.

Every credential refnet handles is set to a recognisable sentinel — the sandbox org is
seeded with them, so the successful runs really use them — and after real runs (a sync
through the CLI that logs in with them, syncs refused for a wrong password, a dead session
and a bad HubSpot token, webhook requests signed and forged with them) every place a
secret could escape to is scanned: captured logs at DEBUG, the CLI's output and exception,
every row of every table of the store, the webhook answers and metrics.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.auth import Credentials
from adapters.sandbox.salesforce_api import login_domain
from adapters.sandbox.store import Store as SandboxStore
from connector.cli.app import app as cli
from connector.inbox import InboxWorker
from connector.rules import RulesConfig
from connector.store import Store
from connector.store.all_tables import metadata
from tests.conftest import SAMPLE_DIR
from tests.webhooks.conftest import (
    PUBLIC_BASE,
    T0,
    Clock,
    hubspot_event,
    hubspot_headers,
    make_settings,
    refnet_headers,
)
from webhooks import create_app
from webhooks.logs import JsonLineFormatter

XML = {"Content-Type": "text/xml"}

SF_PASSWORD = "SENTINEL-sf-password-7d1e"
SF_TOKEN = "SENTINELsftoken4c2a"
SF_SESSION = "00Dxx0000001gPL!SENTINEL-sf-session-93b0"
SF_CLIENT_SECRET = "SENTINEL-sf-client-secret-51aa"
HS_TOKEN = "pat-na1-SENTINEL-hs-token-0f3c"
HS_CLIENT_SECRET = "SENTINEL-hs-client-secret-a8e2"
HMAC_SECRET = "SENTINEL-hmac-secret-66d4"
WRONG_SF_PASSWORD = "SENTINEL-wrong-sf-password-e19f"
DEAD_SF_SESSION = "00Dxx0000001gPL!SENTINEL-dead-session-2b7c"
WRONG_HS_TOKEN = "pat-na1-SENTINEL-wrong-hs-token-c4d1"
OUTBOUND_TOKEN = "SENTINEL-sf-outbound-token-0123456789abcdef"
WRONG_OUTBOUND_TOKEN = "SENTINEL-wrong-outbound-token-fedcba987654"
SENTINELS = [
    SF_PASSWORD,
    SF_TOKEN,
    SF_SESSION,
    SF_CLIENT_SECRET,
    HS_TOKEN,
    HS_CLIENT_SECRET,
    HMAC_SECRET,
    WRONG_SF_PASSWORD,
    DEAD_SF_SESSION,
    WRONG_HS_TOKEN,
    OUTBOUND_TOKEN,
    WRONG_OUTBOUND_TOKEN,
    SF_PASSWORD + SF_TOKEN,  # how the SOAP and OAuth logins send them, joined
]


# Session ids the sandbox hands out at login are secrets too; the fixture records them.
ISSUED: list[str] = []


def leaks(text: str) -> list[str]:
    return [secret for secret in [*SENTINELS, *ISSUED] if secret in text]


def store_text(store: Store) -> str:
    """Every value of every row of every refnet table, as one text to search."""
    parts: list[str] = []
    with store.reading() as tx:
        for table in metadata.sorted_tables:
            for row in tx.connection.execute(select(table)):
                parts.append(json.dumps([str(value) for value in row]))
    return "\n".join(parts)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    state = tmp_path / "sandbox"
    state.mkdir()
    seeded = SandboxStore(state / "sandbox.db")
    for key, value in {
        "sf.password": SF_PASSWORD,
        "sf.security_token": SF_TOKEN,
        "sf.session_id": SF_SESSION,
        "sf.client_secret": SF_CLIENT_SECRET,
        "hs.token": HS_TOKEN,
    }.items():
        assert seeded.meta(key, lambda value=value: value) == value  # type: ignore[misc]
    seeded.close()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    ISSUED.clear()
    issue = Credentials.issue_salesforce_session

    def issue_and_record(self: Credentials) -> str:
        ISSUED.append(issue(self))
        return ISSUED[-1]

    monkeypatch.setattr(Credentials, "issue_salesforce_session", issue_and_record)
    with run_sandbox(state) as running:
        assert running.session_id == SF_SESSION  # the org really uses the sentinels
        yield running


@pytest.fixture
def refnet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, sandbox: Sandbox
) -> Any:
    monkeypatch.chdir(tmp_path)
    for name in list(__import__("os").environ):
        if name.startswith(("REFNET_SALESFORCE", "REFNET_HUBSPOT")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("REFNET_SALESFORCE__VERIFY", sandbox.ca_bundle)
    monkeypatch.setenv("REFNET_SALESFORCE__API_VERSION", sandbox.api_version)
    monkeypatch.setenv("REFNET_SALESFORCE__CONSUMER_SECRET", SF_CLIENT_SECRET)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.combined_ca_bundle)
    runner = CliRunner()

    def invoke(*args: str, **env: str) -> Result:
        return runner.invoke(cli, list(args), env=env)

    return invoke


def cli_text(result: Result) -> str:
    return f"{result.output}\n{result.exception!r}\n{result.exception}"


def test_sync_runs_with_sentinel_credentials_leak_nothing(
    refnet: Any, sandbox: Sandbox, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    imported = refnet("import", str(SAMPLE_DIR / "members.csv"))
    assert imported.exit_code == 0, imported.output
    soap_domain = login_domain(sandbox.salesforce_url, "/services/Soap/u/62.0")
    password_login = {
        "REFNET_SALESFORCE__USERNAME": sandbox.salesforce_login.username,
        "REFNET_SALESFORCE__SECURITY_TOKEN": SF_TOKEN,
        "REFNET_SALESFORCE__DOMAIN": soap_domain,
    }
    provisioned = refnet(
        "salesforce", "provision", **password_login, REFNET_SALESFORCE__PASSWORD=SF_PASSWORD
    )
    assert provisioned.exit_code == 0, cli_text(provisioned)
    synced = refnet(
        "sync",
        "--target",
        "salesforce",
        "--object",
        "member",
        **password_login,
        REFNET_SALESFORCE__PASSWORD=SF_PASSWORD,
    )
    assert synced.exit_code == 0, cli_text(synced)
    assert sandbox.request_count("salesforce.soap_login") == 2  # logged in with the sentinels
    assert len(ISSUED) == 2

    refused_login = refnet(
        "sync", "--target", "salesforce", **password_login,
        REFNET_SALESFORCE__PASSWORD=WRONG_SF_PASSWORD,
    )  # fmt: skip
    dead_session = refnet(
        "sync",
        "--target",
        "salesforce",
        REFNET_SALESFORCE__SESSION_ID=DEAD_SF_SESSION,
        REFNET_SALESFORCE__INSTANCE_URL=sandbox.salesforce_url,
    )
    hubspot_provisioned = refnet(
        "hubspot",
        "provision",
        REFNET_HUBSPOT__ACCESS_TOKEN=HS_TOKEN,
        REFNET_HUBSPOT__HOST=sandbox.hubspot_url,
    )
    assert hubspot_provisioned.exit_code == 0, cli_text(hubspot_provisioned)
    bad_hubspot_token = refnet(
        "hubspot",
        "provision",
        REFNET_HUBSPOT__ACCESS_TOKEN=WRONG_HS_TOKEN,
        REFNET_HUBSPOT__HOST=sandbox.hubspot_url,
    )
    for refused in (refused_login, dead_session, bad_hubspot_token):
        assert refused.exit_code != 0, cli_text(refused)
    runs = refnet("runs", "--json")
    assert runs.exit_code == 0, runs.output

    outputs = [
        provisioned,
        synced,
        hubspot_provisioned,
        refused_login,
        dead_session,
        bad_hubspot_token,
        runs,
    ]
    assert leaks("\n".join(cli_text(result) for result in outputs)) == []
    assert leaks(caplog.text) == []
    assert leaks("\n".join(str(record.__dict__) for record in caplog.records)) == []
    opened = Store.open(database_url)
    try:
        assert leaks(store_text(opened)) == []
    finally:
        opened.close()


def test_webhooks_with_sentinel_secrets_leak_nothing(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The structured log lines too (#15): every field the JSON formatter writes.
    json_lines = io.StringIO()
    json_handler = logging.StreamHandler(json_lines)
    json_handler.setFormatter(JsonLineFormatter())
    json_handler.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(json_handler)
    settings = make_settings(
        hubspot_client_secret=HS_CLIENT_SECRET,
        salesforce_hmac_secret=HMAC_SECRET,
        salesforce_outbound_token=OUTBOUND_TOKEN,
    )
    clock = Clock()
    app = create_app(settings, store=store, rules=RulesConfig(), clock=clock)
    client = app.test_client()
    body = json.dumps([hubspot_event(1, "deal.creation", 42)]).encode()
    url = f"{PUBLIC_BASE}/hubspot/events"
    answers = [
        client.post("/hubspot/events", data=body, headers=hubspot_headers(
            body, url=url, at=T0, secret=HS_CLIENT_SECRET)),
        client.post("/hubspot/events", data=body + b" ", headers=hubspot_headers(
            body, url=url, at=T0, secret=HS_CLIENT_SECRET)),
        client.post("/hubspot/events", data=body, headers=hubspot_headers(
            body, url=url, at=T0, secret=WRONG_HS_TOKEN)),
        client.post("/salesforce/events", data=b"{}", headers=refnet_headers(
            b"{}", at=T0, secret=HMAC_SECRET)),
        client.post("/salesforce/events", data=b"{}", headers=refnet_headers(
            b"{}", at=T0, secret=WRONG_SF_PASSWORD)),
        client.post(f"/salesforce/outbound/{OUTBOUND_TOKEN}", data=b"<x/>", headers=XML),
        client.post(f"/salesforce/outbound/{WRONG_OUTBOUND_TOKEN}", data=b"<x/>", headers=XML),
        client.get("/metrics"),
        client.get("/healthz"),
        client.get("/readyz"),
    ]  # fmt: skip
    assert [answer.status_code for answer in answers[:7]] == [200, 401, 401, 400, 401, 400, 401]
    worker = app.extensions["refnet.webhooks"].worker
    assert isinstance(worker, InboxWorker)
    worker.drain()

    assert leaks("\n".join(answer.get_data(as_text=True) for answer in answers)) == []
    assert leaks("\n".join(str(dict(answer.headers)) for answer in answers)) == []
    assert leaks(repr(settings) + str(settings.model_dump())) == []
    assert leaks(caplog.text) == []
    logging.getLogger().removeHandler(json_handler)
    logged = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert {line.get("code") for line in logged} >= {"signature", "token", "malformed"}
    assert leaks(json_lines.getvalue()) == []
    assert leaks(store_text(store)) == []
