"""The sandbox runs refnet's record-triggered Flows and sends their Outbound Messages.

The Flow and the Outbound Message are refnet's own components (deal_events.py), rendered
as metadata XML and deployed through the sandbox's Metadata SOAP endpoint; records change
through simple-salesforce; a plain-http Flask listener on loopback plays the receiver.
"""

from __future__ import annotations

import json
import logging
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from flask import Flask, Response, request
from pydantic import SecretStr
from simple_salesforce import Salesforce
from werkzeug.serving import BaseWSGIServer, make_server

from adapters.salesforce.deal_events import (
    OPPORTUNITY_FLOW,
    OutboundEndpoint,
    deal_event_components,
    event_fields,
)
from adapters.salesforce.metadata import Component, InOrder
from adapters.salesforce.sfdx import render_component
from adapters.sandbox import Sandbox
from adapters.sandbox.auth import ORG_ID
from adapters.sandbox.salesforce_flows import (
    FormulaNotSupported,
    OutboundSender,
    check_flow,
    endpoint_problem,
    parse_entry_formula,
)
from mappings import load_mappings
from tests.sandbox.test_salesforce_metadata_strictness import _call
from tests.waiting import wait_until
from webhooks.outbound_message import ACK, parse_outbound_message

pytestmark = pytest.mark.usefixtures("mdapi_trusts_sandbox")

DEAL_FORMULA = (
    "ISNEW() || ISCHANGED({!$Record.StageName}) || ISCHANGED({!$Record.Refnet_Referral_Id__c})"
)
CONTACT_FORMULA = (
    "NOT(ISBLANK({!$Record.Referred_By__c})) && (ISNEW() || ISCHANGED({!$Record.Referred_By__c}))"
)
OPPORTUNITY_FIELDS = {"StageName", "Refnet_Referral_Id__c", "Name"}
CONTACT_FIELDS = {"Referred_By__c", "Email"}


# -- the entry condition ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "sent"),
    [
        (None, {"StageName": "Prospecting"}, True),  # created
        ({"StageName": "Prospecting"}, {"StageName": "Closed Won"}, True),
        ({"Refnet_Referral_Id__c": None}, {"Refnet_Referral_Id__c": "r1"}, True),
        (
            {"StageName": "Prospecting", "Name": "A"},
            {"StageName": "Prospecting", "Name": "B"},
            False,
        ),
    ],
)
def test_refnets_deal_formula(
    before: dict[str, Any] | None, after: dict[str, Any], sent: bool
) -> None:
    condition = parse_entry_formula(DEAL_FORMULA, OPPORTUNITY_FIELDS)
    assert condition(before, after) is sent


@pytest.mark.parametrize(
    ("before", "after", "sent"),
    [
        (None, {"Referred_By__c": "c1@example.org"}, True),
        (None, {"Referred_By__c": None}, False),  # new, but nobody referred them
        ({"Referred_By__c": None}, {"Referred_By__c": ""}, False),  # blank is blank
        ({"Referred_By__c": "a"}, {"Referred_By__c": "a", "Email": "x@y.example"}, False),
        ({"Referred_By__c": "a"}, {"Referred_By__c": "b"}, True),
    ],
)
def test_refnets_contact_formula_and_binds_before_or(
    before: dict[str, Any] | None, after: dict[str, Any], sent: bool
) -> None:
    condition = parse_entry_formula(CONTACT_FORMULA, CONTACT_FIELDS)
    assert condition(before, after) is sent


@pytest.mark.parametrize(
    "formula",
    [
        "PRIORVALUE({!$Record.StageName}) = 'Prospecting'",
        "ISCHANGED({!$Record.Missing__c})",
        "ISCHANGED({!$Record.StageName}) &&",
        "(ISNEW()",
        "ISNEW() OR ISCHANGED({!$Record.StageName})",
        "{!$Record.StageName} = 'Closed Won'",
    ],
)
def test_what_the_sandbox_cannot_evaluate_is_not_guessed(formula: str) -> None:
    with pytest.raises(FormulaNotSupported):
        parse_entry_formula(formula, OPPORTUNITY_FIELDS)


def _flow(**start: object) -> dict[str, Any]:
    return {
        "fullName": "Refnet_Deal_Event",
        "status": "Active",
        "start": {
            "object": "Opportunity",
            "triggerType": "RecordAfterSave",
            "recordTriggerType": "CreateAndUpdate",
            "filterFormula": DEAL_FORMULA,
            **start,
        },
        "actionCalls": {"actionType": "outboundMessage", "actionName": "Opportunity.X"},
    }


@pytest.mark.parametrize(
    ("flow", "complaint"),
    [
        (_flow(triggerType="RecordBeforeSave"), "only RecordAfterSave"),
        (_flow(recordTriggerType="Delete"), "only Create/Update"),
        (_flow(doesRequireRecordChangedToMeetCriteria="true"), "only when updated"),
        (_flow(filters={"field": "StageName"}), "only filterFormula"),
        (_flow(filterFormula="ISPICKVAL({!$Record.StageName}, 'X')"), "cannot evaluate"),
        ({**_flow(), "actionCalls": {"actionType": "apex"}}, "only outboundMessage"),
        ({**_flow(), "recordUpdates": {"name": "x"}}, "only actionCalls"),
    ],
)
def test_a_record_triggered_flow_outside_refnets_subset_is_refused(
    flow: dict[str, Any], complaint: str
) -> None:
    assert complaint in str(check_flow(flow, lambda _: OPPORTUNITY_FIELDS))


def test_refnets_own_flow_and_flows_without_a_record_trigger_are_accepted() -> None:
    assert check_flow(_flow(), lambda _: OPPORTUNITY_FIELDS) is None
    assert check_flow({"fullName": "Screen", "processType": "Flow"}, lambda _: set()) is None


def test_the_sandbox_sends_only_to_loopback_and_http_only_there() -> None:
    for loopback in ("http://127.0.0.1:8080/x", "http://127.0.0.2/x", "https://[::1]/x"):
        assert endpoint_problem(loopback) is None, loopback
    assert endpoint_problem("https://localhost:9/x") is None
    assert "off the machine" in str(
        endpoint_problem("https://refnet.vogel.example/salesforce/outbound/x")
    )
    assert "loopback" in str(endpoint_problem("http://refnet.vogel.example/x"))
    assert "https" in str(endpoint_problem("ftp://refnet.vogel.example/x"))


# -- a listener and refnet's components -------------------------------------------------------


@dataclass
class Listener:
    url: str
    answers: list[tuple[int, bytes]] = field(default_factory=list)  # then ACK for ever
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def listener() -> Iterator[Listener]:
    app = Flask("listener")
    state = Listener("")
    state.gate.set()

    @app.post("/salesforce/outbound/<token>")
    def outbound(token: str) -> Response:
        state.gate.wait()
        state.received.append((dict(request.headers), request.get_data()))
        status, body = state.answers.pop(0) if state.answers else (200, ACK)
        return Response(body, status=status, mimetype="text/xml")

    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/salesforce/outbound/{'t' * 40}"
    try:
        yield state
    finally:
        state.gate.set()
        server.shutdown()
        thread.join()
        server.server_close()


def _deploy(sandbox: Sandbox, components: list[Component]) -> str:
    metadata = ""
    for component in components:
        root = render_component(component, full_name=component.full_name).getroot()
        children = "".join(ET.tostring(child, encoding="unicode") for child in root)
        metadata += f'<md:metadata xsi:type="md:{component.type}">{children}</md:metadata>'
    response = _call(sandbox, "upsertMetadata", metadata)
    assert response.status_code == 200, response.text
    return response.text


def _deal_events(url: str, formula: str | None = None) -> list[Component]:
    endpoint = OutboundEndpoint(
        "https://refnet.vogel.example", SecretStr("t" * 40), "integration@vogel.example", "62.0"
    )
    components = []
    for component in deal_event_components(endpoint):
        body = dict(component.body)
        if component.type == "Workflow":
            body["outboundMessages"] = [
                {**message, "endpointUrl": url} for message in body["outboundMessages"]
            ]
        if component.type == "Flow" and formula is not None:
            body["start"] = InOrder({**body["start"], "filterFormula": formula})
            body = InOrder(body)
        components.append(replace(component, body=body))
    return components


@pytest.fixture
def deployed(sandbox: Sandbox, listener: Listener) -> None:
    fields = event_fields(load_mappings("salesforce"))
    assert "<success>true</success>" in _deploy(sandbox, fields)
    answer = _deploy(sandbox, _deal_events(listener.url))
    assert "<success>false</success>" not in answer, answer


def _new_deal(sf: Salesforce, stage: str = "Prospecting") -> str:
    created = sf.Opportunity.create(
        {"Name": "Bäckerei Vogel – Ofen", "StageName": stage, "CloseDate": "2026-12-31"}
    )
    return str(created["id"])


def _update(sf: Salesforce, deal: str, values: dict[str, Any]) -> None:
    """An sObject Collections update (the REST write the sandbox implements for updates)."""
    record = {"attributes": {"type": "Opportunity"}, "id": deal, **values}
    (result,) = sf.restful(
        "composite/sobjects", method="PATCH", data=json.dumps({"records": [record]})
    )
    assert result["success"], result


def _sender(sandbox: Sandbox) -> OutboundSender:
    assert sandbox.outbound is not None
    return sandbox.outbound


def _wait_for(sandbox: Sandbox, count: int) -> None:
    sender = _sender(sandbox)

    def progress() -> object:
        return tuple((d.attempts, d.acknowledged, d.given_up) for d in sender.snapshot())

    wait_until(
        lambda: (
            len(sender.snapshot()) == count
            and all(d.acknowledged or d.given_up for d in sender.snapshot())
        ),
        progress=progress,
        what=f"{count} outbound messages settled",
    )


# -- running them -----------------------------------------------------------------------------


@pytest.mark.usefixtures("deployed")
def test_a_stage_change_sends_the_documented_notifications_message(
    sf: Salesforce, sandbox: Sandbox, listener: Listener
) -> None:
    deal = _new_deal(sf)  # ISNEW()
    _update(sf, deal, {"Name": "Bäckerei Vogel – zwei Öfen"})  # nothing watched
    _update(sf, deal, {"StageName": "Closed Won"})  # ISCHANGED(StageName)
    _wait_for(sandbox, 2)

    assert len(listener.received) == 2  # the Name change sent nothing (one FIFO sender)
    headers, body = listener.received[1]
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert headers["Soapaction"] == '""'
    message = parse_outbound_message(body)  # what refnet's webhook parses
    assert message.organization_id == ORG_ID
    assert str(message.action_id).startswith("04k")
    (notification,) = message.notifications
    assert notification.notification_id.startswith("04l")
    assert (notification.object_type, notification.object_id) == ("Opportunity", deal)
    assert notification.fields["StageName"] == "Closed Won"
    assert (notification.fields["IsWon"], notification.fields["IsClosed"]) == ("true", "true")
    assert notification.fields["Refnet_Referral_Id__c"] is None  # sent as xsi:nil
    assert set(notification.fields) == {
        "Amount",
        "Id",
        "IsClosed",
        "IsWon",
        "Refnet_Referral_Id__c",
        "StageName",
        "SystemModstamp",
    }
    text = body.decode()
    assert '<SessionId xsi:nil="true"/>' in text  # includeSessionId is false
    assert f"{sandbox.salesforce_url}/services/Soap/c/62.0/{ORG_ID[:15]}</EnterpriseUrl>" in text
    assert f"{sandbox.salesforce_url}/services/Soap/u/62.0/{ORG_ID[:15]}</PartnerUrl>" in text
    first = parse_outbound_message(listener.received[0][1]).notifications[0]
    assert first.notification_id != notification.notification_id
    assert first.object_id == deal


@pytest.mark.usefixtures("deployed")
def test_a_retry_carries_the_records_data_as_it_is_when_sent(
    sf: Salesforce, sandbox: Sandbox, listener: Listener
) -> None:
    """ "Understanding Notifications": a change made after the notification was queued but
    before it was delivered is what gets delivered."""
    listener.gate.clear()
    listener.answers = [(503, b"busy")]
    deal = _new_deal(sf)
    wait_until(
        lambda: _sender(sandbox).snapshot() != [] and _sender(sandbox).snapshot()[0].attempts > 0,
        progress=lambda: len(_sender(sandbox).snapshot()),
        what="the first attempt under way",
    )
    _update(sf, deal, {"Amount": 12500})  # not a field the entry condition watches
    listener.gate.set()
    _wait_for(sandbox, 1)

    (delivery,) = _sender(sandbox).snapshot()
    assert delivery.attempts == 2
    first, retry = (parse_outbound_message(body).notifications[0] for _, body in listener.received)
    assert first.notification_id == retry.notification_id  # the same notification, resent
    assert first.fields["Amount"] is None
    assert float(str(retry.fields["Amount"])) == 12500  # xsd:double


@pytest.mark.usefixtures("deployed")
def test_an_unacknowledged_message_is_retried_until_ack_true(
    sf: Salesforce, sandbox: Sandbox, listener: Listener
) -> None:
    nack = ACK.replace(b"<Ack>true</Ack>", b"<Ack>false</Ack>")
    listener.answers = [(503, b"busy"), (200, nack)]
    _new_deal(sf)
    _wait_for(sandbox, 1)

    (delivery,) = _sender(sandbox).snapshot()
    assert (delivery.attempts, delivery.acknowledged) == (3, True)
    assert len({body for _, body in listener.received}) == 1  # the same message each time


@pytest.mark.usefixtures("deployed")
def test_the_dml_answer_never_waits_for_the_receiver(
    sf: Salesforce, sandbox: Sandbox, listener: Listener
) -> None:
    listener.gate.clear()  # the receiver hangs
    deal = _new_deal(sf)
    _update(sf, deal, {"StageName": "Closed Lost"})

    assert sf.Opportunity.get(deal)["IsClosed"] is True  # both writes answered
    assert not any(d.acknowledged for d in _sender(sandbox).snapshot())
    listener.gate.set()
    _wait_for(sandbox, 2)
    assert all(d.acknowledged for d in _sender(sandbox).snapshot())


def test_a_flow_the_sandbox_cannot_evaluate_is_refused_at_deploy(
    sf: Salesforce, sandbox: Sandbox, listener: Listener
) -> None:
    assert "<success>true</success>" in _deploy(sandbox, event_fields(load_mappings("salesforce")))
    unsupported = "ISCHANGED({!$Record.StageName}) && PRIORVALUE({!$Record.StageName}) = 'X'"
    answer = _deploy(sandbox, _deal_events(listener.url, formula=unsupported))

    assert "FIELD_INTEGRITY_EXCEPTION" in answer
    assert f"Flow {OPPORTUNITY_FLOW}: the sandbox cannot evaluate filterFormula" in answer
    assert sf.mdapi.Flow.read([OPPORTUNITY_FLOW]).fullName is None
    _new_deal(sf)
    assert _sender(sandbox).snapshot() == []


def test_an_http_endpoint_off_loopback_is_skipped_with_a_logged_reason(
    sf: Salesforce, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    assert "<success>true</success>" in _deploy(sandbox, event_fields(load_mappings("salesforce")))
    # Never resolved, never contacted: the sandbox refuses before any connection.
    answer = _deploy(sandbox, _deal_events("http://refnet.vogel.invalid/salesforce/outbound/x"))
    assert "<success>false</success>" not in answer
    with caplog.at_level(logging.WARNING, logger="adapters.sandbox.salesforce_flows"):
        _new_deal(sf)

    assert _sender(sandbox).snapshot() == []
    assert "http:// endpoints are allowed only for loopback hosts" in caplog.text
