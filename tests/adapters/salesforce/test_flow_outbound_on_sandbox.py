"""Issue #12 "Done when": a won Opportunity reaches refnet through the shipped Flow's
Outbound Message.

Everything is real: ``refnet salesforce provision --webhook-base-url`` deploys the Flows
and Outbound Messages into the sandbox's Metadata API; a sales user's simple-salesforce
client closes the deal through REST; the sandbox runs the record-triggered Flow and POSTs
the SOAP ``notifications`` message over https to the real webhook app (``create_app``)
on a loopback server thread; the app's own inbox worker applies it to a SQLite store.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from pydantic import SecretStr
from simple_salesforce import Salesforce
from sqlalchemy import select
from typer.testing import CliRunner
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from adapters.salesforce.cli import app as salesforce_cli
from adapters.salesforce.metadata import SALES_USER_PERMISSION_SET
from adapters.sandbox import Sandbox, SandboxConfig, run_sandbox
from adapters.sandbox.auth import ORG_ID, USER_ID
from adapters.sandbox.salesforce_flows import Delivery, OutboundSender
from adapters.sandbox.tls import ensure_tls
from connector.importing.importer import import_files
from connector.inbox.schema import webhook_inbox
from connector.model import LadderStage, Member, Referral, ReferralStatus
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store
from tests.waiting import wait_until
from tests.webhooks.conftest import context_of, make_settings
from webhooks import create_app

TOKEN = "tok_" + "Vq8-zR2x" * 5  # the webhook's REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN
WRONG_TOKEN = "tok_" + "Xx7-aB3c" * 5  # valid in shape, but not the webhook's


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: the request path carries the outbound token."""


@dataclass
class Webhook:
    app: Flask
    base_url: str


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    # Short enough that a refused message is given up within the test.
    with run_sandbox(tmp_path / "sandbox", SandboxConfig(outbound_retry_for=3.0)) as running:
        yield running


def _import_referral(store: Store, tmp_path: Path) -> None:
    """The customer's referral list, as a German sales team exports it from Excel; the
    referral is not linked to any deal yet."""
    files = {
        "members.csv": [
            "Nr;Name;E-Mail;Firma;Kreis;Erstellt am",
            "c1;Jürgen Müller;jm@mueller.example;Müller & Söhne GmbH;Kunde;01.02.2025",
            "p1;Grete Weiß;grete@weiss.example;Weiß KG;Interessentin;01.03.2025",
        ],
        "referrals.csv": [
            "Nr;Empfehler;Empfohlen;Kreis;Status;Betrag;Währung;Erstellt am",
            "r1;c1;p1;Kunde;offen;;EUR;02.03.2025",
        ],
    }
    paths = []
    for name, lines in files.items():
        path = tmp_path / name
        path.write_bytes("\r\n".join(lines).encode("cp1252") + b"\r\n")
        paths.append(path)
    import_files(store, paths, rules=RulesConfig(), actor=Actor("test"))


@pytest.fixture
def webhook(tmp_path: Path, store: Store) -> Iterator[Webhook]:
    """The real webhook app over https, with the sandbox CA's loopback certificate."""
    _import_referral(store, tmp_path)
    settings = make_settings(
        salesforce_org_ids=[ORG_ID],
        salesforce_outbound_token=SecretStr(TOKEN),
        run_worker=True,
    )
    app = create_app(settings, store=store, rules=RulesConfig())
    tls = ensure_tls(tmp_path / "sandbox")  # the sandbox's CA, which its sender trusts
    server: BaseWSGIServer = make_server(
        "127.0.0.1",
        0,
        app,
        threaded=True,
        ssl_context=tls.server_context(),
        request_handler=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Webhook(app, f"https://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        context_of(app).worker.stop()


def _provision(
    sandbox: Sandbox, base_url: str, token: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``refnet salesforce provision --webhook-base-url ...`` against the sandbox."""
    monkeypatch.chdir(tmp_path)  # no refnet.toml from the developer's checkout
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.combined_ca_bundle)
    monkeypatch.setenv("REFNET_SALESFORCE__SESSION_ID", sandbox.session_id)
    monkeypatch.setenv("REFNET_SALESFORCE__INSTANCE_URL", sandbox.salesforce_url)
    monkeypatch.setenv("REFNET_SALESFORCE__API_VERSION", sandbox.api_version)
    monkeypatch.setenv("REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN", token)
    result = CliRunner().invoke(
        salesforce_cli,
        [
            "provision",
            "--webhook-base-url",
            base_url,
            "--outbound-user",
            "integration@vogel.example",
        ],
    )
    assert result.exit_code == 0, result.output
    assert token not in result.output


def _as_sales_user(client: Salesforce) -> Salesforce:
    """The org's user gets refnet's sales-user permission set, as the README tells admins:
    only it makes ``Refnet_Referral_Id__c`` editable."""
    (permission_set,) = client.query(
        f"SELECT Id FROM PermissionSet WHERE Name = '{SALES_USER_PERMISSION_SET}'"
    )["records"]
    client.PermissionSetAssignment.create(
        {"AssigneeId": USER_ID, "PermissionSetId": permission_set["Id"]}
    )
    return client


def _close_won(client: Salesforce) -> str:
    """A sales user creates the deal, then links it to the referral and wins it (REST,
    sObject Collections update)."""
    client = _as_sales_user(client)
    created = client.Opportunity.create(
        {
            "Name": "Vogel GmbH – Wartungsvertrag",
            "StageName": "Prospecting",
            "CloseDate": "2026-12-31",
        }
    )
    deal_id = str(created["id"])
    change = {
        "attributes": {"type": "Opportunity"},
        "id": deal_id,
        "Refnet_Referral_Id__c": "r1",
        "StageName": "Closed Won",
    }
    (result,) = client.restful(
        "composite/sobjects",
        method="PATCH",
        data=json.dumps({"allOrNone": True, "records": [change]}),
    )
    assert result["success"], result
    return deal_id


def _attempts(outbound: OutboundSender) -> tuple[tuple[int, bool, bool], ...]:
    return tuple((d.attempts, d.acknowledged, d.given_up) for d in outbound.snapshot())


def _inbox(store: Store) -> list[tuple[str, str]]:
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(webhook_inbox.c.event_id, webhook_inbox.c.status).order_by(webhook_inbox.c.id)
        ).all()
    return [(str(row[0]), str(row[1])) for row in rows]


def _notification_ids(delivery: Delivery) -> list[str]:
    return re.findall(r"<Notification><Id>([^<]+)</Id>", delivery.body.decode())


def test_a_won_opportunity_reaches_refnet_through_the_flows_outbound_message(
    sandbox: Sandbox,
    webhook: Webhook,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    outbound = sandbox.outbound
    assert outbound is not None
    _provision(sandbox, webhook.base_url, TOKEN, monkeypatch, tmp_path)

    deal_id = _close_won(sandbox.salesforce_client())

    def settled() -> bool:
        deliveries = outbound.snapshot()
        inbox = _inbox(store)
        return (
            len(deliveries) == 2
            and all(d.acknowledged or d.given_up for d in deliveries)
            and len(inbox) == 2
            and all(status in ("done", "ignored") for _, status in inbox)
        )

    wait_until(
        settled,
        progress=lambda: (_attempts(outbound), _inbox(store)),
        what="the Flow's Outbound Messages reaching the webhook and being applied",
    )

    # Created (ISNEW) and then stage + referral id changed (ISCHANGED): two messages, each
    # acknowledged at the first attempt.
    deliveries = outbound.snapshot()
    assert [(d.message, d.attempts, d.acknowledged) for d in deliveries] == [
        ("Opportunity.Refnet_Deal_Event", 1, True),
        ("Opportunity.Refnet_Deal_Event", 1, True),
    ]
    sent = [_notification_ids(d)[0] for d in deliveries]
    assert all(f"<sf:Id>{deal_id}</sf:Id>" in d.body.decode() for d in deliveries)
    # Both reached the inbox under their notification ids. Which of them carries "Closed
    # Won" depends on when the sandbox sent the first: like Salesforce, it sends a record's
    # data as it is at sending time, so the created-deal message may already be the win.
    inbox = _inbox(store)
    assert [event_id for event_id, _ in inbox] == [f"om:{n}" for n in sent]
    applied = {event_id.removeprefix("om:") for event_id, status in inbox if status == "done"}
    assert applied
    with store.reading() as tx:
        won = tx.get(Referral, "r1")
        assert won.status is ReferralStatus.WON
        assert won.deal_id == deal_id
        assert tx.get(Member, "c1").ladder_stage is LadderStage.REFERRER
        trail = [(e.kind, e.record_id, e.new_value, e.event_ref) for e in tx.audit_trail()]
    assert ("referral", "r1", "won") in [entry[:3] for entry in trail]
    (won_entry,) = [entry for entry in trail if entry[:3] == ("referral", "r1", "won")]
    assert any(n in str(won_entry[3]) for n in applied)  # the audit names the event
    assert any(entry[:3] == ("ladder", "c1", "referrer") for entry in trail)


def test_a_wrong_token_in_the_deployed_endpoint_changes_nothing(
    sandbox: Sandbox,
    webhook: Webhook,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    outbound = sandbox.outbound
    assert outbound is not None
    with store.reading() as tx:
        ladder_before = tx.get(Member, "c1").ladder_stage
    _provision(sandbox, webhook.base_url, WRONG_TOKEN, monkeypatch, tmp_path)

    _close_won(sandbox.salesforce_client())

    wait_until(
        lambda: len(outbound.snapshot()) == 2 and all(d.given_up for d in outbound.snapshot()),
        progress=lambda: _attempts(outbound),
        what="the refused Outbound Messages being retried and given up",
    )

    deliveries = outbound.snapshot()
    assert all(not d.acknowledged and d.attempts >= 2 for d in deliveries)  # retried
    assert {d.last_error for d in deliveries} == {"HTTP 401 without <Ack>true</Ack>"}
    metrics = webhook.app.test_client().get("/metrics").get_json()
    assert metrics["rejected_requests"]["token"] == sum(d.attempts for d in deliveries)
    assert _inbox(store) == []
    with store.reading() as tx:
        assert tx.get(Referral, "r1").status is ReferralStatus.OPEN
        assert tx.get(Member, "c1").ladder_stage == ladder_before
        assert tx.audit_trail() == []
