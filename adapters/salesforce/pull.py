"""Incremental reads: pulled fields of mapped objects, and the standard records refnet points at.

Every SOQL statement is built with ``simple_salesforce.format_soql``: values (timestamps,
e-mails) are quoted by it; object and field names go in as ``{:literal}`` and are safe because
the mapping loader only accepts names matching Salesforce's API-name pattern. Every external id
placed in a URL goes through ``format_external_id``.

Changes are read by ``SystemModstamp >= since`` (not ``>``): Salesforce timestamps have
one-second resolution, so a strict comparison can skip a record written in the same second
as the last one read, while reading one twice is harmless (applying a pull is idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound
from simple_salesforce.format import format_external_id, format_soql

from adapters.salesforce.retry import RetryPolicy
from connector.crm import PulledRecord
from connector.errors import ConfigError
from connector.i18n import gettext as _
from mappings.spec import FieldType, MappingSet, ObjectMapping, relationship_key
from mappings.values import parse_crm_datetime

__all__ = ["LINKED_FIELDS", "PullReader"]

# What refnet reads of standard records its objects point at by Salesforce id.
LINKED_FIELDS: dict[str, tuple[str, ...]] = {
    "Opportunity": ("Name", "StageName", "IsClosed", "IsWon", "Amount", "CloseDate"),
    "Contact": ("Email", "FirstName", "LastName", "AccountId"),
    "Account": ("Name",),
}


def _since_clause(since: datetime | None) -> list[str]:
    if since is None:
        return []
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return [format_soql("SystemModstamp >= {}", since)]


def _select(fields: Sequence[str], obj: str, where: Sequence[str]) -> str:
    soql = format_soql("SELECT {:literal} FROM {:literal}", ", ".join(fields), obj)
    if where:
        soql += " WHERE " + " AND ".join(where)
    return soql + " ORDER BY SystemModstamp, Id"


class PullReader:
    """Reads records changed since a point in time, page by page."""

    def __init__(
        self,
        client: Callable[[], Salesforce],
        policy: RetryPolicy,
        mappings: MappingSet,
        *,
        request_timeout: float = 120.0,
    ) -> None:
        self._client = client
        self._policy = policy
        self._mappings = mappings
        self._timeout = request_timeout

    def query(self, soql: str, operation: str) -> Iterator[dict[str, Any]]:
        """Every row of ``soql``; each page is one retried request."""
        page: dict[str, Any] = self._policy.call(
            lambda: self._client().query(soql, timeout=self._timeout), operation=operation
        )
        while True:
            yield from page.get("records", [])
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self._policy.call(self._more(str(next_url)), operation=operation)

    def _more(self, next_url: str) -> Callable[[], Any]:
        return lambda: self._client().query_more(
            next_url, identifier_is_url=True, timeout=self._timeout
        )

    def fetch(self, object_name: str, since: datetime | None) -> Iterator[PulledRecord]:
        """Records of ``object_name`` modified at or after ``since`` (all when ``None``)."""
        mapping = self._mappings.by_object(object_name)
        if mapping is not None:
            yield from self._fetch_mapped(mapping, since)
            return
        sources = self._lookups_to(object_name)
        if not sources or object_name not in LINKED_FIELDS:
            raise ConfigError(
                _("salesforce: nothing is pulled from '{object_name}'").format(
                    object_name=object_name
                )
            )
        yield from self._fetch_linked(object_name, sources, since)

    def _fetch_mapped(
        self, mapping: ObjectMapping, since: datetime | None
    ) -> Iterator[PulledRecord]:
        selects: dict[str, str] = {}  # SOQL path → the pulled field it fills
        for field in mapping.pull_fields:
            if field.spec.type is FieldType.EXTERNAL_ID_LOOKUP:
                path = f"{relationship_key(field.target)}.{field.reference_field}"
            else:
                path = field.target
            selects[path] = field.target
        ext = mapping.external_id_field
        where = _since_clause(since)
        if not mapping.custom:
            # Only the Contacts/Accounts linked to refnet, i.e. carrying a refnet id.
            where.append(format_soql("{:literal} != null", ext))
        soql = _select(["Id", "SystemModstamp", ext, *selects], mapping.object, where)
        for row in self.query(soql, f"pull {mapping.object}"):
            values = {target: _path_value(row, path) for path, target in selects.items()}
            yield PulledRecord(
                crm_id=str(row["Id"]),
                key=row.get(ext),
                fields=values,
                modified_at=parse_crm_datetime(str(row["SystemModstamp"])),
            )

    def _lookups_to(self, object_name: str) -> list[tuple[str, str]]:
        """``(object, lookup field)`` pairs of mapped fields pointing at ``object_name`` by id."""
        return [
            (mapping.object, field.target)
            for mapping in self._mappings.mappings
            for field in mapping.fields
            if field.reference_object == object_name and field.spec.type is FieldType.LOOKUP
        ]

    def _fetch_linked(
        self, object_name: str, sources: list[tuple[str, str]], since: datetime | None
    ) -> Iterator[PulledRecord]:
        fields = LINKED_FIELDS[object_name]
        seen: set[str] = set()
        # SOQL allows one semi-join per condition and no OR between them: one query each.
        for source_object, lookup in sources:
            linked = format_soql(
                "Id IN (SELECT {:literal} FROM {:literal} WHERE {:literal} != null)",
                lookup,
                source_object,
                lookup,
            )
            soql = _select(
                ["Id", "SystemModstamp", *fields], object_name, [linked, *_since_clause(since)]
            )
            for row in self.query(soql, f"pull {object_name} linked from {source_object}"):
                if row["Id"] in seen:
                    continue
                seen.add(str(row["Id"]))
                yield PulledRecord(
                    crm_id=str(row["Id"]),
                    key=None,
                    fields={name: row.get(name) for name in fields},
                    modified_at=parse_crm_datetime(str(row["SystemModstamp"])),
                )

    def find_by_external_id(self, object_name: str, key: str) -> dict[str, Any] | None:
        """The record of ``object_name`` whose external id is ``key``, or ``None``."""
        mapping = self._mappings.by_object(object_name)
        if mapping is None:
            raise ConfigError(
                _("salesforce: no mapping for '{object_name}'").format(object_name=object_name)
            )
        path = f"sobjects/{object_name}/{format_external_id(mapping.external_id_field, key)}"
        operation = f"get {object_name} by external id"

        def get() -> Any:
            try:
                return self._client().restful(path, timeout=self._timeout)
            except SalesforceResourceNotFound:
                return None  # no such record: an answer, not a failure

        found = self._policy.call(get, operation=operation)
        return found if isinstance(found, dict) else None


def _path_value(row: dict[str, Any], path: str) -> Any:
    """``row["Referrer__r"]["Refnet_Id__c"]`` for ``Referrer__r.Refnet_Id__c``; ``None`` on gaps."""
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
