"""The ``sandbox`` sync target: the Salesforce adapter against a sandbox started in-process.

``refnet sync --target sandbox`` needs no CRM account and nothing running: it starts the
sandbox on loopback from its state directory (so records persist between runs), provisions
the schema from the mappings (idempotent), and hands the engine the real Salesforce adapter
and client library pointed at it. The servers stop when the command exits.
"""

from __future__ import annotations

import atexit
import os
import time
from collections.abc import Callable

from pydantic import SecretStr

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.sandbox.server import Sandbox, SandboxConfig, start_sandbox
from connector.settings import Settings
from connector.sync.outcomes import DealSource
from connector.sync.targets import SyncTarget
from mappings.loader import load_mappings
from mappings.objects import mapped_objects

__all__ = ["build_target", "salesforce_adapter"]


def salesforce_adapter(
    settings: Settings, sandbox: Sandbox, *, sleep: Callable[[float], None] = time.sleep
) -> SalesforceAdapter:
    """The real Salesforce adapter, logged in to the sandbox by session id."""
    # zeep (the Metadata API client) builds its own HTTP session that only trusts the
    # environment's CA bundle; the combined bundle adds the sandbox CA to the public roots.
    os.environ["REQUESTS_CA_BUNDLE"] = sandbox.combined_ca_bundle
    sandbox_settings = settings.salesforce.model_copy(
        update={
            "session_id": SecretStr(sandbox.session_id),
            "instance_url": sandbox.salesforce_url,
            "api_version": sandbox.api_version,
            "username": None,
            "password": None,
            "consumer_key": None,
        }
    )
    return SalesforceAdapter(
        sandbox_settings,
        load_mappings("salesforce", settings.salesforce.mappings_dir),
        session=sandbox.salesforce_session(),
        request_timeout=settings.salesforce.request_timeout,
        sleep=sleep,
    )


def build_target(settings: Settings) -> SyncTarget:
    # A customer's org as the README tells the admin to set it up: it already holds
    # Accounts and Contacts, and refnet logs in as an integration user with the Minimum
    # Access profile, so every object and field the sync touches comes from
    # Refnet_Integration, which provision() deploys and assigns.
    sandbox = start_sandbox(
        settings.sandbox_dir,
        SandboxConfig(salesforce_populated=True, salesforce_profile="minimum_access"),
    )
    atexit.register(sandbox.stop)
    adapter = salesforce_adapter(settings, sandbox)
    adapter.provision()
    objects = mapped_objects(
        adapter.mappings,
        settings.rules.multiplier,
        connector_config=settings.intelligence.connector,
        money=settings.money,
    )
    return SyncTarget(
        "sandbox",
        adapter,
        objects,
        # Won and lost Opportunities reach refnet through the sync alone.
        DealSource("Opportunity", "salesforce", rules=settings.rules),
    )
