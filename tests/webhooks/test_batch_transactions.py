"""A claimed batch is one transaction; a poisoned event rolls back alone in its savepoint."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select

import connector.inbox.worker as worker_module
from connector.inbox import InboxWorker
from connector.inbox.schema import webhook_inbox, writeback_outbox
from connector.model import Member, Referral, ReferralStatus
from connector.store import Store
from connector.store.schema import audit_log
from tests.connector.factories import member, referral
from tests.webhooks.conftest import T0, hubspot_event, post_hubspot


@pytest.fixture(autouse=True)
def network(store: Store) -> None:
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                member("p1"),
                referral("r1", "c1", "p1").model_copy(update={"deal_id": "9001"}),
            ]
        )


def referred(event_id: int, contact: int) -> dict[str, object]:
    return hubspot_event(
        event_id,
        "contact.propertyChange",
        contact,
        property_name="referred_by",
        property_value="c1",
    )


def won(event_id: int, deal: int) -> dict[str, object]:
    return hubspot_event(
        event_id, "deal.propertyChange", deal, property_name="dealstage", property_value="closedwon"
    )


def statuses(store: Store) -> dict[str, str]:
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(webhook_inbox.c.object_id, webhook_inbox.c.status)
        ).all()
    return {object_id: status for object_id, status in rows}


def test_a_poisoned_event_rolls_back_alone_and_the_rest_of_its_batch_commits(
    client: FlaskClient,
    worker: InboxWorker,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_apply = worker_module.apply_intents

    def poisoned_after_writing(*args: Any, **kwargs: Any) -> Any:
        applied = real_apply(*args, **kwargs)  # the real writes: member, referral, audit
        if args[1].object_id == "7002":
            raise RuntimeError("poisoned")
        return applied

    monkeypatch.setattr(worker_module, "apply_intents", poisoned_after_writing)
    worker.max_attempts = 1  # dead-lettered at once
    post_hubspot(client, [referred(1, 7001), referred(2, 7002), won(3, 9001)], at=T0)

    result = worker.step()

    assert (result.claimed, result.done, result.failed) == (3, 2, 1)
    assert statuses(store) == {"7001": "done", "7002": "failed", "9001": "done"}
    with store.reading() as tx:
        contacts = sorted(m.crm.hubspot_contact_id or "" for m in tx.find(Member))
        referrals = {r.referred_id for r in tx.find(Referral)}
        assert tx.get(Referral, "r1").status is ReferralStatus.WON
        refs = {row[0] for row in tx.connection.execute(select(audit_log.c.event_ref)).all()}
        queued = {row[0] for row in tx.connection.execute(select(writeback_outbox.c.event_ref))}
    # Nothing the poisoned event wrote survived; everything of the others did.
    assert contacts == ["", "", "7001"]
    assert len(referrals) == 2  # r1 and the referral of contact 7001
    assert not any(ref and ref.endswith(":7002") for ref in refs | queued)
    assert any(ref and ref.endswith(":7001") for ref in refs)


def test_a_batch_commits_once_however_many_events_it_holds(
    client: FlaskClient, worker: InboxWorker, store: Store
) -> None:
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _connection: commits.append(1))

    def commits_of_a_step(first_event: int, count: int) -> int:
        post_hubspot(
            client,
            [referred(first_event + i, 8000 + first_event + i) for i in range(count)],
            at=T0,
        )
        before = len(commits)
        assert worker.step().done == count
        return len(commits) - before

    worker.max_hold = float("inf")
    assert commits_of_a_step(100, 2) == commits_of_a_step(200, 40)
    # Held no time at all, the batch commits after each CRM object's events instead (the
    # write lock is handed over between them), and still applies every event once.
    worker.max_hold = 0.0
    assert commits_of_a_step(300, 40) == commits_of_a_step(400, 2) + 38
    with store.reading() as tx:
        assert tx.count(Referral) == 1 + 2 + 40 + 40 + 2
