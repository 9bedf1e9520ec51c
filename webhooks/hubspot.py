"""``POST /hubspot/events``: HubSpot webhook batches (signatures v3, v1, v2 as configured).

Only events of the portals on ``REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS`` are stored: a correctly
signed event of any other portal (another installation of the same app) is refused before
it reaches the inbox, so no worker ever acts on it.
"""

from __future__ import annotations

import functools

from flask import Blueprint, Response, request

from connector.errors import InputError, SignatureError
from connector.i18n import gettext as _
from webhooks.context import current
from webhooks.events import IncomingEvent, parse_hubspot_intake
from webhooks.intake import (
    JSON_TYPES,
    error_response,
    json_answer,
    precheck,
    public_url,
    read_body,
    store_events,
)
from webhooks.signatures import verify_hubspot

__all__ = ["blueprint"]

blueprint = Blueprint("hubspot", __name__, url_prefix="/hubspot")


@blueprint.post("/events")
def receive_events() -> Response:
    context = current()
    settings = context.settings
    unfit = precheck(context, JSON_TYPES, provider="hubspot")
    if unfit is not None:
        return unfit
    body = read_body(context)
    secret = settings.hubspot_client_secret
    assert secret is not None  # the app factory refuses to start without it
    try:
        verify_hubspot(
            body,
            dict(request.headers),
            secret=secret.get_secret_value(),
            url=public_url(settings.hubspot_public_base_url),
            method=request.method,
            now=context.clock(),
            tolerance=settings.signature_tolerance,
            accepted=settings.hubspot_signature_versions,
        )
    except SignatureError as exc:
        context.metrics.inc("rejected_signature")
        return error_response(401, str(exc), provider="hubspot", code="signature")
    try:
        # Identity and inbox columns only; the worker validates the rest when it claims
        # the event (connector.inbox.payloads), so the 2xx waits for nothing else.
        parsed = parse_hubspot_intake(body)
    except InputError as exc:
        context.metrics.inc("rejected_malformed")
        return error_response(400, str(exc), provider="hubspot", code="malformed")
    events, refused = _split_by_portal(parsed, _allowed_portals(tuple(settings.hubspot_portal_ids)))
    if refused:
        context.metrics.inc("rejected_portal", refused)
    if not events:
        return error_response(
            403,
            _("no event is from a portal on the allow-list"),
            provider="hubspot",
            code="portal",
        )
    stored = store_events(context, "hubspot", events)
    if isinstance(stored, Response):
        return stored
    answer = {"accepted": stored.accepted, "duplicates": stored.duplicates}
    if refused:
        answer["refused"] = refused
    return json_answer(answer)


@functools.cache
def _allowed_portals(portal_ids: tuple[int, ...]) -> frozenset[str]:
    """The allow-list as the events carry it (``account_id``: the portal id as text)."""
    return frozenset(str(portal) for portal in portal_ids)


def _split_by_portal(
    events: list[IncomingEvent], allowed: frozenset[str]
) -> tuple[list[IncomingEvent], int]:
    """The events of allowed portals, and how many were refused (no portal counts as other)."""
    kept = [event for event in events if event.account_id in allowed]
    return kept, len(events) - len(kept)
