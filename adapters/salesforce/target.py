"""The Salesforce sync target: the adapter plus every mapped object, parents first.

Registered as ``salesforce`` in the ``refnet.targets`` entry points, so ``refnet sync
--target salesforce`` finds it without the connector importing simple-salesforce.
"""

from __future__ import annotations

from adapters.salesforce.adapter import SalesforceAdapter
from connector.settings import Settings
from connector.sync.outcomes import DealSource
from connector.sync.targets import SyncTarget
from mappings.loader import load_mappings
from mappings.objects import mapped_objects

__all__ = ["build_target"]


def build_target(settings: Settings) -> SyncTarget:
    mappings = load_mappings("salesforce", settings.salesforce.mappings_dir)
    adapter = SalesforceAdapter(
        settings.salesforce, mappings, request_timeout=settings.salesforce.request_timeout
    )
    objects = mapped_objects(
        mappings,
        settings.rules.multiplier,
        connector_config=settings.intelligence.connector,
        money=settings.money,
    )
    return SyncTarget(
        "salesforce",
        adapter,
        objects,
        # Won and lost Opportunities reach refnet through the sync alone.
        DealSource("Opportunity", "salesforce", rules=settings.rules),
    )
