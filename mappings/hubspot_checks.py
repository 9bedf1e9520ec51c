"""Checks of a mapping's ``hubspot:`` block against its resolved fields, at load time.

Every error names the file, the object and the option (as the field), like the rest of the
loader's errors, so an admin can fix the YAML without reading code.
"""

from __future__ import annotations

from collections.abc import Iterable

from connector.i18n import gettext as _
from mappings.errors import MappingError
from mappings.hubspot_options import HubSpotOptions, PipelineSpec, PropertiesOnly
from mappings.spec import FieldType, MappedField, ObjectMapping

__all__ = ["PIPELINE_STAGE_PROPERTY", "check_hubspot_options"]

# The property holding a custom object's pipeline stage; deals use "dealstage".
PIPELINE_STAGE_PROPERTY = "hs_pipeline_stage"
_DEAL_STAGE_PROPERTY = "dealstage"
_LOOKUPS = {FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP}


class _Checker:
    def __init__(self, mapping: ObjectMapping, options: HubSpotOptions) -> None:
        self.mapping, self.options = mapping, options
        self.fields = {f.target: f for f in mapping.fields}

    def fail(self, message: str, option: str) -> MappingError:
        return MappingError(
            message, file=self.mapping.file, obj=self.mapping.object, field=f"hubspot.{option}"
        )

    def properties(self) -> set[str]:
        """Names that are properties of the object: the external id and non-lookup fields."""
        plain = {t for t, f in self.fields.items() if f.spec.type not in _LOOKUPS}
        return plain | {self.mapping.external_id_field}

    def known(self, names: Iterable[str], option: str) -> None:
        unknown = sorted(set(names) - self.properties())
        if unknown:
            raise self.fail(
                _("names no mapped property: {unknown}").format(unknown=", ".join(unknown)), option
            )

    def picklist(self, spec: PipelineSpec, option: str) -> list[str]:
        field = self.fields.get(spec.field)
        if field is None or field.spec.type is not FieldType.PICKLIST or not field.pushed:
            raise self.fail(
                _("'{field}' must be a pushed Picklist field").format(field=spec.field), option
            )
        values = field.picklist_values
        stray = sorted((set(spec.probabilities) | set(spec.closed)) - set(values))
        if stray:
            raise self.fail(
                _("stages {stray} are not values of {field}").format(
                    stray=", ".join(stray), field=spec.field
                ),
                option,
            )
        return values

    def check(self) -> None:
        o = self.options
        custom_only = {
            "primary_display_property": o.primary_display_property,
            "secondary_display_properties": o.secondary_display_properties,
            "searchable_properties": o.searchable_properties,
            "required_properties": o.required_properties,
            "pipeline": o.pipeline,
            "properties_only": o.properties_only,
        }
        if not self.mapping.custom:
            used = [name for name, value in custom_only.items() if value]
            if used:
                raise self.fail(_("applies to custom objects only"), used[0])
            return
        display = [o.primary_display_property] if o.primary_display_property else []
        self.known(display, "primary_display_property")
        self.known(o.secondary_display_properties, "secondary_display_properties")
        self.known(o.searchable_properties, "searchable_properties")
        self.known(o.required_properties, "required_properties")
        if o.pipeline is not None:
            self.picklist(o.pipeline, "pipeline")
            if o.pipeline.field != PIPELINE_STAGE_PROPERTY:
                raise self.fail(
                    _("the stage field must target {property}").format(
                        property=PIPELINE_STAGE_PROPERTY
                    ),
                    "pipeline.field",
                )
        if o.properties_only is not None:
            self.check_properties_only(o.properties_only)

    def check_properties_only(self, mode: PropertiesOnly) -> None:
        option = "properties_only"
        self.known([k for k in mode.properties if k != self.mapping.external_id_field], option)
        if mode.onto is not None:
            onto: MappedField | None = self.fields.get(mode.onto)
            if (
                onto is None
                or onto.spec.type is not FieldType.EXTERNAL_ID_LOOKUP
                or onto.reference_object != mode.object
            ):
                raise self.fail(
                    _("'{onto}' must be an ExternalIdLookup to {object}").format(
                        onto=mode.onto, object=mode.object
                    ),
                    f"{option}.onto",
                )
        if mode.pipeline is not None:
            values = self.picklist(mode.pipeline, f"{option}.pipeline")
            renamed = mode.renamed(mode.pipeline.field)
            if renamed is None or renamed.name != _DEAL_STAGE_PROPERTY:
                raise self.fail(
                    _("'{field}' must be renamed to {property}").format(
                        field=mode.pipeline.field, property=_DEAL_STAGE_PROPERTY
                    ),
                    f"{option}.pipeline",
                )
            missing = [v for v in values if v not in mode.pipeline.probabilities]
            if missing:
                raise self.fail(
                    _("deal stages need a probability: {missing}").format(
                        missing=", ".join(missing)
                    ),
                    f"{option}.pipeline",
                )


def check_hubspot_options(mapping: ObjectMapping) -> None:
    """Raise :class:`MappingError` if ``mapping``'s ``hubspot:`` block is inconsistent."""
    if mapping.spec.hubspot is not None:
        _Checker(mapping, mapping.spec.hubspot).check()
