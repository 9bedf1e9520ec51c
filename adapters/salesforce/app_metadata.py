"""The sales team's app, derived from the mappings: tabs, a Lightning app, layouts, list views.

Pure functions over the mappings, like :mod:`adapters.salesforce.metadata`, so the sfdx
export and provisioning ship the same components. What a sales user gets:

* a tab per refnet object and the Lightning app ``Refnet`` holding them next to Contacts,
  Accounts and Opportunities;
* a page layout per refnet object (the name Salesforce gives a new object's default layout,
  ``<Object>-<Label> Layout``, so it is the one assigned): refnet's pushed fields read-only,
  the fields sales users own editable, and related lists for every lookup pointing at it;
* on Contact and Opportunity, related lists only (referrals given, received and naming the
  Contact, partnerships, memberships; referrals of an Opportunity), merged into the org's
  existing layouts by provisioning and never exported (a deploy would replace the layout);
* compact layouts (the record highlights, assigned to each object) and list views.

Record names: refnet keeps the auto-numbers (``REF-000042``): stable, unique and never
rewritten when a person is renamed. What makes a record readable is the compact layout and
the list views, which show the people it links (referrer → referred party) next to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.salesforce.metadata import Component
from mappings.spec import FieldType, MappedField, MappingSet, ObjectMapping

__all__ = [
    "APP_NAME",
    "COMPACT_LAYOUT",
    "STANDARD_LAYOUTS",
    "TAB_MOTIFS",
    "app_access",
    "app_components",
    "application",
    "compact_layouts",
    "layout_name",
    "list_views",
]

APP_NAME = "Refnet"
COMPACT_LAYOUT = "Refnet_Compact"
# The default layouts of a Salesforce org; provisioning merges refnet's related lists in.
STANDARD_LAYOUTS = {
    "Contact": "Contact-Contact Layout",
    "Opportunity": "Opportunity-Opportunity Layout",
}
# Tab icons (``motif``) by refnet model; the names are Salesforce's tab style list.
TAB_MOTIFS = {
    "referral": "Custom14: Hands",
    "partnership": "Custom37: Bridge",
    "agreement": "Custom18: Form",
    "club": "Custom15: People",
    "membership": "Custom45: Ticket",
    "connection": "Custom68: Globe",
    "introduction": "Custom53: Bell",
}
_DEFAULT_MOTIF = "Custom7: Square"
_LOOKUPS = (FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP)
_SUMMARY_TYPES = (*_LOOKUPS, FieldType.PICKLIST)
_MAX_COMPACT_FIELDS = 5  # the highlights panel shows the first few; Salesforce allows 10

# The three list views the sales team asked for, by refnet model.
_LIST_VIEWS: dict[str, list[dict[str, Any]]] = {
    "referral": [
        {
            "fullName": "Refnet_My_Open_Referrals",
            "label": "My Open Referrals",
            "filterScope": "Mine",
            "filters": [{"field": "Status__c", "operation": "equals", "value": "open"}],
        }
    ],
    "partnership": [
        {
            "fullName": "Refnet_Partners_By_Stage",
            "label": "Partners by Stage",
            "filterScope": "Everything",
            "first_columns": ["Pipeline_Stage__c"],
        }
    ],
    "membership": [
        {
            "fullName": "Refnet_Club_Members_In_Trial",
            "label": "Club Members in Trial",
            "filterScope": "Everything",
            "filters": [{"field": "Status__c", "operation": "equals", "value": "trial"}],
            "first_columns": ["Trial_Ends_On__c"],
        }
    ],
}


def _name_is_auto_number(mapping: ObjectMapping) -> bool:
    name = mapping.spec.name_field
    return name is not None and name.type == "AutoNumber"


def _summary_fields(mapping: ObjectMapping) -> list[str]:
    """The fields that say what a record is: its links first, then its status picklists."""
    ranked = sorted(
        (f for f in mapping.fields if f.custom and f.spec.type in _SUMMARY_TYPES),
        key=lambda f: f.spec.type not in _LOOKUPS,
    )
    return [f.target for f in ranked]


def _compact_layout(mapping: ObjectMapping) -> Component:
    """The highlights of a record: its name, the people it links and its status."""
    fields = ["Name", *_summary_fields(mapping)][:_MAX_COMPACT_FIELDS]
    return Component(
        "CompactLayout",
        f"{mapping.object}.{COMPACT_LAYOUT}",
        {"fields": fields, "label": "Refnet"},
    )


def compact_layouts(mappings: MappingSet) -> list[Component]:
    return [_compact_layout(m) for m in mappings.mappings if m.custom]


def _list_views(mapping: ObjectMapping) -> list[Component]:
    """``All`` for every refnet object, plus the sales team's views for this one."""
    summary = _summary_fields(mapping)
    views = [
        Component(
            "ListView",
            f"{mapping.object}.Refnet_All",
            {
                "columns": ["NAME", *summary],
                "filterScope": "Everything",
                "label": f"All {mapping.spec.plural_label}",
            },
        )
    ]
    for view in _LIST_VIEWS.get(mapping.name, []):
        first = list(view.get("first_columns", []))
        body = {k: v for k, v in view.items() if k not in ("first_columns", "fullName")}
        body["columns"] = ["NAME", *first, *(f for f in summary if f not in first)]
        views.append(Component("ListView", f"{mapping.object}.{view['fullName']}", body))
    return views


def list_views(mappings: MappingSet) -> list[Component]:
    return [view for m in mappings.mappings if m.custom for view in _list_views(m)]


def layout_name(mapping: ObjectMapping) -> str:
    return f"{mapping.object}-{mapping.spec.label} Layout"


def _incoming_lookups(
    mappings: MappingSet, target: str
) -> Iterator[tuple[ObjectMapping, MappedField]]:
    for mapping in mappings.mappings:
        if not mapping.custom:
            continue
        for field in mapping.fields:
            if field.spec.type in _LOOKUPS and field.reference_object == target:
                yield mapping, field


def _related_lists(mappings: MappingSet, target: str) -> list[dict[str, Any]]:
    return [
        {
            "fields": ["NAME", *(f for f in _summary_fields(child) if f != field.target)],
            "relatedList": f"{child.object}.{field.target}",
        }
        for child, field in _incoming_lookups(mappings, target)
    ]


def _item(field: str, behavior: str) -> dict[str, Any]:
    return {"behavior": behavior, "field": field}


def _object_layout(mappings: MappingSet, mapping: ObjectMapping) -> Component:
    # refnet computes pushed fields; an edit in Salesforce would be overwritten by the next
    # sync, so the layout shows them read-only. Fields sales users own stay editable.
    name_behavior = "Readonly" if _name_is_auto_number(mapping) else "Required"
    items = [_item("Name", name_behavior), _item("OwnerId", "Edit")]
    items.extend(
        _item(f.target, "Readonly" if f.pushed else "Edit") for f in mapping.fields if f.custom
    )
    items.append(_item(mapping.external_id_field, "Readonly"))
    half = (len(items) + 1) // 2
    body = {
        "layoutSections": [
            {
                "customLabel": False,
                "detailHeading": True,
                "editHeading": True,
                "label": "Information",
                "layoutColumns": [{"layoutItems": items[:half]}, {"layoutItems": items[half:]}],
                "style": "TwoColumnsTopToBottom",
            },
            {
                "customLabel": False,
                "detailHeading": True,
                "editHeading": False,
                "label": "System Information",
                "layoutColumns": [
                    {"layoutItems": [_item("CreatedById", "Readonly")]},
                    {"layoutItems": [_item("LastModifiedById", "Readonly")]},
                ],
                "style": "TwoColumnsLeftToRight",
            },
        ],
        "relatedLists": _related_lists(mappings, mapping.object),
    }
    return Component("Layout", layout_name(mapping), body)


def layouts(mappings: MappingSet) -> list[Component]:
    """A full layout per refnet object; related lists merged into Contact's and Opportunity's."""
    found = [_object_layout(mappings, m) for m in mappings.mappings if m.custom]
    for standard, name in STANDARD_LAYOUTS.items():
        related = _related_lists(mappings, standard)
        if related:
            found.append(Component("Layout", name, {"relatedLists": related}, merge_only=True))
    return found


def tabs(mappings: MappingSet) -> list[Component]:
    return [
        Component(
            "CustomTab",
            m.object,
            {"customObject": True, "motif": TAB_MOTIFS.get(m.name, _DEFAULT_MOTIF)},
        )
        for m in mappings.mappings
        if m.custom
    ]


def application(mappings: MappingSet) -> Component:
    """The Lightning app: CRM records first, then refnet's objects, then reports."""
    custom = [m.object for m in mappings.mappings if m.custom]
    standard = ["standard-home", "standard-Contact", "standard-Account", "standard-Opportunity"]
    return Component(
        "CustomApplication",
        APP_NAME,
        {
            "description": "Empfehlungen, Partner und Kundenclub: refnet im Vertrieb.",
            "formFactors": ["Small", "Large"],
            "isNavAutoTempTabsDisabled": False,
            "isNavPersonalizationDisabled": False,
            "label": "Refnet",
            "navType": "Standard",
            "tabs": [*standard, *custom, "standard-report", "standard-Dashboard"],
            "uiType": "Lightning",
        },
    )


def app_access(mappings: MappingSet) -> dict[str, Any]:
    """What a permission set needs so its users see the app and its tabs."""
    return {
        "applicationVisibilities": [{"application": APP_NAME, "visible": True}],
        "tabSettings": [
            {"tab": m.object, "visibility": "Visible"} for m in mappings.mappings if m.custom
        ],
    }


def app_components(mappings: MappingSet) -> list[Component]:
    """Compact layouts, list views, layouts, tabs and the app, in the order they can be
    created (they name fields, and the app names the tabs)."""
    return [
        *compact_layouts(mappings),
        *list_views(mappings),
        *layouts(mappings),
        *tabs(mappings),
        application(mappings),
    ]
