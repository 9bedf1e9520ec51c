"""The application factory of the webhook service.

``create_app()`` reads the settings once, refuses to start without the secrets of the
enabled providers, opens the store, registers one blueprint per enabled provider plus
``/healthz`` and ``/metrics``, and (unless told not to) starts the inbox worker on a
thread. Everything can be injected for tests: settings, store, rules, clock, write-back.

Run it with a production server: ``refnet serve`` (gunicorn), or directly
``gunicorn 'webhooks.app:create_app()'``.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from flask import Flask, Response, jsonify
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from connector.errors import TransientError
from connector.events import DealStageOutcomes
from connector.i18n import gettext as _
from connector.inbox import InboxStore, InboxWorker, enable_sqlite_wal
from connector.inbox.heartbeats import freshest_beat
from connector.model import utcnow
from connector.referral_form import ReferralFormSettings, load_referral_form_settings
from connector.rules import RulesConfig
from connector.settings import load_settings
from connector.store import Store
from connector.sync.targets import SyncTarget, load_target
from connector.writeback import OutboxWriteBack, WriteBack
from connector.writeback_sync import OutboxDrainer
from webhooks import hubspot, referral_form, salesforce
from webhooks.context import EXTENSION, WebhookContext, current
from webhooks.intake import error_response
from webhooks.metrics import Metrics
from webhooks.settings import WebhookSettings, load_webhook_settings

__all__ = ["build_worker", "create_app"]

_BLUEPRINTS = {"hubspot": hubspot.blueprint, "salesforce": salesforce.blueprint}


def build_worker(
    settings: WebhookSettings,
    store: Store,
    rules: RulesConfig,
    *,
    clock: Callable[[], datetime] = utcnow,
    writeback: WriteBack | None = None,
    targets: Sequence[SyncTarget] | None = None,
) -> InboxWorker:
    """The inbox worker as the settings describe it (also used by ``refnet worker``).

    ``targets`` are the CRMs changed records are written back to; by default those named in
    ``settings.writeback_targets``.
    """
    if targets is None:
        core = load_settings()
        targets = [load_target(name, core) for name in settings.writeback_targets]
    # A CRM adapter that knows its pipelines says what each deal stage means.
    stage_outcomes = {
        target.adapter.name: target.adapter
        for target in targets
        if isinstance(target.adapter, DealStageOutcomes)
    }
    return InboxWorker(
        store,
        rules=rules,
        event_rules=settings.event_rules(),
        stage_outcomes=stage_outcomes,
        writeback=writeback if writeback is not None else OutboxWriteBack(store, clock=clock),
        drainer=OutboxDrainer(store, targets) if targets else None,
        clock=clock,
        batch_size=settings.worker_batch_size,
        lease=timedelta(seconds=settings.worker_lease_seconds),
        max_attempts=settings.worker_max_attempts,
        poll_interval=settings.worker_poll_interval,
        max_hold=settings.worker_max_hold_seconds,
    )


def create_app(
    settings: WebhookSettings | None = None,
    *,
    store: Store | None = None,
    rules: RulesConfig | None = None,
    clock: Callable[[], datetime] | None = None,
    writeback: WriteBack | None = None,
    start_worker: bool | None = None,
    targets: Sequence[SyncTarget] | None = None,
    form_settings: ReferralFormSettings | None = None,
) -> Flask:
    """Build the webhook app; raises :class:`ConfigError` if a needed secret is missing.

    The referral form (``/empfehlen/<token>``) is served when its settings have a secret.
    """
    settings = settings if settings is not None else load_webhook_settings()
    settings.require_secrets()
    if store is None or rules is None:
        core = load_settings()
        store = store if store is not None else Store.open(core.database_url)
        rules = rules if rules is not None else core.rules
    if settings.sqlite_wal:
        enable_sqlite_wal(store)
    clock = clock or utcnow
    worker = build_worker(settings, store, rules, clock=clock, writeback=writeback, targets=targets)
    run_worker = settings.run_worker if start_worker is None else start_worker

    app = Flask("refnet.webhooks")
    hops = settings.trusted_proxy_hops
    if hops:
        # The operator stated how many proxies stand in front; only their headers count.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    # Werkzeug bounds the stream of chunked bodies by this; one byte over the limit so that
    # read_body can tell "exactly the limit" (fine) from "more" (413) by what it reads.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes + 1
    app.extensions[EXTENSION] = WebhookContext(
        settings=settings,
        store=store,
        inbox=InboxStore(store),
        worker=worker,
        metrics=Metrics(),
        clock=clock,
        worker_running=lambda: run_worker,
    )
    for provider in dict.fromkeys(settings.providers):
        app.register_blueprint(_BLUEPRINTS[provider])
    app.add_url_rule("/healthz", "healthz", _healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", _readyz, methods=["GET"])
    app.add_url_rule("/metrics", "metrics", _metrics, methods=["GET"])
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    form_settings = form_settings if form_settings is not None else load_referral_form_settings()
    if form_settings.enabled:
        referral_form.install(app, form_settings, store)

    if run_worker:
        worker.start()
        atexit.register(worker.stop)
    return app


def _healthz() -> Response:
    """Liveness: the process answers requests. The store's state is /readyz's business:
    restarting a healthy process because the database is down would only add an outage."""
    return jsonify({"status": "alive"})


def _readyz() -> Response | tuple[Response, int]:
    """Readiness: an event received now would be stored and processed in time.

    Three checks, each named with its reason when it fails: the inbox takes a real write
    (rolled back), the in-process worker's loop turned recently (when one runs here), and
    no claimable event has waited longer than the threshold.
    """
    context = current()
    settings = context.settings
    now = context.clock()
    checks: dict[str, object] = {}
    reasons: list[str] = []
    try:
        context.inbox.probe_write(now=now)
        checks["store"] = "writable"
    except TransientError as exc:
        checks["store"] = "not writable"
        reasons.append(f"store: {exc}")
    if context.worker_running():
        age = context.worker.heartbeat_age()
        checks["worker_heartbeat_seconds"] = None if age is None else round(age, 3)
        if age is None:
            reasons.append("worker: the inbox worker thread is not running")
        elif age > settings.ready_max_heartbeat_seconds:
            reasons.append(
                f"worker: last heartbeat {age:.0f} s ago "
                f"(REFNET_WEBHOOK_READY_MAX_HEARTBEAT_SECONDS={settings.ready_max_heartbeat_seconds:g})"
            )
    else:
        checks["worker_heartbeat_seconds"] = "no worker in this process"
    _check_worker_beats(context.store, context.inbox, now, settings, checks, reasons)
    try:
        backlog = context.inbox.backlog_seconds(now=now)
    except Exception:  # the store may be unreadable too; the store check has said so
        checks["backlog_seconds"] = None
    else:
        checks["backlog_seconds"] = round(backlog, 3)
        if backlog > settings.ready_max_backlog_seconds:
            reasons.append(
                f"backlog: the oldest waiting event has waited {backlog:.0f} s "
                f"(REFNET_WEBHOOK_READY_MAX_BACKLOG_SECONDS={settings.ready_max_backlog_seconds:g})"
            )
    if reasons:
        return jsonify({"status": "not ready", "reasons": reasons, "checks": checks}), 503
    return jsonify({"status": "ready", "checks": checks})


def _check_worker_beats(
    store: Store,
    inbox: InboxStore,
    now: datetime,
    settings: WebhookSettings,
    checks: dict[str, object],
    reasons: list[str],
) -> None:
    """Some worker, in any process, beat recently, or nothing waits for one.

    Workers running as `refnet worker` processes are invisible to this process except
    through their heartbeat rows; a killed one stops beating, and the events it would have
    applied wait. Without waiting events an absent worker harms nobody (yet).
    """
    try:
        latest = freshest_beat(store)
        waiting = inbox.claimable_count(now=now)
    except Exception:  # the store may be unreadable; the store check has said so
        checks["freshest_worker_beat_seconds"] = None
        return
    age = None if latest is None else max((now - latest).total_seconds(), 0.0)
    checks["freshest_worker_beat_seconds"] = None if age is None else round(age, 3)
    checks["waiting_events"] = waiting
    limit = settings.ready_max_heartbeat_seconds
    if waiting and (age is None or age > limit):
        last = "never" if age is None else f"{age:.0f} s ago"
        reasons.append(
            f"workers: no inbox worker heartbeat within {limit:g} s while {waiting} event(s) "
            f"wait (last beat: {last}; REFNET_WEBHOOK_READY_MAX_HEARTBEAT_SECONDS={limit:g}); "
            "is `refnet worker` running?"
        )


def _metrics() -> Response:
    context = current()
    counters = context.metrics.snapshot()
    body: dict[str, object] = {
        "events": {
            "received": counters["events_received"],
            "accepted": counters["events_accepted"],
            "duplicates": counters["events_duplicate"],
        },
        "rejected_requests": {
            "signature": counters["rejected_signature"],
            "malformed": counters["rejected_malformed"],
            "too_large": counters["rejected_too_large"],
            "organization": counters["rejected_organization"],
            "media_type": counters["rejected_media_type"],
            "token": counters["rejected_token"],
            "portal": counters["rejected_portal"],
            "store_unavailable": counters["store_unavailable"],
        },
        "worker": {"in_process": context.worker_running()},
        "scope": "counters are per process; inbox figures are shared by all processes",
    }
    try:
        stats = context.inbox.stats(now=context.clock())
    except Exception:  # the store may be down; the counters are still worth showing
        body["inbox"] = None
    else:
        by_status = stats.by_status
        body["inbox"] = {
            "pending": stats.pending,
            "processed": by_status.get("done", 0) + by_status.get("ignored", 0),
            "done": by_status.get("done", 0),
            "ignored": by_status.get("ignored", 0),
            "rejected": by_status.get("rejected", 0),
            "failed": by_status.get("failed", 0),
            "discarded": by_status.get("discarded", 0),
            "lag_seconds": round(stats.lag_seconds, 3),
        }
    return jsonify(body)


def _too_large(_error: RequestEntityTooLarge) -> Response:
    context = current()
    context.metrics.inc("rejected_too_large")
    limit = context.settings.max_body_bytes
    return error_response(
        413,
        _("the body exceeds {limit} bytes").format(limit=limit),
        provider="any",
        code="too_large",
    )
