"""The steps of provisioning: schemas, properties, association labels, pipelines.

Each step reads what exists, compares only what refnet sets (so an admin's own additions
never cause a write), creates what is missing, updates what differs, and records the
portal's ids. In a dry run the reads happen and the writes are reported, not made.
HubSpot-defined properties (``hubspotDefined``) are never changed.

Labels come in one language (:func:`adapters.hubspot.schema.localized_schema`). A portal that
holds refnet's labels in another language (provisioned in English, now in German) keeps them
unless the run relabels (``refnet hubspot provision --relabel``): a label counts as changed
only when it is not refnet's label in any language. Relabelling covers object, property,
option and pipeline labels; association labels and pipeline stages are found in any
language and keep the label they were created with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from hubspot.crm.associations.v4.schema import PublicAssociationDefinitionCreateRequest
from hubspot.crm.pipelines import PipelineInput, PipelinePatchInput, PipelineStageInput
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyUpdate,
)
from hubspot.crm.properties import OptionInput as PropertyOption

from adapters.hubspot.client import HubSpotApis
from adapters.hubspot.errors import RequestRejected
from adapters.hubspot.portal import AssociationType, PipelineIds, PortalIds, PortalMode
from adapters.hubspot.retry import RetryPolicy
from adapters.hubspot.schema import (
    GROUP_LABEL,
    GROUP_NAME,
    LabelDef,
    Option,
    PipelineDef,
    PropertyDef,
    option_pairs,
)
from mappings.labels import same_label
from mappings.naming import HUBSPOT

__all__ = [
    "MAX_PROPERTIES_PER_CALL",
    "Context",
    "ProvisionReport",
    "kept_label",
    "property_differences",
    "sync_labels",
    "sync_pipelines",
    "sync_properties",
]

MAX_PROPERTIES_PER_CALL = 100


@dataclass
class ProvisionReport:
    """What provisioning changed (or, in a dry run, would change)."""

    mode: PortalMode
    dry_run: bool = False
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # item → HubSpot's code
    skipped: list[str] = field(default_factory=list)  # mappings the portal cannot hold
    notes: list[str] = field(default_factory=list)


@dataclass
class Context:
    """What every step needs: the APIs, the retry layer, the ids found so far, the report."""

    apis: HubSpotApis
    policy: RetryPolicy
    ids: PortalIds
    previous: PortalIds | None
    report: ProvisionReport
    timeout: float
    relabel: bool = False  # write refnet's labels over its own in another language

    @property
    def dry_run(self) -> bool:
        return self.report.dry_run

    def call(self, fn: Callable[[], Any], operation: str) -> Any:
        return self.policy.call(fn, operation=operation)

    def write(self, item: str, fn: Callable[[], Any], operation: str) -> Any | None:
        """One write; a refusal (4xx) is recorded against ``item`` and the run goes on."""
        try:
            return self.call(fn, operation)
        except RequestRejected as refused:
            self.report.failures[item] = refused.code
            return None


def _option_inputs(prop: PropertyDef) -> list[PropertyOption]:
    return [
        PropertyOption(label=o.label, value=o.value, display_order=i, hidden=False)
        for i, o in enumerate(prop.options)
    ]


def kept_label(wanted: str, found: str | None, relabel: bool) -> str:
    """The label to hold: what the portal has if it is ``wanted`` in another language
    (unless relabelling), else ``wanted``."""
    if found is not None and not relabel and same_label("hubspot", wanted, found):
        return found
    return wanted


def _as_found(want: PropertyDef, have: Any, relabel: bool) -> PropertyDef:
    """``want`` with the portal's labels where they are refnet's in another language."""
    labels = dict(option_pairs(have.options))
    options = tuple(
        Option(o.value, kept_label(o.label, labels.get(o.value), relabel)) for o in want.options
    )
    description = want.description
    if description is not None:
        description = kept_label(description, have.description, relabel)
    return PropertyDef(
        want.name,
        kept_label(want.label, have.label, relabel),
        want.type,
        want.field_type,
        options,
        want.unique,
        description,
    )


def property_differences(want: PropertyDef, have: Any) -> list[str]:
    """Which of the attributes refnet sets differ on an existing property."""
    diff = []
    for name, wanted, found in (
        ("label", want.label, have.label),
        ("type", want.type, have.type),
        ("fieldType", want.field_type, have.field_type),
    ):
        if wanted != found:
            diff.append(name)
    if [(o.value, o.label) for o in want.options] != option_pairs(have.options):
        diff.append("options")
    if want.description is not None and want.description != (have.description or ""):
        diff.append("description")
    return diff


def _ensure_group(ctx: Context, api_type: str, where: str) -> None:
    groups = ctx.call(
        lambda: ctx.apis.property_groups.get_all(api_type, _request_timeout=ctx.timeout),
        f"read property groups of {where}",
    )
    if any(g.name == GROUP_NAME for g in groups.results or []):
        return
    ctx.report.changed.append(f"create property group {where}.{GROUP_NAME}")
    if not ctx.dry_run:
        body = PropertyGroupCreate(name=GROUP_NAME, label=GROUP_LABEL, display_order=-1)
        ctx.write(
            f"{where}.{GROUP_NAME}",
            lambda: ctx.apis.property_groups.create(api_type, body, _request_timeout=ctx.timeout),
            f"create property group on {where}",
        )


def _create_properties(ctx: Context, api_type: str, where: str, props: list[PropertyDef]) -> None:
    _ensure_group(ctx, api_type, where)
    for prop in props:
        ctx.report.changed.append(f"create property {where}.{prop.name}")
    if ctx.dry_run:
        return
    for start in range(0, len(props), MAX_PROPERTIES_PER_CALL):
        chunk = props[start : start + MAX_PROPERTIES_PER_CALL]
        body = BatchInputPropertyCreate(
            inputs=[
                PropertyCreate(
                    name=p.name,
                    label=p.label,
                    type=p.type,
                    field_type=p.field_type,
                    group_name=GROUP_NAME,
                    options=_option_inputs(p),
                    has_unique_value=p.unique,
                    description=p.description,
                )
                for p in chunk
            ]
        )
        answer = ctx.write(
            f"{where} properties",
            partial(ctx.apis.properties_batch.create, api_type, body, _request_timeout=ctx.timeout),
            f"create properties on {where}",
        )
        for error in getattr(answer, "errors", None) or []:
            for name in (error.context or {}).get("name") or ["(unnamed)"]:
                ctx.report.failures[f"{where}.{name}"] = str(error.category or "REFUSED")


def sync_properties(
    ctx: Context,
    api_type: str,
    where: str,
    wanted: list[PropertyDef],
    existing: dict[str, Any] | None = None,
) -> None:
    """Create missing and update differing properties of one object type."""
    if existing is None:
        listed = ctx.call(
            lambda: ctx.apis.properties.get_all(api_type, _request_timeout=ctx.timeout),
            f"read properties of {where}",
        )
        existing = {p.name: p for p in listed.results or []}
    missing: list[PropertyDef] = []
    for prop in wanted:
        have = existing.get(prop.name)
        if have is None:
            missing.append(prop)
            continue
        if have.hubspot_defined:
            ctx.report.unchanged += 1  # HubSpot's own: never changed
            continue
        if prop.unique and not have.has_unique_value:
            # Uniqueness cannot be switched on later; the admin must recreate the property.
            ctx.report.failures[f"{where}.{prop.name}"] = "NOT_UNIQUE"
            continue
        held = _as_found(prop, have, ctx.relabel)
        diff = property_differences(held, have)
        if not diff:
            ctx.report.unchanged += 1
            continue
        ctx.report.changed.append(f"update property {where}.{held.name} ({', '.join(diff)})")
        if not ctx.dry_run:
            body = PropertyUpdate(
                label=held.label,
                type=held.type,
                field_type=held.field_type,
                options=_option_inputs(held),
                description=held.description,
            )
            ctx.write(
                f"{where}.{held.name}",
                partial(
                    ctx.apis.properties.update,
                    api_type,
                    held.name,
                    body,
                    _request_timeout=ctx.timeout,
                ),
                f"update property on {where}",
            )
    if missing:
        _create_properties(ctx, api_type, where, missing)


def _type_id(ctx: Context, object_name: str) -> str | None:
    """The object's type id, or ``None`` for a custom object not created yet (dry run)."""
    if not HUBSPOT.is_custom(object_name):
        return object_name
    return ctx.ids.object_types.get(object_name)


def sync_labels(ctx: Context, labels: list[LabelDef]) -> None:
    """Find or create each labelled association type and record its id."""
    by_pair: dict[tuple[str, str], list[LabelDef]] = {}
    for label in labels:
        ends = (_type_id(ctx, label.from_object), _type_id(ctx, label.to_object))
        if ends[0] is None or ends[1] is None:
            ctx.report.changed.append(f"create association label {label.key} '{label.label}'")
            continue
        by_pair.setdefault((ends[0], ends[1]), []).append(label)
    for (from_type, to_type), wanted in by_pair.items():
        existing = ctx.call(
            partial(
                ctx.apis.association_labels.get_all,
                from_type,
                to_type,
                _request_timeout=ctx.timeout,
            ),
            f"read association labels {from_type} → {to_type}",
        )
        found = {
            str(spec.label): spec
            for spec in existing.results or []
            if spec.label and spec.category == "USER_DEFINED"
        }
        for label in wanted:
            spec = found.get(label.label) or next(
                (s for text, s in found.items() if same_label("hubspot", label.label, text)), None
            )
            if spec is None:
                ctx.report.changed.append(f"create association label {label.key} '{label.label}'")
                if ctx.dry_run:
                    continue
                spec = _create_label(ctx, from_type, to_type, label)
                if spec is None:
                    continue
            else:
                ctx.report.unchanged += 1
            ctx.ids.associations[label.key] = AssociationType(
                from_type=from_type,
                to_type=to_type,
                type_id=int(spec.type_id),
                category="USER_DEFINED",
            )


def _create_label(ctx: Context, from_type: str, to_type: str, label: LabelDef) -> Any | None:
    body = PublicAssociationDefinitionCreateRequest(
        label=label.label, name=label.name, inverse_label=label.inverse_label
    )
    created = ctx.write(
        label.key,
        lambda: ctx.apis.association_labels.create(
            from_type, to_type, body, _request_timeout=ctx.timeout
        ),
        f"create association label {from_type} → {to_type}",
    )
    results = getattr(created, "results", None) or []
    return next((spec for spec in results if spec.label == label.label), None)


def _stage_input(pipeline: PipelineDef, index: int) -> PipelineStageInput:
    stage = pipeline.stages[index]
    return PipelineStageInput(label=stage.label, display_order=index, metadata=dict(stage.metadata))


def sync_pipelines(ctx: Context, pipelines: list[PipelineDef]) -> None:
    """Find or create each pipeline and its stages; record the pipeline and stage ids."""
    listed: dict[str, list[Any]] = {}
    for pipeline in pipelines:
        api_type = _type_id(ctx, pipeline.object)
        if api_type is None:
            ctx.report.changed.append(f"create pipeline {pipeline.key} '{pipeline.label}'")
            continue
        if api_type not in listed:
            answer = ctx.call(
                partial(ctx.apis.pipelines.get_all, api_type, _request_timeout=ctx.timeout),
                f"read pipelines of {pipeline.object}",
            )
            listed[api_type] = list(answer.results or [])
        _sync_pipeline(ctx, api_type, pipeline, listed[api_type])


def _sync_pipeline(ctx: Context, api_type: str, pipeline: PipelineDef, existing: list[Any]) -> None:
    stored = ctx.previous.pipelines.get(pipeline.key) if ctx.previous else None
    found = next((p for p in existing if stored and p.id == stored.pipeline_id), None) or next(
        (p for p in existing if same_label("hubspot", pipeline.label, p.label)), None
    )
    where = f"pipeline {pipeline.key}"
    if found is None:
        ctx.report.changed.append(f"create {where} '{pipeline.label}'")
        if ctx.dry_run:
            return
        body = PipelineInput(
            label=pipeline.label,
            display_order=len(existing),
            stages=[_stage_input(pipeline, i) for i in range(len(pipeline.stages))],
        )
        found = ctx.write(
            where,
            lambda: ctx.apis.pipelines.create(api_type, body, _request_timeout=ctx.timeout),
            f"create pipeline on {pipeline.object}",
        )
        if found is None:
            return
    elif found.label != kept_label(pipeline.label, found.label, ctx.relabel):
        ctx.report.changed.append(f"update {where} (label)")
        if not ctx.dry_run:
            patch = PipelinePatchInput(label=pipeline.label)
            ctx.write(
                where,
                lambda: ctx.apis.pipelines.update(
                    api_type, found.id, patch, _request_timeout=ctx.timeout
                ),
                f"update pipeline on {pipeline.object}",
            )
    else:
        ctx.report.unchanged += 1
    stages = _sync_stages(ctx, api_type, pipeline, found, stored)
    ctx.ids.pipelines[pipeline.key] = PipelineIds(
        object_type=api_type, pipeline_id=str(found.id), stages=stages
    )


def _sync_stages(
    ctx: Context, api_type: str, pipeline: PipelineDef, found: Any, stored: PipelineIds | None
) -> dict[str, str]:
    ids: dict[str, str] = {}
    have = list(found.stages or [])
    for index, stage in enumerate(pipeline.stages):
        known = stored.stages.get(stage.value) if stored else None
        match = next((s for s in have if known and s.id == known), None) or next(
            (s for s in have if same_label("hubspot", stage.label, s.label)), None
        )
        if match is None:
            ctx.report.changed.append(f"create stage {pipeline.key}.{stage.value}")
            if ctx.dry_run:
                continue
            body = _stage_input(pipeline, index)
            match = ctx.write(
                f"{pipeline.key}.{stage.value}",
                partial(
                    ctx.apis.pipeline_stages.create,
                    api_type,
                    found.id,
                    body,
                    _request_timeout=ctx.timeout,
                ),
                f"create pipeline stage on {pipeline.object}",
            )
            if match is None:
                continue
        ids[stage.value] = str(match.id)
    return ids
