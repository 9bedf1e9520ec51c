"""What every command needs: the settings (read once) and the store (opened on first use)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from connector.services import Actor
from connector.settings import Settings, load_settings
from connector.store import Store

__all__ = ["CliState"]


@dataclass
class CliState:
    settings: Settings = field(default_factory=load_settings)
    _store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.settings.database_url)
        return self._store

    @property
    def actor(self) -> Actor:
        return Actor(self.settings.actor)

    @property
    def safe_database_url(self) -> str:
        """The database URL with any password masked, fit for output."""
        return make_url(self.settings.database_url).render_as_string(hide_password=True)
