"""What HubSpot's deal stages mean, read from the deal pipelines (every pipeline, not one).

Only the default pipeline has the stage ids ``closedwon`` / ``closedlost``; every other
pipeline's stages get numeric ids, and whether a stage is won or lost is in its metadata:
``isClosed`` "true" with ``probability`` "1.0" is won, "0.0" lost (HubSpot, CRM API |
Pipelines guide: deal stages carry ``metadata.probability`` 0.0–1.0 and closed ones
``isClosed``). A closed stage with any other probability is neither.

The pipelines are read once and cached. A stage id the cache does not know (a pipeline or
stage added since) makes it read them again, at most once per unknown id until the next
read; the cache also expires after ``max_age`` seconds, so a stage whose metadata an admin
changed is seen again within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from adapters.hubspot.client import HubSpotApis
from adapters.hubspot.retry import RetryPolicy

__all__ = ["DealStages", "stage_outcome_of"]

_DEALS = "deals"


def stage_outcome_of(metadata: Mapping[str, Any] | None) -> bool | None:
    """Won (True), lost (False) or neither (None) from one stage's metadata."""
    metadata = metadata or {}
    if str(metadata.get("isClosed", "")).lower() != "true":
        return None
    try:
        probability = float(metadata.get("probability", ""))
    except (TypeError, ValueError):
        return None
    if probability == 1.0:
        return True
    if probability == 0.0:
        return False
    return None


class DealStages:
    """Stage id → won / lost / open for every deal pipeline of the portal (thread-safe)."""

    def __init__(
        self,
        apis: HubSpotApis,
        policy: RetryPolicy,
        *,
        request_timeout: float,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = 600.0,
    ) -> None:
        self.apis, self.policy, self.timeout = apis, policy, request_timeout
        self.clock, self.max_age = clock, max_age
        self._lock = threading.Lock()
        self._table: dict[str, bool | None] | None = None
        self._read_at = 0.0
        self._unknown: set[str] = set()  # ids still unknown after the last read
        self.reads = 0

    def stage_outcome(self, stage: str) -> bool | None:
        """True: won, False: lost, None: open or a stage no pipeline has."""
        with self._lock:
            stale = self._table is None or self.clock() - self._read_at > self.max_age
            if stale or (stage not in (self._table or {}) and stage not in self._unknown):
                self._refresh()
                if stage not in (self._table or {}):
                    self._unknown.add(stage)
            return (self._table or {}).get(stage)

    def _refresh(self) -> None:
        answer = self.policy.call(
            partial(self.apis.pipelines.get_all, _DEALS, _request_timeout=self.timeout),
            operation="read deal pipelines",
        )
        table: dict[str, bool | None] = {}
        for pipeline in answer.results or []:
            if getattr(pipeline, "archived", False):
                continue
            for stage in pipeline.stages or []:
                table[str(stage.id)] = stage_outcome_of(stage.metadata)
        self._table, self._read_at = table, self.clock()
        self._unknown.clear()
        self.reads += 1
