"""Scopes of the fake HubSpot's token: which scope each request needs, and the 403 without it.

The sandbox token holds every scope refnet asks for, unless the sandbox is started with
some withheld (``SandboxConfig.hubspot_withheld_scopes``), as a private app whose admin
forgot a box. A request that needs a withheld scope is refused the way HubSpot refuses it:
403, category ``MISSING_SCOPES``, one error detail naming the scopes in
``context.requiredScopes`` (body shape as reported from the live API in
HubSpot/hubspot-api-nodejs issue #268, "Incorrect missing scope for Owners API").

Which scope a path needs follows HubSpot's scope list ("Scopes", developers.hubspot.com/
docs/apps/legacy-apps/authentication/scopes): ``crm.objects.<object>.read|write`` for
records, ``crm.schemas.<object>.read|write`` for properties, ``crm.schemas.custom.*`` for
custom object schemas, ``crm.objects.custom.*`` for custom object records. Reading uses
the ``read`` scope (POST ``…/search`` and ``…/batch/read`` are reads); everything else
writes. Pipelines accept "one of" many object scopes (CRM API | Pipelines guide, scope
requirements); the sandbox asks for the object's own scope. The limits tracking endpoints
accept any CRM scope, so they need none of the withheld ones here.
"""

from __future__ import annotations

import re

from flask import Response

from adapters.sandbox.hubspot_backend import hs_error

__all__ = ["ALL_SCOPES", "missing_scopes_answer", "required_scope"]

_STANDARD = {
    "0-1": "contacts",
    "contacts": "contacts",
    "0-2": "companies",
    "companies": "companies",
    "0-3": "deals",
    "deals": "deals",
}
ALL_SCOPES = frozenset(
    {
        *(
            f"crm.objects.{o}.{a}"
            for o in ("contacts", "companies", "deals")
            for a in ("read", "write")
        ),
        *(
            f"crm.schemas.{o}.{a}"
            for o in ("contacts", "companies", "deals")
            for a in ("read", "write")
        ),
        "crm.objects.custom.read",
        "crm.objects.custom.write",
        "crm.schemas.custom.read",
        "crm.schemas.custom.write",
    }
)
_READ_POSTS = re.compile(r"/(search|batch/read)$")


def _object(name: str) -> str:
    return _STANDARD.get(name.lower(), "custom")


def required_scope(method: str, path: str) -> list[str]:
    """The scopes a request needs (all of them); ``[]`` for paths without a CRM scope."""
    reading = method == "GET" or (method == "POST" and bool(_READ_POSTS.search(path)))
    access = "read" if reading else "write"
    parts = [p for p in path.split("/") if p]
    if path.startswith("/crm-object-schemas/v3/schemas"):
        return [f"crm.schemas.custom.{access}"]
    if len(parts) >= 4 and parts[:3] == ["crm", "v3", "objects"]:
        return [f"crm.objects.{_object(parts[3])}.{access}"]
    if len(parts) >= 4 and parts[:3] == ["crm", "v3", "properties"]:
        return [f"crm.schemas.{_object(parts[3])}.{access}"]
    if len(parts) >= 4 and parts[:3] == ["crm", "v3", "pipelines"]:
        return [f"crm.objects.{_object(parts[3])}.{access}"]
    if len(parts) >= 5 and parts[:3] == ["crm", "v4", "associations"]:
        # Both ends of an association are touched; labels are part of the schema.
        kind = "schemas" if "labels" in parts else "objects"
        return sorted(
            {f"crm.{kind}.{_object(parts[3])}.{access}", f"crm.{kind}.{_object(parts[4])}.{access}"}
        )
    return []


def missing_scopes_answer(scopes: list[str], *, granular: bool = False) -> Response:
    """HubSpot's 403 for a token without the scopes a call needs.

    ``granular``: the context names them ``requiredGranularScopes``, as HubSpot does for a
    portal whose tier cannot have the scope at all (custom schemas without Enterprise).
    """
    return hs_error(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call. Read more about "
        "required scopes here: https://developers.hubspot.com/scopes.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes" if granular else "requiredScopes": scopes},
            }
        ],
        links={"scopes": "https://developers.hubspot.com/scopes"},
    )
