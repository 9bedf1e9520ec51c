"""``refnet serve`` and ``refnet worker``: the webhook service and its inbox worker.

``app`` holds both commands (for a ``refnet webhooks …`` group); ``serve_app`` and
``worker_app`` hold one each, for top-level ``refnet serve`` / ``refnet worker`` entry
points in the ``refnet.commands`` group.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from functools import partial
from types import FrameType
from typing import Annotated

import typer

from connector.i18n import gettext as _
from connector.inbox import enable_sqlite_wal
from connector.referral_form import load_referral_form_settings
from connector.settings import load_settings
from connector.store import Store
from webhooks.app import build_worker, create_app
from webhooks.logs import AccessLogger, configure_logging
from webhooks.settings import load_webhook_settings
from webhooks.sidecars import InboxWorkerProcesses

__all__ = ["WEB_PROCESSES", "WEB_THREADS", "app", "serve", "serve_app", "worker", "worker_app"]


class WorkerClass(StrEnum):
    GTHREAD = "gthread"
    GEVENT = "gevent"


app = typer.Typer(help=_("Serve CRM webhooks and process their inbox."), no_args_is_help=True)

_SERVE_HELP = _(
    "Serve the webhook endpoints with gunicorn, and process the inbox beside them.\n\n"
    "Settings come from REFNET_WEBHOOK_* (secrets are required for every enabled provider) "
    "and REFNET_DATABASE_URL. Put TLS in front (a proxy) and set "
    "REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL to the URL HubSpot calls."
)
_WORKER_HELP = _(
    "Process the webhook inbox (run several for scale; they never take the same event)."
)

# gunicorn processes and threads per process when `refnet serve` is not told, whatever the
# store. SQLite had one process of 16 threads (one group commit for every request) until
# it was measured against two of four with the worker running: in alternated runs two
# processes stored 22-45 % more events (6,700-8,400 against 5,100-6,100 events/s; 3-8 %
# in single runs of the full bench), at a p99 about a tenth higher, because 16 request
# threads behind one interpreter lock cost more in switching (25 voluntary context
# switches per request against 10) than the smaller groups of two processes cost in
# syncs (BENCHMARKS.md, serve).
WEB_PROCESSES = 2
WEB_THREADS = 4


@app.command(help=_SERVE_HELP)
def serve(
    host: Annotated[str, typer.Option(help=_("Interface to bind; 0.0.0.0 for all."))] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=_("TCP port."))] = 8080,
    workers: Annotated[int, typer.Option(min=1, help=_("gunicorn worker processes."))] = (
        WEB_PROCESSES
    ),
    threads: Annotated[int, typer.Option(min=1, help=_("Threads per worker process."))] = (
        WEB_THREADS
    ),
    timeout: Annotated[
        int, typer.Option(min=5, help=_("Seconds before a stuck worker restarts."))
    ] = 30,
    worker_class: Annotated[
        WorkerClass,
        typer.Option(
            help=_(
                "gthread: a thread per request (put a buffering proxy in front); "
                "gevent: slow clients cost a greenlet, reads time out (see webhooks/README.md)."
            )
        ),
    ] = WorkerClass.GTHREAD,
    read_timeout: Annotated[
        float,
        typer.Option(min=1, help=_("gevent: seconds a client may stay silent mid-request.")),
    ] = 10.0,
    inbox_workers: Annotated[
        int,
        typer.Option(
            min=0,
            help=_(
                "`refnet worker` processes to start and keep running beside the web "
                "workers; 0: none (then REFNET_WEBHOOK_RUN_WORKER puts a worker thread in "
                "each web process)."
            ),
        ),
    ] = 1,
) -> None:
    # Check settings and migrate once in the master, so a bad setting fails before forking
    # and workers never race to create the schema.
    settings = load_webhook_settings()
    settings.require_secrets()
    load_referral_form_settings()  # a bad referral form setting stops here too (exit 6)
    configure_logging(log_format=settings.log_format)  # inherited by the forked workers
    Store.open(load_settings().database_url).close()
    from webhooks.server import GunicornServer  # noqa: PLC0415 - gunicorn only when serving

    # By default the inbox is worked by separate processes the master keeps running, not
    # by a thread competing with each web process's request threads (webhooks.sidecars).
    sidecars = InboxWorkerProcesses(inbox_workers) if inbox_workers else None
    factory = partial(create_app, start_worker=False) if sidecars else create_app
    GunicornServer(
        factory,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "timeout": timeout,
            "worker_class": _worker_class(worker_class, read_timeout),
            # Acknowledge within the CRMs' timeouts (HubSpot: a few seconds).
            "graceful_timeout": 20,
            "accesslog": "-",
            # One structured line per request; no query strings or tokens (webhooks.logs).
            "logger_class": AccessLogger.with_format(settings.log_format),
        },
        sidecars=sidecars,
    ).run()


def _worker_class(choice: WorkerClass, read_timeout: float) -> object:
    if choice is WorkerClass.GEVENT:
        from webhooks.gevent_worker import TimeoutGeventWorker  # noqa: PLC0415 - gevent on demand

        return TimeoutGeventWorker.with_read_timeout(read_timeout)
    return "gthread"


@app.command(help=_WORKER_HELP)
def worker(
    drain: Annotated[
        bool, typer.Option("--drain", help=_("Process what is claimable now, then exit."))
    ] = False,
    parent_pid: Annotated[
        int | None,
        typer.Option(hidden=True, help="Exit when this process (refnet serve) is gone."),
    ] = None,
) -> None:
    settings = load_webhook_settings()
    configure_logging(log_format=settings.log_format)
    core = load_settings()
    store = Store.open(core.database_url)
    if settings.sqlite_wal:
        enable_sqlite_wal(store)
    inbox_worker = build_worker(settings, store, core.rules)
    if drain:
        result = inbox_worker.drain()
        typer.echo(
            _(
                "claimed {claimed}: done {done}, ignored {ignored}, rejected {rejected}, "
                "retried {retried}, failed {failed}, held outcomes settled {settled}, "
                "written back {written_back}"
            ).format(
                claimed=result.claimed,
                done=result.done,
                ignored=result.ignored,
                rejected=result.rejected,
                retried=result.retried,
                failed=result.failed,
                settled=result.settled,
                written_back=result.written_back,
            )
        )
        return

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        inbox_worker.stop(timeout=0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if parent_pid is not None:
        _stop_when_orphaned(parent_pid, inbox_worker.stop)
    inbox_worker.run()


def _stop_when_orphaned(parent_pid: int, stop: Callable[..., None]) -> None:
    """Stop when the parent is gone: a master killed with SIGKILL cannot stop us itself."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        stop(timeout=0)

    threading.Thread(target=watch, name="refnet-parent-watch", daemon=True).start()


serve_app = typer.Typer()
serve_app.command(name="serve", help=_SERVE_HELP)(serve)
worker_app = typer.Typer()
worker_app.command(name="worker", help=_WORKER_HELP)(worker)
