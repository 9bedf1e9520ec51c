"""The fake HubSpot as a WSGI app: the request pipeline and the CRM objects API (v3).

Every request is counted under its endpoint name (``hubspot.<name>``), may be answered by
a scripted fault, must carry the private-app token (``Authorization: Bearer …``; missing
or wrong → 401 ``INVALID_AUTHENTICATION``, expired → 401 ``EXPIRED_AUTHENTICATION``), must
need no scope the token was started without (403 ``MISSING_SCOPES``, see
:mod:`hubspot_scopes`), and
passes the rate limits when they are on (429 ``RATE_LIMIT`` with ``policyName``
``TEN_SECONDLY_ROLLING`` or ``DAILY``; ``X-HubSpot-RateLimit-*`` headers on every answer).

Objects: batch ``upsert`` (200, or 207 with ``errors``/``numErrors``), ``create`` (201/207;
partial success only when every input has an ``objectWriteTraceId``, else the batch fails
400 and nothing is written, as documented), ``update``, ``read``; ``search``; single read
and list (every repeated ``properties`` query parameter read); the limits tracking API's
custom object limit. Schemas and properties live in :mod:`hubspot_admin`, pipelines and
associations in :mod:`hubspot_pipelines_api` and :mod:`hubspot_assoc_api`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from adapters.sandbox.disruptions import NETWORK_FAULTS, disrupt
from adapters.sandbox.faults import RequestRecord, ScriptedFault
from adapters.sandbox.hubspot_admin import register_admin
from adapters.sandbox.hubspot_assoc_api import register_associations
from adapters.sandbox.hubspot_backend import (
    HubSpotBackend,
    batch_envelope,
    hs_error,
    hs_json,
)
from adapters.sandbox.hubspot_oauth import register_oauth
from adapters.sandbox.hubspot_pipelines_api import register_pipelines
from adapters.sandbox.hubspot_records import BatchRejected, HsOutcome, not_found_error
from adapters.sandbox.hubspot_schema import ObjectType
from adapters.sandbox.hubspot_scopes import missing_scopes_answer, required_scope
from adapters.sandbox.hubspot_search import SearchError, search

__all__ = ["MAX_BATCH_INPUTS", "create_hubspot_app"]

MAX_BATCH_INPUTS = 100
_OBJECTS = "/crm/v3/objects/<object_type>"
_NO_CREDENTIALS = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
    "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def _rate_limited(policy: str, headers: dict[str, str]) -> Response:
    message = (
        "You have reached your daily limit."
        if policy == "DAILY"
        else "You have reached your ten_secondly_rolling limit."
    )
    response = hs_json(
        {
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "requestId": str(uuid.uuid4()),
        },
        429,
    )
    response.headers.update(headers)
    return response


def _scripted_headers(fault: ScriptedFault, current: dict[str, str]) -> dict[str, str]:
    """Rate-limit headers of a scripted 429: the live ones, or exhausted defaults."""
    if current:
        return current
    return {
        "X-HubSpot-RateLimit-Daily": "1000000",
        "X-HubSpot-RateLimit-Daily-Remaining": "0" if fault.policy == "DAILY" else "999000",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Max": "190",
        "X-HubSpot-RateLimit-Remaining": "0",
    }


def _token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token else None


def _wanted_properties() -> list[str]:
    """The ``properties`` query parameter, repeated and/or comma-separated (absent: none).

    hubspot-api-client sends an array query parameter as one ``properties=`` per item
    (``collection_formats={"properties": "multi"}`` in ``basic_api.get_page`` / ``get_by_id``),
    and HubSpot's docs show the comma-separated form; both are read, every occurrence.
    """
    wanted = [p for value in request.args.getlist("properties") for p in value.split(",") if p]
    return wanted


def _limits_custom_object_types(backend: HubSpotBackend) -> Response:
    """``GET /crm/v3/limits/custom-object-types``: ``{limit, percentage, usage}``.

    Shape from HubSpot's "Read custom object limits" reference (limits tracking API); custom
    objects are Enterprise-only ("Limits tracking" guide), so a portal without them has a
    limit of 0. The Enterprise limit of 10 custom object definitions is the sandbox's choice.
    """
    usage = len([t for t in backend.schema.types() if t.custom]) if backend.custom_objects else 0
    limit = 10 if backend.custom_objects else 0
    percentage = round(100 * usage / limit, 2) if limit else 0
    return hs_json({"limit": limit, "percentage": percentage, "usage": usage})


def _inputs(body: Any) -> list[dict[str, Any]]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise BatchRejected("Invalid input JSON: expected an 'inputs' array of objects")
    if len(inputs) > MAX_BATCH_INPUTS:
        raise BatchRejected(f"Too many inputs: {len(inputs)} > {MAX_BATCH_INPUTS}")
    return inputs


class _Rollback(Exception):
    """Raised inside a batch create's transaction to undo it."""


class _ObjectViews:
    """The request pipeline and the CRM objects views."""

    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        self.faults = self.backend.faults
        self.records = self.backend.records
        self.store = self.backend.store

    def pipeline(self) -> Response | None:
        endpoint = request.endpoint or "hubspot.unknown"
        g.record = self.faults.record_request(endpoint, request.method, request.path)
        g.rate_headers = {}
        fault = self.faults.take_scripted(endpoint)
        if fault is not None and fault.kind in NETWORK_FAULTS:
            if disrupt(fault):
                return Response(status=500)  # the connection is gone; nobody reads this
            fault = None
        if fault is not None and fault.kind == "hubspot_rate_limit":
            return _rate_limited(
                fault.policy, _scripted_headers(fault, self.faults.hubspot_headers())
            )
        if fault is not None:
            response = hs_error(
                fault.status, "SANDBOX_FAULT", f"Sandbox fault: HTTP {fault.status}"
            )
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            return response
        state = self.backend.credentials.hubspot_token_state(_token())
        if state == "expired":
            return hs_error(
                401,
                "EXPIRED_AUTHENTICATION",
                "The OAuth token used to make this call expired 0 day(s) ago.",
            )
        if state != "valid":
            return hs_error(401, "INVALID_AUTHENTICATION", _NO_CREDENTIALS)
        needed = required_scope(request.method, request.path)
        if set(needed) & self.backend.withheld_scopes:
            return missing_scopes_answer(needed)
        verdict = self.faults.admit_hubspot()
        g.rate_headers = verdict.headers
        if verdict.refused_policy is not None:
            return _rate_limited(verdict.refused_policy, verdict.headers)
        return None

    def finish(self, response: Response) -> Response:
        record: RequestRecord | None = g.get("record")
        if record is not None:
            record.status = response.status_code
        for name, value in (g.get("rate_headers") or {}).items():
            response.headers.setdefault(name, value)
        return response

    def http_error(self, error: HTTPException) -> Response:
        """Routing errors and unexpected failures, in HubSpot's error shape."""
        code = error.code or 500
        category = {404: "OBJECT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
            code, "INTERNAL_ERROR" if code >= 500 else "VALIDATION_ERROR"
        )
        return hs_error(code, category, error.description or error.name)

    def batch_rejected(self, error: BatchRejected) -> Response:
        return hs_error(400, error.category, error.message)

    def batch_answer(
        self,
        object_type: ObjectType,
        outcomes: Sequence[HsOutcome],
        started: int,
        ok_status: int,
        upsert: bool = False,
    ) -> Response:
        results = []
        for outcome in outcomes:
            if outcome.record is not None:
                shaped = self.records.shape(object_type, outcome.record)
                if upsert:
                    shaped["new"] = outcome.new
                results.append(shaped)
        errors = [o.error.as_json() for o in outcomes if o.error is not None]
        body = batch_envelope(started, self.store.clock.now_ms(), results)
        if errors:
            body.update(numErrors=len(errors), errors=errors)
            return hs_json(body, 207)
        return hs_json(body, ok_status)

    def batch_upsert(self, object_type: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        outcomes = self.records.upsert(object_type, _inputs(request.get_json(silent=True)))
        return self.batch_answer(object_type, outcomes, started, 200, upsert=True)

    def batch_create(self, object_type: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        inputs = _inputs(request.get_json(silent=True))
        traced = all(item.get("objectWriteTraceId") for item in inputs)
        outcomes: list[HsOutcome] = []
        try:
            with self.store.transaction():
                outcomes = self.records.create(object_type, inputs)
                if not traced and any(o.error for o in outcomes):
                    raise _Rollback
        except _Rollback:
            first = next(o.error for o in outcomes if o.error is not None)
            return hs_error(400, first.category, first.message, errors=first.errors)
        return self.batch_answer(object_type, outcomes, started, 201)

    def batch_update(self, object_type: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        outcomes = self.records.update(object_type, _inputs(request.get_json(silent=True)))
        return self.batch_answer(object_type, outcomes, started, 200)

    def batch_read(self, object_type: ObjectType) -> Response:
        started = self.store.clock.now_ms()
        body = request.get_json(silent=True) or {}
        inputs = _inputs(body)
        id_property = str(body.get("idProperty") or "hs_object_id")
        wanted = [str(p) for p in body.get("properties") or []]
        found, missing = [], []
        for item in inputs:
            record = self.records.find(object_type, id_property, str(item.get("id", "")))
            if record is None:
                missing.append(str(item.get("id", "")))
            else:
                found.append(self.records.shape(object_type, record, wanted))
        answer = batch_envelope(started, self.store.clock.now_ms(), found)
        if missing:
            answer.update(numErrors=1, errors=[not_found_error(object_type, missing).as_json()])
            return hs_json(answer, 207)
        return hs_json(answer)

    def do_search(self, object_type: ObjectType) -> Response:
        body = request.get_json(silent=True) or {}
        kinds = {p["name"]: p["type"] for p in self.backend.schema.properties(object_type.type_id)}
        try:
            page = search(self.records.all(object_type), kinds, body)
        except SearchError as error:
            return hs_error(400, "VALIDATION_ERROR", str(error))
        wanted = [str(p) for p in body.get("properties") or []]
        answer: dict[str, Any] = {
            "total": page.total,
            "results": [self.records.shape(object_type, r, wanted) for r in page.records],
        }
        if page.next_after is not None:
            answer["paging"] = {"next": {"after": page.next_after}}
        return hs_json(answer)

    def get_object(self, object_type: ObjectType, object_id: str) -> Response:
        id_property = request.args.get("idProperty") or "hs_object_id"
        record = self.records.find(object_type, id_property, object_id)
        if record is None:
            return hs_error(
                404,
                "OBJECT_NOT_FOUND",
                "Object not found.  objectId are usually numeric.",
                context={"id": [object_id]},
            )
        return hs_json(self.records.shape(object_type, record, _wanted_properties()))

    def list_objects(self, object_type: ObjectType) -> Response:
        limit = min(max(int(request.args.get("limit", "10") or 10), 1), 100)
        after = request.args.get("after", "0")
        start = int(after) if after.isdigit() else 0
        wanted = _wanted_properties()
        matching = [r for r in self.records.all(object_type) if r.id > start]
        page = matching[:limit]
        answer: dict[str, Any] = {
            "results": [self.records.shape(object_type, r, wanted) for r in page]
        }
        if len(matching) > limit:
            answer["paging"] = {"next": {"after": str(page[-1].id)}}
        return hs_json(answer)


def create_hubspot_app(backend: HubSpotBackend) -> Flask:
    """The fake HubSpot: CRM objects v3, schemas, properties, pipelines, associations v4."""
    app = Flask("refnet_sandbox_hubspot")
    app.url_map.strict_slashes = False
    register_oauth(app, backend)  # before the pipeline: the token endpoint takes no token
    register_admin(app, backend)
    register_associations(app, backend)
    register_pipelines(app, backend)
    views = _ObjectViews(backend)
    app.add_url_rule(
        "/crm/v3/limits/custom-object-types",
        endpoint="hubspot.limits_custom_object_types",
        view_func=lambda: _limits_custom_object_types(backend),
        methods=["GET"],
    )
    app.before_request(views.pipeline)
    app.after_request(views.finish)
    app.register_error_handler(HTTPException, views.http_error)
    app.register_error_handler(BatchRejected, views.batch_rejected)
    routes: list[tuple[str, str, Callable[..., Response], str]] = [
        ("batch_upsert", "/batch/upsert", views.batch_upsert, "POST"),
        ("batch_create", "/batch/create", views.batch_create, "POST"),
        ("batch_update", "/batch/update", views.batch_update, "POST"),
        ("batch_read", "/batch/read", views.batch_read, "POST"),
        ("search", "/search", views.do_search, "POST"),
        ("list_objects", "", views.list_objects, "GET"),
        ("get_object", "/<object_id>", views.get_object, "GET"),
    ]
    for name, rule, view, method in routes:
        app.add_url_rule(
            _OBJECTS + rule,
            endpoint=f"hubspot.{name}",
            view_func=backend.typed(view),
            methods=[method],
        )
    return app
