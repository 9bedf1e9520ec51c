"""Provision the HubSpot schema from the mappings, idempotently, and record the portal's ids.

Run twice, the second run only reads: every step compares what exists with what the
mappings want (:mod:`adapters.hubspot.provision_steps`) and writes only the differences.

Custom objects need an Enterprise subscription. A portal without them answers the schemas
endpoint with 403 (listing or creating), and so does a token missing a schema scope. A 403
is therefore checked against the limits tracking API (:func:`~adapters.hubspot.scopes.
custom_object_limit`): only a portal whose custom object limit is 0 switches to the
documented properties-only mode (``adapters/hubspot/README.md``), remembered in the portal
file so later runs do not probe again unless asked to (``redetect``); ``properties_only``
opts in without probing. Any other 403 ``MISSING_SCOPES`` stops provisioning with
:class:`~adapters.hubspot.errors.MissingScopes` (the scopes to grant) and stores nothing.

Order: custom object schemas (with their properties and unlabelled associations to
contacts, companies and deals), associations between custom objects, properties of
standard objects (in the ``refnet`` group), association labels, pipelines. Refusals of
single items are collected and the rest goes on; a
:class:`~adapters.hubspot.errors.ProvisioningError` at the end names each with its code.
The portal file is written (only if it changed) before that error is raised, so the ids
found are kept.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from hubspot.crm.schemas import (
    AssociationDefinitionEgg,
    ObjectSchemaEgg,
    ObjectTypeDefinitionLabels,
    ObjectTypeDefinitionPatch,
    ObjectTypePropertyCreate,
    OptionInput,
)

from adapters.hubspot.client import HubSpotApis
from adapters.hubspot.errors import AccessDenied, MissingScopes, ProvisioningError
from adapters.hubspot.portal import PortalFile, PortalIds, PortalMode
from adapters.hubspot.provision_steps import (
    Context,
    ProvisionReport,
    kept_label,
    sync_labels,
    sync_pipelines,
    sync_properties,
)
from adapters.hubspot.retry import RetryPolicy
from adapters.hubspot.schema import (
    DesiredSchema,
    ObjectDef,
    PropertyDef,
    desired_schema,
    localized_schema,
)
from adapters.hubspot.scopes import REFNET_SCOPES, custom_object_limit
from connector.errors import RefnetError
from mappings.spec import MappingSet

__all__ = ["ProvisionReport", "Provisioner", "schema_differences"]


_STANDARD_NAMES = {"0-1": "contacts", "0-2": "companies", "0-3": "deals"}


class _NoCustomObjects(Exception):
    """The portal refused to create the first custom object schema (403)."""

    def __init__(self, denied: AccessDenied) -> None:
        super().__init__(str(denied))
        self.denied = denied


def schema_differences(want: ObjectDef, have: Any) -> list[str]:
    """Which of the schema attributes refnet sets differ on an existing schema."""
    labels = have.labels
    diff = []
    if (want.singular, want.plural) != (
        getattr(labels, "singular", None),
        getattr(labels, "plural", None),
    ):
        diff.append("labels")
    if want.primary_display_property != have.primary_display_property:
        diff.append("primaryDisplayProperty")
    if list(want.secondary_display_properties) != list(have.secondary_display_properties or []):
        diff.append("secondaryDisplayProperties")
    for name, wanted, found in (
        ("searchableProperties", want.searchable_properties, have.searchable_properties),
        ("requiredProperties", want.required_properties, have.required_properties),
    ):
        if set(wanted) != set(found or []):
            diff.append(name)
    if want.description is not None and want.description != (have.description or None):
        diff.append("description")
    return diff


def _egg_property(prop: PropertyDef) -> ObjectTypePropertyCreate:
    return ObjectTypePropertyCreate(
        name=prop.name,
        label=prop.label,
        type=prop.type,
        field_type=prop.field_type,
        options=[
            OptionInput(label=o.label, value=o.value, display_order=i, hidden=False)
            for i, o in enumerate(prop.options)
        ],
        has_unique_value=prop.unique,
        description=prop.description,
    )


def _egg(want: ObjectDef) -> ObjectSchemaEgg:
    return ObjectSchemaEgg(
        name=want.name,
        labels=ObjectTypeDefinitionLabels(singular=want.singular, plural=want.plural),
        description=want.description,
        primary_display_property=want.primary_display_property,
        secondary_display_properties=list(want.secondary_display_properties),
        searchable_properties=list(want.searchable_properties),
        required_properties=list(want.required_properties),
        associated_objects=list(want.associated_type_ids),
        properties=[_egg_property(p) for p in want.properties],
    )


def _patch(want: ObjectDef, diff: list[str]) -> ObjectTypeDefinitionPatch:
    patch = ObjectTypeDefinitionPatch()
    if "labels" in diff:
        patch.labels = ObjectTypeDefinitionLabels(singular=want.singular, plural=want.plural)
    if "primaryDisplayProperty" in diff:
        patch.primary_display_property = want.primary_display_property
    if "secondaryDisplayProperties" in diff:
        patch.secondary_display_properties = list(want.secondary_display_properties)
    if "searchableProperties" in diff:
        patch.searchable_properties = list(want.searchable_properties)
    if "requiredProperties" in diff:
        patch.required_properties = list(want.required_properties)
    if "description" in diff:
        patch.description = want.description
    return patch


class Provisioner:
    """Applies the mappings' schema to one portal and keeps its ids in the portal file."""

    def __init__(
        self,
        apis: HubSpotApis,
        policy: RetryPolicy,
        portal: PortalFile,
        *,
        host: str,
        request_timeout: float = 60.0,
        label_language: str = "en",
    ) -> None:
        self.apis, self.policy, self.portal = apis, policy, portal
        self.host = host
        self.timeout = request_timeout
        self.label_language = label_language
        self.relabel = False

    def run(
        self,
        mappings: MappingSet,
        *,
        dry_run: bool = False,
        redetect: bool = False,
        properties_only: bool = False,
        relabel: bool = False,
    ) -> ProvisionReport:
        self.relabel = relabel
        previous = self.portal.load()
        if previous is not None and previous.portal not in (None, self.host):
            previous = None  # a file from another portal: discover everything afresh
        mode: PortalMode = "custom_objects"
        existing: list[Any] = []
        notes: list[str] = []
        needs_custom = any(m.custom for m in mappings.mappings)
        if properties_only:
            mode = "properties_only"
            notes.append("properties-only mode chosen (--properties-only)")
        elif previous is not None and previous.mode == "properties_only" and not redetect:
            mode = "properties_only"
        elif needs_custom:
            try:
                existing = list(self._call(self.apis.schemas.get_all, "read schemas").results or [])
            except AccessDenied as denied:
                self._require_no_custom_objects(denied)
                mode = "properties_only"
                notes.append("the portal refuses custom object schemas (403)")
        try:
            try:
                report = self._apply(mappings, mode, existing, previous, dry_run)
            except _NoCustomObjects as refused:
                self._require_no_custom_objects(refused.denied)
                notes.append("the portal refused to create a custom object schema (403)")
                report = self._apply(mappings, "properties_only", [], previous, dry_run)
        except AccessDenied as denied:
            # A scope missing for a later step: stop before the portal file is written.
            raise MissingScopes(denied.required_scopes, REFNET_SCOPES) from None
        report.notes[:0] = notes
        if report.mode == "properties_only":
            report.notes.append("properties-only mode: custom objects need HubSpot Enterprise")
        if report.failures:
            raise ProvisioningError(report.failures, report.changed)
        return report

    def _require_no_custom_objects(self, denied: AccessDenied) -> None:
        """Accept a 403 as "no custom objects" only if the portal's limit says so."""
        try:
            limit = self.policy.call(
                lambda: custom_object_limit(
                    self.apis.schemas.api_client, request_timeout=self.timeout
                ),
                operation="read custom object limits",
            )
        except (RefnetError, ValueError):
            limit = None  # cannot tell: refuse rather than silently drop custom objects
        if limit != 0:
            raise MissingScopes(denied.required_scopes, REFNET_SCOPES) from None

    def _call(self, fn: Any, operation: str) -> Any:
        return self.policy.call(lambda: fn(_request_timeout=self.timeout), operation=operation)

    def _apply(
        self,
        mappings: MappingSet,
        mode: PortalMode,
        existing: list[Any],
        previous: PortalIds | None,
        dry_run: bool,
    ) -> ProvisionReport:
        desired = localized_schema(desired_schema(mappings, mode), self.label_language)
        report = ProvisionReport(mode, dry_run=dry_run, skipped=list(desired.skipped))
        ids = PortalIds(mode=mode, portal=self.host)
        ctx = Context(self.apis, self.policy, ids, previous, report, self.timeout, self.relabel)
        if mode == "custom_objects":
            self._schemas(ctx, desired, existing)
        for object_name, props in desired.properties.items():
            api_type = ids.object_types.get(object_name, object_name)
            sync_properties(ctx, api_type, object_name, props)
        sync_labels(ctx, desired.labels)
        sync_pipelines(ctx, desired.pipelines)
        if not dry_run:
            self.portal.save(ids)
        return report

    def _schemas(self, ctx: Context, desired: DesiredSchema, existing: list[Any]) -> None:
        by_name = {s.name: s for s in existing}
        first_ever = not by_name
        for want in desired.objects:
            have = by_name.get(want.name)
            if have is None:
                ctx.report.changed.append(f"create object {want.name}")
                if ctx.dry_run:
                    continue
                try:
                    created = ctx.write(
                        want.name,
                        partial(
                            self.apis.schemas.create, _egg(want), _request_timeout=self.timeout
                        ),
                        f"create schema {want.name}",
                    )
                except AccessDenied as denied:
                    if first_ever:
                        raise _NoCustomObjects(denied) from None
                    raise
                if created is not None:
                    by_name[want.name] = created
                    ctx.ids.object_types[want.name] = str(created.object_type_id)
                first_ever = False
                continue
            ctx.ids.object_types[want.name] = str(have.object_type_id)
            self._update_schema(ctx, want, have)
        self._custom_links(ctx, desired, by_name)

    def _update_schema(self, ctx: Context, want: ObjectDef, have: Any) -> None:
        labels = have.labels
        want = replace(
            want,
            singular=kept_label(want.singular, getattr(labels, "singular", None), ctx.relabel),
            plural=kept_label(want.plural, getattr(labels, "plural", None), ctx.relabel),
            description=None
            if want.description is None
            else kept_label(want.description, have.description, ctx.relabel),
        )
        diff = schema_differences(want, have)
        if diff:
            ctx.report.changed.append(f"update object {want.name} ({', '.join(diff)})")
            if not ctx.dry_run:
                type_id = str(have.object_type_id)
                ctx.write(
                    want.name,
                    lambda: self.apis.schemas.update(
                        type_id, _patch(want, diff), _request_timeout=self.timeout
                    ),
                    f"update schema {want.name}",
                )
        else:
            ctx.report.unchanged += 1
        sync_properties(
            ctx,
            str(have.object_type_id),
            want.name,
            list(want.properties),
            existing={p.name: p for p in have.properties or []},
        )
        linked = _linked_types(have)
        for type_id in want.associated_type_ids:
            if type_id not in linked:
                self._associate(ctx, want.name, str(have.object_type_id), type_id, None)

    def _custom_links(self, ctx: Context, desired: DesiredSchema, by_name: dict[str, Any]) -> None:
        for source, target in dict.fromkeys(desired.custom_links):
            have = by_name.get(source)
            to_type = ctx.ids.object_types.get(target)
            if have is None or to_type is None:
                ctx.report.changed.append(f"create association {source} → {target}")
                continue
            if to_type not in _linked_types(have):
                self._associate(ctx, source, str(have.object_type_id), to_type, target)

    def _associate(
        self, ctx: Context, name: str, from_type: str, to_type: str, to_name: str | None
    ) -> None:
        # Association definition names are lower_snake_case like every HubSpot name.
        to_name = to_name or _STANDARD_NAMES.get(to_type, to_type.replace("-", "_"))
        ctx.report.changed.append(f"create association {name} → {to_name}")
        if ctx.dry_run:
            return
        egg = AssociationDefinitionEgg(
            from_object_type_id=from_type, to_object_type_id=to_type, name=f"{name}_to_{to_name}"
        )
        ctx.write(
            f"{name} → {to_type}",
            lambda: self.apis.schemas.create_association(
                from_type, egg, _request_timeout=self.timeout
            ),
            f"create association on {name}",
        )


def _linked_types(schema: Any) -> set[str]:
    """Object types a schema's association definitions reach, in either direction."""
    own = str(schema.object_type_id)
    linked = set()
    for definition in schema.associations or []:
        ends = {str(definition.from_object_type_id), str(definition.to_object_type_id)}
        linked |= ends - {own} or {own}
    return linked
