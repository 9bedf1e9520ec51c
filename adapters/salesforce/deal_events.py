"""Deal events that install: the fields refnet's events read, Outbound Messages and the Flows.

Salesforce retired Workflow Rules; what remains of the ``Workflow`` metadata type is its
actions, and the Outbound Message is one a record-triggered Flow can call ("Send Outbound
Message" core action, ``actionType`` ``outboundMessage``, ``actionName``
``<Object>.<Message>``). So refnet ships, per object:

* ``Workflow`` ``Opportunity`` / ``Contact`` holding only the Outbound Message
  ``Refnet_Deal_Event`` / ``Refnet_Contact_Event`` (no rules), and
* a record-triggered, after-save Flow that calls it: on Opportunities when they are
  created or their stage or referral id changes, on Contacts when ``Referred_By__c`` is set.

The message posts to ``<webhook base URL>/salesforce/outbound/<token>``: the token is the
secret the webhook compares in constant time (``REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN``),
so a forged message with a known organisation id is refused. The token is written into the
message's endpoint and nowhere else; :class:`OutboundEndpoint` never shows it in ``repr``.
No Apex is shipped, so there is no test class to keep at 75 % coverage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from adapters.salesforce.metadata import Component, InOrder
from connector.errors import ConfigError
from connector.i18n import gettext as _
from mappings.spec import MappingSet

__all__ = [
    "CONTACT_FLOW",
    "CONTACT_MESSAGE",
    "OPPORTUNITY_FLOW",
    "OPPORTUNITY_MESSAGE",
    "OUTBOUND_PATH",
    "OutboundEndpoint",
    "deal_event_components",
    "event_fields",
]

OUTBOUND_PATH = "/salesforce/outbound/"
OPPORTUNITY_MESSAGE = "Refnet_Deal_Event"
CONTACT_MESSAGE = "Refnet_Contact_Event"
OPPORTUNITY_FLOW = "Refnet_Deal_Event"
CONTACT_FLOW = "Refnet_Contact_Event"
REFERRAL_ID_FIELD = "Refnet_Referral_Id__c"
REFERRED_BY_FIELD = "Referred_By__c"
# Only characters that need no escaping in a URL path, and enough of them to be a secret:
# the same rule the webhook service applies to the setting (webhooks/settings.py), so a
# token the package was built with is never one the service refuses to start with.
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{32,}")

# What each message carries: what connector/events.py reads, plus SystemModstamp, since an
# Outbound Message has no event time of its own.
_OPPORTUNITY_FIELDS = [
    "Amount",
    "Id",
    "IsClosed",
    "IsWon",
    REFERRAL_ID_FIELD,
    "StageName",
    "SystemModstamp",
]
_CONTACT_FIELDS = ["Email", "FirstName", "Id", "LastName", REFERRED_BY_FIELD, "SystemModstamp"]


@dataclass(frozen=True)
class OutboundEndpoint:
    """Where Salesforce sends deal events, and as whom (the message's integration user)."""

    base_url: str
    token: SecretStr = field(repr=False)
    integration_user: str
    api_version: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
            raise ConfigError(
                _(
                    "--webhook-base-url must be https://host[/prefix] (the token travels in the "
                    "path)"
                )
            )
        if not _TOKEN.fullmatch(self.token.get_secret_value()):
            raise ConfigError(
                _(
                    "REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN must be at least 32 characters of "
                    "A-Z a-z 0-9 _ -"
                )
            )
        if not self.integration_user.strip():
            raise ConfigError(
                _("--outbound-user must name the Salesforce user the messages run as")
            )

    @property
    def url(self) -> str:
        return f"{self.base_url.rstrip('/')}{OUTBOUND_PATH}{self.token.get_secret_value()}"


def event_fields(mappings: MappingSet) -> list[Component]:
    """``Opportunity.Refnet_Referral_Id__c`` and ``Contact.Referred_By__c``.

    Sales users fill them: the referral a deal came from (refnet's referral id), and who
    referred a new Contact (a refnet member id, an e-mail or a Contact id).
    """
    referral = next((m for m in mappings.mappings if m.name == "referral"), None)
    length = referral.spec.external_id.length if referral is not None else 64
    return [
        Component(
            "CustomField",
            f"Opportunity.{REFERRAL_ID_FIELD}",
            {
                "label": "Refnet Referral Id",
                "type": "Text",
                "length": length,
                "required": False,
                "description": "The refnet referral this deal came from; refnet credits it.",
                # English like every master label; German users read the translation
                # (adapters.salesforce.translations).
                "inlineHelpText": "The refnet referral number, e.g. from the referral list.",
            },
        ),
        Component(
            "CustomField",
            f"Contact.{REFERRED_BY_FIELD}",
            {
                "label": "Referred By",
                "type": "Text",
                "length": 255,
                "required": False,
                "description": "Who referred this contact: refnet member id, e-mail or Contact id.",
                "inlineHelpText": "Who referred this contact? An e-mail or a refnet id.",
            },
        ),
    ]


def _outbound_message(
    endpoint: OutboundEndpoint, name: str, label: str, fields: list[str]
) -> dict[str, object]:
    return {
        "fullName": name,
        "apiVersion": float(endpoint.api_version.removeprefix("v")),
        "description": "Sends the record to refnet's webhook; called by a refnet Flow.",
        "endpointUrl": endpoint.url,
        "fields": fields,
        "includeSessionId": False,  # refnet never reads it: a session id is not sent away
        "integrationUser": endpoint.integration_user,
        "name": label,
        "protected": False,
        "useDeadLetterQueue": False,
    }


def _flow(
    endpoint: OutboundEndpoint, obj: str, message: str, label: str, entry_formula: str
) -> InOrder:
    # Elements of FlowNode subtypes: the base types' elements first (FlowElement ``name``,
    # FlowNode ``label``/``locationX``/``locationY``), then the subtype's, as the schema says.
    action = InOrder(
        name="Send_To_Refnet",
        label="Send to refnet",
        locationX=176,
        locationY=323,
        actionName=f"{obj}.{message}",
        actionType="outboundMessage",
        flowTransactionModel="CurrentTransaction",
    )
    start = InOrder(
        locationX=50,
        locationY=0,
        connector=InOrder(targetReference="Send_To_Refnet"),
        filterFormula=entry_formula,
        object=obj,
        recordTriggerType="CreateAndUpdate",
        triggerType="RecordAfterSave",  # Outbound Messages run only after save
    )
    return InOrder(
        actionCalls=[action],
        apiVersion=float(endpoint.api_version.removeprefix("v")),
        description=f"refnet: sends {obj} changes to the referral network (Outbound Message).",
        environments=["Default"],
        interviewLabel=f"{label} {{!$Flow.CurrentDateTime}}",
        label=label,
        processMetadataValues=[
            InOrder(name="BuilderType", value=InOrder(stringValue="LightningFlowBuilder")),
            InOrder(name="CanvasMode", value=InOrder(stringValue="AUTO_LAYOUT_CANVAS")),
            InOrder(name="OriginBuilderType", value=InOrder(stringValue="LightningFlowBuilder")),
        ],
        processType="AutoLaunchedFlow",
        start=start,
        status="Active",
    )


def deal_event_components(endpoint: OutboundEndpoint) -> list[Component]:
    """The Outbound Messages (in their objects' ``Workflow``) and the Flows that send them."""
    return [
        Component(
            "Workflow",
            "Opportunity",
            {
                "outboundMessages": [
                    _outbound_message(
                        endpoint, OPPORTUNITY_MESSAGE, "Refnet Deal Event", _OPPORTUNITY_FIELDS
                    )
                ]
            },
        ),
        Component(
            "Workflow",
            "Contact",
            {
                "outboundMessages": [
                    _outbound_message(
                        endpoint, CONTACT_MESSAGE, "Refnet Contact Event", _CONTACT_FIELDS
                    )
                ]
            },
        ),
        Component(
            "Flow",
            OPPORTUNITY_FLOW,
            _flow(
                endpoint,
                "Opportunity",
                OPPORTUNITY_MESSAGE,
                "Refnet Deal Event",
                f"ISNEW() || ISCHANGED({{!$Record.StageName}}) || "
                f"ISCHANGED({{!$Record.{REFERRAL_ID_FIELD}}})",
            ),
        ),
        Component(
            "Flow",
            CONTACT_FLOW,
            _flow(
                endpoint,
                "Contact",
                CONTACT_MESSAGE,
                "Refnet Contact Event",
                f"NOT(ISBLANK({{!$Record.{REFERRED_BY_FIELD}}})) && "
                f"(ISNEW() || ISCHANGED({{!$Record.{REFERRED_BY_FIELD}}}))",
            ),
        ),
    ]
