"""Associations v4 of the fake HubSpot: labels, batch create, default associations, batch read.

- ``GET/POST/PUT /crm/v4/associations/{from}/{to}/labels``, ``DELETE .../labels/{typeId}``
- ``POST .../batch/create`` → 201 ``BatchResponseLabelsBetweenObjectPair`` or 207 with errors
  (unknown records, type ids that do not exist between the two object types)
- ``POST .../batch/associate/default`` → 200 ``BatchResponsePublicDefaultAssociation``
- ``POST .../batch/read`` → 200 (207 with errors for ids without associations)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from adapters.sandbox.hubspot_assoc import AssocType
from adapters.sandbox.hubspot_backend import (
    HubSpotBackend,
    batch_envelope,
    hs_error,
    hs_json,
    unknown_type,
)
from adapters.sandbox.hubspot_records import HsError
from adapters.sandbox.hubspot_schema import ObjectType

__all__ = ["MAX_ASSOCIATION_INPUTS", "register_associations"]

# HubSpot documents at most 1,000 inputs per v4 association batch request (changelog "Bug
# Fix: Batch Read Limit for HubSpot Associations API",
# https://developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api
# ); no HubSpot page confirms more for batch/create, so the sandbox refuses anything larger.
MAX_ASSOCIATION_INPUTS = 1000
_PAIR = "/crm/v4/associations/<from_type>/<to_type>"


class _AssociationViews:
    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        self.associations = self.backend.associations
        self.records = self.backend.records
        self.store = self.backend.store

    def pair_view(self, view: Callable[..., Response]) -> Callable[..., Response]:
        def wrapped(from_type: str, to_type: str, **kwargs: Any) -> Response:
            source, target = self.backend.resolve(from_type), self.backend.resolve(to_type)
            if source is None:
                return unknown_type(from_type)
            if target is None:
                return unknown_type(to_type)
            return view(source, target, **kwargs)

        wrapped.__name__ = view.__name__
        return wrapped

    def body(self) -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    def inputs(self) -> list[dict[str, Any]] | Response:
        items = self.body().get("inputs")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return hs_error(400, "VALIDATION_ERROR", "Expected an 'inputs' array of objects")
        if len(items) > MAX_ASSOCIATION_INPUTS:
            return hs_error(
                400, "VALIDATION_ERROR", f"Too many inputs: {len(items)} > {MAX_ASSOCIATION_INPUTS}"
            )
        return items

    def labels(self, source: ObjectType, target: ObjectType) -> Response:
        kinds = self.associations.types(source.type_id, target.type_id)
        return hs_json({"results": [k.as_spec() for k in kinds]})

    def create_label(self, source: ObjectType, target: ObjectType) -> Response:
        spec = self.body()
        label, name = spec.get("label"), spec.get("name")
        if not label or not name:
            return hs_error(400, "VALIDATION_ERROR", "label and name are required")
        inverse = spec.get("inverseLabel")
        forward, backward = self.associations.define(
            source.type_id,
            target.type_id,
            label=str(label),
            inverse_label=str(inverse) if inverse else None,
            name=str(name),
        )
        created = [forward] + ([backward] if inverse else [])
        return hs_json({"results": [k.as_spec() for k in created]})

    def update_label(self, source: ObjectType, target: ObjectType) -> Response:
        spec = self.body()
        type_id, label = spec.get("associationTypeId"), spec.get("label")
        inverse = spec.get("inverseLabel")
        if not isinstance(type_id, int) or not label:
            return hs_error(400, "VALIDATION_ERROR", "associationTypeId and label are required")
        if not self.associations.relabel(
            source.type_id, target.type_id, type_id, str(label), str(inverse) if inverse else None
        ):
            return hs_error(404, "OBJECT_NOT_FOUND", f"No user-defined association type {type_id}")
        return Response(status=204)

    def delete_label(self, source: ObjectType, target: ObjectType, type_id: int) -> Response:
        if not self.associations.remove_type(source.type_id, target.type_id, type_id):
            return hs_error(404, "OBJECT_NOT_FOUND", f"No user-defined association type {type_id}")
        return Response(status=204)

    def endpoints(
        self, source: ObjectType, target: ObjectType, item: dict[str, Any]
    ) -> tuple[int, int] | HsError:
        from_id = str((item.get("from") or {}).get("id", ""))
        to_id = str((item.get("to") or {}).get("id", ""))
        missing = [
            f"{kind.singular} {record_id}"
            for kind, record_id in ((source, from_id), (target, to_id))
            if self.records.get(kind, record_id) is None
        ]
        if missing:
            return HsError(
                "VALIDATION_ERROR",
                f"No records exist for {', '.join(missing)}",
                {"fromId": [from_id], "toId": [to_id]},
            )
        return int(from_id), int(to_id)

    def pair_result(
        self, source: ObjectType, target: ObjectType, from_id: int, to_id: int
    ) -> dict[str, Any]:
        linked = self.associations.between(source.type_id, from_id, target.type_id, to_id)
        return {
            "fromObjectTypeId": source.type_id,
            "fromObjectId": str(from_id),
            "toObjectTypeId": target.type_id,
            "toObjectId": str(to_id),
            "labels": [k.label for k in linked if k.label],
        }

    def batch_create(self, source: ObjectType, target: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        items = self.inputs()
        if isinstance(items, Response):
            return items
        results, errors = [], []
        for item in items:
            ends = self.endpoints(source, target, item)
            kinds: list[AssocType] = []
            if not isinstance(ends, HsError):
                for spec in item.get("types") or []:
                    kind = self.associations.find(
                        source.type_id, target.type_id, int(spec.get("associationTypeId", -1))
                    )
                    if kind is None or kind.category != spec.get("associationCategory"):
                        ends = HsError(
                            "VALIDATION_ERROR",
                            f"{spec.get('associationCategory')} {spec.get('associationTypeId')} "
                            f"is not a valid association type between {source.name} and "
                            f"{target.name}",
                        )
                        break
                    kinds.append(kind)
                if not kinds and not isinstance(ends, HsError):
                    ends = HsError("VALIDATION_ERROR", "At least one association type is required")
            if isinstance(ends, HsError):
                errors.append(ends.as_json())
                continue
            for kind in kinds:
                self.associations.associate(source.type_id, ends[0], target.type_id, ends[1], kind)
            results.append(self.pair_result(source, target, *ends))
        envelope = batch_envelope(started, self.store.clock.now_ms(), results)
        if errors:
            envelope.update(numErrors=len(errors), errors=errors)
        return hs_json(envelope, 207 if errors else 201)

    def batch_default(self, source: ObjectType, target: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        items = self.inputs()
        if isinstance(items, Response):
            return items
        kind = self.associations.default_type(source.type_id, target.type_id)
        results, errors = [], []
        for item in items:
            ends = self.endpoints(source, target, item)
            if kind is None:
                ends = HsError(
                    "VALIDATION_ERROR",
                    f"No default association between {source.name} and {target.name}",
                )
            if isinstance(ends, HsError):
                errors.append(ends.as_json())
                continue
            assert kind is not None
            self.associations.associate(source.type_id, ends[0], target.type_id, ends[1], kind)
            results.append(
                {
                    "from": {"id": str(ends[0])},
                    "to": {"id": str(ends[1])},
                    "associationSpec": {
                        "associationCategory": kind.category,
                        "associationTypeId": kind.type_id,
                    },
                }
            )
        envelope = batch_envelope(started, self.store.clock.now_ms(), results)
        if errors:
            envelope.update(numErrors=len(errors), errors=errors)
        return hs_json(envelope)

    def batch_read(self, source: ObjectType, target: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        items = self.inputs()
        if isinstance(items, Response):
            return items
        results, missing = [], []
        for item in items:
            record_id = str(item.get("id", ""))
            linked = (
                self.associations.targets(source.type_id, int(record_id), target.type_id)
                if record_id.isdigit()
                else {}
            )
            if not linked:
                missing.append(record_id)
                continue
            results.append(
                {
                    "from": {"id": record_id},
                    "to": [
                        {"toObjectId": str(to_id), "associationTypes": [k.as_spec() for k in kinds]}
                        for to_id, kinds in linked.items()
                    ],
                }
            )
        envelope = batch_envelope(started, self.store.clock.now_ms(), results)
        if missing:
            error = HsError(
                "OBJECT_NOT_FOUND",
                f"No {target.name} is associated with some {source.name}",
                {"fromIds": missing},
            )
            envelope.update(numErrors=1, errors=[error.as_json()])
        return hs_json(envelope, 207 if missing else 200)


def register_associations(app: Flask, backend: HubSpotBackend) -> None:
    """Add the associations v4 resources (endpoint names ``hubspot.<name>``)."""
    views = _AssociationViews(backend)
    routes: list[tuple[str, str, Callable[..., Response], str]] = [
        ("association_labels", "/labels", views.labels, "GET"),
        ("create_association_label", "/labels", views.create_label, "POST"),
        ("update_association_label", "/labels", views.update_label, "PUT"),
        ("delete_association_label", "/labels/<int:type_id>", views.delete_label, "DELETE"),
        ("associations_batch_create", "/batch/create", views.batch_create, "POST"),
        ("associations_batch_default", "/batch/associate/default", views.batch_default, "POST"),
        ("associations_batch_read", "/batch/read", views.batch_read, "POST"),
    ]
    for name, rule, view, method in routes:
        app.add_url_rule(
            _PAIR + rule,
            endpoint=f"hubspot.{name}",
            view_func=views.pair_view(view),
            methods=[method],
        )
