"""The steps every provider endpoint shares: bounded body read, error answers, storing."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from flask import Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from connector.errors import TransientError
from connector.events import InboundEvent
from connector.i18n import gettext as _
from connector.inbox import ReceiveResult
from connector.inbox.payloads import IncomingEvent
from webhooks.context import WebhookContext

__all__ = [
    "JSON_TYPES",
    "XML_TYPES",
    "error_response",
    "json_answer",
    "precheck",
    "public_url",
    "read_body",
    "store_events",
]

log = logging.getLogger("refnet.webhooks")


# What each protocol sends: HubSpot and the Apex/Flow callouts post JSON; Salesforce's
# Outbound Messages are SOAP 1.1, whose media type is text/xml. Both are read as UTF-8:
# a body in another charset (UTF-16, a form) is refused before it is read or parsed.
JSON_TYPES = frozenset({"application/json"})
XML_TYPES = frozenset({"text/xml"})
_CHARSETS = frozenset({"utf-8", "utf8"})


def precheck(
    context: WebhookContext, media_types: frozenset[str], *, provider: str
) -> Response | None:
    """The cheap refusals before any byte of the body is read: size by header, media type.

    Returns the 415 answer, or None when the request may go on; a declared size over the
    limit raises 413 (the app's handler answers it).
    """
    declared = request.content_length
    if declared is not None and declared > context.settings.max_body_bytes:
        raise RequestEntityTooLarge()
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if mimetype in media_types and charset in _CHARSETS:
        return None
    context.metrics.inc("rejected_media_type")
    expected = " or ".join(sorted(media_types))
    return error_response(
        415,
        _("Content-Type must be {expected} (UTF-8), not {given}").format(
            expected=expected, given=mimetype or _("missing")
        )
        + (f"; charset={charset}" if charset not in _CHARSETS else ""),
        provider=provider,
        code="media_type",
    )


def read_body(context: WebhookContext) -> bytes:
    """The raw body, refused with 413 when over the limit by Content-Length or by bytes read.

    A chunked or lying request has no trustworthy Content-Length, so the read itself is
    bounded too.
    """
    limit = context.settings.max_body_bytes
    declared = request.content_length
    if declared is not None and declared > limit:
        raise RequestEntityTooLarge()
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    return body


def public_url(base_url: str | None) -> str:
    """The URL the sender called: the configured public base plus the raw path and query."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    path = raw.split("?", 1)[0] if raw else quote(request.path)
    query = request.query_string.decode("latin-1")
    # Without a configured base, ProxyFix (trusted hops) has set scheme, host and prefix.
    base = base_url if base_url is not None else request.root_url.rstrip("/")
    return f"{base}{path}" + (f"?{query}" if query else "")


def json_answer(answer: Mapping[str, int]) -> Response:
    """A 200 JSON answer of counts, built without Flask's JSON provider (every request's
    cost: the provider's encoder setup and key sorting were ~2 % of the web process)."""
    return Response(json.dumps(answer), mimetype="application/json")


def error_response(status: int, reason: str, *, provider: str, code: str) -> Response:
    """A short JSON refusal; logs provider and code only, never the body or headers."""
    log.warning("webhook refused", extra={"provider": provider, "code": code, "status": status})
    response = jsonify({"error": code, "reason": reason})
    response.status_code = status
    return response


def store_events(
    context: WebhookContext, provider: str, events: Sequence[InboundEvent | IncomingEvent]
) -> ReceiveResult | Response:
    """Store events durably before the CRM gets its 2xx; 503 (retry later) if the store is down."""
    context.metrics.inc("events_received", len(events))
    try:
        result = context.inbox.receive(events, now=context.clock())
    except TransientError as exc:
        context.metrics.inc("store_unavailable")
        response = error_response(
            503,
            _("the event store is unavailable; retry later"),
            provider=provider,
            code="store",
        )
        response.headers["Retry-After"] = str(int(exc.retry_after or 5))
        return response
    # Debug, not info: one more JSON line per request beside gunicorn's access line (which
    # has path, status and duration; /metrics has the counts) was ~7 % of the web
    # process's interpreter time under load (BENCHMARKS.md, serve section).
    log.debug(
        "events stored",
        extra={"provider": provider, "accepted": result.accepted, "duplicates": result.duplicates},
    )
    context.metrics.inc("events_accepted", result.accepted)
    context.metrics.inc("events_duplicate", result.duplicates)
    if result.accepted:
        context.worker.wake()
    return result
