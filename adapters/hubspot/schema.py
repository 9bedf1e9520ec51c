"""What the HubSpot schema should look like, computed from the mappings (pure, no API calls).

Two modes (see ``adapters/hubspot/README.md``):

``custom_objects`` (Enterprise): every custom mapping becomes a custom object schema whose
properties are the external id (unique, the ``idProperty`` of every upsert) and the mapped
non-lookup fields; each pushed ``ExternalIdLookup`` becomes a labelled association type
(label = the field's label, inverse label = its ``relationship_label``, name = its
``relationship_name``); a ``hubspot.pipeline`` becomes a pipeline on the object whose stages
are the picklist's values. Standard mappings (contacts, companies) add properties.

``properties_only`` (no custom objects): standard mappings as before; a custom mapping with
``hubspot.properties_only`` adds its renamed fields to the standard object named there (and
a unique ``refnet_id`` unless it writes onto existing records), its lookups to standard
objects become labelled associations from that object, its pipeline a deal pipeline; custom
mappings without it are skipped.

Properties named ``hs_…`` are HubSpot's own and never created; refnet's properties on
standard objects go into the ``refnet`` property group.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from adapters.hubspot.portal import PortalMode
from mappings.hubspot_options import HubSpotOptions, PipelineSpec, PropertiesOnly
from mappings.labels import localizer, picklist_label
from mappings.spec import FieldType, MappedField, MappingSet, ObjectMapping

__all__ = [
    "GROUP_LABEL",
    "GROUP_NAME",
    "DesiredSchema",
    "LabelDef",
    "ObjectDef",
    "Option",
    "PipelineDef",
    "PropertyDef",
    "StageDef",
    "desired_schema",
    "localized_schema",
    "property_def",
    "stage_label",
]

GROUP_NAME = "refnet"
GROUP_LABEL = "refnet"
_ASSOCIATED_TYPE_IDS = {"CONTACT": "0-1", "COMPANY": "0-2", "DEAL": "0-3"}

# The CRM-neutral field types as HubSpot (type, fieldType).
_TYPES: dict[FieldType, tuple[str, str]] = {
    FieldType.TEXT: ("string", "text"),
    FieldType.LONG_TEXT_AREA: ("string", "textarea"),
    FieldType.EMAIL: ("string", "text"),
    FieldType.NUMBER: ("number", "number"),
    FieldType.CURRENCY: ("number", "number"),
    FieldType.DATE: ("date", "date"),
    FieldType.DATETIME: ("datetime", "date"),
    FieldType.CHECKBOX: ("bool", "booleancheckbox"),
    FieldType.PICKLIST: ("enumeration", "select"),
    FieldType.MULTISELECT_PICKLIST: ("enumeration", "checkbox"),
}


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class PropertyDef:
    name: str
    label: str
    type: str
    field_type: str
    options: tuple[Option, ...] = ()
    unique: bool = False
    description: str | None = None


@dataclass(frozen=True)
class ObjectDef:
    """A custom object schema."""

    name: str
    singular: str
    plural: str
    description: str | None
    primary_display_property: str
    secondary_display_properties: tuple[str, ...]
    searchable_properties: tuple[str, ...]
    required_properties: tuple[str, ...]
    associated_type_ids: tuple[str, ...]  # 0-1, 0-2, 0-3
    properties: tuple[PropertyDef, ...]


@dataclass(frozen=True)
class LabelDef:
    """A labelled association type; ``key`` is ``<mapping object>.<field>``."""

    key: str
    from_object: str  # a mapping object (custom) or a standard object
    to_object: str
    label: str
    inverse_label: str | None
    name: str


@dataclass(frozen=True)
class StageDef:
    value: str  # the picklist value the stage stands for
    label: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class PipelineDef:
    key: str  # the mapping object whose records carry the stage
    object: str  # where the pipeline lives: the mapping object, or deals
    label: str
    stages: tuple[StageDef, ...]


@dataclass
class DesiredSchema:
    mode: PortalMode
    objects: list[ObjectDef] = field(default_factory=list)
    properties: dict[str, list[PropertyDef]] = field(default_factory=dict)  # standard objects
    custom_links: list[tuple[str, str]] = field(default_factory=list)  # custom → custom
    labels: list[LabelDef] = field(default_factory=list)
    pipelines: list[PipelineDef] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # mappings the mode cannot hold

    def add_property(self, object_name: str, prop: PropertyDef) -> None:
        existing = self.properties.setdefault(object_name, [])
        if all(p.name != prop.name for p in existing):
            existing.append(prop)


def stage_label(value: str) -> str:
    """``business_done`` → ``Business Done``: how a picklist value reads in HubSpot."""
    return picklist_label(value)


def property_def(
    field_: MappedField, *, name: str | None = None, label: str | None = None
) -> PropertyDef:
    kind, field_type = _TYPES[field_.spec.type]
    options: tuple[Option, ...] = ()
    if field_.enum is not None:
        options = tuple(Option(v, stage_label(v)) for v in field_.picklist_values)
    elif field_.spec.type is FieldType.CHECKBOX:
        options = (Option("true", "Yes"), Option("false", "No"))
    return PropertyDef(
        name or field_.target,
        label or field_.spec.label,
        kind,
        field_type,
        options,
        description=field_.spec.description,
    )


def _external_id(mapping: ObjectMapping) -> PropertyDef:
    spec = mapping.spec.external_id
    return PropertyDef(
        spec.field,
        spec.label,
        "string",
        "text",
        unique=True,
        description="The record's refnet id: the key refnet upserts by. Do not edit.",
    )


def _plain_fields(mapping: ObjectMapping) -> list[MappedField]:
    """Fields that are properties of the object (not lookups, not HubSpot's own)."""
    return [
        f
        for f in mapping.fields
        if f.spec.type not in (FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP)
        and not f.target.startswith("hs_")
    ]


def _labels(mapping: ObjectMapping, from_object: str, *, standard_only: bool) -> list[LabelDef]:
    labels = []
    for f in mapping.push_fields:
        if f.spec.type is not FieldType.EXTERNAL_ID_LOOKUP or f.reference_object is None:
            continue
        if standard_only and mapping.naming.is_custom(f.reference_object):
            continue
        labels.append(
            LabelDef(
                f"{mapping.object}.{f.target}",
                from_object,
                f.reference_object,
                f.spec.label,
                f.spec.relationship_label,
                str(f.spec.relationship_name),
            )
        )
    return labels


def _pipeline(mapping: ObjectMapping, spec: PipelineSpec, where: str) -> PipelineDef:
    field_ = next(f for f in mapping.fields if f.target == spec.field)
    stages = []
    for value in field_.picklist_values:
        metadata: dict[str, str] = {}
        if where == "deals":
            metadata["probability"] = str(spec.probabilities[value])
            metadata["isClosed"] = "true" if value in spec.closed else "false"
        stages.append(StageDef(value, stage_label(value), metadata))
    return PipelineDef(mapping.object, where, spec.label, tuple(stages))


def _custom_object(mapping: ObjectMapping, options: HubSpotOptions) -> ObjectDef:
    ext = mapping.external_id_field
    properties = [_external_id(mapping), *(property_def(f) for f in _plain_fields(mapping))]
    return ObjectDef(
        name=mapping.object,
        singular=str(mapping.spec.label),
        plural=str(mapping.spec.plural_label),
        description=mapping.spec.description,
        primary_display_property=options.primary_display_property or ext,
        secondary_display_properties=tuple(options.secondary_display_properties),
        searchable_properties=tuple(options.searchable_properties or [ext]),
        required_properties=tuple(options.required_properties or [ext]),
        associated_type_ids=tuple(_ASSOCIATED_TYPE_IDS[o] for o in options.associated_objects),
        properties=tuple(properties),
    )


def _degraded(desired: DesiredSchema, mapping: ObjectMapping, mode: PropertiesOnly) -> None:
    where = mode.object
    if mode.onto is None:
        desired.add_property(where, _external_id(mapping))
    for f in mapping.fields:
        renamed = mode.renamed(f.target)
        if renamed is not None and not renamed.name.startswith("hs_"):
            desired.add_property(where, property_def(f, name=renamed.name, label=renamed.label))
    if mode.onto is None:
        desired.labels.extend(_labels(mapping, where, standard_only=True))
    if mode.pipeline is not None:
        desired.pipelines.append(_pipeline(mapping, mode.pipeline, where))


def desired_schema(mappings: MappingSet, mode: PortalMode) -> DesiredSchema:
    """The schema ``mappings`` need in a portal of ``mode``."""
    desired = DesiredSchema(mode)
    for mapping in mappings.mappings:
        options = mapping.spec.hubspot or HubSpotOptions()
        for extra in options.input_properties:
            kind, field_type = _TYPES[FieldType(extra.type)]
            desired.add_property(
                extra.object or mapping.object,
                PropertyDef(
                    extra.name, extra.label, kind, field_type, (), False, extra.description
                ),
            )
        if not mapping.custom:
            desired.add_property(mapping.object, _external_id(mapping))
            for f in _plain_fields(mapping):
                desired.add_property(mapping.object, property_def(f))
            continue
        if mode == "properties_only":
            if options.properties_only is None:
                desired.skipped.append(mapping.object)
            else:
                _degraded(desired, mapping, options.properties_only)
            continue
        desired.objects.append(_custom_object(mapping, options))
        desired.labels.extend(_labels(mapping, mapping.object, standard_only=False))
        for f in mapping.push_fields:
            ref = f.reference_object
            if (
                f.spec.type is FieldType.EXTERNAL_ID_LOOKUP
                and ref
                and mapping.naming.is_custom(ref)
            ):
                desired.custom_links.append((mapping.object, ref))
        if options.pipeline is not None:
            desired.pipelines.append(_pipeline(mapping, options.pipeline, mapping.object))
    return desired


def option_pairs(options: Any) -> list[tuple[str, str]]:
    """``[(value, label)]`` of an SDK property's options, in their order."""
    return [(str(o.value), str(o.label)) for o in options or []]


def localized_schema(desired: DesiredSchema, language: str) -> DesiredSchema:
    """``desired`` with every label a HubSpot user reads in ``language``.

    HubSpot keeps one label per property, option, object, association label and pipeline
    (the properties API's ``label`` is a single string, not one per user language), so the
    portal gets one language. Names, option values and stage values (the data) never change.
    Each label remembers its English source (:class:`mappings.labels.Localized`), so
    provisioning recognises refnet's label in another language.
    """
    localize = localizer("hubspot", language)

    def text(value: str | None) -> str | None:
        return None if value is None else localize(value)

    def prop(p: PropertyDef) -> PropertyDef:
        options = tuple(Option(o.value, localize(o.label)) for o in p.options)
        return replace(p, label=localize(p.label), description=text(p.description), options=options)

    return DesiredSchema(
        desired.mode,
        objects=[
            replace(
                o,
                singular=localize(o.singular),
                plural=localize(o.plural),
                description=text(o.description),
                properties=tuple(prop(p) for p in o.properties),
            )
            for o in desired.objects
        ],
        properties={name: [prop(p) for p in props] for name, props in desired.properties.items()},
        custom_links=list(desired.custom_links),
        labels=[
            replace(lbl, label=localize(lbl.label), inverse_label=text(lbl.inverse_label))
            for lbl in desired.labels
        ],
        pipelines=[
            replace(
                p,
                label=localize(p.label),
                stages=tuple(replace(s, label=localize(s.label)) for s in p.stages),
            )
            for p in desired.pipelines
        ],
        skipped=list(desired.skipped),
    )
