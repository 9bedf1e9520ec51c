"""``refnet inbox``: a poisoned event is seen, fixed, retried and applied exactly once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from typer.testing import CliRunner

from connector.cli.app import app as cli
from connector.inbox import InboxWorker
from connector.inbox.schema import webhook_inbox
from connector.model import Circle, Referral, utcnow
from connector.store import Store
from connector.store.schema import audit_log
from tests.connector.factories import member, referral
from tests.webhooks.conftest import T0, Clock, hubspot_event, post_hubspot

LINK_EVENT = hubspot_event(
    7, "deal.propertyChange", 9100, property_name="refnet_referral_id", property_value="r9"
)
LINK_REF = "hubspot:62515:4711:7:9100"


@pytest.fixture
def refnet(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Any:
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("REFNET_ACTOR", "ops-nacht")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


@pytest.fixture(autouse=True)
def members(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p9", circle=Circle.PROSPECT)])


def _status(store: Store) -> list[str]:
    with store.reading() as tx:
        return list(tx.connection.execute(select(webhook_inbox.c.status)).scalars())


def _audit(store: Store, kind: str) -> list[tuple[str, str | None, str, str | None]]:
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(
                audit_log.c.actor,
                audit_log.c.old_value,
                audit_log.c.new_value,
                audit_log.c.event_ref,
            )
            .where(audit_log.c.kind == kind)
            .order_by(audit_log.c.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_poisoned_event_is_listed_fixed_retried_and_applied_exactly_once(
    client: FlaskClient, worker: InboxWorker, store: Store, refnet: Any, clock: Clock
) -> None:
    # The deal names referral r9 before r9 was imported: nothing to link, the event is set aside.
    assert post_hubspot(client, [LINK_EVENT], at=T0).status_code == 200
    assert worker.step().ignored == 1

    listed = json.loads(refnet("inbox", "list", "--status", "ignored", "--json"))
    assert [(e["event_type"], e["object_id"], e["status"]) for e in listed] == [
        ("deal.propertyChange", "9100", "ignored")
    ]
    assert "unknown referral" in listed[0]["outcome"]
    entry_id = listed[0]["id"]
    shown = json.loads(refnet("inbox", "show", str(entry_id), "--json"))
    assert shown["payload"]["properties"] == {"refnet_referral_id": "r9"}
    human = refnet("inbox", "list")  # the human table too (folded to the terminal's width)
    assert "9100" in human and "ignored" in human

    with store.transaction() as tx:  # the fix: the referral arrives
        tx.put(referral("r9", "c1", "p9"))
    out = json.loads(refnet("inbox", "retry", str(entry_id), "--reason", "r9 imported", "--json"))
    assert out == {"re-queued": [{"id": entry_id, "ref": LINK_REF, "from": "ignored"}]}
    assert _status(store) == ["pending"]

    clock.now = utcnow()  # the worker runs on the real clock, like the CLI
    assert worker.step().done == 1
    assert worker.step().claimed == 0  # nothing left: applied once
    with store.reading() as tx:
        assert tx.get(Referral, "r9").deal_id == "9100"
    assert [row[3] for row in _audit(store, "referral")] == [LINK_REF]
    assert _audit(store, "inbox_event") == [("ops-nacht", "ignored", "pending", LINK_REF)]

    # A done event can never be replayed: exit 5, nothing changes, nothing audited.
    refnet("inbox", "retry", str(entry_id), code=5)
    assert _status(store) == ["done"]
    assert len(_audit(store, "inbox_event")) == 1


def test_filters_select_by_status_provider_and_age(
    client: FlaskClient, worker: InboxWorker, store: Store, refnet: Any, clock: Any
) -> None:
    post_hubspot(client, [LINK_EVENT], at=T0)
    worker.step()
    assert json.loads(refnet("inbox", "list", "--provider", "salesforce", "--json")) == []
    assert len(json.loads(refnet("inbox", "list", "--provider", "hubspot", "--json"))) == 1
    # Received at T0 (the app's clock), which is long ago for the CLI's real clock.
    assert len(json.loads(refnet("inbox", "list", "--older-than", "1d", "--json"))) == 1
    assert json.loads(refnet("inbox", "list", "--older-than", "P36500D", "--json")) == []
    assert json.loads(refnet("inbox", "list", "--status", "failed", "--json")) == []
    assert "unknown nonsense" in refnet("inbox", "list", "--status", "nonsense", code=3)
    assert "not a duration" in refnet("inbox", "list", "--older-than", "soon", code=3)
    refnet("inbox", "retry", code=3)  # neither ids nor filters: refuses to guess
    refnet("inbox", "show", "999", code=4)


def test_discard_sets_events_aside_audited_and_the_worker_never_takes_them(
    client: FlaskClient, worker: InboxWorker, store: Store, refnet: Any
) -> None:
    post_hubspot(client, [LINK_EVENT], at=T0)
    out = json.loads(refnet("inbox", "discard", "--status", "pending", "--json"))
    assert [e["from"] for e in out["discarded"]] == ["pending"]
    assert worker.step().claimed == 0
    assert _status(store) == ["discarded"]
    assert _audit(store, "inbox_event") == [("ops-nacht", "pending", "discarded", LINK_REF)]
    refnet("inbox", "discard", str(out["discarded"][0]["id"]), code=5)  # already aside
