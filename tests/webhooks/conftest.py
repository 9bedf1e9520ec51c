"""Fixtures of the webhook tests: an app on a real SQLite file, a settable clock, signers.

The signers here are written independently of webhooks.signatures (plain hmac/base64), so
a test that signs with them and passes checks the production code against the spec, not
against itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr

from connector.inbox import InboxWorker
from connector.rules import RulesConfig
from connector.store import Store
from webhooks import create_app
from webhooks.context import EXTENSION, WebhookContext
from webhooks.settings import WebhookSettings

HUBSPOT_SECRET = "hs-client-secret-for-tests"
SALESFORCE_SECRET = "sf-hmac-secret-for-tests"
ORG_ID = "00Dxx0000001gPLEAA"
PUBLIC_BASE = "https://hooks.example.com"
PORTAL_ID = 62515
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def refnet_logger() -> Iterator[logging.Logger]:
    """Put the process's 'refnet' logger back after every webhook test.

    ``configure_logging`` (called by `refnet serve` and by tests of the log format) sets
    handlers and ``propagate = False`` on it; left so, later tests in the same process
    (caplog, the secrets-hygiene test) saw no refnet records at all.
    """
    logger = logging.getLogger("refnet")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_settings(**overrides: Any) -> WebhookSettings:
    values: dict[str, Any] = {
        "hubspot_client_secret": SecretStr(HUBSPOT_SECRET),
        "hubspot_public_base_url": PUBLIC_BASE,
        "salesforce_hmac_secret": SecretStr(SALESFORCE_SECRET),
        "salesforce_org_ids": [ORG_ID],
        "hubspot_portal_ids": [PORTAL_ID],
        "run_worker": False,
    }
    values.update(overrides)
    return WebhookSettings(**values)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> WebhookSettings:
    return make_settings()


@pytest.fixture
def app(settings: WebhookSettings, store: Store, clock: Clock) -> Iterator[Flask]:
    built = create_app(settings, store=store, rules=RulesConfig(), clock=clock)
    built.config["TESTING"] = True
    yield built


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def context_of(app: Flask) -> WebhookContext:
    context = app.extensions[EXTENSION]
    assert isinstance(context, WebhookContext)
    return context


@pytest.fixture
def worker(app: Flask) -> InboxWorker:
    return context_of(app).worker


# --- independent signers --------------------------------------------------------------------


def hubspot_headers(
    body: bytes, *, url: str, at: datetime, secret: str = HUBSPOT_SECRET
) -> dict[str, str]:
    timestamp = str(int(at.timestamp() * 1000))
    source = b"POST" + url.encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), source, hashlib.sha256).digest()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def refnet_headers(body: bytes, *, at: datetime, secret: str = SALESFORCE_SECRET) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Refnet-Signature": f"t={timestamp},v1={mac}", "Content-Type": "application/json"}


def hubspot_event(
    event_id: int,
    subscription_type: str,
    object_id: int,
    *,
    occurred_at: datetime = T0,
    property_name: str | None = None,
    property_value: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventId": event_id,
        "subscriptionId": 4711,
        "portalId": PORTAL_ID,
        "appId": 99,
        "occurredAt": int(occurred_at.timestamp() * 1000),
        "subscriptionType": subscription_type,
        "attemptNumber": 0,
        "objectId": object_id,
        "changeSource": "CRM_UI",
    }
    if property_name is not None:
        event.update(propertyName=property_name, propertyValue=property_value)
    event.update(extra)
    return event


def post_hubspot(client: FlaskClient, events: list[dict[str, Any]], *, at: datetime) -> Any:
    body = json.dumps(events).encode()
    headers = hubspot_headers(body, url=f"{PUBLIC_BASE}/hubspot/events", at=at)
    return client.post("/hubspot/events", data=body, headers=headers)
