"""Declarative, per-CRM mappings of refnet's model onto CRM objects and fields.

One YAML file per synced object per CRM (``mappings/<crm>/*.yaml``), loaded and checked by
:func:`load_mappings`; provisioning and sync both read the same :class:`MappingSet`.
"""

from mappings.errors import MappingError
from mappings.loader import default_directory, load_mappings, parse_mapping
from mappings.registry import COMPUTED, ENUMS, MODELS, ValueKind
from mappings.spec import (
    Direction,
    ExternalIdSpec,
    FieldSpec,
    FieldType,
    MappedField,
    MappingSet,
    NameFieldSpec,
    ObjectMapping,
    ObjectSpec,
    relationship_key,
)
from mappings.transforms import TRANSFORMS, Transform, register
from mappings.values import apply_updates, from_crm_fields, parse_crm_datetime, to_crm_fields

__all__ = [
    "COMPUTED",
    "ENUMS",
    "MODELS",
    "TRANSFORMS",
    "Direction",
    "ExternalIdSpec",
    "FieldSpec",
    "FieldType",
    "MappedField",
    "MappingError",
    "MappingSet",
    "NameFieldSpec",
    "ObjectMapping",
    "ObjectSpec",
    "Transform",
    "ValueKind",
    "apply_updates",
    "default_directory",
    "from_crm_fields",
    "load_mappings",
    "parse_crm_datetime",
    "parse_mapping",
    "register",
    "relationship_key",
    "to_crm_fields",
]
