"""What a mapping may name: refnet models, their enums, and the computed values callers supply.

A mapping's ``source`` is either a dotted path into a model (``profile.industry``, or a
read-only property such as ``progress``) or ``computed.<name>`` for a value the model does not
hold: scores and balances are computed over many records, so the caller that pushes a member
passes them in (``to_crm_fields(mapping, member, computed={"multiplier_score": 72.5})``).
Resolving a source yields its :class:`ValueKind`, which the loader checks against the CRM
field type and the transform, so a date can never be mapped onto a checkbox by accident.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, EmailStr, NaiveDatetime
from pydantic_core import PydanticUndefined

from connector.i18n import gettext as _
from connector.model import (
    Agreement,
    Club,
    Connection,
    Contribution,
    Introduction,
    JointEvent,
    Member,
    Membership,
    Partnership,
    Record,
    Referral,
    TargetProfile,
    enums,
)

__all__ = [
    "COMPUTED",
    "COMPUTED_PREFIX",
    "ENUMS",
    "MODELS",
    "SourceError",
    "SourceInfo",
    "ValueKind",
    "resolve_source",
]

COMPUTED_PREFIX = "computed."


class ValueKind(StrEnum):
    """The shape of a value, as far as a CRM field type cares."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    OBJECT = "object"
    TEXT_LIST = "text_list"
    DATE_LIST = "date_list"
    OBJECT_LIST = "object_list"


MODELS: dict[str, type[Record]] = {
    "member": Member,
    "referral": Referral,
    "partnership": Partnership,
    "agreement": Agreement,
    "target_profile": TargetProfile,
    "club": Club,
    "membership": Membership,
    "introduction": Introduction,
    "connection": Connection,
    "joint_event": JointEvent,  # issue #18
    "contribution": Contribution,
}

ENUMS: dict[str, type[Enum]] = {name: getattr(enums, name) for name in enums.__all__}

# Values refnet computes over many records (connector.scores); the caller supplies them.
COMPUTED: dict[str, ValueKind] = {
    "multiplier_score": ValueKind.NUMBER,
    "is_multiplier": ValueKind.BOOLEAN,
    "connector_score": ValueKind.NUMBER,
    "win_win_balance": ValueKind.NUMBER,
    "win_win_given": ValueKind.NUMBER,
    "win_win_received": ValueKind.NUMBER,
    "win_win_value_balance": ValueKind.NUMBER,
    # A readable record name ("Anna Weber → Vogel GmbH"), see mappings.display.
    "display_name": ValueKind.TEXT,
    # The company's best warm introduction path to a member, as text (connector.intelligence).
    "warm_path": ValueKind.TEXT,
    # Where the member stands in the customer club ("Weber Kundenclub: trial"), and when a
    # trial ends (connector.club.crm).
    "club_status": ValueKind.TEXT,
    "club_trial_ends_on": ValueKind.DATE,
    # An agreement's goals measured from the data (connector.goals): one line per goal, the
    # mean progress (0..1, empty when nothing is measurable) and, per measurable metric, the
    # target and the actual value (empty when the agreement has no such goal).
    # Who attended a joint event, by name, and how many (issue #18, mappings.display).
    "attendee_names": ValueKind.TEXT,
    "attendee_count": ValueKind.NUMBER,
    "goals_measured": ValueKind.TEXT,
    "goal_progress": ValueKind.NUMBER,
    **{
        f"goal_{metric}_{part}": ValueKind.NUMBER
        for metric in (
            "referrals_given",
            "referrals_won",
            "won_value",
            "joint_events",
            "introductions",
        )
        for part in ("target", "actual")
    },
}


class SourceError(ValueError):
    """A source path that does not resolve; the message says which part is wrong."""


@dataclass(frozen=True)
class SourceInfo:
    """What a resolved source holds."""

    path: str
    kind: ValueKind
    enum: type[Enum] | None = None
    default: Any = None  # the model's default, e.g. ReferralStatus.OPEN (None when required)
    computed: bool = False
    writable: bool = True  # False for properties: they can be pushed, never pulled


_SCALARS: tuple[tuple[type, ValueKind], ...] = (
    # Order matters: bool is an int, datetime is a date.
    (bool, ValueKind.BOOLEAN),
    (int, ValueKind.NUMBER),
    (float, ValueKind.NUMBER),
    (Decimal, ValueKind.NUMBER),
    (dt.datetime, ValueKind.DATETIME),
    (AwareDatetime, ValueKind.DATETIME),
    (NaiveDatetime, ValueKind.DATETIME),
    (dt.date, ValueKind.DATE),
    (str, ValueKind.TEXT),
    (EmailStr, ValueKind.TEXT),
)

_LIST_KINDS = {
    ValueKind.TEXT: ValueKind.TEXT_LIST,
    ValueKind.DATE: ValueKind.DATE_LIST,
    ValueKind.OBJECT: ValueKind.OBJECT_LIST,
}


def _strip(annotation: Any) -> Any:
    """``X | None`` → ``X``; ``Annotated[X, ...]`` → ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                raise SourceError(_("ambiguous type {annotation!r}").format(annotation=annotation))
            annotation = members[0]
        else:
            return annotation


def _kind(annotation: Any) -> tuple[ValueKind, type[Enum] | None]:
    annotation = _strip(annotation)
    if typing.get_origin(annotation) in (list, tuple, set, frozenset):
        (item,) = typing.get_args(annotation)[:1]
        item_kind, enum = _kind(item)
        if item_kind not in _LIST_KINDS:
            raise SourceError(_("unsupported list item type {item!r}").format(item=item))
        return _LIST_KINDS[item_kind], enum
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return ValueKind.TEXT, annotation
        if issubclass(annotation, BaseModel):
            return ValueKind.OBJECT, None
        for python_type, kind in _SCALARS:
            if issubclass(annotation, python_type):
                return kind, None
    raise SourceError(_("unsupported type {annotation!r}").format(annotation=annotation))


def resolve_source(model: type[BaseModel], path: str) -> SourceInfo:
    """Resolve ``path`` on ``model`` (or in the computed namespace); raise :class:`SourceError`."""
    if path.startswith(COMPUTED_PREFIX):
        name = path.removeprefix(COMPUTED_PREFIX)
        if name not in COMPUTED:
            known = ", ".join(sorted(COMPUTED))
            raise SourceError(
                _("unknown computed value '{name}'; known: {known}").format(name=name, known=known)
            )
        return SourceInfo(path, COMPUTED[name], computed=True, writable=False)
    current: Any = model
    parts = path.split(".")
    default: Any = None
    writable = True
    for index, part in enumerate(parts):
        where = ".".join(parts[: index + 1])
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            raise SourceError(
                _("'{reached}' has no attributes, cannot reach '{where}'").format(
                    reached=".".join(parts[:index]), where=where
                )
            )
        field = current.model_fields.get(part)
        if field is not None:
            annotation: Any = field.annotation
            default = None if field.default is PydanticUndefined else field.default
        else:
            prop = getattr(current, part, None)
            if not isinstance(prop, property) or prop.fget is None:
                raise SourceError(
                    _("{model} has no attribute '{part}' (in '{path}')").format(
                        model=current.__name__, part=part, path=path
                    )
                )
            annotation = typing.get_type_hints(prop.fget).get("return")
            default, writable = None, False
        current = _strip(annotation)
    kind, enum = _kind(current)
    return SourceInfo(path, kind, enum, default, computed=False, writable=writable)
