"""``/crm/v3/pipelines/{objectType}`` of the fake HubSpot (deals and custom objects).

List, create (201), read, update (PATCH), replace (PUT), and the stages of a pipeline
(list, create 201). Other object types answer 400, as pipelines do not exist for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request

from adapters.sandbox.hubspot_backend import HubSpotBackend, hs_error, hs_json
from adapters.sandbox.hubspot_pipelines import PipelineError
from adapters.sandbox.hubspot_schema import ObjectType

__all__ = ["register_pipelines"]

_PIPELINES = "/crm/v3/pipelines/<object_type>"


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


class _PipelineViews:
    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        self.pipelines = backend.pipelines

    def view(
        self, handler: Callable[..., dict[str, Any] | None], status: int = 200
    ) -> Callable[..., Response]:
        """A route view: resolves the type, maps errors and a missing pipeline to answers."""

        def wrapped(object_type: ObjectType, **kwargs: Any) -> Response:
            if object_type.type_id != "0-3" and not object_type.custom:
                return hs_error(
                    400,
                    "VALIDATION_ERROR",
                    f"Pipelines are not supported for object type {object_type.name}",
                )
            try:
                answer = handler(object_type, **kwargs)
            except PipelineError as error:
                return hs_error(error.status, error.category, error.message)
            if answer is None:
                return hs_error(404, "OBJECT_NOT_FOUND", "Unable to find pipeline")
            return hs_json(answer, status)

        wrapped.__name__ = handler.__name__
        return self.backend.typed(wrapped)

    def list_pipelines(self, object_type: ObjectType) -> dict[str, Any]:
        return {"results": self.pipelines.all(object_type.type_id)}

    def create_pipeline(self, object_type: ObjectType) -> dict[str, Any]:
        return self.pipelines.create(object_type.type_id, _body())

    def get_pipeline(self, object_type: ObjectType, pipeline_id: str) -> dict[str, Any] | None:
        return self.pipelines.get(object_type.type_id, pipeline_id)

    def patch_pipeline(self, object_type: ObjectType, pipeline_id: str) -> dict[str, Any]:
        return self.pipelines.update(object_type.type_id, pipeline_id, _body(), replace=False)

    def put_pipeline(self, object_type: ObjectType, pipeline_id: str) -> dict[str, Any]:
        return self.pipelines.update(object_type.type_id, pipeline_id, _body(), replace=True)

    def list_stages(self, object_type: ObjectType, pipeline_id: str) -> dict[str, Any] | None:
        pipeline = self.pipelines.get(object_type.type_id, pipeline_id)
        return None if pipeline is None else {"results": pipeline["stages"]}

    def create_stage(self, object_type: ObjectType, pipeline_id: str) -> dict[str, Any]:
        return self.pipelines.add_stage(object_type.type_id, pipeline_id, _body())


def register_pipelines(app: Flask, backend: HubSpotBackend) -> None:
    """Add the pipelines resources (endpoint names ``hubspot.<name>``)."""
    views = _PipelineViews(backend)
    one = f"{_PIPELINES}/<pipeline_id>"
    routes: list[tuple[str, str, Callable[..., Response], str]] = [
        ("list_pipelines", _PIPELINES, views.view(views.list_pipelines), "GET"),
        ("create_pipeline", _PIPELINES, views.view(views.create_pipeline, 201), "POST"),
        ("get_pipeline", one, views.view(views.get_pipeline), "GET"),
        ("update_pipeline", one, views.view(views.patch_pipeline), "PATCH"),
        ("replace_pipeline", one, views.view(views.put_pipeline), "PUT"),
        ("list_pipeline_stages", f"{one}/stages", views.view(views.list_stages), "GET"),
        ("create_pipeline_stage", f"{one}/stages", views.view(views.create_stage, 201), "POST"),
    ]
    for name, rule, view, method in routes:
        app.add_url_rule(rule, endpoint=f"hubspot.{name}", view_func=view, methods=[method])
