"""Salesforce: ``POST /salesforce/outbound`` (Outbound Messages) and ``/salesforce/events``.

Outbound Messages are authenticated by their OrganizationId only (Salesforce signs nothing),
so only configured org ids are accepted; put the endpoint behind HTTPS. The JSON endpoint
takes Flow/Apex callouts signed with ``X-Refnet-Signature`` (see webhooks/README.md).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from connector.errors import InputError, SignatureError
from webhooks.context import WebhookContext, current
from webhooks.events import parse_salesforce_callout, salesforce_callout_to_inbound
from webhooks.intake import error_response, read_body, store_events
from webhooks.outbound_message import ACK, outbound_to_inbound, parse_outbound_message
from webhooks.signatures import verify_refnet_signature

__all__ = ["blueprint"]

blueprint = Blueprint("salesforce", __name__, url_prefix="/salesforce")


def _org_allowed(context: WebhookContext, organization_id: str) -> bool:
    # Salesforce sends the 18-character id; admins often copy the 15-character one.
    allowed = {org[:15] for org in context.settings.salesforce_org_ids}
    return organization_id[:15] in allowed


def _refuse_org(context: WebhookContext) -> Response:
    context.metrics.inc("rejected_organization")
    return error_response(
        403, "organization not allowed", provider="salesforce", code="organization"
    )


@blueprint.post("/outbound")
def receive_outbound_message() -> Response:
    context = current()
    body = read_body(context)
    try:
        message = parse_outbound_message(body)
    except InputError as exc:
        context.metrics.inc("rejected_malformed")
        return error_response(400, str(exc), provider="salesforce", code="malformed")
    if not _org_allowed(context, message.organization_id):
        return _refuse_org(context)
    received_at = context.clock()
    try:
        events = [
            outbound_to_inbound(message, notification, received_at=received_at)
            for notification in message.notifications
        ]
    except ValueError:  # a field the neutral event refuses (e.g. an over-long id)
        context.metrics.inc("rejected_malformed")
        return error_response(
            400, "a notification has an invalid id", provider="salesforce", code="malformed"
        )
    stored = store_events(context, "salesforce", events)
    if isinstance(stored, Response):
        return stored
    # Salesforce retries anything but this exact acknowledgement.
    return Response(ACK, status=200, content_type="text/xml; charset=utf-8")


@blueprint.post("/events")
def receive_callout() -> Response:
    context = current()
    settings = context.settings
    body = read_body(context)
    secret = settings.salesforce_hmac_secret
    assert secret is not None  # the app factory refuses to start without it
    try:
        verify_refnet_signature(
            body,
            dict(request.headers),
            secret=secret.get_secret_value(),
            now=context.clock(),
            tolerance=settings.signature_tolerance,
        )
    except SignatureError as exc:
        context.metrics.inc("rejected_signature")
        return error_response(401, str(exc), provider="salesforce", code="signature")
    try:
        callout = parse_salesforce_callout(body)
    except InputError as exc:
        context.metrics.inc("rejected_malformed")
        return error_response(400, str(exc), provider="salesforce", code="malformed")
    if not _org_allowed(context, callout.organization_id):
        return _refuse_org(context)
    events = [salesforce_callout_to_inbound(callout.organization_id, e) for e in callout.events]
    stored = store_events(context, "salesforce", events)
    if isinstance(stored, Response):
        return stored
    return jsonify({"accepted": stored.accepted, "duplicates": stored.duplicates})
