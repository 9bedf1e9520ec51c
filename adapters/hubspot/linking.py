"""Find the contacts and companies a portal already holds for members refnet is about to create.

A live portal already has the company's contacts and companies. Creating a member by its
refnet id alone would duplicate them (or, for contacts, be refused: the e-mail is unique,
``CONFLICTING_UNIQUE_VALUE``). So before a new member is written, its record is resolved:

1. the HubSpot record id refnet already holds for it (imported, or learned from a webhook);
2. else contacts by e-mail: one batch read with ``idProperty=email`` per 100 (e-mail is a
   unique identifier of contacts; HubSpot compares it without case);
3. else companies by domain: a search ``domain IN (…)`` (domain is not unique, so one
   domain may name several companies).

A match that carries no refnet id, or this record's, is **linked**: refnet writes its
properties, ``refnet_id`` included, onto that record. Several candidates, a record already
carrying another member's refnet id, or two new members sharing one e-mail / domain are
**ambiguous**: nothing is written for that member, its outcome names the candidates, and
an admin settles it by giving the member its HubSpot id (``hubspot_contact_id`` /
``hubspot_company_id`` in the import). Everything else is **new** and upserted as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from hubspot.crm.objects import (
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectId,
)

from adapters.hubspot.client import HubSpotApis
from adapters.hubspot.plans import Encoded, WritePlan
from adapters.hubspot.retry import RetryPolicy

__all__ = ["LinkResolution", "Linker"]

_READ_SIZE = 100  # inputs per batch read
_IN_VALUES = 100  # values per IN filter (kept to the batch size; HubSpot states no other)
_SEARCH_PAGE = 200  # the search API's largest page


@dataclass
class LinkResolution:
    """Where each new record goes: an existing record, nowhere yet, or a new record."""

    linked: dict[str, str] = field(default_factory=dict)  # record key → HubSpot id
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # record key → candidates
    new: list[str] = field(default_factory=list)  # record keys


@dataclass(frozen=True)
class _Found:
    hubspot_id: str
    refnet_id: str | None


class Linker:
    """Resolves new contacts and companies against the records the portal already holds."""

    def __init__(self, apis: HubSpotApis, policy: RetryPolicy, *, request_timeout: float) -> None:
        self.apis, self.policy, self.timeout = apis, policy, request_timeout

    def resolve(self, plan: WritePlan, items: Sequence[Encoded]) -> LinkResolution:
        """Resolve ``items`` (new records of ``plan``); records already known are left out."""
        resolution = LinkResolution()
        by_value: dict[str, list[Encoded]] = {}
        for item in items:
            if item.stored_id:
                resolution.linked[item.record_key] = item.stored_id
            elif item.link_value:
                by_value.setdefault(item.link_value.casefold(), []).append(item)
            else:
                resolution.new.append(item.record_key)
        shared = {value: group for value, group in by_value.items() if len(group) > 1}
        for value, group in shared.items():
            for item in group:
                others = [o.record_key for o in group if o is not item]
                resolution.ambiguous[item.record_key] = [f"{plan.link_property}={value}", *others]
        wanted = [group[0].link_value or "" for group in by_value.values() if len(group) == 1]
        found = self._find(plan, wanted) if wanted else {}
        for value, group in by_value.items():
            if len(group) > 1:
                continue
            item = group[0]
            candidates = found.get(value, [])
            mine = [c for c in candidates if c.refnet_id in (None, "", item.hubspot_key)]
            if len(mine) == 1:
                resolution.linked[item.record_key] = mine[0].hubspot_id
            elif len(mine) > 1 or (candidates and plan.link_property == "email"):
                # Several records fit, or the one contact with this e-mail is another member's.
                resolution.ambiguous[item.record_key] = [c.hubspot_id for c in candidates]
            else:
                resolution.new.append(item.record_key)
        _one_member_per_record(resolution)
        return resolution

    def _find(self, plan: WritePlan, values: list[str]) -> dict[str, list[_Found]]:
        """Existing records by case-folded e-mail / domain."""
        prop = str(plan.link_property)
        found: dict[str, list[_Found]] = {}
        for result in self._read(plan, values) if prop == "email" else self._search(plan, values):
            props = result.properties or {}
            value = str(props.get(prop) or "").casefold()
            if value:
                found.setdefault(value, []).append(
                    _Found(str(result.id), props.get(plan.id_property) or None)
                )
        return found

    def _read(self, plan: WritePlan, values: list[str]) -> list[Any]:
        results: list[Any] = []
        for start in range(0, len(values), _READ_SIZE):
            request = BatchReadInputSimplePublicObjectId(
                id_property="email",
                inputs=[SimplePublicObjectId(id=v) for v in values[start : start + _READ_SIZE]],
                properties=["email", plan.id_property],
                properties_with_history=[],
            )
            # A 207 lists the e-mails no contact has as errors: those are simply new.
            answer = self.policy.call(
                partial(
                    self.apis.objects_batch.read,
                    plan.api_type,
                    request,
                    archived=False,
                    _request_timeout=self.timeout,
                ),
                operation=f"find {plan.api_type} by email",
            )
            results.extend(answer.results or [])
        return results

    def _search(self, plan: WritePlan, values: list[str]) -> list[Any]:
        prop = str(plan.link_property)
        results: list[Any] = []
        for start in range(0, len(values), _IN_VALUES):
            chunk = sorted({v.lower() for v in values[start : start + _IN_VALUES]})
            after: str | None = None
            while True:
                request = PublicObjectSearchRequest(
                    filter_groups=[
                        FilterGroup(
                            filters=[Filter(property_name=prop, operator="IN", values=chunk)]
                        )
                    ],
                    properties=[prop, plan.id_property],
                    limit=_SEARCH_PAGE,
                    after=after,
                )
                page = self.policy.call(
                    partial(
                        self.apis.objects_search.do_search,
                        plan.api_type,
                        request,
                        _request_timeout=self.timeout,
                    ),
                    operation=f"find {plan.api_type} by {prop}",
                )
                results.extend(page.results or [])
                paging = getattr(page, "paging", None)
                after = paging.next.after if paging is not None and paging.next else None
                if after is None:
                    break
        return results


def _one_member_per_record(resolution: LinkResolution) -> None:
    """Two members resolved to one HubSpot record: neither is linked (a human decides)."""
    by_target: dict[str, list[str]] = {}
    for key, hubspot_id in resolution.linked.items():
        by_target.setdefault(hubspot_id, []).append(key)
    for hubspot_id, keys in by_target.items():
        if len(keys) > 1:
            for key in keys:
                del resolution.linked[key]
                resolution.ambiguous[key] = [hubspot_id, *(k for k in keys if k != key)]
