"""The HubSpot sync target: the adapter plus every mapped object the portal can hold.

Registered as ``hubspot`` in the ``refnet.targets`` entry points, so ``refnet sync --target
hubspot`` finds it without the connector importing hubspot-api-client. The portal must have
been provisioned (``refnet hubspot provision``): the portal file says whether it has custom
objects, and objects it cannot hold (clubs, memberships, ... in properties-only mode) are
left out of the target.
"""

from __future__ import annotations

from adapters.hubspot.adapter import HubSpotAdapter
from adapters.hubspot.portal import default_portal_file
from connector.settings import Settings
from connector.sync.targets import SyncTarget
from mappings.loader import load_mappings
from mappings.objects import MappedObject, mapped_objects

__all__ = ["build_target", "writable_objects"]


def build_target(settings: Settings) -> SyncTarget:
    mappings = load_mappings("hubspot")
    adapter = HubSpotAdapter(settings.hubspot, mappings, portal_file=default_portal_file(settings))
    return SyncTarget("hubspot", adapter, writable_objects(adapter, settings))


def writable_objects(adapter: HubSpotAdapter, settings: Settings) -> list[MappedObject]:
    """The adapter's mapped objects, parents first, less those the portal cannot hold."""
    objects = mapped_objects(
        adapter.mappings,
        settings.rules.multiplier,
        connector_config=settings.intelligence.connector,
        rules=settings.rules,
        paths=settings.intelligence.paths,
        money=settings.money,
    )
    return [o for o in objects if adapter.writable(o.name)]
