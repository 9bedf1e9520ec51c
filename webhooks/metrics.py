"""Counters of this process's webhook requests (the inbox keeps the durable figures)."""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["COUNTERS", "Metrics"]

# Every counter the service increments; /metrics shows all of them, zero or not.
COUNTERS = (
    "events_received",
    "events_accepted",
    "events_duplicate",
    "rejected_signature",
    "rejected_malformed",
    "rejected_too_large",
    "rejected_organization",
    "rejected_media_type",
    "rejected_token",
    "rejected_portal",
    "store_unavailable",
)


class Metrics:
    """Thread-safe counters; one instance per app (so per gunicorn worker process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def inc(self, name: str, amount: int = 1) -> None:
        if name not in COUNTERS:
            raise KeyError(name)
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {name: self._counts[name] for name in COUNTERS}
