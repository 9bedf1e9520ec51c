"""Batch writes by the refnet id: upsert (``idProperty=refnet_id``) or update, 100 per call.

HubSpot answers a batch with 200 (all written) or 207 Multi-Status; hubspot-api-client does
not raise for a 207 but returns a different class (``…WithErrors``) carrying ``errors``,
each naming the inputs it concerns in ``context.ids``. Results are not guaranteed to come
back in request order, so they are matched to records by the key they carry (the
``objectWriteTraceId`` refnet sets to the key, else the ``refnet_id`` property). A record
with neither a result nor an error naming it fails with ``NO_RESULT``, so it is sent again
next run rather than counted as written. A whole batch refused with a 4xx
(:class:`~adapters.hubspot.errors.RequestRejected`) fails each of its records with
HubSpot's code.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputUpsert,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputUpsert,
)

from adapters.hubspot.associations import IdCache
from adapters.hubspot.client import HubSpotApis
from adapters.hubspot.errors import RequestRejected
from adapters.hubspot.plans import Encoded, WritePlan
from adapters.hubspot.retry import RetryPolicy
from connector.crm import RecordOutcome

__all__ = ["BATCH_SIZE", "RecordWriter", "error_code", "outcomes_of"]

BATCH_SIZE = 100  # inputs per batch call (HubSpot's CRM batch limit)
_MAX_MESSAGE = 500


def error_code(error: Any) -> str:
    """The most specific code of a ``StandardError``: its first detail's code, else category."""
    for detail in getattr(error, "errors", None) or []:
        code = getattr(detail, "code", None)
        if code:
            return str(code)
    return str(getattr(error, "category", None) or "UNKNOWN_ERROR")


def _message(error: Any) -> str | None:
    message = getattr(error, "message", None)
    return str(message)[:_MAX_MESSAGE] if message else None


def outcomes_of(answer: Any, keys: Sequence[str], id_property: str) -> dict[str, RecordOutcome]:
    """One outcome per key sent, from a 200 or 207 batch answer (keyed by HubSpot key)."""
    wanted = set(keys)
    found: dict[str, RecordOutcome] = {}
    for result in getattr(answer, "results", None) or []:
        props = result.properties or {}
        key = getattr(result, "object_write_trace_id", None) or props.get(id_property)
        if key in wanted:
            created = bool(getattr(result, "new", False))
            found[str(key)] = RecordOutcome(
                str(key), ok=True, crm_id=str(result.id), created=created
            )
    unattributed: list[Any] = []
    for error in getattr(answer, "errors", None) or []:
        context = error.context or {}
        named = [
            str(k) for k in (context.get("ids") or []) + (context.get("objectWriteTraceId") or [])
        ]
        named = [k for k in named if k in wanted and k not in found]
        if not named:
            unattributed.append(error)
        for key in named:
            found[key] = RecordOutcome(
                key, ok=False, code=error_code(error), message=_message(error)
            )
    missing = [k for k in keys if k not in found]
    for key in missing:
        # An error that names no input can only be about the inputs without an answer.
        error = unattributed[0] if len(unattributed) == 1 and len(missing) == 1 else None
        found[key] = RecordOutcome(
            key,
            ok=False,
            code=error_code(error) if error is not None else "NO_RESULT",
            message=_message(error) if error is not None else "no result for the record",
        )
    return found


class RecordWriter:
    """Writes encoded records of one plan and remembers the HubSpot ids it learns."""

    def __init__(
        self, apis: HubSpotApis, policy: RetryPolicy, ids: IdCache, *, request_timeout: float
    ) -> None:
        self.apis, self.policy, self.ids = apis, policy, ids
        self.timeout = request_timeout

    def write(self, plan: WritePlan, records: Sequence[Encoded]) -> dict[str, RecordOutcome]:
        """Outcomes by record key; ``records`` must have unique record keys."""
        outcomes: dict[str, RecordOutcome] = {}
        pending = list(records)
        while pending:
            # Updating onto other records: one input per target record and call.
            batch: list[Encoded] = []
            later: list[Encoded] = []
            seen: set[str] = set()
            for item in pending:
                (later if item.hubspot_key in seen else batch).append(item)
                seen.add(item.hubspot_key)
            for start in range(0, len(batch), BATCH_SIZE):
                chunk = batch[start : start + BATCH_SIZE]
                by_key = self._call(plan, chunk)
                for item in chunk:
                    result = by_key[item.hubspot_key]
                    outcomes[item.record_key] = RecordOutcome(
                        item.record_key,
                        ok=result.ok,
                        crm_id=result.crm_id,
                        created=result.created,
                        code=result.code,
                        message=result.message,
                    )
                    if result.ok and result.crm_id:
                        self.ids.put(plan.api_type, item.hubspot_key, result.crm_id)
            pending = later
        return outcomes

    def write_onto(
        self, plan: WritePlan, targets: Sequence[tuple[Encoded, str]]
    ) -> dict[str, RecordOutcome]:
        """Write records onto existing HubSpot records (``(record, HubSpot id)``), 100 a call.

        A batch update by record id: the properties, ``refnet_id`` among them, land on the
        record the portal already had, so later writes find it by the refnet id; the
        CRM-owned ones (seeds of a create) are left as the portal has them. Outcomes by
        record key; a HubSpot id that no longer exists fails its record (OBJECT_NOT_FOUND).
        """
        outcomes: dict[str, RecordOutcome] = {}
        for start in range(0, len(targets), BATCH_SIZE):
            chunk = list(targets[start : start + BATCH_SIZE])
            ids = [hubspot_id for _, hubspot_id in chunk]
            update = BatchInputSimplePublicObjectBatchInput(
                inputs=[
                    SimplePublicObjectBatchInput(
                        id=hubspot_id,
                        # What the portal's users own stays theirs (e-mail, vision, ...).
                        properties={
                            k: v
                            for k, v in item.properties.items()
                            if k not in plan.seed_properties
                        },
                    )
                    for item, hubspot_id in chunk
                ]
            )
            try:
                answer = self.policy.call(
                    partial(
                        self.apis.objects_batch.update,
                        plan.api_type,
                        update,
                        _request_timeout=self.timeout,
                    ),
                    operation=f"link {plan.object_name}",
                )
                by_id = outcomes_of(answer, ids, "hs_object_id")
            except RequestRejected as refused:
                by_id = {
                    i: RecordOutcome(i, ok=False, code=refused.code, message=refused.reason)
                    for i in ids
                }
            for item, hubspot_id in chunk:
                result = by_id[hubspot_id]
                outcomes[item.record_key] = RecordOutcome(
                    item.record_key,
                    ok=result.ok,
                    crm_id=hubspot_id if result.ok else None,
                    code=result.code,
                    message=result.message,
                )
                if result.ok:
                    self.ids.put(plan.api_type, item.hubspot_key, hubspot_id)
        return outcomes

    def _call(self, plan: WritePlan, chunk: Sequence[Encoded]) -> dict[str, RecordOutcome]:
        keys = [item.hubspot_key for item in chunk]
        try:
            answer = self.policy.call(
                lambda: self._send(plan, chunk), operation=f"write {plan.object_name}"
            )
        except RequestRejected as refused:
            return {
                key: RecordOutcome(key, ok=False, code=refused.code, message=refused.reason)
                for key in keys
            }
        return outcomes_of(answer, keys, plan.id_property)

    def _send(self, plan: WritePlan, chunk: Sequence[Encoded]) -> Any:
        batch = self.apis.objects_batch
        if plan.onto is not None:
            update = BatchInputSimplePublicObjectBatchInput(
                inputs=[
                    SimplePublicObjectBatchInput(
                        id=item.hubspot_key,
                        id_property=plan.id_property,
                        properties=item.properties,
                    )
                    for item in chunk
                ]
            )
            return batch.update(plan.api_type, update, _request_timeout=self.timeout)
        upsert = BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(
                    id=item.hubspot_key,
                    id_property=plan.id_property,
                    object_write_trace_id=item.hubspot_key,
                    properties=item.properties,
                )
                for item in chunk
            ]
        )
        return batch.upsert(plan.api_type, upsert, _request_timeout=self.timeout)
