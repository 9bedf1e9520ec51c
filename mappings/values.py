"""Turn model records into CRM field values (push) and CRM values into model updates (pull).

Both directions read the same resolved mapping, so a field renamed in the YAML is renamed for
sync, provisioning and pull alike. Values are plain JSON types shaped the way Salesforce's
REST API takes them; HubSpot's adapter can re-encode them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from pydantic import ValidationError

from connector.errors import InputError, RecordValidationError
from connector.i18n import gettext as _
from connector.model import Record
from connector.validation_messages import validation_message
from mappings.registry import COMPUTED_PREFIX, ValueKind
from mappings.spec import FieldType, MappedField, ObjectMapping, relationship_key

__all__ = [
    "apply_updates",
    "from_crm_fields",
    "parse_crm_datetime",
    "seed_fields",
    "to_crm_fields",
]

R = TypeVar("R", bound=Record)

_LIST_KINDS = {ValueKind.TEXT_LIST, ValueKind.DATE_LIST, ValueKind.OBJECT_LIST}
_MISSING = object()


def _read(record: Record, field: MappedField, computed: Mapping[str, Any]) -> Any:
    path = field.source.path
    if field.source.computed:
        name = path.removeprefix(COMPUTED_PREFIX)
        supplied = computed.get(name, _MISSING)
        if supplied is _MISSING:
            raise RecordValidationError(
                record.id,
                field.target,
                _("computed value '{name}' was not supplied").format(name=name),
            )
        return supplied
    value: Any = record
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _datetime_text(value: dt.datetime) -> str:
    if value.tzinfo is None:  # refnet stores aware datetimes; a naive one is taken as UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: Any, scale: int) -> int | float:
    if isinstance(value, bool):
        return int(value)
    if scale == 0:
        return int(Decimal(value).to_integral_value())
    return float(value)


def _encode(field: MappedField, value: Any, out: dict[str, Any]) -> None:
    kind, target = field.spec.type, field.target
    if kind is FieldType.EXTERNAL_ID_LOOKUP:
        if value is None:
            out[target] = None  # clears the lookup
        else:
            out[relationship_key(target)] = {str(field.reference_field): str(value)}
        return
    if kind is FieldType.CHECKBOX:
        out[target] = bool(value)  # a checkbox has no null
        return
    if value is None:
        out[target] = None
    elif kind is FieldType.MULTISELECT_PICKLIST:
        out[target] = ";".join(str(_plain(item)) for item in value) or None
    elif kind in (FieldType.NUMBER, FieldType.CURRENCY):
        out[target] = _number(value, field.spec.number_format[1])
    elif kind is FieldType.DATETIME:
        out[target] = _datetime_text(value)
    elif kind is FieldType.DATE:
        out[target] = value.isoformat()
    else:
        # Salesforce stores an empty text as null; sending null keeps hashes stable too.
        out[target] = str(_plain(value)) or None


def to_crm_fields(
    mapping: ObjectMapping, record: Record, computed: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The CRM values of ``record``'s pushed fields, in mapping order.

    The external id is not among them: it is the record's key, and the adapter adds it.
    Lookups by external id come out in relationship form (``Referrer__r: {Refnet_Id__c: …}``)
    so Salesforce resolves them in the same call. ``computed`` supplies every
    ``computed.<name>`` source (see :attr:`ObjectMapping.computed_sources`); a missing one
    is an error rather than a silent null that would wipe the CRM's value.
    """
    if not isinstance(record, mapping.model):
        raise InputError(
            _("{object} maps {model} records, not {given}").format(
                object=mapping.object, model=mapping.model.__name__, given=type(record).__name__
            )
        )
    supplied = computed or {}
    out: dict[str, Any] = {}
    for field in mapping.push_fields:
        value = _read(record, field, supplied)
        if value is not None and field.transform is not None:
            value = field.transform.forward(value)
        _encode(field, value, out)
    return out


def seed_fields(mapping: ObjectMapping, record: Record) -> dict[str, Any]:
    """The CRM values of ``record``'s pulled fields, sent only when refnet creates the record.

    CRM users own pulled fields, but a record refnet creates starts from refnet's values
    (an imported vision, an agreement's period); otherwise the first pull would read the
    new record's empty fields back and wipe them in refnet. Empty values are left out, and
    so are lookups by CRM id, which only the CRM can fill.
    """
    out: dict[str, Any] = {}
    for field in mapping.pull_fields:
        if field.spec.type in (FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP):
            continue
        value = _read(record, field, {})
        if value is None or value in ([], ""):
            continue
        if field.transform is not None:
            value = field.transform.forward(value)
        _encode(field, value, out)
    return out


def parse_crm_datetime(text: str) -> dt.datetime:
    """Salesforce's ``2024-05-01T10:00:00.000+0000`` (or ISO 8601) as an aware datetime."""
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _empty(field: MappedField) -> Any:
    """What an empty CRM value means for the model attribute."""
    if field.spec.type is FieldType.CHECKBOX:
        return False
    return [] if field.source.kind in _LIST_KINDS else None


def _decode(field: MappedField, raw: Any) -> Any:
    kind = field.spec.type
    if kind is FieldType.PICKLIST and field.enum is not None:
        return field.enum(raw)
    if kind is FieldType.MULTISELECT_PICKLIST:
        items = [item for item in str(raw).split(";") if item]
        return [field.enum(item) for item in items] if field.enum else items
    if kind in (FieldType.NUMBER, FieldType.CURRENCY):
        number = Decimal(str(raw))
        return int(number) if field.spec.number_format[1] == 0 else number
    if kind is FieldType.CHECKBOX:
        return bool(raw)
    if kind is FieldType.DATE:
        return dt.date.fromisoformat(str(raw))
    if kind is FieldType.DATETIME:
        return parse_crm_datetime(str(raw))
    return str(raw)


def from_crm_fields(
    mapping: ObjectMapping, values: Mapping[str, Any], *, record_key: str
) -> dict[str, Any]:
    """Model updates (dotted attribute path → value) from the CRM values of pulled fields.

    Only pulled fields are read; fields absent from ``values`` are left out (not cleared).
    An empty lookup is left out too: refnet cannot seed a link by CRM id when it creates a
    record (:func:`seed_fields`), so an empty one means "never linked in the CRM" as often
    as "unlinked", and must not wipe a link refnet learned elsewhere (a webhook, an import).
    A value the model cannot take (a picklist value refnet does not know, a bad date) raises
    :class:`RecordValidationError` naming the record and the CRM field.
    """
    updates: dict[str, Any] = {}
    for field in mapping.pull_fields:
        if field.target not in values:
            continue
        raw = values[field.target]
        if raw is None or raw == "":
            if field.spec.type not in (FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP):
                updates[field.source.path] = _empty(field)
            continue
        try:
            value = _decode(field, raw)
            if field.transform is not None:
                inverse = field.transform.inverse
                assert inverse is not None  # the loader refuses pulled fields without one
                value = inverse(value)
        except (ValueError, InvalidOperation, TypeError):
            raise RecordValidationError(
                record_key,
                field.target,
                _("value does not fit {path}").format(path=field.source.path),
            ) from None
        updates[field.source.path] = value
    return updates


def apply_updates(record: R, updates: Mapping[str, Any]) -> R:
    """A copy of ``record`` with ``updates`` (from :func:`from_crm_fields`) applied, validated."""
    data = record.model_dump()
    for path, value in updates.items():
        *parents, leaf = path.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    try:
        return type(record).model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in error["loc"]) or "record"
        raise RecordValidationError(record.id, field, validation_message(error)) from None
