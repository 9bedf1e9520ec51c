"""HubSpot adapter: hubspot-api-client behind refnet's CRM adapter interface.

The only package (with ``adapters.salesforce``) that imports a vendor SDK. Modules:
``client`` (client factory, no urllib3 retries, one request hook), ``errors`` (the one
classifier), ``ratelimit`` (the client-side limiter), ``retry`` (the one retry layer),
``portal`` (the portal's ids), ``schema`` / ``provision`` / ``provision_steps`` (schema),
``plans`` / ``writes`` / ``associations`` (upserts), ``pull`` (incremental reads),
``adapter`` (the CrmAdapter), ``target`` and ``cli`` (``refnet hubspot``).
"""

from adapters.hubspot.adapter import HubSpotAdapter
from adapters.hubspot.client import make_hubspot_client
from adapters.hubspot.errors import (
    AccessDenied,
    DailyLimitReached,
    ProvisioningError,
    RequestRejected,
)
from adapters.hubspot.portal import PortalFile, PortalIds, default_portal_file
from adapters.hubspot.ratelimit import RateLimiter

__all__ = [
    "AccessDenied",
    "DailyLimitReached",
    "HubSpotAdapter",
    "PortalFile",
    "PortalIds",
    "ProvisioningError",
    "RateLimiter",
    "RequestRejected",
    "default_portal_file",
    "make_hubspot_client",
]
