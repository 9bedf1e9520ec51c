"""Several workers on one store: every event applied exactly once, one outbox drain at a time.

The worker *processes* here are real ``refnet worker --drain`` runs sharing a backlog. On
PostgreSQL (the suite's second leg) they claim with ``FOR UPDATE SKIP LOCKED``; on SQLite
the same claims run under the file's single write lock. Either way each event must end
``done`` after exactly one claim and leave exactly one audit entry. A worker killed with
SIGKILL mid-backlog loses nothing: what it held is claimed again when its lease runs out,
and nothing it committed is applied twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connector.inbox import InboxStore
from connector.inbox.schema import webhook_inbox
from connector.model import Referral, utcnow
from connector.store import Store
from connector.store.schema import audit_log
from connector.writeback import OutboxWriteBack, claim_writebacks, pending_writebacks
from tests.connector.factories import member
from tests.waiting import wait_until
from tests.webhooks.conftest import hubspot_event
from webhooks.events import hubspot_to_inbound, parse_hubspot_batch

BACKLOG = 400
PROCESSES = 3


def referred_contacts(count: int) -> bytes:
    """HubSpot events: ``count`` new contacts each referred by member c1."""
    return json.dumps(
        [
            hubspot_event(
                50_000 + i,
                "contact.propertyChange",
                70_000 + i,
                property_name="referred_by",
                property_value="c1",
            )
            for i in range(count)
        ]
    ).encode()


REFNET = str(Path(sys.executable).with_name("refnet"))


def store_backlog(store: Store, count: int) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1")])
    events = [hubspot_to_inbound(e) for e in parse_hubspot_batch(referred_contacts(count))]
    assert InboxStore(store).receive(events, now=utcnow()).accepted == count


def worker_process(database_url: str, *args: str, **settings: str) -> subprocess.Popen[str]:
    env = {**os.environ, "REFNET_DATABASE_URL": database_url}
    env.update({f"REFNET_WEBHOOK_{name.upper()}": value for name, value in settings.items()})
    return subprocess.Popen(
        [REFNET, "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def inbox_statuses(store: Store) -> dict[str, int]:
    with store.reading() as tx:
        return dict(
            tx.connection.execute(
                select(webhook_inbox.c.status, func.count()).group_by(webhook_inbox.c.status)
            ).all()
        )


def applied_once(store: Store, count: int) -> None:
    """Every event done, with exactly one referral audit entry and one referral each."""
    with store.reading() as tx:
        per_event = tx.connection.execute(
            select(audit_log.c.event_ref, func.count())
            .where(audit_log.c.kind == "referral")
            .group_by(audit_log.c.event_ref)
        ).all()
        referrals = tx.count(Referral, referrer_id="c1")
    assert inbox_statuses(store) == {"done": count}
    assert len(per_event) == count and {n for _ref, n in per_event} == {1}
    assert referrals == count


def test_worker_processes_share_a_backlog_and_apply_every_event_once(
    store: Store, database_url: str
) -> None:
    store_backlog(store, BACKLOG)
    # Many small claims: more chances for two workers to collide. The lease is long because
    # this test is about live workers never sharing a claim; on a loaded machine a short lease
    # can run out under a live worker and its batch is (rightly) claimed again -- that path is
    # the SIGKILL test's subject, and counting attempts here would make this one flaky.
    workers = [
        worker_process(database_url, "--drain", worker_batch_size="25", worker_lease_seconds="3600")
        for _ in range(PROCESSES)
    ]
    outputs = [worker.communicate(timeout=240) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * PROCESSES, outputs
    claimed = [int(out.split("claimed ")[1].split(":")[0]) for out, _err in outputs]
    assert sum(claimed) == BACKLOG

    with store.reading() as tx:
        statuses = dict(
            tx.connection.execute(
                select(webhook_inbox.c.status, func.count()).group_by(webhook_inbox.c.status)
            ).all()
        )
        attempts = set(tx.connection.execute(select(webhook_inbox.c.attempts)).scalars())
        per_event = tx.connection.execute(
            select(audit_log.c.event_ref, func.count())
            .where(audit_log.c.kind == "referral")
            .group_by(audit_log.c.event_ref)
        ).all()
        referrals = tx.count(Referral, referrer_id="c1")
    assert statuses == {"done": BACKLOG}
    assert attempts == {1}  # no event was ever claimed twice
    assert len(per_event) == BACKLOG and {count for _ref, count in per_event} == {1}
    assert referrals == BACKLOG
    applied_once(store, BACKLOG)


def test_a_worker_killed_mid_backlog_loses_nothing_and_repeats_nothing(
    store: Store, database_url: str
) -> None:
    store_backlog(store, 1000)
    lease = 5  # the shortest the settings allow: the dead worker's claim expires soon
    settings = {"worker_batch_size": "20", "worker_lease_seconds": str(lease)}
    victim = worker_process(database_url, **settings)

    def reached_100() -> bool:
        assert victim.poll() is None, victim.communicate()
        return inbox_statuses(store).get("done", 0) >= 100

    wait_until(
        reached_100,
        progress=lambda: inbox_statuses(store).get("done", 0),
        what="the worker to finish 100 events",
    )
    victim.send_signal(signal.SIGKILL)  # mid-backlog, most likely holding a claim
    victim.wait(timeout=30)
    assert inbox_statuses(store).get("pending", 0) > 0

    time.sleep(lease + 0.5)  # what it held becomes claimable again
    survivor = worker_process(database_url, "--drain", **settings)
    out, err = survivor.communicate(timeout=240)
    assert survivor.returncode == 0, (out, err)
    applied_once(store, 1000)


@contextmanager
def second_store(store: Store, database_url: str) -> Iterator[Store]:
    """Another worker's view of the store: its own engine on PostgreSQL (as another
    process has), the same engine on SQLite (whose stores serve one process)."""
    if store.engine.dialect.name != "postgresql":
        yield store
        return
    other = Store.open(database_url)
    try:
        yield other
    finally:
        other.close()


def in_thread(function: object) -> object:
    box: list[object] = []
    thread = threading.Thread(target=lambda: box.append(function()))  # type: ignore[operator]
    thread.start()
    thread.join(timeout=30)
    return box[0]


def test_only_one_worker_drains_the_outbox_at_a_time(store: Store, database_url: str) -> None:
    OutboxWriteBack(store).records_changed([("member", "c1"), ("referral", "r1")], reason="t")
    with second_store(store, database_url) as other:

        def try_claim() -> object:
            with claim_writebacks(other) as claim:
                return claim

        with claim_writebacks(store) as first:
            assert first is not None and len(first.entries) == 2
            assert in_thread(try_claim) is None  # busy: the other worker skips its drain
            assert first.mark_written() == 2
        # Released and settled: the next drain finds nothing left to send.
        later = in_thread(try_claim)
        assert later is not None and later.entries == []  # type: ignore[attr-defined]


def test_a_drain_that_fails_leaves_its_entries_pending(store: Store) -> None:
    OutboxWriteBack(store).records_changed([("member", "c1")], reason="t")
    with pytest.raises(RuntimeError), claim_writebacks(store) as claim:
        assert claim is not None and len(claim.entries) == 1
        raise RuntimeError("the CRM went away mid-drain")
    assert [entry.record_id for entry in pending_writebacks(store)] == ["c1"]
