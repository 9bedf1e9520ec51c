"""The small interface every CRM adapter implements, in domain terms.

The sync engine speaks only this protocol; adapters translate it into one vendor API.
Records travel as plain field dictionaries already shaped by the mappings, keyed by the
refnet id (the CRM's external id), so the engine never sees a vendor type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "BatchResult",
    "CrmAdapter",
    "OutboundRecord",
    "PulledRecord",
    "RecordOutcome",
]


@dataclass(frozen=True)
class OutboundRecord:
    """One record to upsert: its refnet id (external id) and its CRM field values."""

    key: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class RecordOutcome:
    """What the CRM said about one record of a batch."""

    key: str
    ok: bool
    crm_id: str | None = None
    created: bool = False
    code: str | None = None
    message: str | None = None


@dataclass
class BatchResult:
    """Per-record outcomes of one upsert batch; never all-or-nothing."""

    outcomes: list[RecordOutcome] = field(default_factory=list)
    api_calls: int = 0

    @property
    def succeeded(self) -> list[RecordOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[RecordOutcome]:
        return [o for o in self.outcomes if not o.ok]


@dataclass(frozen=True)
class PulledRecord:
    """A record read back from the CRM: its external id (if any), CRM id and field values."""

    crm_id: str
    key: str | None
    fields: Mapping[str, Any]
    modified_at: datetime


class CrmAdapter(Protocol):
    """One CRM behind one small interface."""

    name: str
    max_batch_size: int  # records per CRM call

    @property
    def write_chunk_size(self) -> int:
        """Records the sync engine collects before handing them over in one upsert_batch.

        The adapter splits them into calls; larger than max_batch_size only with a bulk path.
        """
        ...

    @property
    def bulk_threshold(self) -> int | None:
        """From this many records one upsert_batch takes the bulk path; None without one.

        Below it the engine hands over max_batch_size records at a time, checkpointing each.
        """
        ...

    def provision(self) -> list[str]:
        """Create or update the CRM schema from the mappings; return what changed."""
        ...

    def upsert_batch(self, object_name: str, records: Sequence[OutboundRecord]) -> BatchResult:
        """Upsert up to ``max_batch_size`` records by external id; one outcome per record."""
        ...

    def fetch_changes(self, object_name: str, since: datetime | None) -> Iterator[PulledRecord]:
        """Yield records of ``object_name`` modified after ``since`` (all when ``None``)."""
        ...
