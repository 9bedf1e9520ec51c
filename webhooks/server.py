"""Running the app under gunicorn, a production WSGI server, from Python (``refnet serve``).

Each gunicorn worker process builds its own app (store connection pool, inbox worker
thread); the inbox claims make that safe. The app factory runs in the workers, not in the
master, so no thread or connection crosses a fork.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

__all__ = ["GunicornServer"]


class GunicornServer(BaseApplication):
    def __init__(self, factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:  # a WSGI callable; the stubs' union does not name Flask
        return self._factory()
