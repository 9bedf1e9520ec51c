"""Inbound event models of each provider and their conversion to refnet's neutral event.

Parsing only: nothing here decides what an event means (that is
:func:`connector.events.interpret`). Every failure is an :class:`InputError` whose message
names the position and field, never the value sent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from connector.validation_messages import validation_message

__all__ = [
    "HubSpotEvent",
    "SalesforceCallout",
    "SalesforceCalloutEvent",
    "hubspot_to_inbound",
    "parse_hubspot_batch",
    "parse_salesforce_callout",
    "salesforce_callout_to_inbound",
]

Scalar = str | int | float | bool | None
MAX_BATCH = 1000  # far above HubSpot's batch size; a guard against absurd bodies

# HubSpot's object type ids of the standard objects in generic (object.*) events.
_HUBSPOT_OBJECT_TYPES = {"0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket"}


# HubSpot ids are 64-bit integers; a bigger number would not fit the inbox's id columns.
_HubSpotId = Annotated[int, Field(ge=0, le=2**63 - 1)]
# 9999-12-31T23:59:59.999Z: the last instant a datetime can hold.
_LAST_EPOCH_MS = 253_402_300_799_999


class HubSpotEvent(BaseModel):
    """One event of a HubSpot webhook batch (the documented fields; others are ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    event_id: _HubSpotId = Field(alias="eventId")
    subscription_id: _HubSpotId | None = Field(default=None, alias="subscriptionId")
    portal_id: _HubSpotId | None = Field(default=None, alias="portalId")
    app_id: _HubSpotId | None = Field(default=None, alias="appId")
    occurred_at: int = Field(
        alias="occurredAt", ge=0, le=_LAST_EPOCH_MS, description="epoch milliseconds"
    )
    subscription_type: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        alias="subscriptionType"
    )
    attempt_number: int | None = Field(default=None, alias="attemptNumber")
    object_id: _HubSpotId | None = Field(default=None, alias="objectId")
    object_type_id: str | None = Field(default=None, alias="objectTypeId", max_length=32)
    property_name: str | None = Field(default=None, alias="propertyName", max_length=255)
    property_value: Scalar = Field(default=None, alias="propertyValue")
    change_source: str | None = Field(default=None, alias="changeSource", max_length=64)
    change_flag: str | None = Field(default=None, alias="changeFlag", max_length=32)
    association_type: str | None = Field(default=None, alias="associationType", max_length=64)
    from_object_id: _HubSpotId | None = Field(default=None, alias="fromObjectId")
    to_object_id: _HubSpotId | None = Field(default=None, alias="toObjectId")
    association_removed: bool | None = Field(default=None, alias="associationRemoved")
    primary_object_id: _HubSpotId | None = Field(default=None, alias="primaryObjectId")

    @property
    def dedupe_id(self) -> str:
        """Identity across redeliveries: HubSpot's ``eventId`` alone is not guaranteed unique."""
        subject = self.object_id if self.object_id is not None else self.from_object_id
        parts = (self.portal_id, self.subscription_id, self.event_id, subject)
        return ":".join("" if part is None else str(part) for part in parts)

    @property
    def object_type(self) -> str:
        prefix = self.subscription_type.split(".", 1)[0]
        if prefix != "object":
            return prefix
        if self.object_type_id is None:
            return "object"
        return _HUBSPOT_OBJECT_TYPES.get(self.object_type_id, self.object_type_id)


_HUBSPOT_BATCH: TypeAdapter[list[HubSpotEvent]] = TypeAdapter(
    Annotated[list[HubSpotEvent], Field(min_length=1, max_length=MAX_BATCH)]
)


def _input_error(source: str, exc: ValidationError) -> InputError:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return InputError(f"{source}: {where}: {validation_message(first)}")


def _contains_nul(data: object) -> bool:
    """Whether any key or text in decoded JSON holds U+0000 (walked without recursion)."""
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
        data = json.loads(body)
    # RecursionError: nesting deeper than the parser's stack, e.g. 100,000 open brackets.
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(_("{source}: the body is not valid JSON").format(source=source)) from None
    # No CRM sends U+0000 ("\u0000" in JSON), and PostgreSQL text cannot store it: without
    # this check the event would be answered 503 and redelivered forever.
    if _contains_nul(data):
        raise InputError(
            _("{source}: the body contains a NUL character (\\u0000)").format(source=source)
        )
    return data


def parse_hubspot_batch(body: bytes) -> list[HubSpotEvent]:
    """The events of a HubSpot webhook body (a JSON array of event objects)."""
    data = _load_json(body, "hubspot")
    if not isinstance(data, list):
        raise InputError(_("hubspot: the body must be a JSON array of events"))
    try:
        return _HUBSPOT_BATCH.validate_python(data)
    except ValidationError as exc:
        raise _input_error("hubspot", exc) from None


def hubspot_to_inbound(event: HubSpotEvent) -> InboundEvent:
    properties: dict[str, object | None] = {}
    if event.property_name is not None:
        properties[event.property_name] = event.property_value
    if event.association_type is not None:
        properties.update(
            associationType=event.association_type,
            toObjectId=event.to_object_id,
            associationRemoved=event.association_removed,
        )
    subject = event.object_id if event.object_id is not None else event.from_object_id
    return InboundEvent(
        provider="hubspot",
        event_id=event.dedupe_id,
        event_type=event.subscription_type,
        object_type=event.object_type,
        object_id=str(subject) if subject is not None else "none",
        occurred_at=datetime.fromtimestamp(event.occurred_at / 1000, tz=UTC),
        account_id=str(event.portal_id) if event.portal_id is not None else None,
        properties=property_map(properties),
    )


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
        raise _input_error("salesforce", exc) from None


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
