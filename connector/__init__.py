"""refnet's domain: the referral-network model, its rules, scores, store and admin CLI.

This package imports no CRM SDK and no web framework; adapters and webhooks depend on it,
never the other way round.
"""

__all__: list[str] = []
