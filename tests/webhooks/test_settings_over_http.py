"""Every webhook and referral-form setting changes what the served app does (issue #17).

The app is served on a loopback port by werkzeug and called with ``requests`` (real HTTP);
its settings are read from ``REFNET_WEBHOOK_*`` / ``REFNET_REFERRAL_FORM_*`` variables by
the same loader ``refnet serve`` uses. Each case runs once without the setting and once with
it, and what the service answered or did must differ. tests/test_settings_act.py names these
tests for every setting of :class:`webhooks.settings.WebhookSettings` and
:class:`connector.referral_form.settings.ReferralFormSettings`.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

import connector.inbox.worker as worker_module
from connector.errors import ConfigError
from connector.inbox.schema import webhook_inbox
from connector.model import Circle, Member, MembershipStatus, Referral, ReferralStatus
from connector.referral_form.settings import load_referral_form_settings
from connector.rules import RulesConfig
from connector.store import Store
from tests.conftest import on_postgres
from tests.connector.factories import club, member, membership, referral
from tests.webhooks.conftest import (
    HUBSPOT_SECRET,
    ORG_ID,
    PORTAL_ID,
    PUBLIC_BASE,
    SALESFORCE_SECRET,
    Clock,
    context_of,
    hubspot_event,
    make_settings,
    refnet_headers,
)
from tests.webhooks.referral_form_fixtures import FORM_SECRET
from webhooks import create_app
from webhooks.logs import configure_logging
from webhooks.settings import load_webhook_settings

BASE_ENV = {
    "REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET": HUBSPOT_SECRET,
    "REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS": f"[{PORTAL_ID}]",
    "REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL": PUBLIC_BASE,
    "REFNET_WEBHOOK_SALESFORCE_HMAC_SECRET": SALESFORCE_SECRET,
    "REFNET_WEBHOOK_SALESFORCE_ORG_IDS": f'["{ORG_ID}"]',
    "REFNET_WEBHOOK_RUN_WORKER": "false",
}


@dataclass
class Served:
    base: str
    store: Store
    clock: Clock
    app: Any

    def drain(self) -> None:
        context_of(self.app).worker.drain()

    def outcomes(self) -> list[tuple[str, str | None]]:
        with self.store.reading() as tx:
            rows = tx.connection.execute(
                select(webhook_inbox.c.status, webhook_inbox.c.outcome).order_by(webhook_inbox.c.id)
            )
            return [(r.status, r.outcome) for r in rows]


@pytest.fixture
def serve(store: Store, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], Any]:
    @contextmanager
    def running(env: dict[str, str]) -> Iterator[Served]:
        with monkeypatch.context() as patch:
            for name, value in {**BASE_ENV, **env}.items():
                patch.setenv(name, value)
            settings = load_webhook_settings()
        clock = Clock()
        app = create_app(settings, store=store, rules=RulesConfig(), clock=clock)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Served(f"http://127.0.0.1:{server.server_port}", store, clock, app)
        finally:
            server.shutdown()
            thread.join()

    return running


def callout(
    event_id: str,
    object_type: str,
    properties: dict[str, Any],
    object_id: str = "006xx000001AAAAAA0",
) -> bytes:
    event = {
        "eventId": event_id,
        "objectType": object_type,
        "objectId": object_id,
        "changeType": "updated",
        "occurredAt": "2026-03-02T08:59:30.000Z",
        "properties": properties,
    }
    return json.dumps({"organizationId": ORG_ID, "events": [event]}).encode()


def post_callout(served: Served, body: bytes) -> requests.Response:
    return requests.post(
        f"{served.base}/salesforce/events",
        data=body,
        headers=refnet_headers(body, at=served.clock.now),
        timeout=30,
    )


@pytest.fixture(autouse=True)
def _a_member(store: Store) -> None:
    """c1, a customer contacts can be referred by."""
    with store.transaction() as tx:
        tx.put(member("c1"))


# --- events.*: what a CRM's properties and values mean -----------------------------------
# Each case posts one Flow callout over HTTP, lets the worker process it and reads what it
# did (the outcome the inbox records, or the prospect it created); with the setting the
# same callout must mean something else.

_E = "REFNET_WEBHOOK_EVENTS__"


@dataclass(frozen=True)
class EventCase:
    setting: str
    value: str
    object_type: str
    properties: dict[str, Any]
    shown: str = "outcome"  # or "prospect": the e-mail and name of the member created


EVENT_CASES = [
    EventCase("deal_types", '["Auftrag__c"]', "Auftrag__c", {"StageName": "Closed Won"}),
    EventCase("contact_types", '["Lead"]', "Lead", {"Referred_By__c": "c1"}),
    EventCase("stage_properties", '["Phase__c"]', "Opportunity", {"Phase__c": "Closed Won"}),
    EventCase("won_stages", '["Gewonnen"]', "Opportunity", {"StageName": "Gewonnen"}),
    EventCase("lost_stages", '["Verloren"]', "Opportunity", {"StageName": "Verloren"}),
    EventCase("open_stages", '["Closed Won"]', "Opportunity", {"StageName": "Closed Won"}),
    EventCase("won_flag_properties", '["Gewonnen__c"]', "Opportunity", {"Gewonnen__c": "true"}),
    EventCase(
        "closed_flag_properties",
        '["Abgeschlossen__c"]',
        "Opportunity",
        {"IsWon": "false", "Abgeschlossen__c": "true"},
    ),
    EventCase(
        "referral_id_properties", '["Empfehlung__c"]', "Opportunity", {"Empfehlung__c": "r9"}
    ),
    EventCase(
        "referred_by_properties", '["Empfohlen_von__c"]', "Contact", {"Empfohlen_von__c": "c1"}
    ),
    EventCase(
        "email_properties",
        '["E_Mail__c"]',
        "Contact",
        {"Referred_By__c": "c1", "Email": "alt@example.org", "E_Mail__c": "neu@example.org"},
        shown="prospect",
    ),
    EventCase(
        "first_name_properties",
        '["Vorname__c"]',
        "Contact",
        {"Referred_By__c": "c1", "FirstName": "Eva", "LastName": "Roth", "Vorname__c": "Uwe"},
        shown="prospect",
    ),
    EventCase(
        "last_name_properties",
        '["Nachname__c"]',
        "Contact",
        {"Referred_By__c": "c1", "FirstName": "Eva", "LastName": "Roth", "Nachname__c": "Vogel"},
        shown="prospect",
    ),
    EventCase(
        "deal_contact_associations",
        '["OPP_TO_CONTACT"]',
        "Opportunity",
        {"associationType": "OPP_TO_CONTACT", "toObjectId": "003xx000004TmiQAAS"},
    ),
    EventCase(
        "partner_stage_properties",
        '["Stufe__c"]',
        "refnet_partnership",
        {"Stufe__c": "analysis"},
    ),
]


def _prospects(store: Store) -> list[tuple[str | None, str]]:
    with store.reading() as tx:
        return sorted((m.email, m.name) for m in tx.find(Member, circle=Circle.PROSPECT))


def _what_the_callout_did(serve: Any, store: Store, case: EventCase, env: dict[str, str]) -> Any:
    known = _prospects(store)
    with serve(env) as served:
        object_id = f"003xx00000{len(env)}AAAAAA0"
        body = callout(f"{case.setting}-{len(env)}", case.object_type, case.properties, object_id)
        answer = post_callout(served, body)
        assert answer.status_code == 200, answer.text
        served.drain()
        if case.shown == "outcome":
            return served.outcomes()[-1]
        return [made for made in _prospects(store) if made not in known]


@pytest.mark.parametrize("case", EVENT_CASES, ids=[c.setting for c in EVENT_CASES])
def test_event_settings_change_what_a_callout_means(
    case: EventCase, serve: Any, store: Store
) -> None:
    before = _what_the_callout_did(serve, store, case, {})
    assert before, "the callout did nothing to compare with"
    after = _what_the_callout_did(serve, store, case, {_E + case.setting.upper(): case.value})
    assert after != before, f"events.{case.setting} changed nothing: {after}"


DEAL = "006xx000001AAAAAA0"


def _won_callout(served: Served, event_id: str) -> None:
    answer = post_callout(served, callout(event_id, "Opportunity", {"StageName": "Closed Won"}))
    assert answer.status_code == 200, answer.text
    served.drain()


@pytest.mark.parametrize("variable", ["HOLD_PERIOD", "EVENTS__HOLD_PERIOD"])
def test_a_hold_period_parks_the_credit_of_a_won_deal(
    variable: str, serve: Any, store: Store
) -> None:
    """Both spellings act: ``REFNET_WEBHOOK_HOLD_PERIOD`` and, as the other event rules,
    ``REFNET_WEBHOOK_EVENTS__HOLD_PERIOD`` (it was once silently overridden)."""
    with store.transaction() as tx:
        tx.put_many([member("p1", circle=Circle.PROSPECT), member("p2", circle=Circle.PROSPECT)])
        tx.put(referral("r1", "c1", "p1").model_copy(update={"deal_id": DEAL}))
    with serve({f"REFNET_WEBHOOK_{variable}": "P30D"}) as served:
        _won_callout(served, "held")
    with store.reading() as tx:
        assert tx.get(Referral, "r1").status is ReferralStatus.OPEN  # parked for 30 days
    with store.transaction() as tx:
        tx.put(referral("r2", "c1", "p2").model_copy(update={"deal_id": "006xx000002BBBBBB0"}))
    with serve({}) as served:
        body = callout("now", "Opportunity", {"StageName": "Closed Won"}, "006xx000002BBBBBB0")
        assert post_callout(served, body).status_code == 200
        served.drain()
    with store.reading() as tx:
        assert tx.get(Referral, "r2").status is ReferralStatus.WON  # no hold: credited at once


def _club_referral_audited(serve: Any, store: Store, env: dict[str, str], n: int) -> bool:
    deal = f"006xx00000{n}CCCCCC0"
    with store.transaction() as tx:
        tx.put(member(f"p{n}", circle=Circle.PROSPECT))
        given = referral(f"r{n}", "c1", f"p{n}", recipient="c2")
        tx.put(given.model_copy(update={"deal_id": deal}))
    with serve(env) as served:
        body = callout(f"club-{n}", "Opportunity", {"StageName": "Closed Won"}, deal)
        assert post_callout(served, body).status_code == 200
        served.drain()
    with store.reading() as tx:
        trail = tx.audit_trail(f"r{n}")
    assert any(e.field == "status" and e.new_value == "won" for e in trail)
    return any(e.field == "club_referral" for e in trail)


def test_club_statuses_decide_which_members_count_as_in_the_club(serve: Any, store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c2"), club()])
        tx.put(membership(id="ms-1", member_id="c1", status=MembershipStatus.MEMBER))
        tx.put(membership(id="ms-2", member_id="c2", status=MembershipStatus.INVITED))
    assert not _club_referral_audited(serve, store, {}, 1)  # invited is not in the club
    statuses = {_E + "CLUB_STATUSES": '["member", "trial", "invited"]'}
    assert _club_referral_audited(serve, store, statuses, 2)


# --- the service's own settings -----------------------------------------------------------


def _post_hubspot_v1(served: Served) -> requests.Response:
    body = json.dumps([hubspot_event(1, "deal.propertyChange", 42)]).encode()
    headers = {
        "X-HubSpot-Signature": hashlib.sha256(HUBSPOT_SECRET.encode() + body).hexdigest(),
        "X-HubSpot-Signature-Version": "v1",
        "Content-Type": "application/json",
    }
    return requests.post(f"{served.base}/hubspot/events", data=body, headers=headers, timeout=30)


def test_hubspot_signature_versions_decide_which_signatures_are_accepted(serve: Any) -> None:
    with serve({}) as served:
        assert _post_hubspot_v1(served).status_code == 200
    with serve({"REFNET_WEBHOOK_HUBSPOT_SIGNATURE_VERSIONS": '["v3"]'}) as served:
        refused = _post_hubspot_v1(served)
        assert refused.status_code == 401, refused.text


def test_signature_tolerance_decides_how_old_a_signed_callout_may_be(serve: Any) -> None:
    def post_signed_ten_minutes_ago(served: Served) -> int:
        body = callout("late", "Opportunity", {"StageName": "Closed Won"})
        headers = refnet_headers(body, at=served.clock.now - timedelta(minutes=10))
        url = f"{served.base}/salesforce/events"
        return requests.post(url, data=body, headers=headers, timeout=30).status_code

    with serve({}) as served:
        assert post_signed_ten_minutes_ago(served) == 401  # default: 5 minutes
    with serve({"REFNET_WEBHOOK_SIGNATURE_TOLERANCE": "PT15M"}) as served:
        assert post_signed_ten_minutes_ago(served) == 200


def test_ready_max_backlog_seconds_decides_when_a_waiting_event_makes_it_not_ready(
    serve: Any,
) -> None:
    def backlog_refusals_ten_minutes_after_an_event(served: Served) -> list[str]:
        answer = post_callout(served, callout(f"wait-{served.base}", "Opportunity", {}))
        assert answer.status_code == 200
        served.clock.advance(minutes=10)
        ready = requests.get(f"{served.base}/readyz", timeout=30).json()
        return [r for r in ready.get("reasons", []) if r.startswith("backlog")]

    with serve({}) as served:
        assert backlog_refusals_ten_minutes_after_an_event(served) != []  # default: 300 s
    with serve({"REFNET_WEBHOOK_READY_MAX_BACKLOG_SECONDS": "3600"}) as served:
        served.drain()  # the first one is done; the new one has waited 10 minutes
        assert backlog_refusals_ten_minutes_after_an_event(served) == []


@pytest.mark.skipif(
    on_postgres(),
    reason="REFNET_WEBHOOK_SQLITE_WAL acts on SQLite stores only; the SQLite run tests it",
)
def test_sqlite_wal_decides_the_journal_of_the_store(serve: Any, store: Store) -> None:
    def journal() -> str:
        with store.reading() as tx:
            return str(tx.connection.exec_driver_sql("PRAGMA journal_mode").scalar())

    with serve({"REFNET_WEBHOOK_SQLITE_WAL": "false"}):
        assert journal() == "delete"
    with serve({}):
        assert journal() == "wal"


def test_worker_settings_reach_the_inbox_worker_of_the_served_app(serve: Any) -> None:
    """The worker's behaviour under each value is shown by the tests the registry names
    beside this one (tests/webhooks/test_processing.py, test_batch_transactions.py, ...)."""
    env = {
        "REFNET_WEBHOOK_WORKER_BATCH_SIZE": "7",
        "REFNET_WEBHOOK_WORKER_LEASE_SECONDS": "42",
        "REFNET_WEBHOOK_WORKER_MAX_ATTEMPTS": "3",
        "REFNET_WEBHOOK_WORKER_POLL_INTERVAL": "2.5",
        "REFNET_WEBHOOK_WORKER_MAX_HOLD_SECONDS": "0.5",
    }
    with serve({}) as served:
        default = context_of(served.app).worker
        before = (default.batch_size, default.lease, default.max_attempts)
        before += (default.poll_interval, default.max_hold)
    with serve(env) as served:
        worker = context_of(served.app).worker
        after = (worker.batch_size, worker.lease, worker.max_attempts)
        after += (worker.poll_interval, worker.max_hold)
    assert before == (100, timedelta(seconds=60), 10, 1.0, 0.025)
    assert after == (7, timedelta(seconds=42), 3, 2.5, 0.5)


def test_a_failing_event_is_given_up_after_worker_max_attempts(
    serve: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event whose processing keeps failing is retried until the configured attempts."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the store is broken for this test")

    monkeypatch.setattr(worker_module, "interpret", broken)

    def attempts_until_given_up(env: dict[str, str], event_id: str) -> int:
        with serve(env) as served:
            answer = post_callout(served, callout(event_id, "Opportunity", {}))
            assert answer.status_code == 200
            for _ in range(30):
                served.drain()
                served.clock.advance(hours=1)  # past any retry back-off
            with store.reading() as tx:
                row = tx.connection.execute(
                    select(webhook_inbox.c.status, webhook_inbox.c.attempts).where(
                        webhook_inbox.c.event_id == f"callout:{event_id}"
                    )
                ).one()
            assert row.status == "failed", row
            return int(row.attempts)

    assert attempts_until_given_up({}, "fails-a") == 10
    assert attempts_until_given_up({"REFNET_WEBHOOK_WORKER_MAX_ATTEMPTS": "2"}, "fails-b") == 2


def test_writeback_targets_give_the_worker_crms_to_write_back_to(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A session login: building the Salesforce target makes no HTTP call.
    monkeypatch.setenv("REFNET_SALESFORCE__SESSION_ID", "00Dxx!session")
    monkeypatch.setenv("REFNET_SALESFORCE__INSTANCE_URL", "https://example.my.salesforce.com")
    with serve({}) as served:
        assert context_of(served.app).worker.drainer is None  # left queued for refnet sync
    with serve({"REFNET_WEBHOOK_WRITEBACK_TARGETS": '["salesforce"]'}) as served:
        assert context_of(served.app).worker.drainer is not None
    unknown = {"REFNET_WEBHOOK_WRITEBACK_TARGETS": '["nirgendwo"]'}
    with pytest.raises(ConfigError, match="unknown sync target 'nirgendwo'"), serve(unknown):
        pass


def test_log_format_decides_the_shape_of_every_log_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def one_line(env: dict[str, str]) -> str:
        with monkeypatch.context() as patch:
            for name, value in {**BASE_ENV, **env}.items():
                patch.setenv(name, value)
            settings = load_webhook_settings()
        stream = io.StringIO()
        configure_logging(stream, log_format=settings.log_format)
        logging.getLogger("refnet.test").warning("Empfehlung angekommen")
        return stream.getvalue().strip()

    as_json = json.loads(one_line({"REFNET_WEBHOOK_LOG_FORMAT": "json"}))
    assert as_json["message"] == "Empfehlung angekommen"
    text = one_line({"REFNET_WEBHOOK_LOG_FORMAT": "text"})
    assert "Empfehlung angekommen" in text and not text.startswith("{")


def test_csrf_time_limit_reaches_the_referral_form(monkeypatch: pytest.MonkeyPatch) -> None:
    def limit(env: dict[str, str]) -> Any:
        with monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            form = load_referral_form_settings()
        app = create_app(make_settings(), rules=RulesConfig(), form_settings=form)
        return app.config["WTF_CSRF_TIME_LIMIT"]

    secret = {"REFNET_REFERRAL_FORM_SECRET": FORM_SECRET}
    assert limit(secret) != limit({**secret, "REFNET_REFERRAL_FORM_CSRF_TIME_LIMIT": "PT5M"})
    assert limit({**secret, "REFNET_REFERRAL_FORM_CSRF_TIME_LIMIT": "PT5M"}) == 300
