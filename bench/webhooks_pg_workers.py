"""Inbox workers on PostgreSQL: a backlog processed by 4 worker processes, exactly once.

A backlog of HubSpot events (new contacts, each referred by one of 1,000 customers, so
every event creates a prospect and an open referral with audit entries) is stored in the
inbox, then drained by real ``refnet worker --drain`` processes: first by one worker (the
baseline), then, on a fresh schema, by four. Each run is checked: every event ``done``
after exactly one claim, exactly one referral audit entry per event, one referral each.
Printed: events/s of each run (wall clock from spawning the workers until the last one
exits, and the processing window from the inbox's timestamps), and the ratio.

Usage::

    .venv/bin/python bench/webhooks_pg_workers.py [--events 100000] [--baseline-events 25000]
        [--workers 4] [--database-url postgresql+psycopg://...]

Without ``--database-url`` a throw-away cluster is started on loopback with
``.ci/postgres.sh`` (installing Debian's postgresql when run as root) and stopped after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, func, select, text

from connector.inbox import InboxStore
from connector.inbox.schema import webhook_inbox
from connector.model import Member, Referral, utcnow
from connector.store import Store
from connector.store.schema import audit_log
from webhooks.events import hubspot_to_inbound, parse_hubspot_batch

ROOT = Path(__file__).resolve().parent.parent
REFNET = Path(sys.executable).with_name("refnet")
REFERRERS = 1_000
CHUNK = 1_000  # the most events HubSpot sends (and the parser takes) per request


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """The given server, or a throw-away one on loopback for the duration of the run."""
    if url is not None:
        yield url
        return
    workdir = tempfile.mkdtemp(prefix="refnet-pg-bench-")
    env = {**os.environ, "REFNET_PG_PORT": os.environ.get("REFNET_PG_PORT", "54339")}
    script = str(ROOT / ".ci" / "postgres.sh")
    started = subprocess.run(
        [script, "start", workdir], env=env, check=True, capture_output=True, text=True
    )
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([script, "stop", workdir], env=env, check=True)


@contextmanager
def fresh_schema(server_url: str) -> Iterator[str]:
    """A URL whose connections work in a new, empty schema; the schema is dropped after."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def backlog(store: Store, events: int) -> None:
    """The referrers, then ``events`` stored events, as the webhook endpoint stores them."""
    with store.transaction() as tx:
        tx.put_many(
            [Member(id=f"c{i}", name=f"Customer {i}", circle="customer") for i in range(REFERRERS)]
        )
    inbox = InboxStore(store)
    for start in range(0, events, CHUNK):
        batch = [
            {
                "eventId": 1_000_000 + i,
                "subscriptionId": 4711,
                "portalId": 62515,
                "appId": 99,
                "occurredAt": 1_772_000_000_000 + i,
                "subscriptionType": "contact.propertyChange",
                "attemptNumber": 0,
                "objectId": 9_000_000 + i,
                "propertyName": "referred_by",
                "propertyValue": f"c{i % REFERRERS}",
            }
            for i in range(start, min(start + CHUNK, events))
        ]
        parsed = parse_hubspot_batch(json.dumps(batch).encode())
        accepted = inbox.receive([hubspot_to_inbound(e) for e in parsed], now=utcnow()).accepted
        assert accepted == len(batch)


@dataclass
class Run:
    workers: int
    events: int
    wall_seconds: float
    window_seconds: float
    problems: list[str]

    @property
    def wall_rate(self) -> float:
        return self.events / self.wall_seconds

    @property
    def window_rate(self) -> float:
        return self.events / self.window_seconds


def drain_with(url: str, workers: int, batch_size: int) -> float:
    env = {
        **os.environ,
        "REFNET_DATABASE_URL": url,
        "REFNET_WEBHOOK_WORKER_BATCH_SIZE": str(batch_size),
    }
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [str(REFNET), "worker", "--drain"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(workers)
    ]
    for process in processes:
        out, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a worker failed with exit code {process.returncode}: {out}")
    return time.perf_counter() - started


def check(store: Store, events: int) -> tuple[float, list[str]]:
    """The processing window (first to last finished event) and what broke exactly-once."""
    t = webhook_inbox
    with store.reading() as tx:
        statuses = dict(
            tx.connection.execute(select(t.c.status, func.count()).group_by(t.c.status)).all()
        )
        attempts = dict(
            tx.connection.execute(select(t.c.attempts, func.count()).group_by(t.c.attempts)).all()
        )
        first, last = tx.connection.execute(
            select(func.min(t.c.processed_at), func.max(t.c.processed_at))
        ).one()
        per_event = (
            select(audit_log.c.event_ref, func.count().label("entries"))
            .where(audit_log.c.kind == "referral")
            .group_by(audit_log.c.event_ref)
            .subquery()
        )
        audit_counts = dict(
            tx.connection.execute(
                select(per_event.c.entries, func.count()).group_by(per_event.c.entries)
            ).all()
        )
        referrals = tx.count(Referral)
    problems = []
    if statuses != {"done": events}:
        problems.append(f"statuses {statuses}")
    if attempts != {1: events}:
        problems.append(f"claims per event {attempts}")
    if audit_counts != {1: events}:
        problems.append(f"referral audit entries per event {audit_counts}")
    if referrals != events:
        problems.append(f"{referrals} referrals for {events} events")
    return (last - first).total_seconds(), problems


def run(server_url: str, workers: int, events: int, batch_size: int) -> Run:
    with fresh_schema(server_url) as url:
        store = Store.open(url)
        try:
            backlog(store, events)
            wall = drain_with(url, workers, batch_size)
            window, problems = check(store, events)
        finally:
            store.close()
    return Run(workers, events, wall, window, problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--baseline-events", type=int, default=25_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: start one)")
    args = parser.parse_args()
    with postgres(args.database_url) as server_url:
        runs = [
            run(server_url, 1, args.baseline_events, args.batch_size),
            run(server_url, args.workers, args.events, args.batch_size),
        ]
    print(f"inbox workers on PostgreSQL, claims of {args.batch_size} (refnet worker --drain)")
    print(f"{'workers':>7} {'events':>8} {'wall s':>7} {'ev/s wall':>10} {'ev/s window':>12}  once")
    for r in runs:
        verdict = "yes" if not r.problems else "NO: " + "; ".join(r.problems)
        print(
            f"{r.workers:>7} {r.events:>8} {r.wall_seconds:>7.1f} {r.wall_rate:>10.0f} "
            f"{r.window_rate:>12.0f}  {verdict}"
        )
    one, many = runs
    print(
        f"speed-up of {many.workers} workers over 1: {many.wall_rate / one.wall_rate:.2f}x wall, "
        f"{many.window_rate / one.window_rate:.2f}x in the processing window "
        f"({os.cpu_count()} CPUs on this machine)"
    )
    if any(r.problems for r in runs):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
