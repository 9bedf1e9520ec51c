"""On PostgreSQL a batch holds its events' CRM objects before it reads anything.

A claimed batch loads what its events will look up when it begins. Another worker may be
applying an event of the same deal at that moment (PostgreSQL lets workers claim different
events of one object; READ COMMITTED shows each statement what was committed before it).
Had the batch read the deal's referral before that worker committed, it would have won the
deal against what it read, not against what is. SQLite has no such interleaving: a batch
holds the file's single write lock from its first statement, which the SQLite leg of the
suite covers in test_batch_transactions.py.
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import text

from connector.inbox import InboxStore, InboxWorker
from connector.inbox.store import ClaimedEvent, _lock_key
from connector.model import Referral, ReferralStatus
from connector.store import Store
from tests.conftest import on_postgres
from tests.connector.factories import member, referral
from tests.waiting import wait_until
from tests.webhooks.conftest import Clock, hubspot_event
from webhooks.events import hubspot_to_inbound, parse_hubspot_batch

pytestmark = pytest.mark.skipif(
    not on_postgres(),
    reason="PostgreSQL's concurrent workers only; SQLite serialises every batch",
)

_WAITING_FOR_AN_ADVISORY_LOCK = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
)


def test_a_batch_sees_what_a_worker_holding_its_deal_committed(
    store: Store, worker: InboxWorker, clock: Clock
) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1"), member("p1"), referral("r1", "c1", "p1")])
    body = json.dumps(
        [
            hubspot_event(
                1,
                "deal.propertyChange",
                9001,
                property_name="dealstage",
                property_value="closedwon",
            )
        ]
    ).encode()
    events = [hubspot_to_inbound(event) for event in parse_hubspot_batch(body)]
    assert InboxStore(store).receive(events, now=clock.now).accepted == 1
    deal = ClaimedEvent(0, events[0], 0, "").object_key

    finished = threading.Event()

    def run_worker() -> None:
        try:
            worker.step()
        finally:
            finished.set()

    def worker_waits() -> bool:
        assert not finished.is_set(), "the worker finished without waiting for deal 9001"
        return bool(probe.connection.execute(_WAITING_FOR_AN_ADVISORY_LOCK).scalar_one() == 1)

    # Another worker is inside an event of deal 9001 and links referral r1 to it.
    with store.transaction() as other:
        other.connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(deal)}
        )
        thread = threading.Thread(target=run_worker)
        thread.start()
        with store.reading() as probe:
            wait_until(
                worker_waits,
                progress=finished.is_set,
                what="the worker waiting for deal 9001",
            )
        other.put(other.get(Referral, "r1").model_copy(update={"deal_id": "9001"}))
    thread.join()

    assert finished.is_set()
    with store.reading() as tx:
        assert tx.get(Referral, "r1").status is ReferralStatus.WON
