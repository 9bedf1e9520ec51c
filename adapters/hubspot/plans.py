"""How one mapped object's outbound records become HubSpot properties and associations.

A :class:`WritePlan` is computed once per object from its mapping, the portal's mode and
ids (:mod:`adapters.hubspot.portal`): where the records go (a custom object type ``2-…``,
or in properties-only mode a standard object), which field becomes which property, which
picklist is a pipeline stage (and so is written as the portal's stage id, with the pipeline
id beside it), and which lookups become labelled associations.

Values arrive shaped for Salesforce's REST API (:func:`mappings.to_crm_fields`) and leave as
HubSpot's property strings: ``None`` → ``""`` (HubSpot clears a property with an empty
string), booleans → ``true``/``false``, numbers without exponent; a lookup by external id
(``{"refnet_id": "m1"}``) is not a property but an association to the record with that
refnet id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from adapters.hubspot.portal import AssociationType, PortalIds
from connector.crm import OutboundRecord
from connector.errors import ConfigError
from connector.i18n import gettext as _
from mappings.hubspot_checks import PIPELINE_STAGE_PROPERTY
from mappings.hubspot_options import HubSpotOptions
from mappings.spec import FieldType, ObjectMapping

__all__ = [
    "LINK_PROPERTY",
    "RECORD_ID_PROPERTY",
    "EncodeError",
    "Encoded",
    "Link",
    "WritePlan",
    "encode_value",
    "write_plan",
]

_PIPELINE_PROPERTY = {"deals": "pipeline"}  # the stage's pipeline; custom objects: hs_pipeline
_REFNET_PREFIX = "refnet_"  # refnet's own properties on standard objects (see the mappings)
RECORD_ID_PROPERTY = "hs_object_id"  # read-only in HubSpot: never sent, it says where to write
# What finds the record a portal already has for a new member: contacts by e-mail (unique
# in HubSpot, so a batch read by ``idProperty=email``), companies by domain (not unique: a
# search, and two companies on one domain are ambiguous).
LINK_PROPERTY = {"contacts": "email", "companies": "domain"}


@dataclass(frozen=True)
class Link:
    """A pushed lookup written as an association from the record to the one it names."""

    field: str  # the lookup's target in the outbound fields
    to_type: str  # API type of the referenced records (contacts, 2-…)
    association: AssociationType


@dataclass(frozen=True)
class Encoded:
    """One record ready for HubSpot: the key it is written by, its properties, its links."""

    record_key: str
    hubspot_key: str  # the refnet id written by: the record's own, or the one ``onto`` names
    properties: dict[str, str]
    links: list[tuple[Link, str]]  # (link, refnet id of the record to associate)
    stored_id: str | None = None  # the HubSpot record id refnet already knows for it
    link_value: str | None = None  # its e-mail / domain, to find an existing record by


class EncodeError(Exception):
    """A record that cannot be written as it is; ``code`` goes into its outcome."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def encode_value(value: Any) -> str:
    """A value as HubSpot's property string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@dataclass(frozen=True)
class WritePlan:
    object_name: str  # the mapping's object: the sync engine's name for it
    api_type: str  # where the records are written
    id_property: str  # the unique property the records are keyed by (refnet_id)
    properties: Mapping[str, str]  # outbound field → property (fields not here are dropped)
    stage_property: str | None = None  # the property holding a pipeline stage id
    stage_ids: Mapping[str, str] = field(default_factory=dict)  # picklist value → stage id
    pipeline_property: str | None = None
    pipeline_id: str | None = None
    name_property: str | None = None  # receives the record key (deals need a name)
    onto: str | None = None  # lookup naming an existing record to update instead
    links: tuple[Link, ...] = ()
    link_property: str | None = None  # e-mail / domain: how existing records are found
    # HubSpot's own properties that CRM users own (pulled, e.g. email): sent only when refnet
    # creates the record, never written onto a record the portal already had. Pulled
    # refnet_* properties (new to the portal) still get refnet's value there.
    seed_properties: frozenset[str] = frozenset()

    @property
    def links_existing(self) -> bool:
        """Whether new records are first matched to records the portal already has."""
        return self.link_property is not None

    def encode(self, record: OutboundRecord) -> Encoded:
        """The record as HubSpot properties and links; :class:`EncodeError` if it cannot be."""
        props: dict[str, str] = {}
        stored = record.fields.get(RECORD_ID_PROPERTY)
        for name, value in record.fields.items():
            prop = self.properties.get(name)
            if prop is None:
                continue
            if prop == self.link_property and value in (None, ""):
                continue  # HubSpot's own key property: refnet never clears it
            if prop == self.stage_property and value is not None:
                stage = self.stage_ids.get(str(value))
                if stage is None:
                    raise EncodeError("UNKNOWN_STAGE", f"no pipeline stage for '{value}'")
                props[prop] = stage  # the portal's stage id stands for the picklist value
            else:
                props[prop] = encode_value(value)
        if self.pipeline_property is not None and self.pipeline_id is not None:
            props[self.pipeline_property] = self.pipeline_id
        if self.name_property is not None:
            props[self.name_property] = record.key
        key = record.key
        if self.onto is not None:
            target = _referenced(record.fields.get(self.onto))
            if target is None:
                raise EncodeError("NO_TARGET", f"'{self.onto}' names no record to write onto")
            key = target
        # The key rides along as a property too, so every answer names the record it is about.
        props[self.id_property] = key
        links = [
            (link, ref)
            for link in self.links
            if (ref := _referenced(record.fields.get(link.field))) is not None
        ]
        link_value = props.get(self.link_property) if self.link_property else None
        return Encoded(
            record.key,
            key,
            props,
            links,
            stored_id=str(stored) if stored and self.onto is None else None,
            link_value=link_value or None,
        )


def _referenced(value: Any) -> str | None:
    """The refnet id in a lookup value ``{"refnet_id": "m1"}`` (``None``: no link)."""
    if isinstance(value, Mapping):
        found = next(iter(value.values()), None)
        return str(found) if found else None
    return None


def _stage(ids: PortalIds, mapping: ObjectMapping, api_type: str) -> dict[str, Any]:
    pipeline = ids.pipeline(mapping.object)
    return {
        "stage_ids": dict(pipeline.stages),
        "pipeline_property": _PIPELINE_PROPERTY.get(api_type, "hs_pipeline"),
        "pipeline_id": pipeline.pipeline_id,
    }


def write_plan(mapping: ObjectMapping, ids: PortalIds) -> WritePlan:
    """How ``mapping``'s records are written in the portal ``ids`` describe."""
    options = mapping.spec.hubspot or HubSpotOptions()
    ext = mapping.external_id_field
    # Pulled fields are writable too: the engine seeds them when it creates a record, so
    # the first pull does not read the new record's empty properties back over refnet's.
    plain = [
        f
        for f in (*mapping.push_fields, *mapping.pull_fields)
        if f.spec.type not in (FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP)
    ]
    lookups = [f for f in mapping.push_fields if f.spec.type is FieldType.EXTERNAL_ID_LOOKUP]
    if not mapping.custom or ids.mode == "custom_objects":
        api_type = ids.object_type(mapping.object)
        extra: dict[str, Any] = {}
        if options.pipeline is not None and mapping.custom:
            extra = {"stage_property": PIPELINE_STAGE_PROPERTY, **_stage(ids, mapping, api_type)}
        links = tuple(
            Link(
                f.target,
                ids.object_type(str(f.reference_object)),
                ids.association(mapping.object, f.target),
            )
            for f in lookups
        )
        return WritePlan(
            mapping.object,
            api_type,
            ext,
            {f.target: f.target for f in plain if f.target != RECORD_ID_PROPERTY},
            links=links,
            link_property=None if mapping.custom else LINK_PROPERTY.get(mapping.object),
            seed_properties=frozenset(
                f.target for f in mapping.pull_fields if not f.target.startswith(_REFNET_PREFIX)
            ),
            **extra,
        )
    mode = options.properties_only
    if mode is None:
        raise ConfigError(
            _(
                "hubspot: '{object}' needs custom objects (HubSpot Enterprise); the portal is "
                "provisioned in properties-only mode"
            ).format(object=mapping.object)
        )
    renames = {f.target: r.name for f in plain if (r := mode.renamed(f.target)) is not None}
    extra = {}
    if mode.pipeline is not None:
        extra = {"stage_property": renames[mode.pipeline.field], **_stage(ids, mapping, "deals")}
    links = ()
    if mode.onto is None:
        links = tuple(
            Link(f.target, str(f.reference_object), ids.association(mapping.object, f.target))
            for f in lookups
            if not mapping.naming.is_custom(str(f.reference_object))
        )
    return WritePlan(
        mapping.object,
        mode.object,
        ext,
        renames,
        name_property=mode.name_property,
        onto=mode.onto,
        links=links,
        **extra,
    )
