"""What the sync engine syncs: one CRM object fed from one kind of refnet record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from connector.store import Tx

__all__ = [
    "Desired",
    "PullOutcome",
    "PullableObject",
    "SyncObject",
    "content_hash",
    "desired_ids",
]

_NOTHING: Mapping[str, Any] = MappingProxyType({})


class Desired(NamedTuple):
    """One record as the CRM should hold it.

    ``fields`` are the pushed fields (diffed and hashed); ``seed`` are CRM-owned fields sent
    only when refnet creates the record, never hashed, never overwritten later. It may be a
    function, called only for records that are created (most syncs create few).
    ``crm_id`` is the CRM record an import named for it, linked to before anything else.
    """

    record_id: str
    fields: dict[str, Any]
    seed: Mapping[str, Any] | Callable[[], Mapping[str, Any]] = _NOTHING
    crm_id: str | None = None

    def seed_fields(self) -> Mapping[str, Any]:
        return self.seed() if callable(self.seed) else self.seed


# "refused": the CRM holds a stage the rules do not allow; refnet's value must be re-sent.
PullOutcome = Literal["changed", "unchanged", "unknown", "refused"]


class SyncObject(Protocol):
    """A CRM object and how to compute its desired records from the store."""

    @property
    def name(self) -> str:
        """The CRM object's name as the adapter knows it (e.g. ``Refnet_Referral__c``)."""
        ...

    @property
    def kind(self) -> str:
        """The refnet record kind it is fed from (``referral``, ``member``, ...)."""
        ...

    def count(self, tx: Tx) -> int:
        """How many records :meth:`page` will yield in all (for progress)."""
        ...

    def page(self, tx: Tx, after: str | None, limit: int) -> list[Desired]:
        """Up to ``limit`` desired records with ids after ``after``, in id order.

        Together the pages list every record that should exist in the CRM; a record the
        CRM holds that no page lists is one refnet no longer has.
        """
        ...


@runtime_checkable
class PullableObject(Protocol):
    """A sync object with fields CRM users own, which the engine reads back."""

    @property
    def name(self) -> str: ...

    @property
    def pulls(self) -> bool:
        """Whether the object has any CRM-owned field to read back."""
        ...

    def apply_pulled(
        self, tx: Tx, record_id: str, crm_fields: Mapping[str, Any], *, write: bool
    ) -> PullOutcome:
        """Apply the CRM's values of the pulled fields to refnet's record.

        ``unknown`` when refnet has no such record. With ``write`` false only tells what
        would change (a dry run). A value refnet cannot take raises
        :class:`~connector.errors.RecordValidationError` naming record and field.
        """
        ...


def content_hash(fields: Mapping[str, Any]) -> str:
    """A stable hash of a record's CRM fields: same content, same hash, whatever the key order."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def desired_ids(tx: Tx, obj: SyncObject, page_size: int = 1000) -> set[str]:
    """The refnet ids of every record ``obj`` wants in the CRM (to check what a CRM holds)."""
    ids: set[str] = set()
    after: str | None = None
    while page := obj.page(tx, after, page_size):
        ids.update(desired.record_id for desired in page)
        after = page[-1].record_id
    return ids
