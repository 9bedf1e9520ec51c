"""Naming rules per CRM: which object, field and relationship names a mapping may use.

Salesforce API names are letters, digits and single underscores, custom ones ending in
``__c``; HubSpot's internal names are lower_snake_case and custom objects are every object
that is not one of HubSpot's standard ones. The loader picks the rule by the CRM whose
mappings it loads (``load_mappings("hubspot")``) and hands it to validation through
pydantic's validation context; a spec validated without one gets Salesforce's rule, as it
always did. Adapters rely on these patterns when they splice names into queries and paths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "HUBSPOT",
    "HUBSPOT_STANDARD_OBJECTS",
    "NAMING_CONTEXT_KEY",
    "SALESFORCE",
    "NameKind",
    "NamingRule",
    "naming_rule",
    "rule_from_context",
]

NameKind = Literal["api_name", "custom_name", "relationship"]
NAMING_CONTEXT_KEY = "naming"

_SF_CUSTOM = r"[A-Za-z](?:[A-Za-z0-9]|_(?!_)){0,39}__c"
_SF_STANDARD = r"[A-Za-z][A-Za-z0-9]{0,39}"
# HubSpot internal names: a lower-case letter, then lower-case letters, digits, underscores.
_HS_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")

# Objects every HubSpot portal has; any other object name is a custom object (Enterprise).
HUBSPOT_STANDARD_OBJECTS = frozenset(
    {
        "contacts",
        "companies",
        "deals",
        "tickets",
        "products",
        "line_items",
        "quotes",
        "calls",
        "emails",
        "meetings",
        "notes",
        "tasks",
    }
)


@dataclass(frozen=True)
class NamingRule:
    """The names one CRM accepts, and how it tells custom objects from standard ones."""

    crm: str
    api_name: re.Pattern[str]
    api_name_text: str
    custom_name: re.Pattern[str]
    custom_name_text: str
    relationship: re.Pattern[str]
    relationship_text: str
    custom_suffix: str | None = None  # Salesforce: custom names end in __c
    standard_objects: frozenset[str] = frozenset()  # HubSpot: everything else is custom
    name_field: bool = True  # custom objects have a Name field (Salesforce only)

    def pattern(self, kind: NameKind) -> tuple[re.Pattern[str], str]:
        """The pattern for ``kind`` of name and how to describe it in an error."""
        if kind == "api_name":
            return self.api_name, self.api_name_text
        if kind == "custom_name":
            return self.custom_name, self.custom_name_text
        return self.relationship, self.relationship_text

    def is_custom(self, object_name: str) -> bool:
        """Whether ``object_name`` is a custom object of this CRM."""
        if self.custom_suffix is not None:
            return object_name.endswith(self.custom_suffix)
        return object_name.casefold() not in self.standard_objects


SALESFORCE = NamingRule(
    crm="salesforce",
    api_name=re.compile(rf"^(?:{_SF_CUSTOM}|{_SF_STANDARD})$"),
    api_name_text="API name (letters, digits, single _)",
    custom_name=re.compile(rf"^{_SF_CUSTOM}$"),
    custom_name_text="custom API name ending in __c",
    relationship=re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_)){0,39}(?<!_)$"),
    relationship_text="relationship name",
    custom_suffix="__c",
)

HUBSPOT = NamingRule(
    crm="hubspot",
    api_name=_HS_NAME,
    api_name_text="HubSpot name (lower_snake_case: a-z, 0-9, _; starting with a letter)",
    custom_name=_HS_NAME,
    custom_name_text="HubSpot property name (lower_snake_case: a-z, 0-9, _)",
    relationship=_HS_NAME,
    relationship_text="HubSpot association label name (lower_snake_case)",
    standard_objects=HUBSPOT_STANDARD_OBJECTS,
    name_field=False,
)

_RULES = {rule.crm: rule for rule in (SALESFORCE, HUBSPOT)}


def naming_rule(crm: str) -> NamingRule:
    """The rule for ``crm``; CRMs without their own rule use Salesforce's (the original one)."""
    return _RULES.get(crm, SALESFORCE)


def rule_from_context(context: Any) -> NamingRule:
    """The rule a validation context names (``{"naming": rule}``); Salesforce's without one."""
    if isinstance(context, Mapping):
        rule = context.get(NAMING_CONTEXT_KEY)
        if isinstance(rule, NamingRule):
            return rule
    return SALESFORCE
