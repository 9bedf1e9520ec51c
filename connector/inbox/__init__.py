"""The durable webhook inbox: events stored once, claimed safely, processed exactly once."""

from connector.inbox.store import (
    ClaimedEvent,
    InboxStats,
    InboxStore,
    ReceiveResult,
    enable_sqlite_wal,
)
from connector.inbox.worker import InboxWorker, StepResult

__all__ = [
    "ClaimedEvent",
    "InboxStats",
    "InboxStore",
    "InboxWorker",
    "ReceiveResult",
    "StepResult",
    "enable_sqlite_wal",
]
