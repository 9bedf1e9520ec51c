"""Salesforce: Outbound Messages (SOAP, org allow-list, defused XML) and signed callouts."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from connector.errors import ConfigError
from connector.inbox.schema import webhook_inbox
from connector.model import Circle, Referral, ReferralStatus
from connector.rules import RulesConfig
from connector.store import Store
from tests.connector.factories import member, referral
from tests.webhooks.conftest import (
    ORG_ID,
    T0,
    Clock,
    context_of,
    make_settings,
    refnet_headers,
)
from webhooks import create_app
from webhooks.settings import load_webhook_settings

# As Salesforce sends it (enterprise WSDL, two notifications, session id switched off).
OUTBOUND_MESSAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00Dxx0000001gPLEAA</OrganizationId>
   <ActionId>04kxx0000000001AAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/62.0/00Dxx0000001gPL</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/62.0/00Dxx0000001gPL</PartnerUrl>
   <Notification>
    <Id>04lxx000000AAAAAA0</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>006xx000001AAAAAA0</sf:Id>
     <sf:IsClosed>true</sf:IsClosed>
     <sf:IsWon>true</sf:IsWon>
     <sf:StageName>Closed Won</sf:StageName>
     <sf:SystemModstamp>2026-03-02T08:59:00.000Z</sf:SystemModstamp>
    </sObject>
   </Notification>
   <Notification>
    <Id>04lxx000000AAAAAA1</Id>
    <sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>003xx000004TmiQAAS</sf:Id>
     <sf:Email>jo.weber@example.org</sf:Email>
     <sf:FirstName>Jo</sf:FirstName>
     <sf:LastName>Weber</sf:LastName>
     <sf:Referred_By__c xsi:nil="true"/>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
 <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
  <OrganizationId>&lol3;</OrganizationId>
 </notifications></soapenv:Body></soapenv:Envelope>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
 <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
  <OrganizationId>00Dxx0000001gPLEAA</OrganizationId>
  <Notification><Id>04lxx000000AAAAAA9</Id>
   <sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sf:Id>003xx000004TmiQAAS</sf:Id>
     <sf:Email>&xxe;</sf:Email></sObject></Notification>
 </notifications></soapenv:Body></soapenv:Envelope>"""


XML = {"Content-Type": "text/xml; charset=utf-8"}


def _stored(store: Store) -> int:
    with store.reading() as tx:
        query = select(func.count()).select_from(webhook_inbox)
        return int(tx.connection.execute(query).scalar_one())


def test_an_outbound_message_is_stored_and_acknowledged(client: FlaskClient, store: Store) -> None:
    response = client.post(
        "/salesforce/outbound",
        data=OUTBOUND_MESSAGE,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
    )
    assert response.status_code == 200
    assert response.content_type.startswith("text/xml")
    assert b"<Ack>true</Ack>" in response.data
    assert b"http://soap.sforce.com/2005/09/outbound" in response.data
    with store.reading() as tx:
        rows = tx.connection.execute(
            select(
                webhook_inbox.c.event_id,
                webhook_inbox.c.object_type,
                webhook_inbox.c.object_id,
                webhook_inbox.c.occurred_at,
                webhook_inbox.c.payload,
            ).order_by(webhook_inbox.c.id)
        ).all()
    assert [(r.event_id, r.object_type, r.object_id) for r in rows] == [
        ("om:04lxx000000AAAAAA0", "opportunity", "006xx000001AAAAAA0"),
        ("om:04lxx000000AAAAAA1", "contact", "003xx000004TmiQAAS"),
    ]
    # Occurrence time from the record's modstamp; receipt time when the message has none.
    assert rows[0].occurred_at.isoformat() == "2026-03-02T08:59:00+00:00"
    assert rows[1].occurred_at == T0
    assert rows[0].payload["properties"]["StageName"] == "Closed Won"
    assert rows[1].payload["properties"]["Referred_By__c"] is None
    assert "SessionId" not in json.dumps([r.payload for r in rows])


def test_a_resent_outbound_message_is_acknowledged_and_stored_once(
    client: FlaskClient, store: Store
) -> None:
    for _ in range(2):
        assert (
            client.post("/salesforce/outbound", data=OUTBOUND_MESSAGE, headers=XML).status_code
            == 200
        )
    assert _stored(store) == 2


def test_a_foreign_organization_is_refused(client: FlaskClient, store: Store) -> None:
    foreign = OUTBOUND_MESSAGE.replace(b"00Dxx0000001gPLEAA</Org", b"00Dyy0000009zZZEAA</Org")
    response = client.post("/salesforce/outbound", data=foreign, headers=XML)
    assert response.status_code == 403
    assert b"<Ack>" not in response.data
    assert _stored(store) == 0


def test_the_15_character_org_id_form_is_the_same_org(store: Store, clock: Clock) -> None:
    app = create_app(make_settings(salesforce_org_ids=[ORG_ID[:15]]), store=store, clock=clock)
    assert (
        app.test_client()
        .post("/salesforce/outbound", data=OUTBOUND_MESSAGE, headers=XML)
        .status_code
        == 200
    )


def test_xml_entity_attacks_are_400_and_store_nothing(client: FlaskClient, store: Store) -> None:
    response = client.post("/salesforce/outbound", data=EXTERNAL_ENTITY, headers=XML)
    assert response.status_code == 400
    assert "DTDs and entities are refused" in response.get_json()["reason"]
    # The entity stands where the org id should be: refused by the scan, never parsed.
    response = client.post("/salesforce/outbound", data=BILLION_LAUGHS, headers=XML)
    assert response.status_code == 400
    assert "no OrganizationId" in response.get_json()["reason"]
    assert _stored(store) == 0


def test_malformed_envelopes_are_400_with_a_reason(client: FlaskClient, store: Store) -> None:
    org = b"<OrganizationId>00Dxx0000001gPLEAA</OrganizationId>"
    cases = {
        b"<not-closed": "no OrganizationId",
        b"<a>" + org + b"<not-closed": "not well-formed",
        b"<a>" + org + b"</a>": "not a SOAP envelope",
        OUTBOUND_MESSAGE.replace(b"<Id>04lxx000000AAAAAA1</Id>", b""): "Notification 2",
    }
    for body, reason in cases.items():
        response = client.post("/salesforce/outbound", data=body, headers=XML)
        assert response.status_code == 400
        assert reason in response.get_json()["reason"]
    too_many = OUTBOUND_MESSAGE.replace(
        b"</notifications>",
        b"".join(
            b"<Notification><Id>04lxx00000%07dA</Id><sObject "
            b'xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
            b"<sf:Id>003xx000004TmiQAAS</sf:Id></sObject></Notification>" % i
            for i in range(99)
        )
        + b"</notifications>",
    )
    response = client.post("/salesforce/outbound", data=too_many, headers=XML)
    assert response.status_code == 400
    assert "101 notifications" in response.get_json()["reason"]
    assert _stored(store) == 0


def _callout(event_id: str = "evt-1", org: str = ORG_ID) -> bytes:
    return json.dumps(
        {
            "organizationId": org,
            "events": [
                {
                    "eventId": event_id,
                    "objectType": "Opportunity",
                    "objectId": "006xx000001AAAAAA0",
                    "changeType": "updated",
                    "occurredAt": "2026-03-02T08:59:30.000Z",
                    "properties": {"StageName": "Closed Won", "Amount": 1200.5, "IsWon": True},
                }
            ],
        }
    ).encode()


def test_a_signed_callout_is_stored(client: FlaskClient, store: Store) -> None:
    body = _callout()
    response = client.post("/salesforce/events", data=body, headers=refnet_headers(body, at=T0))
    assert response.status_code == 200
    assert response.get_json() == {"accepted": 1, "duplicates": 0}
    with store.reading() as tx:
        row = tx.connection.execute(select(webhook_inbox)).mappings().one()
    assert (row["event_id"], row["event_type"]) == ("callout:evt-1", "opportunity.updated")
    assert row["payload"]["properties"] == {
        "StageName": "Closed Won",
        "Amount": "1200.5",
        "IsWon": "true",
    }


def test_a_callout_with_a_bad_signature_or_org_is_refused(
    client: FlaskClient, store: Store, clock: Clock
) -> None:
    body = _callout()
    forged = refnet_headers(body, at=T0, secret="guess")
    assert client.post("/salesforce/events", data=body, headers=forged).status_code == 401
    json_type = {"Content-Type": "application/json"}
    assert client.post("/salesforce/events", data=body, headers=json_type).status_code == 401
    stale = refnet_headers(body, at=T0)
    clock.advance(minutes=6)
    assert client.post("/salesforce/events", data=body, headers=stale).status_code == 401
    clock.advance(minutes=-6)
    foreign = _callout(org="00Dyy0000009zZZEAA")
    response = client.post(
        "/salesforce/events", data=foreign, headers=refnet_headers(foreign, at=T0)
    )
    assert response.status_code == 403
    broken = b'{"organizationId": "00Dxx0000001gPLEAA", "events": [{"eventId": ""}]}'
    response = client.post("/salesforce/events", data=broken, headers=refnet_headers(broken, at=T0))
    assert response.status_code == 400
    assert "events.0" in response.get_json()["reason"]
    assert _stored(store) == 0


# --- the secret token in the Outbound Message URL (issue #12 item 6, #15 item 5) ----------

TOKEN = "tok_" + "k3Jx9-Qw" * 5  # 44 URL-safe characters


def _token_client(store: Store, clock: Clock) -> FlaskClient:
    settings = make_settings(salesforce_outbound_token=TOKEN)
    return create_app(settings, store=store, clock=clock).test_client()


def test_with_a_token_only_the_tokened_url_takes_outbound_messages(
    store: Store, clock: Clock
) -> None:
    client = _token_client(store, clock)
    ok = client.post(f"/salesforce/outbound/{TOKEN}", data=OUTBOUND_MESSAGE, headers=XML)
    assert ok.status_code == 200
    assert b"<Ack>true</Ack>" in ok.data
    assert _stored(store) == 2


def test_a_forged_outbound_message_without_the_token_changes_nothing(
    store: Store, clock: Clock
) -> None:
    """The org id is public; a forged "Closed Won" with it must not move the referral."""
    with store.transaction() as tx:
        tx.put_many(
            [
                member("c1"),
                member("p1", circle=Circle.PROSPECT),
                referral("r1", "c1", "p1").model_copy(update={"deal_id": "006xx000001AAAAAA0"}),
            ]
        )
    settings = make_settings(salesforce_outbound_token=TOKEN)
    app = create_app(settings, store=store, rules=RulesConfig(), clock=clock)
    client = app.test_client()
    for path in (
        "/salesforce/outbound",  # the token-less route refuses once a token is configured
        "/salesforce/outbound/" + "x" * len(TOKEN),
        f"/salesforce/outbound/{TOKEN[:-1]}",
        f"/salesforce/outbound/{TOKEN}x",
        "/salesforce/outbound/%C3%A4" + TOKEN[2:],
    ):
        response = client.post(path, data=OUTBOUND_MESSAGE, headers=XML)
        assert response.status_code == 401, path
        assert response.get_json()["error"] == "token"
        assert TOKEN not in response.get_data(as_text=True)
    assert client.get("/metrics").get_json()["rejected_requests"]["token"] == 5
    context_of(app).worker.drain()
    assert _stored(store) == 0
    with store.reading() as tx:
        assert tx.get(Referral, "r1").status is ReferralStatus.OPEN
        assert tx.audit_trail() == []
    # The same message with the token is the genuine article and does move it.
    assert (
        client.post(f"/salesforce/outbound/{TOKEN}", data=OUTBOUND_MESSAGE, headers=XML).status_code
        == 200
    )
    context_of(app).worker.drain()
    with store.reading() as tx:
        assert tx.get(Referral, "r1").status is ReferralStatus.WON


def test_the_token_is_checked_before_the_body_is_looked_at(store: Store, clock: Clock) -> None:
    client = _token_client(store, clock)
    # Wrong token + garbage body: 401 (not 400/415), so nothing about the XML was parsed.
    response = client.post("/salesforce/outbound/wrong", data=b"<a>" * 1000, headers={})
    assert response.status_code == 401


def test_without_a_configured_token_the_tokened_route_refuses(client: FlaskClient) -> None:
    response = client.post(f"/salesforce/outbound/{TOKEN}", data=OUTBOUND_MESSAGE, headers=XML)
    assert response.status_code == 401


def test_a_short_or_odd_token_setting_is_refused_without_echoing_it() -> None:
    for bad in ("short-token-value", "x" * 31, "ä" * 40, "a/b" * 20):
        with pytest.raises(ConfigError) as caught:
            load_webhook_settings(salesforce_outbound_token=bad)
        assert "salesforce_outbound_token" in str(caught.value)
        assert bad not in str(caught.value)


def test_a_foreign_org_is_refused_before_the_xml_is_parsed(
    client: FlaskClient, store: Store
) -> None:
    # Not well-formed after the org id: a parse would answer 400; the scan answers 403 first.
    foreign = (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soapenv:Body><notifications><OrganizationId>00Dyy0000009zZZEAA</OrganizationId>"
        + b"<a>"
        * 50_000
    )
    response = client.post("/salesforce/outbound", data=foreign, headers=XML)
    assert response.status_code == 403
    assert _stored(store) == 0


def test_a_decoy_org_id_before_the_real_one_is_refused(client: FlaskClient, store: Store) -> None:
    decoy = OUTBOUND_MESSAGE.replace(
        b"<soapenv:Body>",
        b"<soapenv:Header><OrganizationId>00Dxx0000001gPLEAA"
        b"</OrganizationId></soapenv:Header><soapenv:Body>",
    ).replace(b"AA</OrganizationId>\n   <ActionId>", b"ZZ</OrganizationId>\n   <ActionId>")
    response = client.post("/salesforce/outbound", data=decoy, headers=XML)
    assert response.status_code == 400
    assert "more than one OrganizationId" in response.get_json()["reason"]
    assert _stored(store) == 0


def test_deep_nesting_from_an_allowed_org_stops_at_the_depth_bound(
    client: FlaskClient, store: Store
) -> None:
    deep = OUTBOUND_MESSAGE.replace(
        b"<sf:IsWon>true</sf:IsWon>", b"<sf:X>" * 10_000 + b"</sf:X>" * 10_000
    )
    response = client.post("/salesforce/outbound", data=deep, headers=XML)
    assert response.status_code == 400
    assert "more than 12 levels" in response.get_json()["reason"]
    assert _stored(store) == 0


# --- Content-Type per endpoint (#15 item 7) ------------------------------------------------


def test_each_endpoint_refuses_other_media_types_with_415_and_a_reason(
    client: FlaskClient, store: Store
) -> None:
    cases = {
        "/salesforce/outbound": [
            {},
            {"Content-Type": "text/plain"},
            {"Content-Type": "application/json"},
            {"Content-Type": "application/x-www-form-urlencoded"},
            {"Content-Type": "text/xml; charset=utf-16"},
        ],
        "/salesforce/events": [
            {},
            {"Content-Type": "text/plain"},
            {"Content-Type": "text/xml"},
            {"Content-Type": "application/json; charset=UTF-16"},
        ],
        "/hubspot/events": [
            {"Content-Type": "multipart/form-data; boundary=x"},
            {"Content-Type": "application/json; charset=utf-16le"},
        ],
    }
    for path, headers_list in cases.items():
        for headers in headers_list:
            response = client.post(path, data=OUTBOUND_MESSAGE, headers=headers)
            assert response.status_code == 415, (path, headers)
            body = response.get_json()
            assert body["error"] == "media_type"
            assert "Content-Type must be" in body["reason"]
    assert _stored(store) == 0
    # Charset names are case-insensitive; Salesforce sends "text/xml; charset=utf-8".
    upper = client.post(
        "/salesforce/outbound",
        data=OUTBOUND_MESSAGE,
        headers={"Content-Type": "text/xml; charset=UTF-8"},
    )
    assert upper.status_code == 200
