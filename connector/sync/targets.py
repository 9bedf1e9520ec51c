"""Sync targets: a CRM adapter plus the objects to sync into it, contributed by adapters.

Adapters register a factory in the ``refnet.targets`` entry-point group; the connector looks
it up by name, so it never imports a vendor SDK itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

from connector.crm import CrmAdapter
from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.settings import Settings
from connector.sync.objects import SyncObject
from connector.sync.outcomes import DealSource

__all__ = ["TARGET_GROUP", "SyncTarget", "available_targets", "load_target"]

TARGET_GROUP = "refnet.targets"


@dataclass(frozen=True)
class SyncTarget:
    name: str
    adapter: CrmAdapter
    objects: Sequence[SyncObject]
    # The CRM's deals, whose outcomes the sync reads (None: the target has none to read).
    deals: DealSource | None = None

    def select(self, names: Sequence[str]) -> list[SyncObject]:
        """The objects named (by CRM name or refnet kind), all of them when none are named."""
        if not names:
            return list(self.objects)
        chosen = [o for o in self.objects if o.name in names or o.kind in names]
        unknown = set(names) - {o.name for o in chosen} - {o.kind for o in chosen}
        if unknown:
            known = ", ".join(sorted(o.kind for o in self.objects))
            raise ConfigError(
                _("unknown object(s) {unknown}; known: {known}").format(
                    unknown=", ".join(sorted(unknown)), known=known
                )
            )
        return chosen


TargetFactory = Callable[[Settings], SyncTarget]


def available_targets() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=TARGET_GROUP))


def load_target(name: str, settings: Settings) -> SyncTarget:
    found = {ep.name: ep for ep in entry_points(group=TARGET_GROUP)}
    if name not in found:
        raise ConfigError(
            _("unknown sync target '{name}'; available: {found}").format(
                name=name, found=", ".join(sorted(found)) or _("none")
            )
        )
    factory: TargetFactory = found[name].load()
    return factory(settings)
