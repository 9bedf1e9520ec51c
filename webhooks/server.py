"""Running the app under gunicorn, a production WSGI server, from Python (``refnet serve``).

Each gunicorn worker process builds its own app (store connection pool, and an inbox worker
thread only when asked to); the inbox claims make that safe. The app factory runs in the
workers, not in the master, so no thread or connection crosses a fork. The master also
keeps the inbox worker processes of :mod:`webhooks.sidecars` running, when given any.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from webhooks.sidecars import InboxWorkerProcesses

__all__ = ["GunicornServer"]


class _Arbiter(Arbiter):
    """gunicorn's master, also looking after the inbox worker processes."""

    def __init__(self, app: Any, sidecars: InboxWorkerProcesses | None) -> None:
        super().__init__(app)
        self.sidecars = sidecars

    def start(self) -> None:
        super().start()
        if self.sidecars is not None:
            self.sidecars.start()

    def manage_workers(self) -> None:  # called on every turn of the master's loop
        super().manage_workers()
        if self.sidecars is not None:
            self.sidecars.keep_up()

    def stop(self, graceful: bool = True) -> None:
        if self.sidecars is not None:
            self.sidecars.stop()
        super().stop(graceful)


class GunicornServer(BaseApplication):
    def __init__(
        self,
        factory: Callable[[], Flask],
        options: dict[str, Any],
        *,
        sidecars: InboxWorkerProcesses | None = None,
    ) -> None:
        self._factory = factory
        self._options = options
        self._sidecars = sidecars
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:  # a WSGI callable; the stubs' union does not name Flask
        return self._factory()

    def run(self) -> None:
        try:
            _Arbiter(self, self._sidecars).run()
        except RuntimeError as exc:  # what BaseApplication.run does with a start-up failure
            print(f"\nError: {exc}\n", file=sys.stderr)
            sys.stderr.flush()
            sys.exit(1)
