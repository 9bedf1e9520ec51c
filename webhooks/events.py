"""Inbound event models of each provider and their conversion to refnet's neutral event.

Parsing only: nothing here decides what an event means (that is
:func:`connector.events.interpret`). Every failure is an :class:`InputError` whose message
names the position and field, never the value sent.

HubSpot events are stored as sent (:func:`parse_hubspot_intake`): intake reads only their
identity and the inbox's columns, and the worker validates the rest when it claims them
(:mod:`connector.inbox.payloads`, where the HubSpot models live: the worker needs them and
the domain must not import this Flask package). :func:`parse_hubspot_batch` validates a
whole batch at once, for tools and tests.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from connector.errors import InputError
from connector.events import InboundEvent, property_map
from connector.i18n import gettext as _
from connector.inbox.payloads import (
    MAX_BATCH,
    HubSpotEvent,
    IncomingEvent,
    check_hubspot_batch_size,
    hubspot_incoming,
    hubspot_to_inbound,
    input_error,
)

__all__ = [
    "HubSpotEvent",
    "IncomingEvent",
    "SalesforceCallout",
    "SalesforceCalloutEvent",
    "hubspot_to_inbound",
    "parse_hubspot_batch",
    "parse_hubspot_intake",
    "parse_salesforce_callout",
    "salesforce_callout_to_inbound",
]

Scalar = str | int | float | bool | None

_HUBSPOT_BATCH: TypeAdapter[list[HubSpotEvent]] = TypeAdapter(
    Annotated[list[HubSpotEvent], Field(min_length=1, max_length=MAX_BATCH)]
)


def _contains_nul(body: bytes, data: object) -> bool:
    """Whether any key or text in decoded JSON holds U+0000 (walked without recursion).

    Strict JSON has no raw control characters in strings, so in UTF-8 a NUL arrives only as
    the escape ``\\u0000``; a body with neither that text nor a zero byte (``json.loads``
    also decodes UTF-16 and UTF-32, full of zero bytes) is not walked: every request's cost.
    """
    if b"\\u0000" not in body and b"\x00" not in body:
        return False
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _load_json(body: bytes, source: str) -> object:
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    # RecursionError: nesting deeper than the parser's stack, e.g. 100,000 open brackets.
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(_("{source}: the body is not valid JSON").format(source=source)) from None
    # No CRM sends U+0000 ("\u0000" in JSON), and PostgreSQL text cannot store it: without
    # this check the event would be answered 503 and redelivered forever.
    if _contains_nul(body, data):
        raise InputError(
            _("{source}: the body contains a NUL character (\\u0000)").format(source=source)
        )
    return data


def _no_constant(name: str) -> float:
    # NaN and Infinity are no JSON (RFC 8259, section 6), and no CRM sends them; stored,
    # they would be written back as null by the inbox's JSON writer.
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: a number too large for a float
        raise ValueError("number out of range")
    return value


def parse_hubspot_batch(body: bytes) -> list[HubSpotEvent]:
    """The events of a HubSpot webhook body (a JSON array of event objects)."""
    data = _load_json(body, "hubspot")
    if not isinstance(data, list):
        raise InputError(_("hubspot: the body must be a JSON array of events"))
    try:
        return _HUBSPOT_BATCH.validate_python(data)
    except ValidationError as exc:
        raise input_error("hubspot", exc) from None


def parse_hubspot_intake(body: bytes) -> list[IncomingEvent]:
    """The events of a HubSpot webhook body as intake stores them: identity and inbox
    columns checked, everything else kept as sent for the worker to validate."""
    data = _load_json(body, "hubspot")
    if not isinstance(data, list):
        raise InputError(_("hubspot: the body must be a JSON array of events"))
    check_hubspot_batch_size(data)
    return [hubspot_incoming(index, item) for index, item in enumerate(data)]


SalesforceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")]


class SalesforceCalloutEvent(BaseModel):
    """One record change sent by refnet's Apex callout (see webhooks/README.md)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    event_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        alias="eventId"
    )
    object_type: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")] = Field(
        alias="objectType"
    )
    object_id: SalesforceId = Field(alias="objectId")
    change_type: Literal["created", "updated", "deleted"] = Field(
        default="updated", alias="changeType"
    )
    occurred_at: AwareDatetime = Field(alias="occurredAt")
    properties: dict[Annotated[str, StringConstraints(max_length=255)], Scalar] = Field(
        default_factory=dict, max_length=500
    )


class SalesforceCallout(BaseModel):
    """The JSON body of an Apex callout: the org and its events."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    organization_id: SalesforceId = Field(alias="organizationId")
    events: list[SalesforceCalloutEvent] = Field(min_length=1, max_length=MAX_BATCH)


def parse_salesforce_callout(body: bytes) -> SalesforceCallout:
    data = _load_json(body, "salesforce")
    try:
        return SalesforceCallout.model_validate(data)
    except ValidationError as exc:
        raise input_error("salesforce", exc) from None


def salesforce_callout_to_inbound(org_id: str, event: SalesforceCalloutEvent) -> InboundEvent:
    return InboundEvent(
        provider="salesforce",
        # A namespace keeps Apex event ids apart from Outbound Message notification ids.
        event_id=f"callout:{event.event_id}",
        event_type=f"{event.object_type.lower()}.{event.change_type}",
        object_type=event.object_type.lower(),
        object_id=event.object_id,
        occurred_at=event.occurred_at,
        account_id=org_id,
        properties=property_map(event.properties),
    )
