"""Load and check the YAML mappings of one CRM.

Everything that can be wrong with a mapping is found here, at load time, and reported as a
:class:`~mappings.errors.MappingError` naming the file, the object and the field: an unknown
model attribute, enum or transform, a type that cannot hold the source's values, a duplicate
target field, an attribute or field owned by both sides, a lookup to nothing, a relationship
name used twice on the same parent. Names are checked against the naming rule of the CRM
being loaded (:mod:`mappings.naming`), HubSpot's ``hubspot:`` blocks by
:mod:`mappings.hubspot_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from connector.i18n import gettext as _
from connector.validation_messages import validation_message
from mappings.errors import MappingError
from mappings.hubspot_checks import check_hubspot_options
from mappings.naming import NAMING_CONTEXT_KEY, SALESFORCE, NamingRule, naming_rule
from mappings.registry import ENUMS, MODELS, SourceError, SourceInfo, ValueKind, resolve_source
from mappings.spec import (
    Direction,
    FieldSpec,
    FieldType,
    MappedField,
    MappingSet,
    ObjectMapping,
    ObjectSpec,
)
from mappings.transforms import get_transform

__all__ = ["default_directory", "load_mappings", "parse_mapping"]

# Which value kinds each field type can hold (after the transform, if any).
_ACCEPTS: dict[FieldType, frozenset[ValueKind]] = {
    FieldType.TEXT: frozenset({ValueKind.TEXT}),
    FieldType.LONG_TEXT_AREA: frozenset({ValueKind.TEXT}),
    FieldType.EMAIL: frozenset({ValueKind.TEXT}),
    FieldType.PICKLIST: frozenset({ValueKind.TEXT}),
    FieldType.MULTISELECT_PICKLIST: frozenset({ValueKind.TEXT_LIST}),
    FieldType.NUMBER: frozenset({ValueKind.NUMBER}),
    FieldType.CURRENCY: frozenset({ValueKind.NUMBER}),
    FieldType.CHECKBOX: frozenset({ValueKind.BOOLEAN}),
    FieldType.DATE: frozenset({ValueKind.DATE}),
    FieldType.DATETIME: frozenset({ValueKind.DATETIME}),
    FieldType.LOOKUP: frozenset({ValueKind.TEXT}),
    FieldType.EXTERNAL_ID_LOOKUP: frozenset({ValueKind.TEXT}),
}
_LOOKUPS = {FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP}


def default_directory(crm: str) -> Path:
    """The mappings shipped with refnet for ``crm`` (``mappings/<crm>/``)."""
    return Path(str(resources.files("mappings").joinpath(crm)))


def _field_name(raw: Any, index: int) -> str:
    """How to name field ``index`` of a raw YAML document in an error message."""
    fields = raw.get("fields") if isinstance(raw, dict) else None
    if isinstance(fields, list) and index < len(fields) and isinstance(fields[index], dict):
        item = fields[index]
        return str(item.get("target") or item.get("source") or f"#{index + 1}")
    return f"#{index + 1}"


def _spec_error(exc: ValidationError, raw: Any, file: Path) -> MappingError:
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = list(error["loc"])
    obj = raw.get("object") if isinstance(raw, dict) else None
    field = None
    if len(loc) >= 2 and loc[0] == "fields" and isinstance(loc[1], int):
        field = _field_name(raw, loc[1])
        loc = loc[2:]
    where = ".".join(str(part) for part in loc)
    # refnet's own validators' messages stand alone, without pydantic's "Value error, ".
    message = (
        str(error["ctx"]["error"])
        if error["type"] == "value_error" and "error" in error.get("ctx", {})
        else validation_message(error)
    )
    return MappingError(
        f"{where}: {message}" if where else message,
        file=file,
        obj=str(obj) if obj else None,
        field=field,
    )


def parse_mapping(text: str, file: Path, *, crm: str = "salesforce") -> ObjectSpec:
    """Parse one YAML document into its spec (shape checks, names by ``crm``'s rule)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise MappingError(_("not valid YAML{where}").format(where=where), file=file) from None
    if not isinstance(raw, dict):
        raise MappingError(_("a mapping file must be a YAML mapping (key: value)"), file=file)
    try:
        return ObjectSpec.model_validate(raw, context={NAMING_CONTEXT_KEY: naming_rule(crm)})
    except ValidationError as exc:
        raise _spec_error(exc, raw, file) from None


class _Resolver:
    """Resolves one spec's fields; every error names file, object and field."""

    def __init__(self, spec: ObjectSpec, file: Path, naming: NamingRule = SALESFORCE) -> None:
        self.spec, self.file, self.naming = spec, file, naming

    def fail(self, message: str, field: str | None = None) -> MappingError:
        return MappingError(message, file=self.file, obj=self.spec.object, field=field)

    def resolve(self) -> ObjectMapping:
        model = MODELS.get(self.spec.model)
        if model is None:
            known = ", ".join(sorted(MODELS))
            raise self.fail(
                _("unknown model '{model}'; known: {known}").format(
                    model=self.spec.model, known=known
                )
            )
        fields = tuple(self._field(model, f) for f in self.spec.fields)
        self._check_unique(fields)
        return ObjectMapping(self.spec, self.file, model, fields, self.naming)

    def _field(self, model: type[Any], spec: FieldSpec) -> MappedField:
        try:
            source = resolve_source(model, spec.source)
        except SourceError as exc:
            raise self.fail(
                _("source '{source}': {exc}").format(source=spec.source, exc=exc), spec.target
            ) from None
        enum = None
        if spec.picklist is not None:
            enum = ENUMS.get(spec.picklist)
            if enum is None:
                known = ", ".join(sorted(ENUMS))
                raise self.fail(
                    _("unknown enum '{picklist}'; known: {known}").format(
                        picklist=spec.picklist, known=known
                    ),
                    spec.target,
                )
        transform = None
        if spec.transform is not None:
            transform = get_transform(spec.transform)
            if transform is None:
                raise self.fail(
                    _("unknown transform '{transform}'").format(transform=spec.transform),
                    spec.target,
                )
        self._check_kinds(spec, source, enum, transform is not None)
        if transform is not None:
            if source.kind not in transform.accepts:
                raise self.fail(
                    _(
                        "transform '{transform}' does not accept {kind} values (from '{source}')"
                    ).format(transform=transform.name, kind=source.kind, source=spec.source),
                    spec.target,
                )
            kind = transform.produces
        else:
            kind = source.kind
        if kind not in _ACCEPTS[spec.type]:
            raise self.fail(
                _("type {type} cannot hold {kind} values from '{source}'").format(
                    type=spec.type, kind=kind, source=spec.source
                )
                + ("" if transform else _("; name a transform or change the type")),
                spec.target,
            )
        if spec.direction is Direction.PULL:
            if not source.writable:
                what = "a computed value" if source.computed else "a read-only property"
                raise self.fail(
                    _("'{source}' is {what}: it can be pushed, never pulled").format(
                        source=spec.source, what=what
                    ),
                    spec.target,
                )
            if transform is not None and transform.inverse is None:
                raise self.fail(
                    _(
                        "transform '{transform}' has no inverse, so the field cannot be pulled"
                    ).format(transform=transform.name),
                    spec.target,
                )
        return MappedField(spec, source, enum, transform)

    def _check_kinds(
        self, spec: FieldSpec, source: SourceInfo, enum: type[Any] | None, transformed: bool
    ) -> None:
        if enum is None or transformed:
            return
        if source.enum is None:
            raise self.fail(
                _(
                    "picklist '{picklist}' needs a source whose values are that enum; '{source}' "
                    "is free {kind}"
                ).format(picklist=spec.picklist, source=spec.source, kind=source.kind),
                spec.target,
            )
        if source.enum is not enum:
            raise self.fail(
                _(
                    "picklist '{picklist}' does not match '{source}', which holds {enum} values"
                ).format(picklist=spec.picklist, source=spec.source, enum=source.enum.__name__),
                spec.target,
            )

    def _check_unique(self, fields: Iterable[MappedField]) -> None:
        targets: dict[str, MappedField] = {}
        owners: dict[str, MappedField] = {}
        reserved = {self.spec.external_id.field.casefold(), "id"}
        for field in fields:
            key = field.target.casefold()
            if key in reserved:
                raise self.fail(
                    _("'{target}' is reserved (record id or external id)").format(
                        target=field.target
                    ),
                    field.target,
                )
            if key in targets:
                other = targets[key]
                if other.spec.direction is not field.spec.direction:
                    raise self.fail(_("the field is both pushed and pulled"), field.target)
                raise self.fail(_("duplicate target field"), field.target)
            targets[key] = field
            previous = owners.get(field.source.path)
            if previous is not None and previous.spec.direction is not field.spec.direction:
                raise self.fail(
                    _("'{path}' is both pushed (to {target}) and pulled (from {target2})").format(
                        path=field.source.path,
                        target=(previous if previous.pushed else field).target,
                        target2=(field if previous.pushed else previous).target,
                    ),
                    field.target,
                )
            owners[field.source.path] = field
        name = self.spec.name_field
        if name is not None and name.type == "Text":
            writer = targets.get("name")
            if writer is None or not writer.pushed:
                raise self.fail(_("a Text name_field needs a pushed field with target 'Name'"))


def _resolve_lookups(
    mappings: list[ObjectMapping], naming: NamingRule = SALESFORCE
) -> list[ObjectMapping]:
    """Point every lookup at a CRM object (and, by external id, at its upsert key)."""
    by_object = {m.object.casefold(): m for m in mappings}
    relationships: dict[tuple[str, str], str] = {}
    resolved: list[ObjectMapping] = []
    for mapping in mappings:
        fields: list[MappedField] = []
        for field in mapping.fields:
            if field.spec.type not in _LOOKUPS:
                fields.append(field)
                continue
            fail = _failer(mapping, field.target)
            reference = str(field.spec.references)
            target = by_object.get(reference.casefold())
            if target is None and reference in MODELS:
                candidates = [m for m in mappings if m.name == reference]
                if len(candidates) != 1:
                    where = ", ".join(m.object for m in candidates) or "no object"
                    raise fail(
                        _(
                            "references model '{reference}', which maps to {where}; name the CRM "
                            "object instead"
                        ).format(reference=reference, where=where)
                    )
                target = candidates[0]
            ref_object = target.object if target is not None else reference
            if naming.is_custom(ref_object) and target is None:
                raise fail(
                    _("references '{reference}', which no mapping defines").format(
                        reference=reference
                    )
                )
            ref_field = None
            if field.spec.type is FieldType.EXTERNAL_ID_LOOKUP:
                ref_field = field.spec.reference_field or (
                    target.external_id_field if target is not None else None
                )
                if ref_field is None:
                    raise fail(
                        _("'{ref_object}' has no mapping, so name its 'reference_field'").format(
                            ref_object=ref_object
                        )
                    )
            key = (ref_object.casefold(), str(field.spec.relationship_name).casefold())
            if key in relationships:
                raise fail(
                    _(
                        "relationship name '{relationship_name}' on '{ref_object}' is already "
                        "used by {relationships}"
                    ).format(
                        relationship_name=field.spec.relationship_name,
                        ref_object=ref_object,
                        relationships=relationships[key],
                    )
                )
            relationships[key] = f"{mapping.object}.{field.target}"
            fields.append(
                MappedField(
                    field.spec, field.source, field.enum, field.transform, ref_object, ref_field
                )
            )
        resolved.append(
            ObjectMapping(mapping.spec, mapping.file, mapping.model, tuple(fields), naming)
        )
    return resolved


def _failer(mapping: ObjectMapping, field: str) -> Callable[[str], MappingError]:
    def fail(message: str) -> MappingError:
        return MappingError(message, file=mapping.file, obj=mapping.object, field=field)

    return fail


def load_mappings(
    crm: str = "salesforce",
    directory: Path | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
) -> MappingSet:
    """Load every ``*.yaml`` mapping of ``crm`` and check them one by one and together.

    ``directory`` defaults to the mappings shipped with refnet. ``overrides`` (file name →
    YAML text) replaces or adds files without touching the directory, for tests and tools.
    """
    folder = directory or default_directory(crm)
    texts: dict[str, tuple[Path, str]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            texts[path.name] = (path, path.read_text(encoding="utf-8"))
    elif directory is not None:
        raise MappingError(_("mapping directory does not exist"), file=folder)
    for name, text in (overrides or {}).items():
        texts[name] = (folder / name, text)
    if not texts:
        raise MappingError(_("no {crm} mappings (*.yaml) found").format(crm=crm), file=folder)
    naming = naming_rule(crm)
    mappings: list[ObjectMapping] = []
    seen: dict[str, Path] = {}
    for path, text in texts.values():
        spec = parse_mapping(text, path, crm=crm)
        if spec.object.casefold() in seen:
            raise MappingError(
                _("object is already mapped in {name}").format(
                    name=seen[spec.object.casefold()].name
                ),
                file=path,
                obj=spec.object,
            )
        seen[spec.object.casefold()] = path
        mappings.append(_Resolver(spec, path, naming).resolve())
    resolved = _resolve_lookups(mappings, naming)
    for mapping in resolved:
        if mapping.spec.hubspot is not None:
            check_hubspot_options(mapping)
    return MappingSet(crm, tuple(resolved))
