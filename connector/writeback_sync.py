"""Writing the records that events changed back to the CRMs, through the sync engine.

The webhook worker records changed records in the outbox in the same transaction as the
change. :class:`OutboxDrainer` takes the pending entries, runs the sync engine for the
objects of those kinds on every write-back target and marks the entries written only when
every target completed. The engine diffs against what each CRM last confirmed, so only the
changed records are sent (and a stopped run leaves the entries pending for the next pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from connector.store import Store
from connector.sync.engine import RunSummary, run_sync
from connector.sync.targets import SyncTarget
from connector.writeback import claim_writebacks

__all__ = ["DrainResult", "OutboxDrainer"]


@dataclass
class DrainResult:
    entries: int = 0
    written: int = 0
    runs: list[RunSummary] = field(default_factory=list)


class OutboxDrainer:
    """Drains the write-back outbox into the configured sync targets."""

    def __init__(self, store: Store, targets: Sequence[SyncTarget], *, limit: int = 500) -> None:
        self.store = store
        self.targets = list(targets)
        self.limit = limit

    def drain_once(self) -> DrainResult:
        """One drain; does nothing while another worker (thread or process) is draining."""
        with claim_writebacks(self.store, limit=self.limit) as claim:
            if claim is None or not claim.entries:
                return DrainResult()
            result = DrainResult(entries=len(claim.entries))
            if not self.targets:
                return result
            kinds = {entry.kind for entry in claim.entries}
            for target in self.targets:
                objects = [o for o in target.objects if o.kind in kinds]
                if not objects:
                    continue
                summary = run_sync(self.store, target.adapter, objects, target=target.name)
                result.runs.append(summary)
                if summary.status != "completed":
                    # A limit or outage: keep the entries; the next pass tries again.
                    return result
            result.written = claim.mark_written()
            return result
