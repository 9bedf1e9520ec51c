"""The HubSpot webhook subscriptions refnet acts on, derived from the event rules.

One source for two consumers: ``refnet hubspot app-config`` writes these subscriptions into
the generated app, and :func:`connector.events.interpret` is what acts on the events. The
properties come from :class:`connector.events.EventRules`, so renaming a property there
changes both. Creation events carry no property values in HubSpot's payload, so refnet
subscribes to the property changes that carry what it reads, not to creations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from connector.events import EventRules

__all__ = ["PARTNER_OBJECT", "Subscription", "hubspot_subscriptions"]

PARTNER_OBJECT = "refnet_partnership"  # the custom object of the Network Partners board


@dataclass(frozen=True, order=True)
class Subscription:
    """One subscription: HubSpot object, event kind and (for property changes) the property."""

    object_type: str  # "contact", "deal" or a custom object's name
    event: Literal["propertyChange", "associationChange"]
    property_name: str | None = None

    @property
    def legacy_type(self) -> str:
        """The object-specific subscription type (``deal.propertyChange``)."""
        return f"{self.object_type}.{self.event}"


def _hubspot_names(names: tuple[str, ...]) -> list[str]:
    # The rules hold both CRMs' names; HubSpot's internal property names are lower case
    # (Salesforce's are CamelCase or end in __c).
    return sorted({name for name in names if name == name.lower() and "__" not in name})


def hubspot_subscriptions(rules: EventRules) -> list[Subscription]:
    """Every subscription whose events :func:`connector.events.interpret` turns into intents."""
    deal_properties = (
        rules.stage_properties
        + rules.won_flag_properties
        + rules.referral_id_properties
        + rules.referred_by_properties
    )
    found = [
        Subscription("deal", "propertyChange", name) for name in _hubspot_names(deal_properties)
    ]
    if rules.deal_contact_associations:
        found.append(Subscription("deal", "associationChange"))
    found += [
        Subscription("contact", "propertyChange", name)
        for name in _hubspot_names(rules.referred_by_properties)
    ]
    found += [
        Subscription(PARTNER_OBJECT, "propertyChange", name)
        for name in _hubspot_names(rules.partner_stage_properties)
    ]
    return sorted(set(found))
