"""The webhook service (Flask): verifies CRM events, stores them durably, hands them on.

Blueprints per provider parse and verify; the connector's inbox stores each event exactly
once and its worker applies the stage rules. Nothing here holds a business rule.
"""

from webhooks.app import create_app

__all__ = ["create_app"]
