"""Shared building blocks of the domain records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["Money", "NonEmptyText", "Record", "RefnetId", "Tags", "new_id", "utcnow"]

# A refnet id is the external id in both CRMs, so it is limited to characters every CRM
# accepts in an external-id field and in a URL path segment.
RefnetId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"),
]

NonEmptyText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


def _clean_tags(values: list[str]) -> list[str]:
    """Strip, drop empties and de-duplicate case-insensitively, keeping the first spelling."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for value in values:
        text = value.strip()
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            cleaned.append(text)
    return cleaned


Tags = Annotated[list[str], AfterValidator(_clean_tags)]

# Namespace for ids derived from natural keys (e-mail), so re-importing a contact list
# finds the same member instead of creating a twin.
_REFNET_NAMESPACE = uuid.UUID("6f1d3c2a-8a4e-4b6e-9c55-2f4f0b9d7e11")


def new_id(prefix: str, natural_key: str | None = None) -> str:
    """A new refnet id; stable for the same ``natural_key`` (compared case-insensitively)."""
    if natural_key is None:
        return f"{prefix}-{uuid.uuid4().hex[:20]}"
    digest = uuid.uuid5(_REFNET_NAMESPACE, natural_key.strip().casefold()).hex[:20]
    return f"{prefix}-{digest}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Record(BaseModel):
    """A refnet record: immutable, validated, identified by a refnet id that never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    id: RefnetId
