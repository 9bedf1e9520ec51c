"""`refnet serve` with its shipped defaults against a bare Flask endpoint, same gunicorn settings.

The real service is started exactly as an operator would start it: ``refnet serve`` with
no options (gthread, 2 web processes x 4 threads, see ``webhooks.cli.WEB_PROCESSES``; one
supervised ``refnet worker`` process). The baseline is a Flask endpoint that only reads
the body, under gunicorn with the same worker class, processes, threads and access log
(refnet's logger class); further rows show the bare endpoint without the access log and
with 1 process x 16 threads (refnet's SQLite defaults before), and refnet serve with those.
The same load generator (8 client threads, keep-alive, 10 signed
HubSpot events per request) drives both; every event of the real run is a contact
referred by a member (one of ``--referrers``, 1,000 by default, in turn: with one referrer
the worker's catch-up was dominated by re-reading that member's growing referrals), so the
worker applies real changes (a prospect, a referral, audit and outbox rows) while intake
goes on. For comparison the real service is also run with
the previous default, a worker thread inside each web process (``--inbox-workers 0``).

Usage: ``.venv/bin/python bench/webhooks_serve_defaults.py [--seconds 8]``.
Prints events/s, p50/p99 latency, the ratios to the bare endpoint, how many of the
accepted events the worker applied during the load, and how long it took after the load
to apply the rest (its catch-up). Each row also gives what a request cost the web
process(es) during the load: CPU time and context switches (voluntary: a thread blocked,
for I/O, a lock or the interpreter lock; involuntary: preempted). One web process with one
interpreter lock serves at most about one CPU-second of requests per second.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from sqlalchemy import create_engine, func, make_url, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from webhooks_throughput import SECRET, Load, free_port, percentile, referrer_id  # noqa: E402

from connector.inbox.heartbeats import freshest_beat  # noqa: E402
from connector.inbox.schema import webhook_inbox  # noqa: E402
from connector.model import Member  # noqa: E402
from connector.store import Store  # noqa: E402
from webhooks.cli import WEB_PROCESSES, WEB_THREADS  # noqa: E402

REFNET = str(Path(sys.executable).with_name("refnet"))
DIAGNOSTICS = HERE / "webhooks_serve_diagnostics.py"
# refnet serve's SQLite defaults before two web processes of four threads (webhooks.cli)
PREVIOUS_WORKERS, PREVIOUS_THREADS = 1, 16


def environment(database_url: str, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REFNET_")}
    env.update(
        REFNET_DATABASE_URL=database_url,
        REFNET_WEBHOOK_PROVIDERS='["hubspot"]',
        REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET=SECRET,
        REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS="[777]",
        PYTHONPATH=f"{HERE.parent}{os.pathsep}{HERE}",
    )
    return env


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command,
        env=env,
        start_new_session=True,  # SIGTERM to the group stops master, workers, sidecars
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command[:3]} did not become healthy")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


@dataclass(frozen=True)
class Usage:
    """CPU seconds and context switches of the web processes, summed over their threads."""

    cpu: float = 0.0
    voluntary: int = 0
    involuntary: int = 0

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.cpu - other.cpu,
            self.voluntary - other.voluntary,
            self.involuntary - other.involuntary,
        )


def web_processes(master: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """gunicorn's web worker processes (the inbox worker sidecars are children too)."""
    children = psutil.Process(master.pid).children()
    return [child for child in children if "--parent-pid" not in child.cmdline()]


def usage(processes: list[psutil.Process]) -> Usage:
    total = Usage()
    for process in processes:
        times = process.cpu_times()
        # A process's own switch counts are its first thread's; every thread's are summed.
        switches = [psutil.Process(thread.id).num_ctx_switches() for thread in process.threads()]
        total = Usage(
            total.cpu + times.user + times.system,
            total.voluntary + sum(s.voluntary for s in switches),
            total.involuntary + sum(s.involuntary for s in switches),
        )
    return total


def run(
    command: list[str],
    env: dict[str, str],
    port: int,
    args: argparse.Namespace,
    store: Store | None = None,
) -> tuple[Load, str]:
    """Load the server; with ``store``, also how far the inbox worker kept up (and caught up)."""
    process = start(command, env, port)
    note = ""
    try:
        if store is not None:
            await_worker(store, process)
        warm_up(port, args)
        load = Load(
            port, args.batch, "contact", args.seconds, args.max_requests, referrers=args.referrers
        )
        web = web_processes(process)
        before = usage(web)
        load.elapsed = load.run()  # type: ignore[attr-defined]
        load.web = usage(web) - before  # type: ignore[attr-defined]
        if store is not None:
            during, stored = applied(store)
            finished = time.monotonic()
            while applied(store)[0] < stored and time.monotonic() - finished < args.catch_up:
                time.sleep(0.5)
            after = applied(store)[0]
            waited = time.monotonic() - finished
            caught_up = (
                f"caught up {waited:.1f} s after it"
                if after >= stored
                else f"{after}/{stored} {waited:.0f} s after it (not caught up)"
            )
            note = f"applied {during}/{stored} during the load, {caught_up}"
    finally:
        stop(process)
    return load, note


def await_worker(store: Store, process: subprocess.Popen[bytes]) -> None:
    """Wait until an inbox worker beats: the measurement is of a running service, not of
    the worker process importing refnet while the load has begun (which, with no bytecode
    cache, took a core for seconds of the 8 s window)."""
    deadline = time.monotonic() + 60
    while freshest_beat(store) is None:
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("no inbox worker started")
        time.sleep(0.1)


def warm_up(port: int, args: argparse.Namespace) -> None:
    """A short load before the measured one, alike for every server: first requests
    import and build what a server needs once (routes, compiled statements, the pool)."""
    warm = Load(port, args.batch, "contact", 1.0, 2_000_000, referrers=args.referrers)
    warm._next = 1_000_000  # event ids of its own: the measured load's must all be new
    warm.run()


def figures(load: Load, batch: int) -> dict[str, float]:
    elapsed: float = load.elapsed  # type: ignore[attr-defined]
    web: Usage = load.web  # type: ignore[attr-defined]
    ok = len(load.latencies)
    requests = max(ok, 1)
    return {
        "events_per_s": ok * batch / elapsed,
        "p50_ms": percentile(load.latencies, 0.50) * 1000,
        "p99_ms": percentile(load.latencies, 0.99) * 1000,
        "non_2xx": sum(n for s, n in load.statuses.items() if not (isinstance(s, int) and s < 300)),
        "web_cpu_ms": web.cpu * 1000 / requests,
        "voluntary": web.voluntary / requests,
        "involuntary": web.involuntary / requests,
    }


def fresh_store(
    workdir: Path, name: str, referrers: int = 1, server: str | None = None
) -> tuple[str, Store]:
    """A new store: a SQLite file in ``workdir``, or a new database on the PostgreSQL
    ``server`` (its URL; the database ``refnet_bench_<name>`` is dropped and made anew)."""
    url = f"sqlite:///{workdir / f'{name}.db'}"
    if server is not None:
        database = f"refnet_bench_{name}"
        maintenance = create_engine(server, isolation_level="AUTOCOMMIT")
        with maintenance.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
        maintenance.dispose()
        url = make_url(server).set(database=database).render_as_string(hide_password=False)
    store = Store.open(url)
    with store.transaction() as tx:
        tx.put_many(
            Member(id=member_id, name=f"Bench Referrer {n}", circle="customer")
            for n, member_id in enumerate(
                dict.fromkeys(referrer_id(n, referrers) for n in range(referrers))
            )
        )
    return url, store


def applied(store: Store) -> tuple[int, int]:
    with store.reading() as tx:
        counts = dict(
            tx.connection.execute(
                select(webhook_inbox.c.status, func.count()).group_by(webhook_inbox.c.status)
            ).all()
        )
    return counts.get("done", 0), sum(counts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="load time per measurement")
    parser.add_argument("--batch", type=int, default=10, help="events per request")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument(
        "--catch-up", type=float, default=120.0, help="seconds to wait for the worker after load"
    )
    parser.add_argument(
        "--referrers", type=int, default=1000, help="members the contact events name in turn"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server (SQLAlchemy URL) to run on instead of SQLite files; "
        "each row gets a new database refnet_bench_<row> there",
    )
    args = parser.parse_args()
    # What `refnet serve` runs; the bare endpoints get the same.
    workers, threads = WEB_PROCESSES, WEB_THREADS
    rows: list[tuple[str, dict[str, float], str]] = []
    # refnet serve logs one access line per request (webhooks.logs.AccessLogger); the same
    # server gives the bare endpoint the same, and a row without it shows what it costs.
    access_log = ["--access-logfile", "-", "--logger-class", "webhooks.logs.AccessLogger"]
    with tempfile.TemporaryDirectory(prefix="refnet-bench-") as workdir:
        for name, processes, per_process, logging_options in (
            ("bare Flask endpoint", workers, threads, access_log),
            ("  bare, no access log", workers, threads, []),
            (
                f"  bare, {PREVIOUS_WORKERS} x {PREVIOUS_THREADS}",
                PREVIOUS_WORKERS,
                PREVIOUS_THREADS,
                access_log,
            ),
        ):
            port = free_port()
            url, bare_store = fresh_store(Path(workdir), f"bare{len(rows)}", server=args.postgres)
            gunicorn = [sys.executable, "-m", "gunicorn", "--worker-class", "gthread"]
            gunicorn += ["--workers", str(processes), "--threads", str(per_process)]
            gunicorn += ["--log-level", "warning", *logging_options]
            gunicorn += ["--bind", f"127.0.0.1:{port}"]
            bare, _ = run(
                [*gunicorn, "webhooks_throughput:bare_app"],
                environment(url, port),
                port,
                args,
            )
            rows.append((name, figures(bare, args.batch), ""))
            bare_store.close()
        previous = ["--workers", str(PREVIOUS_WORKERS), "--threads", str(PREVIOUS_THREADS)]
        # No worker process: a worker thread per web process, or (not worked) none at all.
        no_sidecar = ["--inbox-workers", "0"]
        # The shipped service, then where intake's time goes: the defaults with no inbox
        # worker at all, and diagnostics of that which give up a promise each (commits not
        # synced, nothing stored). Rows: name, diagnostic variant, options, with a worker.
        for name, variant, options, worked in (
            ("refnet serve (defaults)", None, [], True),
            (f"  {PREVIOUS_WORKERS} x {PREVIOUS_THREADS}", None, previous, True),
            ("  --inbox-workers 0", None, no_sidecar, True),
            ("  no inbox worker", None, no_sidecar, False),
            ("  no worker, sync=NORMAL", "synchronous-normal", no_sidecar, False),
            ("  no worker, stores none", "store-nothing", no_sidecar, False),
        ):
            if variant == "synchronous-normal" and args.postgres:
                continue  # a SQLite setting
            port = free_port()
            url, store = fresh_store(
                Path(workdir), f"serve{len(rows)}", args.referrers, server=args.postgres
            )
            launcher = [REFNET] if variant is None else [sys.executable, str(DIAGNOSTICS), variant]
            command = [*launcher, "serve", "--port", str(port), *options]
            env = environment(url, port)
            if not worked:
                env["REFNET_WEBHOOK_RUN_WORKER"] = "false"
            load, note = run(command, env, port, args, store if worked else None)
            rows.append((name, figures(load, args.batch), "diagnostic" if variant else note))
            store.close()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"intake on {backend} ({args.seconds:g}s per side, {args.batch} events/request, "
        "8 client threads, "
        f"gunicorn gthread {workers} workers x {threads} threads; ratios to the first row)"
    )
    base = rows[0][1]["events_per_s"]
    for name, f, note in rows:
        ratio = f["events_per_s"] / base
        print(
            f"  {name:<24} {f['events_per_s']:>6.0f} events/s  ratio {ratio:4.2f}"
            f"  p50 {f['p50_ms']:6.1f} ms  p99 {f['p99_ms']:7.1f} ms  non-2xx {f['non_2xx']:.0f}"
            f"  web CPU {f['web_cpu_ms']:.2f} ms/request, switches {f['voluntary']:.1f}"
            f" + {f['involuntary']:.1f}/request  {note}"
        )


if __name__ == "__main__":
    main()
