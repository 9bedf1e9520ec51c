"""The ``sandbox-hubspot`` sync target: the HubSpot adapter against a sandbox started in-process.

``refnet sync --target sandbox-hubspot`` needs no HubSpot portal and nothing running: it
starts the sandbox on loopback from its state directory (records persist between runs, next
to the Salesforce side's) with a portal that already holds contacts, companies and a second
deal pipeline, as a customer's does (:mod:`adapters.sandbox.hubspot_portal_seed`); it prints
how many contacts and companies the portal holds before and after the sync (the proof that
linking creates no duplicates), provisions the HubSpot schema from the mappings (a provisioned
portal only reads) and hands the engine the real HubSpot adapter and hubspot-api-client
pointed at it. The portal ids are kept in the sandbox's state directory, apart from a real
portal's file. The servers stop when the command exits.
"""

from __future__ import annotations

import atexit

from pydantic import SecretStr

from adapters.hubspot.adapter import HubSpotAdapter
from adapters.hubspot.target import writable_objects
from adapters.sandbox.server import Sandbox, SandboxConfig, start_sandbox
from connector.i18n import format_number, ngettext
from connector.i18n import gettext as _
from connector.settings import Settings
from connector.sync.targets import SyncTarget
from mappings.loader import load_mappings

__all__ = ["build_target", "hubspot_adapter"]

PORTAL_FILE = "hubspot-portal.json"


def hubspot_adapter(settings: Settings, sandbox: Sandbox) -> HubSpotAdapter:
    """The real HubSpot adapter, with the sandbox's token and loopback host."""
    sandbox_settings = settings.hubspot.model_copy(
        update={"access_token": SecretStr(sandbox.hubspot_token), "host": sandbox.hubspot_url}
    )
    return HubSpotAdapter(
        sandbox_settings,
        load_mappings("hubspot"),
        portal_file=settings.sandbox_dir / PORTAL_FILE,
    )


def _print_counts(sandbox: Sandbox, after: bool) -> None:
    counts = sandbox.hubspot_counts()
    line = (
        _("HubSpot portal after the sync: {contacts}, {companies}, {deals}")
        if after
        else _("HubSpot portal before the sync: {contacts}, {companies}, {deals}")
    )
    contacts, companies, deals = counts["contacts"], counts["companies"], counts["deals"]
    print(  # the demo's evidence, on the command's own output
        line.format(
            contacts=ngettext("{count} contact", "{count} contacts", contacts).format(
                count=format_number(contacts)
            ),
            companies=ngettext("{count} company", "{count} companies", companies).format(
                count=format_number(companies)
            ),
            deals=ngettext("{count} deal", "{count} deals", deals).format(
                count=format_number(deals)
            ),
        ),
        flush=True,
    )


def build_target(settings: Settings) -> SyncTarget:
    sandbox = start_sandbox(settings.sandbox_dir, SandboxConfig(hubspot_populated=True))
    atexit.register(sandbox.stop)
    _print_counts(sandbox, after=False)
    atexit.register(_print_counts, sandbox, after=True)  # runs before the stop
    adapter = hubspot_adapter(settings, sandbox)
    adapter.provision()
    return SyncTarget("sandbox-hubspot", adapter, writable_objects(adapter, settings))
