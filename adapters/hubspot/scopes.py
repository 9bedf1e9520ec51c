"""The scopes refnet's HubSpot app needs, and whether the portal can hold custom objects.

Scopes by HubSpot's scope list ("Scopes", developers.hubspot.com/docs/apps/legacy-apps/
authentication/scopes): refnet reads and writes contacts, companies and deals and their
properties; custom objects and their schemas when the portal has them (Enterprise).
"""

from __future__ import annotations

from typing import Any

__all__ = ["CUSTOM_OBJECT_SCOPES", "REFNET_SCOPES", "custom_object_limit"]

_STANDARD_SCOPES = tuple(
    f"crm.{kind}.{obj}.{access}"
    for kind in ("objects", "schemas")
    for obj in ("contacts", "companies", "deals")
    for access in ("read", "write")
)
CUSTOM_OBJECT_SCOPES = (
    "crm.objects.custom.read",
    "crm.objects.custom.write",
    "crm.schemas.custom.read",
    "crm.schemas.custom.write",
)
REFNET_SCOPES = (*_STANDARD_SCOPES, *CUSTOM_OBJECT_SCOPES)

_LIMITS_PATH = "/crm/v3/limits/custom-object-types"


def custom_object_limit(api_client: Any, *, request_timeout: float) -> int:
    """How many custom object types the portal may have (0: none, not Enterprise).

    ``GET /crm/v3/limits/custom-object-types`` answers ``{limit, percentage, usage}``
    (HubSpot, "Read custom object limits", limits tracking API); it is the documented way
    to tell a portal without custom objects from a token without the schema scopes, which
    both answer the schemas API with 403. hubspot-api-client has no wrapper for it, so it
    goes through an SDK ``ApiClient`` (and so through refnet's rate limiter).
    """
    answer = api_client.call_api(
        _LIMITS_PATH,
        "GET",
        header_params={"Accept": "application/json"},
        response_types_map={200: "object"},
        auth_settings=["oauth2"],
        _return_http_data_only=True,
        _preload_content=True,
        _request_timeout=request_timeout,
    )
    limit = answer.get("limit") if isinstance(answer, dict) else None
    if not isinstance(limit, int):
        raise ValueError("limits answer without an integer 'limit'")
    return limit
