"""/healthz (liveness) and /readyz (readiness): a real write, the worker's heartbeat, backlog."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask.testing import FlaskClient

from connector.rules import RulesConfig
from connector.store import Store
from tests.webhooks.conftest import (
    T0,
    Clock,
    context_of,
    hubspot_event,
    make_settings,
    post_hubspot,
)
from webhooks import create_app


@contextmanager
def read_only(files: list[Path]) -> Iterator[None]:
    """Make the store's files unwritable, as an operator's mistake or a full mount would.

    root ignores file modes, so as root the files are made immutable (ext4/xfs attribute).
    """
    existing = [f for f in files if f.exists()]
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, existing)], check=True)
    else:
        for f in existing:
            f.chmod(0o444)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", *map(str, existing)], check=True)
        else:
            for f in existing:
                f.chmod(0o644)


def test_readiness_fails_with_a_read_only_store_and_recovers(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "refnet.db"
    store = Store.open(f"sqlite:///{path}")
    app = create_app(make_settings(), store=store, rules=RulesConfig(), clock=clock)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    with read_only(files):
        store.engine.dispose()  # new connections see the files as they are now
        # SELECT 1 still works here; only a real write tells the truth.
        assert client.get("/healthz").status_code == 200
        answer = client.get("/readyz")
        assert answer.status_code == 503
        body = answer.get_json()
        assert body["status"] == "not ready"
        assert body["checks"]["store"] == "not writable"
        assert any(
            reason.startswith("store: webhook inbox not writable") for reason in body["reasons"]
        )
        assert (
            post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0).status_code == 503
        )
    store.engine.dispose()
    recovered = client.get("/readyz")
    assert recovered.status_code == 200
    assert recovered.get_json()["checks"]["store"] == "writable"
    assert post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0).status_code == 200
    # The probe writes nothing that stays.
    assert context_of(app).inbox.stats(now=T0).by_status == {"pending": 1}


def test_readiness_fails_when_the_backlog_is_too_old_and_recovers_when_drained(
    client: FlaskClient, clock: Clock
) -> None:
    post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0)
    worker = context_of(client.application).worker
    clock.advance(seconds=299)
    worker.beat(force=True)  # a worker is alive (say, stuck on something else)
    assert client.get("/readyz").status_code == 200
    clock.advance(seconds=2)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["backlog_seconds"] == 301.0
    assert "READY_MAX_BACKLOG_SECONDS=300" in answer.get_json()["reasons"][0]
    context_of(client.application).worker.drain()
    assert client.get("/readyz").status_code == 200


def test_readiness_names_a_worker_that_is_not_running(store: Store, clock: Clock) -> None:
    app = create_app(
        make_settings(run_worker=True, worker_poll_interval=0.05),
        store=store,
        rules=RulesConfig(),
        clock=clock,
    )
    worker = context_of(app).worker
    client = app.test_client()
    try:
        # Ready from the worker's first turn on; on a busy machine that turn may come late.
        while worker.heartbeat_age() is None:
            time.sleep(0.01)
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        assert isinstance(ready.get_json()["checks"]["worker_heartbeat_seconds"], float)
    finally:
        worker.stop()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["reasons"] == ["worker: the inbox worker thread is not running"]


def test_a_stale_heartbeat_makes_the_service_not_ready(store: Store, clock: Clock) -> None:
    app = create_app(
        make_settings(run_worker=True, ready_max_heartbeat_seconds=0.001, worker_poll_interval=60),
        store=store,
        rules=RulesConfig(),
        clock=clock,
    )
    worker = context_of(app).worker
    try:
        # The loop is parked in its 60 s wait; its last turn is older than the 1 ms allowed.
        while worker.heartbeat_age() is None:
            time.sleep(0.01)
        time.sleep(0.01)
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503
        assert "worker: last heartbeat" in answer.get_json()["reasons"][0]
    finally:
        worker.stop()


def test_readiness_sees_a_worker_heartbeat_only_while_events_wait(
    client: FlaskClient, clock: Clock
) -> None:
    # No worker anywhere and nothing waiting: nobody is harmed yet.
    assert client.get("/readyz").status_code == 200
    post_hubspot(client, [hubspot_event(1, "deal.creation", 9)], at=T0)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["checks"]["waiting_events"] == 1
    assert body["checks"]["freshest_worker_beat_seconds"] is None
    assert body["reasons"] == [
        "workers: no inbox worker heartbeat within 120 s while 1 event(s) wait "
        "(last beat: never; REFNET_WEBHOOK_READY_MAX_HEARTBEAT_SECONDS=120); "
        "is `refnet worker` running?"
    ]
    worker = context_of(client.application).worker
    worker.beat(force=True)
    assert client.get("/readyz").status_code == 200
    clock.advance(seconds=121)
    stale = client.get("/readyz").get_json()
    assert "last beat: 121 s ago" in stale["reasons"][0]
    worker.drain()  # beats, applies, and removes its row when done
    assert client.get("/readyz").get_json() == {
        "status": "ready",
        "checks": {
            "store": "writable",
            "worker_heartbeat_seconds": "no worker in this process",
            "freshest_worker_beat_seconds": None,
            "waiting_events": 0,
            "backlog_seconds": 0.0,
        },
    }
