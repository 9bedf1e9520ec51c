"""A local CRM sandbox: the subset of Salesforce's and HubSpot's APIs refnet uses.

Two loopback servers backed by one SQLite file answer with the documented shapes, so the
real client libraries (simple-salesforce over https, hubspot-api-client over http) run
against them unchanged; faults (rate limits, expired sessions, 5xx, rejected records)
are injectable. Start it with :func:`run_sandbox` (tests) or ``refnet sandbox`` (CLI).
"""

from adapters.sandbox.faults import Faults, HubSpotRateLimit, RecordRule
from adapters.sandbox.server import Sandbox, SandboxConfig, run_sandbox, start_sandbox

__all__ = [
    "Faults",
    "HubSpotRateLimit",
    "RecordRule",
    "Sandbox",
    "SandboxConfig",
    "run_sandbox",
    "start_sandbox",
]
