"""Salesforce adapter: simple-salesforce behind refnet's CRM adapter interface.

The only package (with ``adapters.hubspot``) that imports a vendor SDK. Modules: ``client``
(login flows), ``errors`` (the one classifier), ``retry`` (the one retry layer), ``budget``
(daily API budget), ``adapter`` (upserts), ``bulk`` (Bulk API 2.0), ``pull`` (incremental
reads), ``metadata`` / ``sfdx`` / ``provision`` (schema), ``cli`` (``refnet salesforce``).
"""

from adapters.salesforce.adapter import COLLECTION_SIZE, SalesforceAdapter
from adapters.salesforce.client import make_salesforce_client
from adapters.salesforce.errors import ApiBudgetExhausted, ApiLimitReached, ProvisioningError

__all__ = [
    "COLLECTION_SIZE",
    "ApiBudgetExhausted",
    "ApiLimitReached",
    "ProvisioningError",
    "SalesforceAdapter",
    "make_salesforce_client",
]
