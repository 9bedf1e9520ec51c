"""Salesforce: ``POST /salesforce/outbound[/<token>]`` (Outbound Messages) and ``/events``.

Salesforce signs no Outbound Message, and an OrganizationId is no secret (it shows in
every Salesforce URL and e-mail header). So the Flow's Outbound Message calls a URL with a
secret token in its path, compared in constant time before anything else is done; when a
token is configured the token-less route refuses. The org allow-list applies on top, and
the org id is found by a bounded scan of the first bytes before the XML is parsed at all.
The JSON endpoint takes Flow/Apex callouts signed with ``X-Refnet-Signature``.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, jsonify, request

from connector.errors import InputError, SignatureError
from connector.i18n import gettext as _
from webhooks.context import WebhookContext, current
from webhooks.events import parse_salesforce_callout, salesforce_callout_to_inbound
from webhooks.intake import JSON_TYPES, XML_TYPES, error_response, precheck, read_body, store_events
from webhooks.outbound_message import (
    ACK,
    outbound_to_inbound,
    parse_outbound_message,
    scan_organization_id,
)
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
        403, _("organization not allowed"), provider="salesforce", code="organization"
    )


def _refuse_token(context: WebhookContext, reason: str) -> Response:
    context.metrics.inc("rejected_token")
    return error_response(401, reason, provider="salesforce", code="token")


@blueprint.post("/outbound")
def receive_outbound_message() -> Response:
    context = current()
    if context.settings.salesforce_outbound_token is not None:
        return _refuse_token(
            context,
            _("this service takes Outbound Messages only at /salesforce/outbound/<token>"),
        )
    return _outbound(context)


@blueprint.post("/outbound/<token>")
def receive_outbound_message_with_token(token: str) -> Response:
    context = current()
    expected = context.settings.salesforce_outbound_token
    # Bytes on both sides: compare_digest takes str only when it is all ASCII.
    if expected is None or not hmac.compare_digest(
        token.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    ):
        return _refuse_token(context, _("unknown Outbound Message token"))
    return _outbound(context)


def _outbound(context: WebhookContext) -> Response:
    refused = precheck(context, XML_TYPES, provider="salesforce")
    if refused is not None:
        return refused
    body = read_body(context)
    scanned = scan_organization_id(body)
    if scanned is None:
        context.metrics.inc("rejected_malformed")
        return error_response(
            400,
            _("salesforce outbound message: no OrganizationId near the start of the message"),
            provider="salesforce",
            code="malformed",
        )
    if not _org_allowed(context, scanned):
        return _refuse_org(context)
    try:
        message = parse_outbound_message(body)
    except InputError as exc:
        context.metrics.inc("rejected_malformed")
        return error_response(400, str(exc), provider="salesforce", code="malformed")
    if message.organization_id != scanned:
        context.metrics.inc("rejected_malformed")
        return error_response(
            400,
            _("salesforce outbound message: more than one OrganizationId"),
            provider="salesforce",
            code="malformed",
        )
    received_at = context.clock()
    try:
        events = [
            outbound_to_inbound(message, notification, received_at=received_at)
            for notification in message.notifications
        ]
    except ValueError:  # a field the neutral event refuses (e.g. an over-long id)
        context.metrics.inc("rejected_malformed")
        return error_response(
            400, _("a notification has an invalid id"), provider="salesforce", code="malformed"
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
    refused = precheck(context, JSON_TYPES, provider="salesforce")
    if refused is not None:
        return refused
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
