"""Composite requests carrying sObject Collections upserts: 1,000 records per counted call.

Salesforce counts one Composite request as one call against the org's API allowance,
whatever it carries: "The entire series of requests counts as a single call toward your API
limits" (REST API Developer Guide, "Send Multiple Requests Using Composite",
https://developer.salesforce.com/docs/platform/api-rest/guide/resources-composite-composite-post.html).
A Composite request holds up to 25 subrequests, of which at most 5 may be sObject
Collections or query operations (same guide, "Composite" resource limits; API 43.0 and
later for sObject Collections subrequests). Each sObject Collections upsert takes 200
records, so one Composite request carries 5 x 200 = 1,000 records: the minimum number of
counted calls for N records is ceil(N / 1000), five times fewer than collections alone.

The request is sent with ``allOrNone: false`` (one failing subrequest does not roll back
the others) and every subrequest with ``allOrNone: false`` too (one failing record does not
fail its 200). The answer lists one ``{body, httpHeaders, httpStatusCode, referenceId}`` per
subrequest, in order; a subrequest's body is the collections answer (one row per record,
in order) or, when Salesforce refused the subrequest as a whole, its error array.

Chosen with ``salesforce.write_path = "composite"`` (default ``"collections"``): worth it
where the daily API allowance, not the time of a sync, is the constraint. It takes more
time per request than five separate collections calls would in parallel, and Salesforce
runs the five subrequests one after another in one transaction context.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "COMPOSITE_RECORDS",
    "MAX_COLLECTION_SUBREQUESTS",
    "composite_body",
    "subrequest_answers",
]

COLLECTION_SIZE = 200  # records per sObject Collections subrequest
MAX_COLLECTION_SUBREQUESTS = 5  # sObject Collections (or query) subrequests per Composite
COMPOSITE_RECORDS = COLLECTION_SIZE * MAX_COLLECTION_SUBREQUESTS


def composite_body(api_version: str, path: str, bodies: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One Composite request: a ``PATCH`` of ``path`` (under ``/services/data/vXX.X/``) per
    collections body, at most :data:`MAX_COLLECTION_SUBREQUESTS`."""
    if not 0 < len(bodies) <= MAX_COLLECTION_SUBREQUESTS:
        raise ValueError(f"a Composite request carries 1 to 5 collections, not {len(bodies)}")
    return {
        "allOrNone": False,
        "compositeRequest": [
            {
                "method": "PATCH",
                "url": f"/services/data/v{api_version}/{path}",
                "referenceId": f"part{index}",
                "body": body,
            }
            for index, body in enumerate(bodies)
        ],
    }


def subrequest_answers(answer: Any, count: int) -> list[tuple[int, Any]]:
    """``(httpStatusCode, body)`` of each of ``count`` subrequests, in request order.

    A subrequest missing from the answer comes back as ``(0, None)``, so its records fail
    rather than count as written.
    """
    parts = answer.get("compositeResponse") if isinstance(answer, dict) else None
    parts = parts if isinstance(parts, list) else []
    by_reference = {str(part.get("referenceId")): part for part in parts if isinstance(part, dict)}
    answers: list[tuple[int, Any]] = []
    for index in range(count):
        part = by_reference.get(f"part{index}")
        if part is None:
            answers.append((0, None))
        else:
            answers.append((int(part.get("httpStatusCode") or 0), part.get("body")))
    return answers
