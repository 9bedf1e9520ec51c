"""``POST /services/data/vXX.X/composite`` of the fake Salesforce: collections upserts only.

What Salesforce documents (REST API Developer Guide, "Send Multiple Requests Using
Composite" and "Composite" request body,
https://developer.salesforce.com/docs/platform/api-rest/guide/resources-composite-composite-post.html
and .../requests-composite.html):

- the whole request counts as one call against the API limits (the sandbox's request
  accounting sees one request, ``salesforce.composite``);
- up to 25 subrequests, of which at most 5 may be sObject Collections or query operations
  (sObject Collections subrequests from API 43.0);
- each subrequest: ``method``, ``url`` (starting with ``/services/data/vXX.X/``),
  ``referenceId`` (unique in the request; letters, digits and underscores), optional
  ``body`` and ``httpHeaders``;
- the answer: ``{"compositeResponse": [{"body", "httpHeaders", "httpStatusCode",
  "referenceId"}, ...]}``, one entry per subrequest in request order; each body is what the
  resource alone would have answered.

Strictness: the sandbox runs only what refnet sends (sObject Collections upserts by
external id) and refuses everything else with 400 rather than guessing an answer; it
implements ``allOrNone: false`` only (with ``true`` Salesforce rolls back every subrequest
when one fails, which the sandbox does not model, so it refuses the request). The exact
``errorCode`` and wording Salesforce uses for the subrequest limits were not found in the
documentation; the limits themselves are, and a request over them is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from flask import Response, request

from adapters.sandbox.salesforce_backend import sf_error, sf_json, version_ok

__all__ = ["MAX_COLLECTION_SUBREQUESTS", "MAX_SUBREQUESTS", "CompositeViews"]

MAX_SUBREQUESTS = 25
MAX_COLLECTION_SUBREQUESTS = 5  # sObject Collections or query subrequests
_COLLECTIONS_VERSION = 43.0
_REFERENCE_ID = re.compile(r"^[A-Za-z0-9_]+$")
_UPSERT_URL = re.compile(
    r"^/services/data/v(?P<version>\d+\.\d)/composite/sobjects/(?P<name>\w+)/(?P<field>\w+)$"
)

UpsertCollection = Callable[[str, str, Any], Response]


def _refuse(message: str) -> Response:
    return sf_error(400, "INVALID_INPUT", message)


class CompositeViews:
    def __init__(self, upsert_collection: UpsertCollection) -> None:
        self.upsert_collection = upsert_collection

    def composite(self, version: str) -> Response:
        body = request.get_json(silent=True)
        subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(subrequests, list) or not subrequests:
            return sf_error(400, "JSON_PARSER_ERROR", "Expected a 'compositeRequest' array")
        if body.get("allOrNone", False) is not False:
            return _refuse("the sandbox implements Composite with allOrNone=false only")
        if len(subrequests) > MAX_SUBREQUESTS:
            return _refuse(f"A composite request may contain at most {MAX_SUBREQUESTS} subrequests")
        plans: list[tuple[str, str, str, Any]] = []
        seen: set[str] = set()
        for sub in subrequests:
            if not isinstance(sub, dict):
                return sf_error(400, "JSON_PARSER_ERROR", "Each subrequest must be an object")
            reference = sub.get("referenceId")
            if not isinstance(reference, str) or not _REFERENCE_ID.match(reference):
                return _refuse("Each subrequest needs a referenceId of letters, digits and _")
            if reference in seen:
                return _refuse(f"Duplicate referenceId: {reference}")
            seen.add(reference)
            match = _UPSERT_URL.match(str(sub.get("url", "")))
            if str(sub.get("method", "")).upper() != "PATCH" or match is None:
                return _refuse(
                    f"{reference}: the sandbox runs only sObject Collections upserts "
                    "(PATCH /services/data/vXX.X/composite/sobjects/{SObject}/{ExternalIdField})"
                )
            sub_version = match["version"]
            if not version_ok(sub_version) or float(sub_version) < _COLLECTIONS_VERSION:
                return _refuse(f"{reference}: sObject Collections need API 43.0 or later")
            plans.append((reference, match["name"], match["field"], sub.get("body")))
        if len(plans) > MAX_COLLECTION_SUBREQUESTS:
            return _refuse(
                f"A composite request may contain at most {MAX_COLLECTION_SUBREQUESTS} "
                "sObject Collections or query subrequests"
            )
        answers = []
        for reference, name, field, sub_body in plans:
            answer = self.upsert_collection(name, field, sub_body)
            answers.append(
                {
                    "body": json.loads(answer.get_data(as_text=True) or "null"),
                    "httpHeaders": {},
                    "httpStatusCode": answer.status_code,
                    "referenceId": reference,
                }
            )
        return sf_json({"compositeResponse": answers})
