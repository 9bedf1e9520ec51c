"""The flat CSV form of members, connections and referrals, shared by import and export.

A CSV row is flat text; the model nests the profile and the CRM ids and holds lists. Each
format says which columns exist, which belong to a nested part and which hold lists
(separated by ``;``), and converts both ways, so an export re-imports unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.model import Connection, Member, Record, Referral

__all__ = ["CONNECTIONS", "CSV_FORMATS", "LIST_SEPARATOR", "MEMBERS", "REFERRALS", "CsvFormat"]

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class CsvFormat:
    kind: str
    model: type[Record]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    nested: Mapping[str, str] = field(default_factory=dict)  # column → parent attribute
    lists: frozenset[str] = frozenset()

    def to_input(self, row: Mapping[str, str | None]) -> dict[str, Any]:
        """Turn a CSV row into model input: blanks omitted, lists split, nested parts built."""
        data: dict[str, Any] = {}
        for column, raw in row.items():
            if column not in self.columns or raw is None or not raw.strip():
                continue
            value: Any = raw.strip()
            if column in self.lists:
                value = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
            parent = self.nested.get(column)
            if parent is None:
                data[column] = value
            else:
                data.setdefault(parent, {})[column] = value
        return data

    def to_row(self, record: Record) -> dict[str, str]:
        """The CSV row of a record (the inverse of :meth:`to_input`)."""
        dumped = record.model_dump(mode="json")
        row: dict[str, str] = {}
        for column in self.columns:
            parent = self.nested.get(column)
            value = dumped[parent][column] if parent else dumped[column]
            if value is None:
                row[column] = ""
            elif isinstance(value, list):
                row[column] = f"{LIST_SEPARATOR} ".join(str(v) for v in value)
            elif isinstance(value, bool):
                row[column] = "true" if value else "false"
            else:
                row[column] = str(value)
        return row

    def column_for(self, location: tuple[int | str, ...]) -> str:
        """The CSV column a validation error location points at."""
        if not location:
            return "(row)"
        head = str(location[0])
        if head in self.nested.values() and len(location) > 1:
            return str(location[1])
        return head


_PROFILE = ("industry", "region", "size", "offers", "needs", "goals", "vision")
_CRM = (
    "salesforce_contact_id",
    "salesforce_account_id",
    "hubspot_contact_id",
    "hubspot_company_id",
)

MEMBERS = CsvFormat(
    kind="member",
    model=Member,
    columns=(
        *("id", "name", "email", "organisation", "circle", "ladder_stage"),
        *_PROFILE,
        *_CRM,
        "created_at",
    ),
    required=("id", "name", "circle"),
    nested={**dict.fromkeys(_PROFILE, "profile"), **dict.fromkeys(_CRM, "crm")},
    lists=frozenset({"offers", "needs", "goals"}),
)

CONNECTIONS = CsvFormat(
    kind="connection",
    model=Connection,
    columns=(
        "id",
        "from_id",
        "to_id",
        "strength",
        "willing_to_introduce",
        "employee_id",
        "context",
        "created_at",
    ),
    required=("id", "from_id", "to_id", "strength"),
)

REFERRALS = CsvFormat(
    kind="referral",
    model=Referral,
    columns=(
        "id",
        "referrer_id",
        "referred_id",
        "recipient_id",
        "circle",
        "sentiment",
        "status",
        "deal_id",
        "amount",
        "currency",
        "note",
        "created_at",
        "status_changed_at",
    ),
    required=("id", "referrer_id", "referred_id", "circle"),
)

CSV_FORMATS: dict[str, CsvFormat] = {f.kind: f for f in (MEMBERS, CONNECTIONS, REFERRALS)}
