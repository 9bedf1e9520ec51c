"""Associations v4 in batches: a record's lookups as labelled associations.

A lookup names the other record by its refnet id; associations need HubSpot record ids on
both ends. Ids learnt from this adapter's own writes are cached (:class:`IdCache`, parents are
synced before children, so a referral's contacts are usually known); the rest are read by
their refnet id in batches (``batch/read`` with ``idProperty``, 100 per call). All links of
one write to one object type go out together: one input per pair of records carrying every
label between them, up to :data:`ASSOCIATION_BATCH_SIZE` inputs per ``batch/create`` call, so
the calls are ``ceil(pairs / ASSOCIATION_BATCH_SIZE)`` per target type. Creating an
association that exists is a no-op, so a resent record never duplicates one.

A link whose target does not exist, or that HubSpot refuses (207), fails its record with a
code (``ASSOCIATED_RECORD_MISSING``, or HubSpot's), so the sync engine sends it again next
run. Associations are only ever added: a lookup that changes or is cleared leaves the old
association in place (see the README's gaps).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    PublicAssociationMultiPost,
    PublicObjectId,
)
from hubspot.crm.objects import BatchReadInputSimplePublicObjectId, SimplePublicObjectId

from adapters.hubspot.client import HubSpotApis
from adapters.hubspot.errors import RequestRejected
from adapters.hubspot.plans import Link
from adapters.hubspot.retry import RetryPolicy

__all__ = ["ASSOCIATION_BATCH_SIZE", "AssociationWriter", "IdCache", "LinkRequest"]

# Inputs per v4 association batch call. The one per-request limit HubSpot documents for
# the v4 association batch endpoints is 1,000 inputs ("Bug Fix: Batch Read Limit for HubSpot
# Associations API", https://developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api
# : "may not exceed 1000 IDs per request body"). Secondary sources quote 2,000 for
# batch/create, but no HubSpot page found confirms it, so refnet stays at the documented
# 1,000 (and the sandbox refuses more).
ASSOCIATION_BATCH_SIZE = 1000
READ_BATCH_SIZE = 100
_ID_PROPERTY = "refnet_id"
_MAX_MESSAGE = 500


class IdCache:
    """HubSpot record ids by (object type, refnet id), learnt from writes and reads."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}

    def get(self, api_type: str, key: str) -> str | None:
        return self._ids.get((api_type, key))

    def put(self, api_type: str, key: str, record_id: str) -> None:
        self._ids[(api_type, key)] = record_id

    def drop(self, api_type: str, key: str) -> None:
        self._ids.pop((api_type, key), None)

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(frozen=True)
class LinkRequest:
    record_key: str
    from_id: str  # HubSpot id of the record written
    link: Link
    to_key: str  # refnet id of the record to associate


class AssociationWriter:
    def __init__(
        self, apis: HubSpotApis, policy: RetryPolicy, ids: IdCache, *, request_timeout: float
    ) -> None:
        self.apis, self.policy, self.ids = apis, policy, ids
        self.timeout = request_timeout

    def resolve(self, api_type: str, keys: Iterable[str]) -> dict[str, str]:
        """HubSpot ids of the records of ``api_type`` with these refnet ids (found ones only)."""
        found: dict[str, str] = {}
        unknown = []
        for key in dict.fromkeys(keys):
            cached = self.ids.get(api_type, key)
            if cached is None:
                unknown.append(key)
            else:
                found[key] = cached
        for start in range(0, len(unknown), READ_BATCH_SIZE):
            chunk = unknown[start : start + READ_BATCH_SIZE]
            body = BatchReadInputSimplePublicObjectId(
                id_property=_ID_PROPERTY,
                properties=[_ID_PROPERTY],
                inputs=[SimplePublicObjectId(id=key) for key in chunk],
            )
            answer = self.policy.call(
                partial(
                    self.apis.objects_batch.read, api_type, body, _request_timeout=self.timeout
                ),
                operation=f"read {api_type} by refnet id",
            )
            # Missing records come back as a 207 error, not as results: they stay unknown.
            for result in getattr(answer, "results", None) or []:
                refnet_id = (result.properties or {}).get(_ID_PROPERTY)
                if refnet_id:
                    found[str(refnet_id)] = str(result.id)
                    self.ids.put(api_type, str(refnet_id), str(result.id))
        return found

    def link(self, from_type: str, requests: Sequence[LinkRequest]) -> dict[str, tuple[str, str]]:
        """Create the associations; failures by record key as ``(code, message)``."""
        failures: dict[str, tuple[str, str]] = {}
        by_target: dict[str, list[LinkRequest]] = {}
        for request in requests:
            by_target.setdefault(request.link.to_type, []).append(request)
        for to_type, wanted in by_target.items():
            to_ids = self.resolve(to_type, (r.to_key for r in wanted))
            pairs: dict[tuple[str, str], list[LinkRequest]] = {}
            for request in wanted:
                to_id = to_ids.get(request.to_key)
                if to_id is None:
                    failures[request.record_key] = (
                        "ASSOCIATED_RECORD_MISSING",
                        f"{request.link.field}: no {to_type} record with refnet id "
                        f"{request.to_key}",
                    )
                    continue
                pairs.setdefault((request.from_id, to_id), []).append(request)
            keys = list(pairs)
            for start in range(0, len(keys), ASSOCIATION_BATCH_SIZE):
                chunk = keys[start : start + ASSOCIATION_BATCH_SIZE]
                failed = self._create(from_type, to_type, {pair: pairs[pair] for pair in chunk})
                for pair, (code, message) in failed.items():
                    for request in pairs[pair]:
                        failures.setdefault(request.record_key, (code, message))
                        self.ids.drop(to_type, request.to_key)  # may be stale: read it again
        return failures

    def _create(
        self, from_type: str, to_type: str, pairs: dict[tuple[str, str], list[LinkRequest]]
    ) -> dict[tuple[str, str], tuple[str, str]]:
        inputs = []
        for (from_id, to_id), requests in pairs.items():
            types = {
                r.link.association.type_id: AssociationSpec(
                    association_category=r.link.association.category,
                    association_type_id=r.link.association.type_id,
                )
                for r in requests
            }
            inputs.append(
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=from_id),
                    to=PublicObjectId(id=to_id),
                    types=list(types.values()),
                )
            )
        body = BatchInputPublicAssociationMultiPost(inputs=inputs)
        try:
            answer = self.policy.call(
                lambda: self.apis.associations.create(
                    from_type, to_type, body, _request_timeout=self.timeout
                ),
                operation=f"associate {from_type} → {to_type}",
            )
        except RequestRejected as refused:
            return dict.fromkeys(pairs, (refused.code, refused.reason or "association refused"))
        done = {
            (str(r.from_object_id), str(r.to_object_id))
            for r in getattr(answer, "results", None) or []
        }
        errors = list(getattr(answer, "errors", None) or [])
        return {pair: _pair_error(pair, errors) for pair in pairs if pair not in done}


def _pair_error(pair: tuple[str, str], errors: list[Any]) -> tuple[str, str]:
    """The error that names ``pair`` (``context.fromId``/``toId``), else the first one."""
    for error in errors:
        context = error.context or {}
        if pair[0] in (context.get("fromId") or []) and pair[1] in (context.get("toId") or []):
            return _described(error)
    return _described(errors[0]) if errors else ("NO_RESULT", "no result for the association")


def _described(error: Any) -> tuple[str, str]:
    details = getattr(error, "errors", None) or []
    code = next((str(d.code) for d in details if getattr(d, "code", None)), None)
    message = str(getattr(error, "message", None) or "association refused")[:_MAX_MESSAGE]
    return code or str(getattr(error, "category", None) or "UNKNOWN_ERROR"), message
