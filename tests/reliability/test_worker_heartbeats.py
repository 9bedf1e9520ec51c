"""/readyz of a web process sees a separate `refnet worker` process through its heartbeat.

The worker here is a real `refnet worker` process on the same store (SQLite file, or the
PostgreSQL leg's schema); the web app runs without a worker of its own, as `refnet serve`
does by default. Killed with SIGKILL, the worker stops beating, and with events waiting the
service turns not ready, naming the workers as the reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from connector.cli.app import app as cli
from connector.inbox import InboxStore
from connector.model import utcnow
from connector.rules import RulesConfig
from connector.store import Store
from tests.connector.factories import member
from tests.reliability.test_many_workers import inbox_statuses
from tests.waiting import wait_until
from tests.webhooks.conftest import hubspot_event, make_settings
from webhooks import create_app
from webhooks.events import hubspot_to_inbound, parse_hubspot_batch

REFNET = str(Path(sys.executable).with_name("refnet"))
THRESHOLD = 2  # seconds without a beat before the workers count as gone


def receive_referral(store: Store, number: int) -> None:
    body = json.dumps(
        [
            hubspot_event(
                80_000 + number,
                "contact.propertyChange",
                90_000 + number,
                property_name="referred_by",
                property_value="c1",
            )
        ]
    ).encode()
    events = [hubspot_to_inbound(e) for e in parse_hubspot_batch(body)]
    assert InboxStore(store).receive(events, now=utcnow()).accepted == 1


def workers_listed(database_url: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(
        cli, ["inbox", "workers", "--json"], env={"REFNET_DATABASE_URL": database_url}
    )
    assert result.exit_code == 0, result.output
    listed: list[dict[str, object]] = json.loads(result.stdout)
    return listed


def test_readiness_follows_a_separate_worker_process(store: Store, database_url: str) -> None:
    with store.transaction() as tx:
        tx.put_many([member("c1")])
    app = create_app(
        make_settings(ready_max_heartbeat_seconds=THRESHOLD), store=store, rules=RulesConfig()
    )
    client = app.test_client()
    receive_referral(store, 1)
    waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.get_json()["reasons"][0].startswith("workers: no inbox worker heartbeat")

    env = {
        **os.environ,
        "REFNET_DATABASE_URL": database_url,
        "REFNET_WEBHOOK_WORKER_POLL_INTERVAL": "0.2",
    }
    process = subprocess.Popen(
        [REFNET, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def ready_and_counted() -> bool:
            assert process.poll() is None, "the worker process died"
            listed = workers_listed(database_url)
            return (
                client.get("/readyz").status_code == 200
                and [w["pid"] for w in listed] == [process.pid]
                and listed[0]["events_applied"] == 1
            )

        wait_until(
            ready_and_counted,
            progress=lambda: inbox_statuses(store),
            what="the worker process beating and applying the event",
        )
        ready = client.get("/readyz").get_json()
        assert isinstance(ready["checks"]["freshest_worker_beat_seconds"], float)
        assert inbox_statuses(store) == {"done": 1}
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    receive_referral(store, 2)

    def not_ready() -> bool:
        return client.get("/readyz").status_code == 503

    wait_until(
        not_ready,
        progress=lambda: client.get("/readyz").get_json()["checks"]["freshest_worker_beat_seconds"],
        what="readiness noticing the killed worker",
    )
    body = client.get("/readyz").get_json()
    assert body["checks"]["waiting_events"] == 1
    assert body["checks"]["freshest_worker_beat_seconds"] > THRESHOLD
    assert len(body["reasons"]) == 1
    assert body["reasons"][0].startswith(
        f"workers: no inbox worker heartbeat within {THRESHOLD} s while 1 event(s) wait"
    )
    # The killed worker could not remove its row: it stays listed, its beat ageing.
    assert [w["pid"] for w in workers_listed(database_url)] == [process.pid]
    assert inbox_statuses(store) == {"done": 1, "pending": 1}
