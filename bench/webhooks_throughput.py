"""Webhook intake throughput and crash safety, on loopback, in well under two minutes.

1. Throughput: the real service (signature check + durable, deduplicated inbox insert)
   under gunicorn, against a bare Flask endpoint that only reads the body, both driven by
   the same bounded load generator (threads, keep-alive ``http.client``). Prints accepted
   events/s, the ratio to the bare endpoint, and p50/p99 request latency.
2. Crash: load runs while the whole server process group gets SIGKILL; the server is
   restarted on the same database, load goes on, then a worker drains the inbox. Every
   event acknowledged with a 2xx must be stored and applied exactly once (one audit entry
   naming it).

Usage: ``.venv/bin/python bench/webhooks_throughput.py [--seconds 8] [--batch 10]``.
Everything is bounded (request count and wall time) and binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, request
from sqlalchemy import func, select

from connector.inbox import StepResult
from connector.inbox.schema import webhook_inbox
from connector.model import Member
from connector.rules import RulesConfig
from connector.store import Store
from connector.store.schema import audit_log
from webhooks.app import build_worker
from webhooks.settings import load_webhook_settings
from webhooks.signatures import hubspot_v3_signature

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-client-secret"  # a throwaway secret for this loopback run only
LEASE_SECONDS = 5


# --- the bare baseline app (imported by gunicorn from this file) ------------------------------

bare_app = Flask("bare")


@bare_app.post("/hubspot/events")
def _bare_events() -> tuple[str, int]:
    request.get_data()  # read the body like the real endpoint, then do nothing
    return "", 200


@bare_app.get("/healthz")
def _bare_health() -> tuple[str, int]:
    return "ok", 200


# --- server processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    app: str
    port: int
    env: dict[str, str]
    workers: int = 2
    threads: int = 8
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
            "--pythonpath",
            f"{ROOT},{HERE}",
            self.app,
        ]
        # A new session, so SIGKILL can take the master and all its workers at once.
        self.process = subprocess.Popen(command, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.app} did not become healthy")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


# --- load generator -----------------------------------------------------------------------------


@dataclass
class Load:
    port: int
    batch: int
    kind: str  # "deal" (throughput) or "contact" (crash run: each event opens a referral)
    seconds: float
    max_requests: int
    threads: int = 8
    # "contact" events name one referrer, or this many (bench-referrer-0000 …) in turn: a
    # referrer's growing referrals are re-read per event, so one busy referrer measures that.
    referrers: int = 1
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int | str] = field(default_factory=Counter)
    acked: set[str] = field(default_factory=set)
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= self.max_requests:
                return None
            self._next += 1
            return self._next

    def _body(self, number: int) -> tuple[bytes, list[str]]:
        now_ms = int(time.time() * 1000)
        events = []
        for i in range(self.batch):
            event_id = number * 1000 + i
            object_id = 10_000_000 + event_id
            event = {
                "eventId": event_id,
                "subscriptionId": 1,
                "portalId": 777,
                "occurredAt": now_ms,
                "attemptNumber": 0,
                "objectId": object_id,
            }
            if self.kind == "contact":
                event.update(
                    subscriptionType="contact.propertyChange",
                    propertyName="referred_by",
                    propertyValue=referrer_id(number * self.batch + i, self.referrers),
                )
            else:
                event.update(
                    subscriptionType="deal.propertyChange",
                    propertyName="amount",
                    propertyValue="1000",
                )
            events.append(event)
        refs = [f"hubspot:777:1:{e['eventId']}:{e['objectId']}" for e in events]
        return json.dumps(events).encode(), refs

    def _worker(self) -> None:
        url = f"http://127.0.0.1:{self.port}/hubspot/events"
        connection: http.client.HTTPConnection | None = None
        deadline = time.monotonic() + self.seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            number = self._take()
            if number is None:
                return
            body, refs = self._body(number)
            timestamp = str(int(time.time() * 1000))
            headers = {
                "Content-Type": "application/json",
                "X-HubSpot-Request-Timestamp": timestamp,
                "X-HubSpot-Signature-v3": hubspot_v3_signature(
                    SECRET, method="POST", url=url, body=body, timestamp=timestamp
                ),
            }
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("POST", "/hubspot/events", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status: int | str = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                connection = None
                time.sleep(0.05)  # the server is down (crash run); try the next request
            elapsed = time.perf_counter() - started
            with self._lock:
                self.statuses[status] += 1
                if isinstance(status, int) and 200 <= status < 300:
                    self.latencies.append(elapsed)
                    self.acked.update(refs)

    def run(self) -> float:
        threads = [threading.Thread(target=self._worker) for _ in range(self.threads)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    def stop(self) -> None:
        self._stop.set()


def referrer_id(n: int, referrers: int) -> str:
    """The member the ``n``-th contact event names as its referrer."""
    return "bench-referrer" if referrers == 1 else f"bench-referrer-{n % referrers:04d}"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- the two runs -------------------------------------------------------------------------------


def service_env(database_url: str, port: int, *, in_process_worker: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REFNET_")}
    env.update(
        REFNET_DATABASE_URL=database_url,
        REFNET_WEBHOOK_PROVIDERS='["hubspot"]',
        REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET=SECRET,
        REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS="[777]",
        REFNET_WEBHOOK_RUN_WORKER="true" if in_process_worker else "false",
        PYTHONPATH=str(ROOT),
    )
    return env


def measure(app: str, env: dict[str, str], port: int, args: argparse.Namespace) -> dict[str, float]:
    server = Server(app, port, env)
    server.start()
    try:
        load = Load(port, args.batch, "deal", args.seconds, args.max_requests)
        elapsed = load.run()
    finally:
        server.stop()
    ok = len(load.latencies)
    return {
        "requests_per_s": ok / elapsed,
        "events_per_s": ok * args.batch / elapsed,
        "p50_ms": percentile(load.latencies, 0.50) * 1000,
        "p99_ms": percentile(load.latencies, 0.99) * 1000,
        "non_2xx": sum(n for s, n in load.statuses.items() if not (isinstance(s, int) and s < 300)),
    }


def throughput(args: argparse.Namespace, workdir: Path) -> None:
    url = f"sqlite:///{workdir / 'throughput.db'}"
    Store.open(url).close()
    bare_port, real_port = free_port(), free_port()
    bare = measure(
        "webhooks_throughput:bare_app",
        service_env(url, bare_port, in_process_worker=False),
        bare_port,
        args,
    )
    real = measure(
        "webhooks.app:create_app()",
        service_env(url, real_port, in_process_worker=False),
        real_port,
        args,
    )
    print(
        f"throughput ({args.seconds:g}s per side, {args.batch} events/request, "
        "8 client threads, gunicorn 2 workers x 8 gthread threads)"
    )
    for name, figures in (("bare Flask endpoint", bare), ("refnet (verify + inbox)", real)):
        print(
            f"  {name:<24} {figures['events_per_s']:>9.0f} events/s  "
            f"{figures['requests_per_s']:>7.0f} req/s  p50 {figures['p50_ms']:6.1f} ms  "
            f"p99 {figures['p99_ms']:6.1f} ms  non-2xx {figures['non_2xx']:.0f}"
        )
    print(f"  ratio refnet/bare: {real['events_per_s'] / bare['events_per_s']:.2f}")


def _pending(store: Store) -> int:
    with store.reading() as tx:
        query = select(func.count()).where(webhook_inbox.c.status == "pending")
        return int(tx.connection.execute(query).scalar_one())


def _load_through_a_kill(url: str, args: argparse.Namespace) -> tuple[Load, int, float]:
    """Load the service, SIGKILL it mid-load, restart it, load on; return what was acked."""
    port = free_port()
    env = service_env(url, port, in_process_worker=True)
    env["REFNET_WEBHOOK_WORKER_LEASE_SECONDS"] = str(LEASE_SECONDS)
    server = Server("webhooks.app:create_app()", port, env)
    server.start()
    load = Load(port, args.batch, "contact", seconds=args.seconds * 2, max_requests=10**9)
    runner = threading.Thread(target=load.run)
    runner.start()
    time.sleep(args.seconds * 0.6)
    acked_before_kill = len(load.acked)
    server.kill()
    killed_at = time.monotonic()
    server.start()
    restarted_after = time.monotonic() - killed_at
    time.sleep(args.seconds * 0.4)
    load.stop()
    runner.join()
    server.stop()
    return load, acked_before_kill, restarted_after


def _drain(store: Store) -> StepResult:
    """Process everything; rows the killed workers had leased wait out LEASE_SECONDS."""
    settings = load_webhook_settings(hubspot_client_secret=SECRET, providers=["hubspot"])
    drainer = build_worker(settings, store, RulesConfig())
    drained = drainer.drain(max_steps=100_000)
    deadline = time.monotonic() + 3 * LEASE_SECONDS
    while _pending(store) and time.monotonic() < deadline:
        time.sleep(0.5)
        more = drainer.drain(max_steps=100_000)
        drained.claimed += more.claimed
        drained.done += more.done
    return drained


def crash(args: argparse.Namespace, workdir: Path) -> None:
    url = f"sqlite:///{workdir / 'crash.db'}"
    store = Store.open(url)
    with store.transaction() as tx:
        tx.put(Member(id="bench-referrer", name="Bench Referrer", circle="customer"))
    load, acked_before_kill, restarted_after = _load_through_a_kill(url, args)
    drained = _drain(store)
    with store.reading() as tx:
        stored = dict(
            tx.connection.execute(select(webhook_inbox.c.event_id, webhook_inbox.c.status)).all()
        )
        applied = dict(
            tx.connection.execute(
                select(audit_log.c.event_ref, func.count())
                .where(audit_log.c.kind == "referral")
                .group_by(audit_log.c.event_ref)
            ).all()
        )
    store.close()
    acked_ids = {ref.removeprefix("hubspot:") for ref in load.acked}
    missing = [ref for ref in acked_ids if ref not in stored]
    unprocessed = [ref for ref in acked_ids if stored.get(ref) != "done"]
    not_once = [ref for ref in load.acked if applied.get(ref, 0) != 1]
    twice = [ref for ref, count in applied.items() if count > 1]
    print("crash run (SIGKILL of the whole server mid-load, restart, drain)")
    print(
        f"  acknowledged events: {len(load.acked)} ({acked_before_kill} before the kill); "
        f"stored: {len(stored)}; requests by outcome: {dict(load.statuses)}"
    )
    print(
        f"  server back after {restarted_after:.1f}s; "
        f"drain: claimed {drained.claimed}, done {drained.done}"
    )
    print(
        f"  acknowledged but missing: {len(missing)}; not processed: {len(unprocessed)}; "
        f"acknowledged but applied other than once: {len(not_once)}; "
        f"any event applied twice: {len(twice)}"
    )
    if missing or unprocessed or not_once or twice:
        raise SystemExit("FAILED: acknowledged events were lost or applied more than once")
    print("  OK: zero acknowledged events lost, each applied exactly once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="load time per measurement")
    parser.add_argument("--batch", type=int, default=10, help="events per request")
    parser.add_argument("--max-requests", type=int, default=200_000)
    args = parser.parse_args()
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="refnet-bench-") as workdir:
        throughput(args, Path(workdir))
        crash(args, Path(workdir))
    print(f"total {(datetime.now(UTC) - started).total_seconds():.0f}s")


if __name__ == "__main__":
    main()
