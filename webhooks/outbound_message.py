"""Salesforce Outbound Messages: the SOAP envelope in, the ``<Ack>`` out.

Parsed with defusedxml and with DTDs forbidden outright: SOAP 1.1 says a message must not
contain a document type declaration, so refusing one costs nothing and closes entity
expansion ("billion laughs") and external entities at once. Outbound Messages carry no
signature; the caller checks ``organization_id`` against the configured org ids. The
``SessionId`` element (a live Salesforce session when "Send Session ID" is on) is never
read, stored or logged.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET  # types and ParseError only; parsing is defused
from dataclasses import dataclass, field
from datetime import datetime

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from connector.errors import InputError
from connector.events import InboundEvent
from connector.i18n import gettext as _

__all__ = [
    "ACK",
    "MAX_NOTIFICATIONS",
    "OutboundMessage",
    "OutboundNotification",
    "outbound_to_inbound",
    "parse_outbound_message",
    "scan_organization_id",
]

MAX_NOTIFICATIONS = 100  # the WSDL's maxOccurs
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OM_NS = "http://soap.sforce.com/2005/09/outbound"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_OCCURRED_FIELDS = ("SystemModstamp", "LastModifiedDate", "CreatedDate")

# Envelope/Body/notifications/Notification/sObject/field is six levels; the WSDL allows no
# more. A few spare levels, then the parse stops: deep nesting costs nothing beyond them.
MAX_DEPTH = 12
# 100 notifications of a few dozen fields each fit many times over.
MAX_ELEMENTS = 20_000
# Salesforce writes OrganizationId as the first child of <notifications>, a few hundred
# bytes into the message; the scan never reads further than this.
SCAN_BYTES = 4096
_ORG_ID_IN_PREFIX = re.compile(
    rb"<(?:[A-Za-z_][A-Za-z0-9_.-]*:)?OrganizationId>\s*([A-Za-z0-9]{15,18})\s*</"
)

ACK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soapenv:Body>"
    b'<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
    b"<Ack>true</Ack>"
    b"</notificationsResponse>"
    b"</soapenv:Body>"
    b"</soapenv:Envelope>"
)


@dataclass(frozen=True)
class OutboundNotification:
    notification_id: str
    object_type: str
    object_id: str
    fields: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str | None
    notifications: list[OutboundNotification]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.get(f"{{{XSI}}}nil") == "true":
        return None
    return (element.text or "").strip()


def _notification(element: ET.Element, position: int) -> OutboundNotification:
    where = f"salesforce outbound message: Notification {position}"
    notification_id = _text(element.find(f"{{{OM_NS}}}Id"))
    sobject = element.find(f"{{{OM_NS}}}sObject")
    if not notification_id or sobject is None:
        raise InputError(_("{where}: needs Id and sObject").format(where=where))
    declared = sobject.get(f"{{{XSI}}}type") or ""
    object_type = declared.rsplit(":", 1)[-1]
    fields = {_local(child.tag): _text(child) for child in sobject}
    object_id = fields.get("Id")
    if not object_type or not object_id:
        raise InputError(_("{where}: sObject needs xsi:type and Id").format(where=where))
    if len(notification_id) > 64 or len(object_id) > 64 or len(object_type) > 64:
        raise InputError(_("{where}: Id, type or record Id too long").format(where=where))
    return OutboundNotification(notification_id, object_type, object_id, fields)


def scan_organization_id(body: bytes) -> str | None:
    """The OrganizationId found in the first :data:`SCAN_BYTES` bytes, without parsing.

    Lets the endpoint refuse a sender it does not know before any XML work; the full parse
    later must find the same id, so a decoy placed early cannot smuggle a message through.
    """
    found = _ORG_ID_IN_PREFIX.search(body, 0, SCAN_BYTES)
    return found.group(1).decode("ascii") if found else None


def _bounded_tree(body: bytes) -> ET.Element:
    """Parse with DTDs refused, stopping as soon as the nesting or element count is over."""
    root: ET.Element | None = None
    depth = elements = 0
    events = iterparse(
        io.BytesIO(body),
        events=("start", "end"),
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    for event, element in events:
        if event == "end":
            depth -= 1
            continue
        root = element if root is None else root
        depth += 1
        elements += 1
        if depth > MAX_DEPTH or elements > MAX_ELEMENTS:
            raise InputError(
                _(
                    "salesforce outbound message: more than {depth} levels or {elements} "
                    "elements (an Outbound Message has six levels)"
                ).format(depth=MAX_DEPTH, elements=MAX_ELEMENTS)
            )
    if root is None:
        raise ET.ParseError("no element")
    return root


def parse_outbound_message(body: bytes) -> OutboundMessage:
    """The notifications of an Outbound Message; :class:`InputError` says what is wrong."""
    try:
        root = _bounded_tree(body)
    except DefusedXmlException:
        raise InputError(
            _("salesforce outbound message: DTDs and entities are refused (SOAP forbids them)")
        ) from None
    except ET.ParseError:
        raise InputError(
            _("salesforce outbound message: the body is not well-formed XML")
        ) from None
    # An encoding Python does not know (LookupError: encoding="ATF-8") or expat cannot use
    # (ValueError: "multi-byte encodings are not supported").
    except (LookupError, ValueError):
        raise InputError(_("salesforce outbound message: unsupported XML encoding")) from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise InputError(_("salesforce outbound message: not a SOAP envelope"))
    notifications = root.find(f"{{{SOAP_ENV}}}Body/{{{OM_NS}}}notifications")
    if notifications is None:
        raise InputError(_("salesforce outbound message: no notifications element"))
    organization_id = _text(notifications.find(f"{{{OM_NS}}}OrganizationId"))
    if not organization_id:
        raise InputError(_("salesforce outbound message: OrganizationId missing"))
    items = notifications.findall(f"{{{OM_NS}}}Notification")
    if not items:
        raise InputError(_("salesforce outbound message: no Notification"))
    if len(items) > MAX_NOTIFICATIONS:
        raise InputError(
            _(
                "salesforce outbound message: {count} notifications, at most {maximum} allowed"
            ).format(count=len(items), maximum=MAX_NOTIFICATIONS)
        )
    return OutboundMessage(
        organization_id,
        _text(notifications.find(f"{{{OM_NS}}}ActionId")),
        [_notification(item, position) for position, item in enumerate(items, start=1)],
    )


def _occurred_at(fields: dict[str, str | None], received_at: datetime) -> datetime:
    """When the change happened: the record's modstamp if the message sends it.

    An Outbound Message has no event time of its own and is retried for up to a day, so
    the receipt time is only a fallback; include ``SystemModstamp`` in the message's
    fields to get occurrence-time ordering.
    """
    for name in _OCCURRED_FIELDS:
        value = fields.get(name)
        if value:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                return parsed
    return received_at


def outbound_to_inbound(
    message: OutboundMessage, notification: OutboundNotification, *, received_at: datetime
) -> InboundEvent:
    return InboundEvent(
        provider="salesforce",
        event_id=f"om:{notification.notification_id}",
        event_type=f"{notification.object_type.lower()}.outbound",
        object_type=notification.object_type.lower(),
        object_id=notification.object_id,
        occurred_at=_occurred_at(notification.fields, received_at),
        account_id=message.organization_id[:64],
        properties=notification.fields,
    )
