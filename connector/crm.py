"""The small interface every CRM adapter implements, in domain terms.

The sync engine speaks only this protocol; adapters translate it into one vendor API.
Records travel as plain field dictionaries already shaped by the mappings, keyed by the
refnet id (the CRM's external id), so the engine never sees a vendor type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "BatchResult",
    "CallCounter",
    "CrmAdapter",
    "LinkPreview",
    "OutboundRecord",
    "PulledRecord",
    "RecordLinker",
    "RecordOutcome",
    "RecordRemover",
    "RemovalMode",
    "RemovedRecord",
    "SkipsSeenChanges",
]

# What a sync does with CRM records whose refnet record is gone (deleted, or no longer
# matching the mapping's ``only`` filter): leave them, flag them archived, or delete them.
RemovalMode = Literal["keep", "archive", "delete"]


@dataclass(frozen=True)
class OutboundRecord:
    """One record to upsert: its refnet id (external id) and its CRM field values.

    ``new`` marks a record refnet never had confirmed in this CRM: an adapter may first
    link it to a record the CRM already has (a Contact with the member's e-mail) so the
    upsert updates that one instead of creating a duplicate; ``crm_id`` names the CRM
    record an import brought along, which it links to first.
    """

    key: str
    fields: Mapping[str, Any]
    new: bool = False
    crm_id: str | None = None


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
class RemovedRecord:
    """A CRM record to take out: its refnet id and, once confirmed, the CRM's id."""

    key: str
    crm_id: str | None


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


@runtime_checkable
class RecordRemover(Protocol):
    """An adapter that can archive or delete CRM records refnet no longer has.

    Separate from :class:`CrmAdapter` because removing is optional: a target without it
    only supports the ``keep`` removal mode.
    """

    def archive_field(self, object_name: str) -> str | None:
        """The checkbox field that marks a record of ``object_name`` archived, if any.

        A record that comes back is upserted with it set false.
        """
        ...

    def archive_batch(self, object_name: str, records: Sequence[RemovedRecord]) -> BatchResult:
        """Set the archive field on up to ``max_batch_size`` records; one outcome per record.

        An update, never an upsert: a record the CRM no longer has counts as archived
        (``ok``) and is not created again.
        """
        ...

    def can_delete(self, object_name: str) -> bool:
        """Whether records of ``object_name`` may be deleted (never a CRM user's Contacts)."""
        ...

    def delete_batch(self, object_name: str, records: Sequence[RemovedRecord]) -> BatchResult:
        """Delete up to ``max_batch_size`` records; one outcome per record.

        A record the CRM no longer has counts as deleted (the outcome is ``ok``).
        """
        ...


@runtime_checkable
class SkipsSeenChanges(Protocol):
    """An adapter that can leave out, before any further read, the records the last pull
    read at the watermark (their CRM ids), e.g. HubSpot, whose pull reads each page's deal
    associations in a second call."""

    def fetch_changes_after(
        self, object_name: str, since: datetime | None, seen: frozenset[str]
    ) -> Iterator[PulledRecord]: ...


@runtime_checkable
class CallCounter(Protocol):
    """An adapter that counts every API call it made, reads included."""

    @property
    def api_calls(self) -> int: ...


@dataclass
class LinkPreview:
    """What a write of new records would do: link them to existing CRM records or create them.

    ``linked`` maps a record key to the CRM record it would be written onto; ``ambiguous``
    to the candidates when more than one fits (nothing is written for those).
    """

    linked: dict[str, str] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)
    api_calls: int = 0


@runtime_checkable
class RecordLinker(Protocol):
    """An adapter that links new records to records the CRM already has (e.g. by e-mail)."""

    def preview_links(self, object_name: str, records: Sequence[OutboundRecord]) -> LinkPreview:
        """Resolve ``records`` (all new) without writing; used by the dry run."""
        ...
