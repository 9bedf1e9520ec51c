"""`refnet serve` with its defaults works the inbox in a separate, supervised worker process."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import requests
from sqlalchemy import func, select

from connector.inbox.heartbeats import list_workers
from connector.inbox.schema import webhook_inbox
from connector.model import utcnow
from connector.store import Store
from tests.connector.factories import member
from tests.waiting import wait_until
from tests.webhooks.conftest import hubspot_event, hubspot_headers
from tests.webhooks.serving import Served, refnet_serve


def post_referral(served: Served, number: int) -> None:
    at = utcnow()
    body = json.dumps(
        [
            hubspot_event(
                number,
                "contact.propertyChange",
                60_000 + number,
                occurred_at=at,
                property_name="referred_by",
                property_value="c1",
            )
        ]
    ).encode()
    url = f"{served.base}/hubspot/events"
    answer = requests.post(
        url, data=body, headers=hubspot_headers(body, url=url, at=at), timeout=30
    )
    assert answer.status_code == 200, answer.text


def done(store: Store) -> int:
    with store.reading() as tx:
        return int(
            tx.connection.execute(
                select(func.count()).where(webhook_inbox.c.status == "done")
            ).scalar_one()
        )


def worker_pids(store: Store) -> list[int]:
    return [w.pid for w in list_workers(store, now=utcnow())]


def test_serve_runs_a_worker_process_restarts_it_when_killed_and_stops_it(
    tmp_path: Path,
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'refnet.db'}")
    with store.transaction() as tx:
        tx.put_many([member("c1")])
    with refnet_serve(tmp_path) as served:
        metrics = requests.get(f"{served.base}/metrics", timeout=30).json()
        assert metrics["worker"] == {"in_process": False}  # no thread in the web process
        post_referral(served, 1)
        wait_until(
            lambda: done(store) == 1 and len(worker_pids(store)) == 1,
            progress=lambda: (done(store), worker_pids(store)),
            what="the worker process applying the first event",
        )
        [first] = worker_pids(store)
        os.kill(first, signal.SIGKILL)

        def replaced() -> bool:
            return any(pid != first for pid in worker_pids(store))

        wait_until(replaced, progress=lambda: worker_pids(store), what="a new worker process")
        post_referral(served, 2)
        wait_until(lambda: done(store) == 2, progress=lambda: done(store), what="the second event")
        [second] = [pid for pid in worker_pids(store) if pid != first]
    # Stopped with the server, cleanly: its heartbeat row is gone; the killed one's stays.
    assert worker_pids(store) == [first]
    try:
        os.kill(second, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"worker process {second} outlived refnet serve")
