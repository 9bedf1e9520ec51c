"""``POST /hubspot/events``: HubSpot webhook batches, signature v3 only."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from connector.errors import InputError, SignatureError
from webhooks.context import current
from webhooks.events import hubspot_to_inbound, parse_hubspot_batch
from webhooks.intake import (
    JSON_TYPES,
    error_response,
    precheck,
    public_url,
    read_body,
    store_events,
)
from webhooks.signatures import verify_hubspot_v3

__all__ = ["blueprint"]

blueprint = Blueprint("hubspot", __name__, url_prefix="/hubspot")


@blueprint.post("/events")
def receive_events() -> Response:
    context = current()
    settings = context.settings
    refused = precheck(context, JSON_TYPES, provider="hubspot")
    if refused is not None:
        return refused
    body = read_body(context)
    secret = settings.hubspot_client_secret
    assert secret is not None  # the app factory refuses to start without it
    try:
        verify_hubspot_v3(
            body,
            dict(request.headers),
            secret=secret.get_secret_value(),
            url=public_url(settings.hubspot_public_base_url),
            method=request.method,
            now=context.clock(),
            tolerance=settings.signature_tolerance,
        )
    except SignatureError as exc:
        context.metrics.inc("rejected_signature")
        return error_response(401, str(exc), provider="hubspot", code="signature")
    try:
        events = [hubspot_to_inbound(event) for event in parse_hubspot_batch(body)]
    except InputError as exc:
        context.metrics.inc("rejected_malformed")
        return error_response(400, str(exc), provider="hubspot", code="malformed")
    except ValueError:  # a field the neutral event refuses; the model above should catch all
        context.metrics.inc("rejected_malformed")
        return error_response(
            400, "an event has an invalid field", provider="hubspot", code="malformed"
        )
    stored = store_events(context, "hubspot", events)
    if isinstance(stored, Response):
        return stored
    return jsonify({"accepted": stored.accepted, "duplicates": stored.duplicates})
