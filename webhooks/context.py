"""What every request handler needs, built once by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from connector.inbox import InboxStore, InboxWorker
from connector.store import Store
from webhooks.metrics import Metrics
from webhooks.settings import WebhookSettings

__all__ = ["EXTENSION", "WebhookContext", "current"]

EXTENSION = "refnet.webhooks"


@dataclass(frozen=True)
class WebhookContext:
    settings: WebhookSettings
    store: Store
    inbox: InboxStore
    worker: InboxWorker
    metrics: Metrics
    clock: Callable[[], datetime]
    worker_running: Callable[[], bool]


def current() -> WebhookContext:
    context = current_app.extensions[EXTENSION]
    assert isinstance(context, WebhookContext)
    return context
