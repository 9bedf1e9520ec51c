"""State and answer helpers shared by the fake HubSpot's API modules."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response

from adapters.sandbox.auth import Credentials
from adapters.sandbox.faults import Faults
from adapters.sandbox.hubspot_assoc import HubSpotAssociations
from adapters.sandbox.hubspot_pipelines import HubSpotPipelines
from adapters.sandbox.hubspot_records import HubSpotRecords
from adapters.sandbox.hubspot_schema import HubSpotSchema, ObjectType
from adapters.sandbox.store import Store, iso_hubspot

__all__ = [
    "HubSpotBackend",
    "batch_envelope",
    "hs_error",
    "hs_json",
    "unknown_type",
]


def hs_json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=dict(headers or {}), mimetype="application/json"
    )


def hs_error(status: int, category: str | None, message: str, **extra: Any) -> Response:
    """HubSpot's error body: ``{status: "error", message, correlationId, category, ...}``."""
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
    }
    if category:
        body["category"] = category
    body.update(extra)
    return hs_json(body, status)


def unknown_type(name: str) -> Response:
    # HubSpot answers an unknown object type with 400 and no category.
    return hs_error(400, None, f"Unable to infer object type from: {name}")


def batch_envelope(started_ms: int, completed_ms: int, results: list[Any]) -> dict[str, Any]:
    """The fields every batch answer shares (status COMPLETE, timestamps, results)."""
    return {
        "status": "COMPLETE",
        "results": results,
        "requestedAt": iso_hubspot(started_ms),
        "startedAt": iso_hubspot(started_ms),
        "completedAt": iso_hubspot(completed_ms),
    }


@dataclass
class HubSpotBackend:
    """Everything the fake HubSpot's views need."""

    store: Store
    schema: HubSpotSchema
    records: HubSpotRecords
    pipelines: HubSpotPipelines
    associations: HubSpotAssociations
    faults: Faults
    credentials: Credentials
    portal_id: int
    custom_objects: bool = True  # False emulates a portal without an Enterprise subscription
    # Scopes the token lacks (see :mod:`adapters.sandbox.hubspot_scopes`); empty: all granted.
    withheld_scopes: set[str] = field(default_factory=set)

    def typed(self, view: Callable[..., Response]) -> Callable[..., Response]:
        """Wrap a view taking an :class:`ObjectType` as one taking the path's ``object_type``."""

        def wrapped(object_type: str, **kwargs: Any) -> Response:
            resolved = self.resolve(object_type)
            return unknown_type(object_type) if resolved is None else view(resolved, **kwargs)

        wrapped.__name__ = view.__name__
        return wrapped

    def resolve(self, name: str) -> ObjectType | None:
        """The object type a path names; custom ones vanish when custom objects are off."""
        object_type = self.schema.resolve(name)
        if object_type is not None and object_type.custom and not self.custom_objects:
            return None
        return object_type
