"""Everything refnet ships to a Salesforce org, in the order it can be created.

One list for both writers (the sfdx export and provisioning): the schema from
:mod:`adapters.salesforce.metadata` (each object assigned its compact layout), the
fields deal events need, the sales team's app (:mod:`adapters.salesforce.app_metadata`),
the deal-event Outbound Messages and Flows when an endpoint is given
(:mod:`adapters.salesforce.deal_events`), and the permission sets last, since they name
everything before them.
"""

from __future__ import annotations

from dataclasses import replace

from adapters.salesforce.app_metadata import COMPACT_LAYOUT, app_access, app_components
from adapters.salesforce.deal_events import OutboundEndpoint, deal_event_components, event_fields
from adapters.salesforce.metadata import Component, desired_components
from mappings.spec import MappingSet

__all__ = ["package_components"]


def package_components(
    mappings: MappingSet, *, endpoint: OutboundEndpoint | None = None
) -> list[Component]:
    """Every component; without ``endpoint`` the Outbound Messages and Flows are left out."""
    schema = desired_components(mappings)
    objects = [
        Component(
            "CustomObject",
            c.full_name,
            {**c.body, "compactLayoutAssignment": COMPACT_LAYOUT},
            deferred=("compactLayoutAssignment",),
        )
        for c in schema
        if c.type == "CustomObject"
    ]
    fields = [c for c in schema if c.type == "CustomField"]
    # Permission sets and whatever else names the objects and fields comes after the app;
    # every permission set refnet ships shows the app and its tabs to its users.
    access = app_access(mappings)
    rest = [
        replace(c, body={**c.body, **access}) if c.type == "PermissionSet" else c
        for c in schema
        if c.type not in ("CustomObject", "CustomField")
    ]
    events = deal_event_components(endpoint) if endpoint is not None else []
    return [
        *objects,
        *fields,
        *event_fields(mappings),
        *app_components(mappings),
        *events,
        *rest,
    ]
