"""Incremental reads: CRM-owned fields of mapped objects, and changed contacts, companies, deals.

Changes are found with the CRM search API, filtered on the object's last-modified
property (``lastmodifieddate`` on contacts, ``hs_lastmodifieddate`` elsewhere) ``>= since``
and sorted by it, 200 results per page. A search query never returns more than 10,000
results (paging further answers 400), so after 10,000 results the reader starts a new
search from the last modification time it saw, skipping the records at exactly that time
that it already yielded: a window by timestamp instead of an offset. ``>=`` rather than
``>`` because reading a record twice is harmless (applying a pull is idempotent) and
skipping one is not. If 10,000 records share one millisecond the windows cannot move on;
that is reported rather than looped over.

Values are normalised to what :func:`mappings.from_crm_fields` expects (HubSpot answers
every property as a string: ``"true"``/``"false"`` become booleans, an empty string None,
a date-time in a date property its date). A pulled ``Lookup`` (a referral's deal) is read
from the record's associations, 1,000 records per call. Mind HubSpot's search index lag of a
few seconds: a record written just before a pull may show up only in the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.objects import Filter, FilterGroup, PublicObjectSearchRequest

from adapters.hubspot.client import HubSpotApis
from adapters.hubspot.portal import PortalIds
from adapters.hubspot.retry import RetryPolicy
from connector.crm import PulledRecord
from connector.errors import ConfigError, PermanentError
from connector.i18n import gettext as _
from mappings.spec import FieldType, MappedField, MappingSet, ObjectMapping
from mappings.values import parse_crm_datetime

__all__ = ["LINKED_PROPERTIES", "MAX_RESULTS", "PAGE_SIZE", "PullReader", "modified_property"]

PAGE_SIZE = 200  # the search API's maximum page
MAX_RESULTS = 10_000  # the search API's cap per query
# HubSpot: "batch read requests submitted to the Associations API may not exceed 1000 IDs
# per request body" (changelog "Bug Fix: Batch Read Limit for HubSpot Associations API").
_ASSOCIATION_READ_SIZE = 1000

# What refnet reads of standard records it does not map (deals a referral led to).
LINKED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "deals": (
        "dealname",
        "dealstage",
        "pipeline",
        "amount",
        "closedate",
        "hs_is_closed_won",
        "refnet_referral_id",
        "referred_by",
    ),
    "contacts": ("email", "firstname", "lastname", "referred_by"),
    "companies": ("name", "domain"),
}


def modified_property(api_type: str) -> str:
    return "lastmodifieddate" if api_type in ("contacts", "0-1") else "hs_lastmodifieddate"


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class _Source:
    """Where a pull reads from and how properties map back to mapped fields."""

    api_type: str
    properties: dict[str, str]  # HubSpot property → mapped field target (or itself)
    key_property: str | None
    filters: tuple[Filter, ...]
    deal_lookups: tuple[MappedField, ...] = ()  # pulled Lookups read from associations
    # Read-back stages: field target → {portal stage id → refnet step}.
    stage_steps: dict[str, dict[str, str]] = field(default_factory=dict)


def _seen(result: Any, seen: frozenset[str], since: datetime | None, modified: str) -> bool:
    """Read by the last pull already: one of ``seen`` and not modified after ``since``."""
    if since is None or str(result.id) not in seen:
        return False
    return parse_crm_datetime(str((result.properties or {})[modified])) <= since


def _normalise(field: MappedField | None, raw: Any) -> Any:
    if raw is None or raw == "":
        return None
    if field is None:
        return raw
    if field.spec.type is FieldType.CHECKBOX:
        return str(raw).lower() == "true"
    if field.spec.type is FieldType.DATE:
        return str(raw)[:10]  # HubSpot may answer a date as midnight UTC date-time
    return raw


class PullReader:
    """Reads records changed since a point in time, window by window, page by page."""

    def __init__(
        self,
        apis: HubSpotApis,
        policy: RetryPolicy,
        mappings: MappingSet,
        portal: Callable[[], PortalIds],
        *,
        request_timeout: float = 60.0,
        page_size: int = PAGE_SIZE,
        max_results: int = MAX_RESULTS,
    ) -> None:
        self.apis, self.policy, self.mappings = apis, policy, mappings
        self._portal = portal
        self.timeout = request_timeout
        self.page_size = page_size
        self.max_results = max_results

    def fetch(
        self, object_name: str, since: datetime | None, seen: frozenset[str] = frozenset()
    ) -> Iterator[PulledRecord]:
        """Records of ``object_name`` modified at or after ``since`` (all when ``None``).

        ``seen``: HubSpot ids the last pull read at ``since``; they are left out before
        their deals are read, so a pull with nothing new costs one search.
        """
        source = self._source(object_name)
        if source is None:
            return
        fields = {
            f.target: f
            for m in self._mapping_of(object_name)
            for f in (*m.pull_fields, *m.read_back_fields)
        }
        modified = modified_property(source.api_type)
        keys = [source.key_property] if source.key_property else []
        wanted = sorted({*source.properties, modified, *keys})
        pages = self._pages(source, modified, wanted, None if since is None else _ms(since))
        for whole in pages:
            page = [r for r in whole if not _seen(r, seen, since, modified)]
            deals = self._deals(source, [str(r.id) for r in page]) if source.deal_lookups else {}
            for result in page:
                props = result.properties or {}
                values = {
                    target: _normalise(fields.get(target), props.get(prop))
                    for prop, target in source.properties.items()
                }
                for lookup in source.deal_lookups:
                    values[lookup.target] = deals.get(str(result.id))
                for target, steps in source.stage_steps.items():
                    # The board answers the portal's stage id; refnet's rules speak steps.
                    if values.get(target) is not None:
                        values[target] = steps.get(str(values[target]), values[target])
                key = props.get(source.key_property) if source.key_property else None
                yield PulledRecord(
                    crm_id=str(result.id),
                    key=str(key) if key else None,
                    fields=values,
                    modified_at=parse_crm_datetime(str(props[modified])),
                )

    def _mapping_of(self, object_name: str) -> list[ObjectMapping]:
        found = self.mappings.by_object(object_name)
        return [found] if found is not None else []

    def _source(self, object_name: str) -> _Source | None:
        mapping = self.mappings.by_object(object_name)
        if mapping is None:
            if object_name not in LINKED_PROPERTIES:
                raise ConfigError(
                    _("hubspot: nothing is pulled from '{object_name}'").format(
                        object_name=object_name
                    )
                )
            props = {p: p for p in LINKED_PROPERTIES[object_name]}
            return _Source(object_name, props, None, ())
        ids = self._portal()
        ext = mapping.external_id_field
        plain = [f for f in mapping.pull_fields if f.spec.type is not FieldType.LOOKUP]
        lookups = tuple(f for f in mapping.pull_fields if f.spec.type is FieldType.LOOKUP)
        linked_only = (Filter(property_name=ext, operator="HAS_PROPERTY"),)
        if not mapping.custom or ids.mode == "custom_objects":
            read_back = list(mapping.read_back_fields)
            props = {f.target: f.target for f in (*plain, *read_back)}
            api_type = ids.object_type(mapping.object)
            filters = () if mapping.custom else linked_only
            pipeline = ids.pipelines.get(mapping.object)
            steps = (
                {f.target: {sid: step for step, sid in pipeline.stages.items()} for f in read_back}
                if pipeline is not None
                else {}
            )
            return _Source(api_type, props, ext, filters, lookups, steps)
        if not mapping.pull_fields:
            return None  # only read-back stages, which properties-only mode does not hold
        degraded = mapping.spec.hubspot.properties_only if mapping.spec.hubspot else None
        if degraded is None or degraded.onto is not None:
            raise ConfigError(
                _("hubspot: '{object_name}' is not pulled in properties-only mode").format(
                    object_name=object_name
                )
            )
        props = {r.name: f.target for f in plain if (r := degraded.renamed(f.target))}
        return _Source(degraded.object, props, ext, linked_only)

    def _pages(
        self, source: _Source, modified: str, wanted: list[str], since_ms: int | None
    ) -> Iterator[list[Any]]:
        boundary, seen_at_boundary = since_ms, set[str]()
        while True:
            after: str | None = None
            in_window, progressed = 0, False
            last_ms: int | None = None
            at_last: set[str] = set()
            while True:
                page = self._search(source, modified, wanted, boundary, after)
                fresh = []
                for result in page.results or []:
                    in_window += 1
                    stamp = _ms(parse_crm_datetime(str((result.properties or {})[modified])))
                    if stamp == boundary and str(result.id) in seen_at_boundary:
                        continue  # yielded in the previous window
                    fresh.append(result)
                    progressed = True
                    if stamp != last_ms:
                        last_ms, at_last = stamp, set()
                    at_last.add(str(result.id))
                if fresh:
                    yield fresh
                paging = getattr(page, "paging", None)
                after = paging.next.after if paging and paging.next else None
                if after is None:
                    return
                if in_window >= self.max_results:
                    break  # the next page would pass the cap: start a new window
            if not progressed or last_ms is None:
                raise PermanentError(
                    _(
                        "hubspot pull {api_type}: more than {max_results} records share one "
                        "modification time; cannot page past them"
                    ).format(api_type=source.api_type, max_results=self.max_results)
                )
            seen_at_boundary = (seen_at_boundary | at_last) if last_ms == boundary else at_last
            boundary = last_ms

    def _search(
        self,
        source: _Source,
        modified: str,
        wanted: list[str],
        since: int | None,
        after: str | None,
    ) -> Any:
        filters = list(source.filters)
        if since is not None:
            filters.append(Filter(property_name=modified, operator="GTE", value=str(since)))
        request = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=filters)] if filters else [],
            sorts=[{"propertyName": modified, "direction": "ASCENDING"}],
            properties=wanted,
            limit=self.page_size,
            after=after,
        )
        return self.policy.call(
            lambda: self.apis.objects_search.do_search(
                source.api_type, request, _request_timeout=self.timeout
            ),
            operation=f"search {source.api_type}",
        )

    def _deals(self, source: _Source, record_ids: Sequence[str]) -> dict[str, str]:
        """The first deal associated with each record (a referral's deal link)."""
        found: dict[str, str] = {}
        for start in range(0, len(record_ids), _ASSOCIATION_READ_SIZE):
            chunk = record_ids[start : start + _ASSOCIATION_READ_SIZE]
            body = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in chunk]
            )
            answer = self.policy.call(
                partial(
                    self.apis.associations.get_page,
                    source.api_type,
                    "deals",
                    body,
                    _request_timeout=self.timeout,
                ),
                operation=f"read deals of {source.api_type}",
            )
            # Records without a deal come back as a 207 error; they simply have none.
            for result in getattr(answer, "results", None) or []:
                targets = sorted(str(t.to_object_id) for t in result.to or [])
                if targets:
                    found[str(result._from.id)] = targets[0]
        return found
