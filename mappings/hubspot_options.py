"""The optional ``hubspot:`` block of a mapping file: what only HubSpot needs to know.

Everything in it is additive to the shared format; Salesforce mappings never have it.
An example, ``hubspot/partnership.yaml``::

    hubspot:
      primary_display_property: refnet_id          # custom objects: display and search
      searchable_properties: [refnet_id]
      required_properties: [refnet_id]
      associated_objects: [CONTACT, COMPANY, DEAL] # unlabelled associations of the schema
      pipeline: {field: hs_pipeline_stage, label: refnet Network Partners}
      properties_only:                             # a portal without custom objects
        object: contacts
        onto: partner                              # write onto the contact the lookup names
        properties:
          hs_pipeline_stage: {name: refnet_partner_stage, label: refnet Partner Stage}

A ``pipeline`` turns a pushed picklist into pipeline stages (one per enum value, in enum
order): provisioning creates it and stores the portal's stage ids, the adapter writes the
stage id in place of the enum value. ``properties_only`` says how the object degrades when
the portal cannot have custom objects (see ``adapters/hubspot/README.md``):
its fields are written as properties of a standard object under the names given (fields
not listed are not synced). ``input_properties`` are provisioned for CRM users and the
webhooks to fill (``referred_by``) and never synced.

Checks that need the resolved fields (names exist, the pipeline field is a picklist) are in
:mod:`mappings.hubspot_checks`; this module holds only the shape.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from connector.i18n import gettext as _

__all__ = [
    "HubSpotName",
    "HubSpotOptions",
    "InputProperty",
    "PipelineSpec",
    "PropertiesOnly",
    "PropertyRename",
]

HubSpotName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,99}$")]
_Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
_Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
StandardObject = Literal["contacts", "companies", "deals"]
AssociatedObject = Literal["CONTACT", "COMPANY", "DEAL"]
_ALL_ASSOCIATED: tuple[AssociatedObject, ...] = ("CONTACT", "COMPANY", "DEAL")
InputType = Literal["Text", "LongTextArea", "Number", "Date", "DateTime", "Checkbox", "Email"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputProperty(_Strict):
    """A property provisioned for CRM users (and read by the webhooks), never synced."""

    name: HubSpotName
    label: _Label
    type: InputType = "Text"
    description: _Description | None = None
    object: StandardObject | None = None  # default: the mapping's own object


class PipelineSpec(_Strict):
    """A pipeline whose stages are the values of a pushed picklist field, in enum order."""

    field: HubSpotName  # the field (its target) whose values become the stages
    label: _Label
    # Deal pipelines need a win probability (0..1) per stage and say which stages close.
    probabilities: dict[str, float] = Field(default_factory=dict)
    closed: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _probabilities_are_shares(self) -> Self:
        bad = sorted(k for k, v in self.probabilities.items() if not 0.0 <= v <= 1.0)
        if bad:
            raise ValueError(
                _("probabilities must lie in 0..1 (stages {bad})").format(bad=", ".join(bad))
            )
        return self


class PropertyRename(_Strict):
    name: HubSpotName
    label: _Label | None = None


class PropertiesOnly(_Strict):
    """Where a custom object's records go in a portal without custom objects."""

    object: StandardObject
    onto: HubSpotName | None = None  # an ExternalIdLookup field: update the record it names
    name_property: HubSpotName | None = None  # receives the record key (e.g. dealname)
    properties: dict[HubSpotName, HubSpotName | PropertyRename] = Field(min_length=1)
    pipeline: PipelineSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.onto is not None and (self.pipeline is not None or self.name_property):
            raise ValueError(_("'onto' writes onto existing records: no pipeline or name_property"))
        if self.pipeline is not None and self.object != "deals":
            raise ValueError(_("a properties_only pipeline must be on deals"))
        if self.object == "deals" and self.onto is None and not self.name_property:
            raise ValueError(_("deals need a name: set name_property (e.g. dealname)"))
        return self

    def renamed(self, target: str) -> PropertyRename | None:
        """What field ``target`` becomes in this mode (``None``: not synced)."""
        value = self.properties.get(target)
        if value is None or isinstance(value, PropertyRename):
            return value
        return PropertyRename(name=value)


class HubSpotOptions(_Strict):
    """The ``hubspot:`` block of one mapping file."""

    primary_display_property: HubSpotName | None = None
    secondary_display_properties: list[HubSpotName] = Field(default_factory=list)
    searchable_properties: list[HubSpotName] = Field(default_factory=list)
    required_properties: list[HubSpotName] = Field(default_factory=list)
    associated_objects: list[AssociatedObject] = Field(
        default_factory=lambda: list(_ALL_ASSOCIATED)
    )
    pipeline: PipelineSpec | None = None
    input_properties: list[InputProperty] = Field(default_factory=list)
    properties_only: PropertiesOnly | None = None
