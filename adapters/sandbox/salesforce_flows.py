"""Record-triggered Flows that send Outbound Messages, run by the fake Salesforce.

Only what refnet's own Flows (adapters/salesforce/deal_events.py) use is implemented:

* an active (``status`` Active) Flow whose ``start`` has ``triggerType`` RecordAfterSave
  and ``recordTriggerType`` Create, Update or CreateAndUpdate on an object;
* its entry condition ``filterFormula`` built from ``ISNEW()``,
  ``ISCHANGED({!$Record.F})``, ``ISBLANK({!$Record.F})``, ``NOT(...)``, ``&&``, ``||``
  and parentheses ("Formula Operators and Functions": ``&&`` binds before ``||``);
* ``actionCalls`` of ``actionType`` outboundMessage naming ``<Object>.<Message>``.

A record-triggered Flow outside that subset is REFUSED at deploy time (``check_flow``):
the sandbox cannot run it, and accepting it silently would let a test believe it ran.
At run time a Flow whose Outbound Message has gone is skipped with a logged reason.

The message itself follows "Understanding Outbound Messaging" (Salesforce Help / SOAP API
Developer Guide, Outbound Messaging) and the notifications WSDL it links
(``http://soap.sforce.com/2005/09/outbound``): a SOAP 1.1 ``notifications`` request with
OrganizationId, ActionId, SessionId, EnterpriseUrl, PartnerUrl and up to 100
``Notification`` (Id, sObject), POSTed to the message's endpoint URL; the listener answers
``<Ack>true</Ack>``. Salesforce sends asynchronously and retries a message that is not
acknowledged, at exponentially growing intervals (at most two hours apart), for up to 24
hours ("Understanding Notifications"); the sandbox retries the same way but for a
configurable, much shorter time (``SandboxConfig.outbound_retry_for``). Sources:
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_understanding.htm
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_notifications.htm
https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm
refnet itself only ever deploys https endpoints (OutboundEndpoint), as a Salesforce org
reaching a public listener should use. The sandbox sends only to loopback hosts, over
https or, as a test convenience that is no claim about Salesforce, plain http, so a test
can run a simple local listener; any other endpoint is skipped with a logged reason and
never contacted, so nothing leaves the machine.
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import re
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

import requests

from adapters.sandbox.auth import ORG_ID
from adapters.sandbox.ids import salesforce_id
from adapters.sandbox.salesforce_records import RecordSaved

__all__ = [
    "Delivery",
    "FlowRunner",
    "OutboundSender",
    "check_flow",
    "parse_entry_formula",
]

_log = logging.getLogger(__name__)

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
_ENTERPRISE_NS = "urn:sobject.enterprise.soap.sforce.com"
_RUNNABLE_TRIGGERS = {"Create", "Update", "CreateAndUpdate"}
_LOOPBACK_NAMES = {"localhost"}

# -- the entry condition --------------------------------------------------------------------

Condition = Callable[[Mapping[str, Any] | None, Mapping[str, Any]], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\|)|(?P<open>\()|(?P<close>\))"
    r"|(?P<ref>\{!\$Record\.(?P<field>[A-Za-z][A-Za-z0-9_]*)\})"
    r"|(?P<fn>ISNEW|ISCHANGED|ISBLANK|NOT)\s*(?=\())"
)


class FormulaNotSupported(ValueError):
    """The formula uses something the sandbox cannot evaluate."""


def _blank(value: Any) -> bool:
    return value is None or value == ""


class _Parser:
    def __init__(self, formula: str, fields: set[str]) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = formula.rstrip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                raise FormulaNotSupported(f"cannot read {text[position : position + 20]!r}")
            kind = match.lastgroup or ""
            if kind == "field":
                kind = "ref"
            value = match.group("field") if kind == "ref" else match.group(kind)
            self.tokens.append((kind, value))
            position = match.end()
        self.at = 0
        self.fields = fields

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str) -> str:
        token = self.peek()
        if token is None or token[0] != kind:
            raise FormulaNotSupported(f"expected {kind} at token {self.at + 1}")
        self.at += 1
        return token[1]

    def parse(self) -> Condition:
        condition = self.either()
        if self.peek() is not None:
            raise FormulaNotSupported(f"unexpected {self.peek()!r}")
        return condition

    def either(self) -> Condition:
        parts = [self.both()]
        while self.peek() == ("op", "||"):
            self.at += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else lambda b, a: any(p(b, a) for p in parts)

    def both(self) -> Condition:
        parts = [self.single()]
        while self.peek() == ("op", "&&"):
            self.at += 1
            parts.append(self.single())
        return parts[0] if len(parts) == 1 else lambda b, a: all(p(b, a) for p in parts)

    def field(self) -> str:
        name = self.take("ref")
        known = {f.lower(): f for f in self.fields}
        if name.lower() not in known:
            raise FormulaNotSupported(f"no field {name} on the object")
        return known[name.lower()]

    def single(self) -> Condition:
        token = self.peek()
        if token == ("open", "("):
            self.at += 1
            inner = self.either()
            self.take("close")
            return inner
        function = self.take("fn")
        self.take("open")
        if function == "ISNEW":
            self.take("close")
            return lambda before, after: before is None
        if function == "NOT":
            inner = self.either()
            self.take("close")
            return lambda b, a: not inner(b, a)
        name = self.field()
        self.take("close")
        if function == "ISBLANK":
            return lambda before, after: _blank(after.get(name))
        # ISCHANGED is false when a record is created ("Formula Operators and Functions").
        return lambda before, after: before is not None and before.get(name) != after.get(name)


def parse_entry_formula(formula: str, fields: set[str]) -> Condition:
    """The entry condition as a predicate of (record before, record after)."""
    return _Parser(formula, fields).parse()


def _as_list(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value] if value else []
    return [item for item in items if isinstance(item, dict)]


def check_flow(spec: Mapping[str, Any], fields_of: Callable[[str], set[str]]) -> str | None:
    """Why the sandbox refuses this record-triggered Flow, or None if it can run it."""
    start = spec.get("start")
    if not isinstance(start, dict) or not start.get("triggerType"):
        return None  # not record-triggered: nothing runs on DML, nothing to evaluate
    name = spec.get("fullName", "")
    if start.get("triggerType") != "RecordAfterSave":
        return f"Flow {name}: the sandbox runs only RecordAfterSave record-triggered Flows"
    if start.get("recordTriggerType") not in _RUNNABLE_TRIGGERS:
        return f"Flow {name}: the sandbox runs only Create/Update record triggers"
    if str(start.get("doesRequireRecordChangedToMeetCriteria", "false")).lower() == "true":
        # "Only when a record is updated to meet the condition requirements": not modelled.
        return f"Flow {name}: the sandbox cannot run 'only when updated to meet the condition'"
    if start.get("filters") or start.get("filterLogic"):
        return f"Flow {name}: the sandbox evaluates only filterFormula entry conditions"
    obj = str(start.get("object", ""))
    formula = start.get("filterFormula")
    if formula:
        try:
            parse_entry_formula(str(formula), fields_of(obj))
        except FormulaNotSupported as problem:
            return f"Flow {name}: the sandbox cannot evaluate filterFormula: {problem}"
    element_kinds = set(spec) & {"assignments", "decisions", "recordUpdates", "loops"}
    if element_kinds:
        return f"Flow {name}: the sandbox runs only actionCalls, not {sorted(element_kinds)}"
    for action in _as_list(spec.get("actionCalls")):
        if action.get("actionType") != "outboundMessage":
            return f"Flow {name}: the sandbox runs only outboundMessage actions"
    return None


# -- the message ----------------------------------------------------------------------------


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # xsd:boolean
    return escape(str(value))


def notifications_envelope(
    *,
    action_id: str,
    instance_url: str,
    api_version: str,
    object_name: str,
    notifications: list[tuple[str, Mapping[str, Any]]],
    fields: list[str],
) -> bytes:
    """A ``notifications`` request as the Outbound Messaging WSDL defines it.

    ``SessionId`` is declared nillable in the WSDL and sent as ``xsi:nil`` when the
    message's ``includeSessionId`` is false, as in Salesforce's own sample message.
    """
    org15 = ORG_ID[:15]
    items = []
    for notification_id, record in notifications:
        values = "".join(
            f'<sf:{name} xsi:nil="true"/>'
            if record.get(name) is None
            else f"<sf:{name}>{_value(record.get(name))}</sf:{name}>"
            for name in fields
        )
        items.append(
            f"<Notification><Id>{notification_id}</Id>"
            f'<sObject xsi:type={quoteattr("sf:" + object_name)} xmlns:sf="{_ENTERPRISE_NS}">'
            f"{values}</sObject></Notification>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<soapenv:Body><notifications xmlns="{OUTBOUND_NS}">'
        f"<OrganizationId>{ORG_ID}</OrganizationId><ActionId>{action_id}</ActionId>"
        '<SessionId xsi:nil="true"/>'
        f"<EnterpriseUrl>{escape(instance_url)}/services/Soap/c/{api_version}/{org15}"
        "</EnterpriseUrl>"
        f"<PartnerUrl>{escape(instance_url)}/services/Soap/u/{api_version}/{org15}</PartnerUrl>"
        f"{''.join(items)}</notifications></soapenv:Body></soapenv:Envelope>"
    )
    return body.encode("utf-8")


def _acknowledged(response: requests.Response) -> bool:
    # The WSDL's notificationsResponse carries one boolean Ack; only true ends the retries.
    return (
        response.status_code == 200
        and re.search(rb"<(?:\w+:)?Ack>\s*true\s*</", response.content) is not None
    )


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_problem(url: str) -> str | None:
    """Why the sandbox will not send to ``url``, or None.

    https:// or http://, but only to a loopback host: the sandbox is a test double and
    never sends anything off this machine (an endpoint of a real deployment, such as
    ``https://refnet.example.com/...``, is skipped with a logged reason, not contacted).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "the endpoint URL must be https:// (or http:// to a loopback host)"
    if not _loopback(parts.hostname):
        if parts.scheme == "http":
            return "http:// endpoints are allowed only for loopback hosts in the sandbox"
        return "the sandbox sends Outbound Messages only to loopback hosts, not off the machine"
    return None


@dataclass
class Delivery:
    """One Outbound Message and what became of it (the sandbox's "Outbound Messages" queue)."""

    message: str
    url: str = field(repr=False)  # carries refnet's token
    # Builds the envelope at each attempt: Salesforce sends a record's data as it is when
    # the message goes out, not as it was when queued ("Understanding Notifications":
    # "if the information in the object changes after the notification is queued but
    # before it is sent, only the updated information will be delivered").
    compose: Callable[[], bytes] = field(repr=False)
    body: bytes = field(default=b"", repr=False)  # what the last attempt sent
    attempts: int = 0
    acknowledged: bool = False
    given_up: bool = False
    last_error: str = ""


class OutboundSender:
    """Posts queued messages from one background thread, retrying until acknowledged.

    Retries back off from ``first_retry`` seconds, doubling up to ``max_interval``, and
    stop after ``retry_for`` seconds (Salesforce: up to 24 hours).
    """

    def __init__(
        self,
        verify: str,
        *,
        retry_for: float = 60.0,
        first_retry: float = 0.2,
        max_interval: float = 5.0,
        timeout: float = 30.0,
    ) -> None:
        self.retry_for = retry_for
        self.first_retry = first_retry
        self.max_interval = max_interval
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._stopping = threading.Event()
        self._session = requests.Session()
        self._session.verify = verify  # the public roots plus the sandbox's own CA
        self._session.trust_env = False  # no proxy: the listener is on this machine
        self._thread = threading.Thread(target=self._run, name="sandbox-outbound", daemon=True)
        self._thread.start()

    def submit(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)
        self._queue.put(delivery)

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout=self.timeout + 5)
        self._session.close()

    def _run(self) -> None:
        while (delivery := self._queue.get()) is not None:
            self._deliver(delivery)

    def _post(self, delivery: Delivery) -> bool:
        delivery.attempts += 1
        delivery.body = delivery.compose()
        try:
            response = self._session.post(
                delivery.url,
                data=delivery.body,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            delivery.last_error = type(error).__name__
            return False
        if _acknowledged(response):
            return True
        delivery.last_error = f"HTTP {response.status_code} without <Ack>true</Ack>"
        return False

    def _deliver(self, delivery: Delivery) -> None:
        give_up_at = time.monotonic() + self.retry_for
        interval = self.first_retry
        while not self._stopping.is_set():
            if self._post(delivery):
                delivery.acknowledged = True
                return
            if time.monotonic() + interval > give_up_at:
                break
            self._stopping.wait(interval)
            interval = min(interval * 2, self.max_interval)
        delivery.given_up = True
        _log.warning(
            "outbound message %s not acknowledged after %d attempts: %s",
            delivery.message,
            delivery.attempts,
            delivery.last_error,
        )


# -- running the Flows ----------------------------------------------------------------------

ReadStored = Callable[[str, str], dict[str, Any] | None]
ListStored = Callable[[str], list[str]]


class FlowRunner:
    """Listens to committed saves and sends what matching active Flows call."""

    def __init__(
        self,
        read_stored: ReadStored,
        list_stored: ListStored,
        fields_of: Callable[[str], set[str]],
        read_record: Callable[[str], dict[str, Any] | None],
        sender: OutboundSender,
        api_version: str,
    ) -> None:
        self._read_record = read_record
        self._read = read_stored
        self._list = list_stored
        self._fields_of = fields_of
        self.sender = sender
        self.api_version = api_version
        self.instance_url = ""  # set once the Salesforce server listens
        self._notification_ids = count(1)
        self._ids_lock = threading.Lock()

    def record_saved(self, saves: list[RecordSaved]) -> None:
        objects = {save.object_name for save in saves}
        for flow in self._active_flows(objects):
            try:
                self._run(flow, saves)
            except Exception:  # a broken Flow never fails the DML that triggered it
                _log.exception("flow %s skipped", flow.get("fullName"))

    def _active_flows(self, objects: set[str]) -> list[dict[str, Any]]:
        flows = []
        for name in self._list("Flow"):
            spec = self._read("Flow", name)
            start = spec.get("start") if spec else None
            if (
                spec
                and isinstance(start, dict)
                and spec.get("status") == "Active"
                and start.get("triggerType") == "RecordAfterSave"
                and start.get("object") in objects
            ):
                flows.append(spec)
        return flows

    def _run(self, flow: dict[str, Any], saves: list[RecordSaved]) -> None:
        start = flow["start"]
        obj = str(start["object"])
        trigger = start.get("recordTriggerType")
        formula = str(start.get("filterFormula") or "")
        condition = parse_entry_formula(formula, self._fields_of(obj)) if formula else None
        matching = [
            save
            for save in saves
            if save.object_name == obj
            and (trigger != "Create" or save.before is None)
            and (trigger != "Update" or save.before is not None)
            and (condition is None or condition(save.before, save.after))
        ]
        if not matching:
            return
        for action in _as_list(flow.get("actionCalls")):
            self._send(str(flow.get("fullName")), str(action.get("actionName", "")), matching)

    def _send(self, flow_name: str, action_name: str, saves: list[RecordSaved]) -> None:
        obj, _, message_name = action_name.partition(".")
        workflow = self._read("Workflow", obj) or {}
        message = next(
            (
                m
                for m in _as_list(workflow.get("outboundMessages"))
                if m.get("fullName") == message_name
            ),
            None,
        )
        if message is None:
            _log.warning("flow %s skipped: no outbound message %s", flow_name, action_name)
            return
        url = str(message.get("endpointUrl", ""))
        problem = endpoint_problem(url)
        if problem:
            _log.warning("flow %s skipped: %s", flow_name, problem)
            return
        fields = message.get("fields", [])
        fields = [str(f) for f in (fields if isinstance(fields, list) else [fields])]
        action_id = salesforce_id("04k", zlib.crc32(action_name.encode()) % 10**9)
        # One message per save batch, at most 100 notifications each (the WSDL's maxOccurs).
        for chunk_start in range(0, len(saves), 100):
            chunk = saves[chunk_start : chunk_start + 100]
            queued = [(self._notification_id(), save.after) for save in chunk]

            def compose(queued: list[tuple[str, Mapping[str, Any]]] = queued) -> bytes:
                # A record deleted since keeps the data it was saved with.
                current = [
                    (notification, self._read_record(str(saved["Id"])) or saved)
                    for notification, saved in queued
                ]
                return notifications_envelope(
                    action_id=action_id,
                    instance_url=self.instance_url,
                    api_version=self.api_version,
                    object_name=obj,
                    notifications=current,
                    fields=fields,
                )

            self.sender.submit(Delivery(action_name, url, compose))

    def _notification_id(self) -> str:
        with self._ids_lock:
            return salesforce_id("04l", next(self._notification_ids))
