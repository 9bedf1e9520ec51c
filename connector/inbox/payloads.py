"""What the inbox stores for an event, and how the worker reads it back.

Intake has to answer the CRM fast, and before its 2xx only three things must happen: the
signature is checked, the event's identity (its dedupe key) and the inbox's columns are
read, and the event is committed. So a HubSpot event is stored as HubSpot sent it
(:func:`hubspot_incoming` reads only the fields the key and the columns need, from the
decoded JSON directly) and validated in full when a worker claims it
(:func:`decode_payload`): pydantic validation of every event and the neutral
:class:`InboundEvent` built from it were about a sixth of the web process's work.

Two payload shapes are read back: ``{"raw": "hubspot", "event": {...}}`` (stored since the
raw intake) and the neutral event itself (:meth:`InboundEvent.model_dump`, what the inbox
stored before, and still stores for Salesforce and the referral form). An event whose
stored payload does not validate raises :class:`PayloadError` naming the event and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
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
    "MAX_BATCH",
    "HubSpotEvent",
    "HubSpotEventKey",
    "IncomingEvent",
    "PayloadError",
    "check_hubspot_batch_size",
    "decode_payload",
    "hubspot_incoming",
    "hubspot_to_inbound",
    "input_error",
]

Scalar = str | int | float | bool | None
MAX_BATCH = 1000  # far above HubSpot's batch size; a guard against absurd bodies
RAW_HUBSPOT = "hubspot"  # the "raw" marker of a stored HubSpot event

# HubSpot's object type ids of the standard objects in generic (object.*) events.
_HUBSPOT_OBJECT_TYPES = {"0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket"}

# HubSpot ids are 64-bit integers; a bigger number would not fit the inbox's id columns.
_MAX_ID = 2**63 - 1
_HubSpotId = Annotated[int, Field(ge=0, le=_MAX_ID)]
# 9999-12-31T23:59:59.999Z: the last instant a datetime can hold.
_LAST_EPOCH_MS = 253_402_300_799_999
_MAX_SUBSCRIPTION_TYPE = 64
_MAX_OBJECT_TYPE_ID = 32


class PayloadError(Exception):
    """A stored event that does not validate; the message names the event and the field."""


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """An event as intake stores it: the inbox's columns and the payload (raw CRM JSON)."""

    provider: str
    event_id: str
    event_type: str
    object_type: str
    object_id: str
    occurred_at: datetime
    payload: dict[str, Any]
    account_id: str | None = None


class HubSpotEventKey(BaseModel):
    """The fields of a HubSpot event that intake needs: its identity and the inbox columns.

    HubSpot, "Webhooks API" (developers.hubspot.com/docs/api/webhooks): every event carries
    ``eventId``, ``subscriptionId``, ``portalId``, ``occurredAt`` (epoch milliseconds),
    ``subscriptionType`` and ``objectId`` (association changes: ``fromObjectId``).
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    event_id: _HubSpotId = Field(alias="eventId")
    subscription_id: _HubSpotId | None = Field(default=None, alias="subscriptionId")
    portal_id: _HubSpotId | None = Field(default=None, alias="portalId")
    occurred_at: int = Field(
        alias="occurredAt", ge=0, le=_LAST_EPOCH_MS, description="epoch milliseconds"
    )
    subscription_type: Annotated[
        str, StringConstraints(min_length=1, max_length=_MAX_SUBSCRIPTION_TYPE)
    ] = Field(alias="subscriptionType")
    object_id: _HubSpotId | None = Field(default=None, alias="objectId")
    object_type_id: str | None = Field(
        default=None, alias="objectTypeId", max_length=_MAX_OBJECT_TYPE_ID
    )
    from_object_id: _HubSpotId | None = Field(default=None, alias="fromObjectId")

    @property
    def dedupe_id(self) -> str:
        """Identity across redeliveries: HubSpot's ``eventId`` alone is not guaranteed unique."""
        return _dedupe_id(
            self.portal_id, self.subscription_id, self.event_id, self.object_id, self.from_object_id
        )

    @property
    def object_type(self) -> str:
        return _object_type(self.subscription_type, self.object_type_id)


class HubSpotEvent(HubSpotEventKey):
    """One event of a HubSpot webhook batch (the documented fields; others are ignored)."""

    app_id: _HubSpotId | None = Field(default=None, alias="appId")
    attempt_number: int | None = Field(default=None, alias="attemptNumber")
    property_name: str | None = Field(default=None, alias="propertyName", max_length=255)
    property_value: Scalar = Field(default=None, alias="propertyValue")
    change_source: str | None = Field(default=None, alias="changeSource", max_length=64)
    change_flag: str | None = Field(default=None, alias="changeFlag", max_length=32)
    association_type: str | None = Field(default=None, alias="associationType", max_length=64)
    to_object_id: _HubSpotId | None = Field(default=None, alias="toObjectId")
    association_removed: bool | None = Field(default=None, alias="associationRemoved")
    primary_object_id: _HubSpotId | None = Field(default=None, alias="primaryObjectId")


def _dedupe_id(
    portal: int | None, subscription: int | None, event: int, obj: int | None, source: int | None
) -> str:
    subject = obj if obj is not None else source
    parts = (portal, subscription, event, subject)
    return ":".join("" if part is None else str(part) for part in parts)


def _columns(
    portal: int | None, obj: int | None, source: int | None, occurred_ms: int
) -> tuple[str, datetime, str | None]:
    """The inbox's object id, occurrence time and account id of a HubSpot event."""
    subject = obj if obj is not None else source
    return (
        str(subject) if subject is not None else "none",
        datetime.fromtimestamp(occurred_ms / 1000, tz=UTC),
        str(portal) if portal is not None else None,
    )


def _object_type(subscription_type: str, object_type_id: str | None) -> str:
    prefix = subscription_type.split(".", 1)[0]
    if prefix != "object":
        return prefix
    if object_type_id is None:
        return "object"
    return _HUBSPOT_OBJECT_TYPES.get(object_type_id, object_type_id)


_BATCH_SIZE: TypeAdapter[list[Any]] = TypeAdapter(
    Annotated[list[Any], Field(min_length=1, max_length=MAX_BATCH)]
)


def input_error(source: str, exc: ValidationError, prefix: str = "") -> InputError:
    """The first problem pydantic found, as ``{source}: {position.field}: {message}``."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join([prefix] * bool(prefix) + [str(part) for part in first["loc"]]) or "body"
    return InputError(f"{source}: {where}: {validation_message(first)}")


def check_hubspot_batch_size(events: list[Any]) -> None:
    """:class:`InputError` unless the batch holds 1 to :data:`MAX_BATCH` events."""
    if not 1 <= len(events) <= MAX_BATCH:
        try:
            _BATCH_SIZE.validate_python(events)
        except ValidationError as exc:
            raise input_error("hubspot", exc) from None


def _exact_id(value: object) -> bool:
    # type() rather than isinstance(): a bool is an int to isinstance, not to HubSpot.
    return type(value) is int and 0 <= value <= _MAX_ID


def _optional_id(item: Mapping[str, Any], name: str) -> bool:
    value = item.get(name)
    return value is None or _exact_id(value)


def _plainly_valid(item: Mapping[str, Any]) -> bool:
    """Whether the key fields have exactly the JSON types HubSpot sends (the common case)."""
    occurred = item.get("occurredAt")
    subscription_type = item.get("subscriptionType")
    object_type_id = item.get("objectTypeId")
    return (
        _exact_id(item.get("eventId"))
        and _optional_id(item, "subscriptionId")
        and _optional_id(item, "portalId")
        and _optional_id(item, "objectId")
        and _optional_id(item, "fromObjectId")
        and type(occurred) is int
        and 0 <= occurred <= _LAST_EPOCH_MS
        and type(subscription_type) is str
        and 1 <= len(subscription_type) <= _MAX_SUBSCRIPTION_TYPE
        and (
            object_type_id is None
            or (type(object_type_id) is str and len(object_type_id) <= _MAX_OBJECT_TYPE_ID)
        )
    )


def hubspot_incoming(index: int, item: object) -> IncomingEvent:
    """The event at ``index`` of a HubSpot batch, ready to store: key fields checked, the
    rest kept as sent for the worker to validate. :class:`InputError` names the field.

    Exact JSON types are read straight from the dict; anything else (a number sent as a
    string, a missing field) goes through :class:`HubSpotEventKey`, which accepts and
    refuses exactly what the full model does for these fields.
    """
    if type(item) is dict and _plainly_valid(item):
        portal, subscription = item.get("portalId"), item.get("subscriptionId")
        event, obj, source = item["eventId"], item.get("objectId"), item.get("fromObjectId")
        subscription_type: str = item["subscriptionType"]
        occurred: int = item["occurredAt"]
        dedupe = _dedupe_id(portal, subscription, event, obj, source)
        object_type = _object_type(subscription_type, item.get("objectTypeId"))
    else:
        try:
            key = HubSpotEventKey.model_validate(item)
        except ValidationError as exc:
            raise input_error("hubspot", exc, str(index)) from None
        portal, obj, source = key.portal_id, key.object_id, key.from_object_id
        subscription_type, occurred = key.subscription_type, key.occurred_at
        dedupe, object_type = key.dedupe_id, key.object_type
    if not object_type:  # objectTypeId "" on an object.* event: no column value to store
        raise InputError(
            _("hubspot: {where}: must not be empty").format(where=f"{index}.objectTypeId")
        )
    object_id, occurred_at, account_id = _columns(portal, obj, source, occurred)
    return IncomingEvent(
        provider="hubspot",
        event_id=dedupe,
        event_type=subscription_type,
        object_type=object_type,
        object_id=object_id,
        occurred_at=occurred_at,
        payload={"raw": RAW_HUBSPOT, "event": item},
        account_id=account_id,
    )


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
    object_id, occurred_at, account_id = _columns(
        event.portal_id, event.object_id, event.from_object_id, event.occurred_at
    )
    return InboundEvent(
        provider="hubspot",
        event_id=event.dedupe_id,
        event_type=event.subscription_type,
        object_type=event.object_type,
        object_id=object_id,
        occurred_at=occurred_at,
        account_id=account_id,
        properties=property_map(properties),
    )


def decode_payload(payload: object, *, provider: str, event_id: str) -> InboundEvent:
    """The neutral event of a stored payload, either shape; :class:`PayloadError` naming the
    event (provider, event id) and the field when it does not validate."""
    try:
        if isinstance(payload, dict) and payload.get("raw") == RAW_HUBSPOT:
            return hubspot_to_inbound(HubSpotEvent.model_validate(payload.get("event")))
        return InboundEvent.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "event"
        message = validation_message(first)
    except ValueError:  # the neutral event refused a value the CRM's model let through
        field, message = "event", _("a field has an invalid value")
    raise PayloadError(
        _("{provider} event {event_id}: {field}: {message}").format(
            provider=provider, event_id=event_id, field=field, message=message
        )
    )
