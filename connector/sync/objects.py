"""What the sync engine syncs: one CRM object fed from one kind of refnet record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol

from connector.store import Tx

__all__ = ["SyncObject", "content_hash"]


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
        """How many records :meth:`desired` will yield (for progress)."""
        ...

    def page(self, tx: Tx, after: str | None, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """Up to ``limit`` ``(refnet id, CRM fields)`` pairs with ids after ``after``, by id.

        Together the pages list every record that should exist in the CRM.
        """
        ...


def content_hash(fields: Mapping[str, Any]) -> str:
    """A stable hash of a record's CRM fields: same content, same hash, whatever the key order."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
