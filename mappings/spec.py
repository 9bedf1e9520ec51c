"""The mapping format: one YAML file per synced object per CRM, and what it resolves to.

The YAML is loaded into the ``*Spec`` models (shape and per-field rules); the loader then
resolves each spec against the refnet model, its enums and the transform registry into an
:class:`ObjectMapping` (see ``mappings.loader``). An example, ``salesforce/referral.yaml``::

    model: referral                      # a key of mappings.registry.MODELS
    object: Refnet_Referral__c           # the CRM object's API name
    label: Referral
    plural_label: Referrals
    external_id: {field: Refnet_Id__c}   # unique External ID holding the refnet id
    name_field: {label: Referral Number, type: AutoNumber, display_format: "REF-{000000}"}
    fields:
      - source: status                   # dotted path into the model, or computed.<name>
        target: Refnet_Status__c
        type: Picklist
        picklist: ReferralStatus         # values come from the enum, never repeated here
        label: Status
        direction: push                  # push: refnet computes it; pull: CRM users own it

Field types are the CRM-neutral vocabulary below (named after Salesforce's); each adapter
translates them. ``ExternalIdLookup`` points at another record by *its* external id (a refnet
id), ``Lookup`` by the CRM's own record id.

Names follow the naming rule of the CRM being loaded (:mod:`mappings.naming`): Salesforce
API names by default, lower_snake_case for HubSpot. HubSpot mappings may add a ``hubspot:``
block (:mod:`mappings.hubspot_options`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from connector.i18n import gettext as _
from connector.model import Record
from mappings.hubspot_options import HubSpotOptions
from mappings.naming import SALESFORCE, NameKind, NamingRule, rule_from_context
from mappings.registry import SourceInfo
from mappings.transforms import Transform

__all__ = [
    "Direction",
    "ExternalIdSpec",
    "FieldSpec",
    "FieldType",
    "MappedField",
    "MappingSet",
    "NameFieldSpec",
    "ObjectMapping",
    "ObjectSpec",
    "is_custom_name",
    "relationship_key",
]

# Salesforce API names: a letter, then letters/digits/single underscores; custom ones end in
# __c. The loader relies on these patterns when it splices names into SOQL and URL paths.
# Other CRMs' rules are in mappings.naming; validation picks the rule from its context.
_API_NAME_RE = SALESFORCE.api_name
_CUSTOM_RE = SALESFORCE.custom_name
_RELATIONSHIP_RE = SALESFORCE.relationship


def _matching(kind: NameKind) -> AfterValidator:
    # Python's re, not pydantic's Rust engine: the names need look-arounds (no "__" inside).
    def check(value: str, info: ValidationInfo) -> str:
        pattern, what = rule_from_context(info.context).pattern(kind)
        if not pattern.match(value):
            raise ValueError(_("'{value}' is not a valid {what}").format(value=value, what=what))
        return value

    return AfterValidator(check)


ApiName = Annotated[str, _matching("api_name")]
CustomApiName = Annotated[str, _matching("custom_name")]
RelationshipName = Annotated[str, _matching("relationship")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


def is_custom_name(api_name: str) -> bool:
    return api_name.endswith("__c")


def relationship_key(field_api_name: str) -> str:
    """The relationship path of a lookup field: ``Referrer__c`` → ``Referrer__r``; a standard
    one drops its ``Id`` (``AccountId`` → ``Account``), as Salesforce names them."""
    if is_custom_name(field_api_name):
        return field_api_name[:-3] + "__r"
    if field_api_name.endswith("Id") and len(field_api_name) > 2:
        return field_api_name[:-2]
    return field_api_name


class FieldType(StrEnum):
    TEXT = "Text"
    LONG_TEXT_AREA = "LongTextArea"
    NUMBER = "Number"
    CURRENCY = "Currency"
    DATE = "Date"
    DATETIME = "DateTime"
    CHECKBOX = "Checkbox"
    PICKLIST = "Picklist"
    MULTISELECT_PICKLIST = "MultiselectPicklist"
    EMAIL = "Email"
    LOOKUP = "Lookup"
    EXTERNAL_ID_LOOKUP = "ExternalIdLookup"


class Direction(StrEnum):
    PUSH = "push"  # refnet computes it and writes it; CRM users should not edit it
    PULL = "pull"  # CRM users own it; refnet reads it back and never writes it


_LOOKUPS = {FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP}
_PICKLISTS = {FieldType.PICKLIST, FieldType.MULTISELECT_PICKLIST}
_NUMBERS = {FieldType.NUMBER, FieldType.CURRENCY}
_WITH_LINES = {FieldType.LONG_TEXT_AREA, FieldType.MULTISELECT_PICKLIST}

# Defaults and bounds per type (Salesforce's limits).
_TEXT_MAX = 255
_LONG_TEXT_MIN, _LONG_TEXT_MAX, _LONG_TEXT_DEFAULT = 256, 131_072, 32_768
_PRECISION_MAX = 18


class FieldSpec(BaseModel):
    """One mapped field, as written in the YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")]
    target: ApiName
    type: FieldType
    label: Label
    description: Description | None = None
    direction: Direction = Direction.PUSH
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    visible_lines: int | None = Field(default=None, ge=1, le=50)
    picklist: str | None = None
    transform: str | None = None
    references: str | None = None
    reference_field: ApiName | None = None
    relationship_name: RelationshipName | None = None
    relationship_label: Label | None = None
    # A pushed stage that CRM users can still move (a card on a pipeline board): a sync reads
    # it back and the stage rules decide; a move they refuse is written back.
    read_back: bool = False

    @model_validator(mode="after")
    def _attributes_fit_the_type(self) -> Self:
        t = self.type
        self._only_for("picklist", t in _PICKLISTS)
        self._only_for("references", t in _LOOKUPS)
        self._only_for("relationship_name", t in _LOOKUPS)
        self._only_for("relationship_label", t in _LOOKUPS)
        self._only_for("reference_field", t is FieldType.EXTERNAL_ID_LOOKUP)
        self._only_for("precision", t in _NUMBERS)
        self._only_for("scale", t in _NUMBERS)
        self._only_for("length", t in {FieldType.TEXT, FieldType.LONG_TEXT_AREA})
        self._only_for("visible_lines", t in _WITH_LINES)
        if self.read_back and (t not in _PICKLISTS or self.direction is not Direction.PUSH):
            raise ValueError(_("'read_back' applies to pushed picklists (stages) only"))
        if t in _PICKLISTS and not self.picklist:
            raise ValueError(_("a {t} needs 'picklist: <EnumName>'").format(t=t))
        if t in _LOOKUPS and not (self.references and self.relationship_name):
            raise ValueError(_("a {t} needs 'references' and 'relationship_name'").format(t=t))
        if t is FieldType.TEXT and not 1 <= (self.length or _TEXT_MAX) <= _TEXT_MAX:
            raise ValueError(_("Text length must be 1..{maximum}").format(maximum=_TEXT_MAX))
        if t is FieldType.LONG_TEXT_AREA and not (
            _LONG_TEXT_MIN <= (self.length or _LONG_TEXT_DEFAULT) <= _LONG_TEXT_MAX
        ):
            raise ValueError(
                _("LongTextArea length must be {minimum}..{maximum}").format(
                    minimum=_LONG_TEXT_MIN, maximum=_LONG_TEXT_MAX
                )
            )
        if t in _NUMBERS:
            precision, scale = self.number_format
            if not (1 <= precision <= _PRECISION_MAX and 0 <= scale <= precision):
                raise ValueError(
                    _("precision must be 1..{maximum} and scale 0..precision").format(
                        maximum=_PRECISION_MAX
                    )
                )
        return self

    def _only_for(self, attribute: str, allowed: bool) -> None:
        if getattr(self, attribute) is not None and not allowed:
            raise ValueError(
                _("'{attribute}' does not apply to type {type}").format(
                    attribute=attribute, type=self.type
                )
            )

    @property
    def effective_length(self) -> int | None:
        if self.type is FieldType.TEXT:
            return self.length or _TEXT_MAX
        if self.type is FieldType.LONG_TEXT_AREA:
            return self.length or _LONG_TEXT_DEFAULT
        return None

    @property
    def effective_visible_lines(self) -> int | None:
        if self.type is FieldType.LONG_TEXT_AREA:
            return self.visible_lines or 5
        if self.type is FieldType.MULTISELECT_PICKLIST:
            return self.visible_lines or 4
        return None

    @property
    def number_format(self) -> tuple[int, int]:
        """``(precision, scale)``: Currency defaults to 16,2 and Number to 18,0."""
        if self.type is FieldType.CURRENCY:
            return self.precision or 16, 2 if self.scale is None else self.scale
        return self.precision or _PRECISION_MAX, self.scale or 0


class ExternalIdSpec(BaseModel):
    """The unique External ID field that holds the refnet id: the upsert key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: CustomApiName
    label: Label = "Refnet Id"
    length: int = Field(default=64, ge=1, le=255)
    case_sensitive: bool = False


class NameFieldSpec(BaseModel):
    """A custom object's Name field: an auto number, or a text a push field fills."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Label
    type: Literal["AutoNumber", "Text"] = "AutoNumber"
    display_format: str | None = None

    @model_validator(mode="after")
    def _auto_number_has_a_format(self) -> Self:
        if self.type == "AutoNumber" and not (
            self.display_format and re.search(r"\{0+\}", self.display_format)
        ):
            raise ValueError(
                _("an AutoNumber name needs display_format with '{0…}', e.g. REF-{0000}")
            )
        if self.type == "Text" and self.display_format is not None:
            raise ValueError(_("display_format applies to AutoNumber names only"))
        return self


class ObjectSpec(BaseModel):
    """One YAML file: a refnet model mapped onto one CRM object."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    object: ApiName
    label: Label | None = None
    plural_label: Label | None = None
    description: Description | None = None
    external_id: ExternalIdSpec
    name_field: NameFieldSpec | None = None
    sharing_model: Literal["ReadWrite", "Read", "Private"] = "ReadWrite"
    # Sync only records whose attribute holds one of the values, e.g. {circle: [customer]}.
    only: dict[str, list[str]] = Field(default_factory=dict)
    # One CRM record per group of model records sharing this attribute (e.g. one Account
    # per organisation_key); its value is the CRM record's external id.
    group_by: str | None = None
    # The model attribute holding the CRM id an import brought along (crm.salesforce_...):
    # a record new to the sync links to that CRM record before anything else is tried.
    imported_id: str | None = None
    fields: list[FieldSpec] = Field(default_factory=list)
    hubspot: HubSpotOptions | None = None  # HubSpot mappings only (mappings.hubspot_options)

    @model_validator(mode="after")
    def _custom_objects_are_complete(self, info: ValidationInfo) -> Self:
        rule = rule_from_context(info.context)
        if rule.is_custom(self.object):
            needed = ("label", "plural_label") + (("name_field",) if rule.name_field else ())
            missing = [name for name in needed if not getattr(self, name)]
            if missing:
                raise ValueError(
                    _("a custom object needs {missing}").format(missing=", ".join(missing))
                )
            if not rule.name_field and self.name_field is not None:
                raise ValueError(
                    _("name_field does not apply to {crm} objects").format(crm=rule.crm)
                )
        elif self.name_field is not None:
            raise ValueError(_("name_field applies to custom objects only"))
        if self.hubspot is not None and rule.crm != "hubspot":
            raise ValueError(_("the 'hubspot' block applies to HubSpot mappings only"))
        return self


@dataclass(frozen=True)
class MappedField:
    """A field spec resolved against the model, enums and transforms."""

    spec: FieldSpec
    source: SourceInfo
    enum: type[Enum] | None = None
    transform: Transform | None = None
    reference_object: str | None = None  # resolved CRM object API name for lookups
    reference_field: str | None = None  # its external id field, for ExternalIdLookup

    @property
    def target(self) -> str:
        return self.spec.target

    @property
    def pushed(self) -> bool:
        return self.spec.direction is Direction.PUSH

    @property
    def custom(self) -> bool:
        return is_custom_name(self.spec.target)

    @property
    def read_back(self) -> bool:
        return self.spec.read_back

    @property
    def picklist_values(self) -> list[str]:
        return [str(member.value) for member in self.enum] if self.enum else []

    @property
    def picklist_default(self) -> str | None:
        """The model's default for this attribute, if it is one of the picklist's values."""
        default = self.source.default
        if self.enum is not None and isinstance(default, self.enum):
            return str(default.value)
        return None


@dataclass(frozen=True)
class ObjectMapping:
    """One resolved mapping file."""

    spec: ObjectSpec
    file: Path
    model: type[Record]
    fields: tuple[MappedField, ...]
    naming: NamingRule = SALESFORCE  # the CRM's naming rule: which objects are custom

    @property
    def name(self) -> str:
        return self.spec.model

    @property
    def object(self) -> str:
        return self.spec.object

    @property
    def custom(self) -> bool:
        return self.naming.is_custom(self.spec.object)

    @property
    def external_id_field(self) -> str:
        return self.spec.external_id.field

    # Cached: the sync engine asks once per record, and a mapping never changes once loaded.
    @cached_property
    def push_fields(self) -> tuple[MappedField, ...]:
        return tuple(f for f in self.fields if f.pushed)

    @cached_property
    def pull_fields(self) -> tuple[MappedField, ...]:
        return tuple(f for f in self.fields if not f.pushed)

    @cached_property
    def read_back_fields(self) -> tuple[MappedField, ...]:
        """Pushed stages read back for the rules to judge (see ``FieldSpec.read_back``)."""
        return tuple(f for f in self.fields if f.read_back)

    @property
    def computed_sources(self) -> list[str]:
        """The computed values a caller must supply to push this object."""
        return sorted(f.source.path.split(".", 1)[1] for f in self.push_fields if f.source.computed)


@dataclass(frozen=True)
class MappingSet:
    """All mappings of one CRM, checked together (names and relationships are unique)."""

    crm: str
    mappings: tuple[ObjectMapping, ...] = field(default_factory=tuple)

    def by_object(self, object_name: str) -> ObjectMapping | None:
        return next((m for m in self.mappings if m.object == object_name), None)

    def for_model(self, model_name: str) -> list[ObjectMapping]:
        return [m for m in self.mappings if m.name == model_name]

    @property
    def objects(self) -> list[str]:
        return [m.object for m in self.mappings]
