"""The webhook service (Flask): verifies CRM events and hands them to the connector.

Not built yet; see the webhook issue. The package exists because the layout is fixed.
"""

__all__: list[str] = []
