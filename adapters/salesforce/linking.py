"""Finding the Contacts and Accounts an org already holds for records refnet is about to create.

A customer's org is never empty. Before refnet creates a Contact or an Account it looks for
the record sales already has, in this order:

1. the Salesforce id an import brought along (``salesforce_contact_id`` /
   ``salesforce_account_id``);
2. a Contact by e-mail (case-insensitive, as SOQL compares text), an Account by
   organisation name normalised as refnet keys organisations (case, umlauts, punctuation
   and legal form ignored: "Müller GmbH" is "MUELLER"), among records not yet linked to
   refnet.

A value held by several existing records, or an existing record claimed by several new
ones, is **ambiguous**: refnet links none of them and creates nothing (a guess would attach
referrals to the wrong person or company, a create would add one more duplicate), and
reports the record so an admin can merge the duplicates or import the right id.

Duplicate rules: a create the org's duplicate rule refuses (``DUPLICATES_DETECTED``) names
the records it matched in its ``duplicateResult`` (SOAP API Developer Guide,
"DuplicateResult": ``matchResults[].matchRecords[].record.Id``,
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_duplicateresult.htm);
:func:`duplicate_matches` reads them so the adapter links that record instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from simple_salesforce.format import format_soql

from connector.crm import OutboundRecord, RecordOutcome
from connector.i18n import format_number, ngettext
from connector.i18n import gettext as _
from connector.organisations import normalise_organisation

__all__ = [
    "AMBIGUOUS",
    "LINK_BY",
    "LinkPlan",
    "Linker",
    "duplicate_matches",
    "existing_records",
]

AMBIGUOUS = "AMBIGUOUS_MATCH"
# How a new record finds the one sales already has, per standard object.
LINK_BY = {"Contact": "Email", "Account": "Name"}
_VALUES_PER_QUERY = 200  # keeps each SOQL statement far below its 100,000-character limit

Query = Callable[[str, str], Iterator[dict[str, Any]]]
LinkState = Literal["matched", "ambiguous", "new"]


@dataclass
class LinkPlan:
    """For records new to the sync: the existing record each links to, or why none."""

    links: dict[str, str] = field(default_factory=dict)  # refnet id → Salesforce id
    ambiguous: dict[str, RecordOutcome] = field(default_factory=dict)
    candidates: dict[str, list[str]] = field(default_factory=dict)  # ambiguous → Salesforce ids

    def state(self, key: str) -> LinkState:
        if key in self.links:
            return "matched"
        return "ambiguous" if key in self.ambiguous else "new"


def _comparable(object_name: str, value: str) -> str:
    if object_name == "Account":
        return normalise_organisation(value)
    return value.strip().casefold()


class Linker:
    """Plans links of new Contacts / Accounts to existing ones (reads only)."""

    def __init__(self, query: Query) -> None:
        self._query = query

    def plan(
        self, object_name: str, external_field: str, records: Sequence[OutboundRecord]
    ) -> LinkPlan:
        result = LinkPlan()
        new = [r for r in records if r.new]
        field_name = LINK_BY.get(object_name)
        if not new or field_name is None:
            return result
        claims: dict[str, list[str]] = {}  # Salesforce id → refnet ids claiming it
        unmatched: list[OutboundRecord] = []
        for record in new:
            if record.crm_id:
                claims.setdefault(record.crm_id, []).append(record.key)
            else:
                unmatched.append(record)
        wanted: dict[str, list[str]] = {}  # comparable value → refnet ids
        for record in unmatched:
            value = record.fields.get(field_name)
            if isinstance(value, str) and _comparable(object_name, value):
                wanted.setdefault(_comparable(object_name, value), []).append(record.key)
        found = self._existing(object_name, field_name, external_field, unmatched, wanted)
        for value, keys in wanted.items():
            ids = found.get(value, [])
            if len(ids) > 1:
                for key in keys:
                    result.ambiguous[key] = _ambiguous(key, object_name, existing_records(ids))
                    result.candidates[key] = list(ids)
            elif ids:
                for key in keys:
                    claims.setdefault(ids[0], []).append(key)
        for crm_id, keys in claims.items():
            if len(keys) == 1:
                result.links[keys[0]] = crm_id
                continue
            for key in keys:
                others = ", ".join(k for k in keys if k != key)
                result.ambiguous[key] = _ambiguous(
                    key, object_name, f"record {crm_id}, which refnet records {others} match too"
                )
                result.candidates[key] = [crm_id]
        return result

    def _existing(
        self,
        object_name: str,
        field_name: str,
        external_field: str,
        records: Sequence[OutboundRecord],
        wanted: Mapping[str, list[str]],
    ) -> dict[str, list[str]]:
        """Unlinked records by comparable value of ``field_name``."""
        if not wanted:
            return {}
        if object_name == "Account":
            # Names are compared normalised, which SOQL cannot do: read the unlinked
            # Accounts once (2,000 per call) and compare here.
            soql = format_soql(
                "SELECT Id, Name FROM Account WHERE {:literal} = null ORDER BY Id", external_field
            )
            rows: Iterator[dict[str, Any]] = self._query(soql, "match Account by name")
            return _group(object_name, field_name, rows, wanted)
        values = sorted(
            {
                text
                for r in records
                if isinstance(r.fields.get(field_name), str)
                and (text := str(r.fields[field_name]).strip())
            }
        )
        found: dict[str, list[str]] = {}
        for start in range(0, len(values), _VALUES_PER_QUERY):
            soql = format_soql(
                "SELECT Id, {:literal} FROM {:literal} WHERE {:literal} IN {} "
                "AND {:literal} = null ORDER BY Id",
                field_name,
                object_name,
                field_name,
                values[start : start + _VALUES_PER_QUERY],
                external_field,
            )
            rows = self._query(soql, f"match {object_name} by {field_name}")
            for value, ids in _group(object_name, field_name, rows, wanted).items():
                found.setdefault(value, []).extend(ids)
        return found


def _group(
    object_name: str,
    field_name: str,
    rows: Iterator[dict[str, Any]],
    wanted: Mapping[str, list[str]],
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in rows:
        value = _comparable(object_name, str(row.get(field_name) or ""))
        if value in wanted:
            found.setdefault(value, []).append(str(row["Id"]))
    return found


def existing_records(ids: list[str]) -> str:
    """The duplicates a match found, the first five of them by id."""
    return ngettext(
        "{count} existing record ({ids})", "{count} existing records ({ids})", len(ids)
    ).format(count=format_number(len(ids)), ids=", ".join(ids[:5]))


def _ambiguous(key: str, object_name: str, what: str) -> RecordOutcome:
    return RecordOutcome(
        key,
        ok=False,
        code=AMBIGUOUS,
        # Stored with the run in the language of the process that syncs, like the audit.
        message=_(
            "{object} for refnet record '{key}' matches {what}: neither linked nor created; "
            "merge the duplicates in Salesforce or import the right Salesforce id"
        ).format(object=object_name, key=key, what=what),
    )


def duplicate_matches(result: Any) -> list[str] | None:
    """Ids a ``DUPLICATES_DETECTED`` error of one collections result row matched.

    ``None`` when the row is no duplicate-rule refusal.
    """
    if not isinstance(result, dict) or result.get("success"):
        return None
    for error in result.get("errors") or []:
        if not isinstance(error, dict) or error.get("statusCode") != "DUPLICATES_DETECTED":
            continue
        duplicate = error.get("duplicateResult")
        matches = duplicate.get("matchResults") if isinstance(duplicate, dict) else None
        ids: list[str] = []
        for match in matches if isinstance(matches, list) else []:
            for found in match.get("matchRecords") or [] if isinstance(match, dict) else []:
                record = found.get("record") if isinstance(found, dict) else None
                if isinstance(record, dict) and record.get("Id") and record["Id"] not in ids:
                    ids.append(str(record["Id"]))
        return ids
    return None
