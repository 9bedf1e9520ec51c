"""Everything refnet ships to a Salesforce org, in the order it can be created.

One list for both writers (the sfdx export and provisioning): the schema from
:mod:`adapters.salesforce.metadata` (each object assigned its compact layout), the
fields deal events need, the sales team's app (:mod:`adapters.salesforce.app_metadata`),
the deal-event Outbound Messages and Flows when an endpoint is given
(:mod:`adapters.salesforce.deal_events`), the permission sets, since they name everything
before them, and the German labels (:mod:`adapters.salesforce.translations`) last.
"""

from __future__ import annotations

from dataclasses import replace

from adapters.salesforce.app_metadata import COMPACT_LAYOUT, app_access, app_components
from adapters.salesforce.deal_events import OutboundEndpoint, deal_event_components, event_fields
from adapters.salesforce.metadata import (
    SALES_USER_PERMISSION_SET,
    Component,
    FieldAccess,
    desired_components,
)
from adapters.salesforce.translations import object_translations
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
    deal_fields = event_fields(mappings)
    rest = [
        _with_event_fields(replace(c, body={**c.body, **access}), deal_fields)
        if c.type == "PermissionSet"
        else c
        for c in schema
        if c.type not in ("CustomObject", "CustomField")
    ]
    events = deal_event_components(endpoint) if endpoint is not None else []
    return [
        *objects,
        *fields,
        *deal_fields,
        *app_components(mappings),
        *events,
        *rest,
        # Last: a translation names the fields it translates.
        *object_translations(mappings),
    ]


def _with_event_fields(permission_set: Component, fields: list[Component]) -> Component:
    """The deal-event fields granted too: a field no permission set names is invisible.

    Sales users fill them (which referral a deal came from, who referred a Contact); the
    integration user reads them, since the Outbound Messages are sent as that user.
    """
    editable = permission_set.full_name == SALES_USER_PERMISSION_SET
    grants = [FieldAccess(c.full_name, editable).as_body() for c in fields]
    body = dict(permission_set.body)
    body["fieldPermissions"] = sorted(
        [*body.get("fieldPermissions", []), *grants], key=lambda grant: str(grant["field"])
    )
    return replace(permission_set, body=body)
