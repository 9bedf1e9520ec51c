"""`refnet serve` with one part of intake changed, for the serve bench's breakdown rows.

A diagnostic, never a deployment: each variant takes away something refnet promises, to
show what that part costs under load. The change is made in this process before
``refnet serve`` starts, so gunicorn's forked web processes inherit it; everything else
(settings, server options, access log, signature checks, parsing) is the real service's.

- ``synchronous-normal``: SQLite commits without syncing the WAL file; an acknowledged
  event may be lost on power loss (refnet runs ``synchronous=FULL``, connector.store.engine).
- ``store-nothing``: intake answers as if every event were new and stores none of them.

Usage (from bench/webhooks_serve_defaults.py):
``python bench/webhooks_serve_diagnostics.py VARIANT serve [refnet serve options]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import connector.store.engine as store_engine
from connector.cli.app import main
from connector.inbox.store import InboxStore, ReceiveResult

VARIANTS = ("synchronous-normal", "store-nothing")


def _synchronous_normal() -> None:
    refnet_pragmas: Callable[[Any, Any], None] = store_engine._enable_sqlite_pragmas

    def pragmas(dbapi_connection: Any, record: Any) -> None:
        refnet_pragmas(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    # create_store_engine registers the module's function when it builds an engine.
    store_engine._enable_sqlite_pragmas = pragmas


def _store_nothing() -> None:
    def receive(self: InboxStore, events: Sequence[Any], *, now: datetime) -> ReceiveResult:
        unique = {(e.provider, e.event_id) for e in events}
        return ReceiveResult(len(unique), len(events) - len(unique))

    InboxStore.receive = receive  # type: ignore[method-assign]


def run() -> None:
    if len(sys.argv) < 3 or sys.argv[1] not in VARIANTS:
        sys.exit(f"usage: {Path(__file__).name} {{{'|'.join(VARIANTS)}}} serve [options]")
    variant = sys.argv.pop(1)
    (_synchronous_normal if variant == "synchronous-normal" else _store_nothing)()
    main()


if __name__ == "__main__":
    run()
