"""The sandbox's Metadata API refuses what Salesforce refuses for the app and deal-event types.

Raw SOAP, since zeep itself refuses to serialise an element the WSDL does not declare: the
sandbox must not rely on the client being well-behaved.
"""

from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from zeep.exceptions import Fault

from adapters.sandbox import Sandbox
from tests.sandbox.helpers import REFERRAL, provision_referral

pytestmark = pytest.mark.usefixtures("mdapi_trusts_sandbox")

MD = "http://soap.sforce.com/2006/04/metadata"
TOKEN = "tok-0123456789abcdefghijklmnopqrstuv"


def _call(sandbox: Sandbox, operation: str, metadata: str) -> requests.Response:
    envelope = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:md="{MD}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<soapenv:Header><md:SessionHeader><md:sessionId>{sandbox.session_id}</md:sessionId>"
        "</md:SessionHeader></soapenv:Header>"
        f"<soapenv:Body><md:{operation}>{metadata}</md:{operation}></soapenv:Body>"
        "</soapenv:Envelope>"
    )
    return sandbox.salesforce_session().post(
        f"{sandbox.salesforce_url}/services/Soap/m/{sandbox.api_version}",
        data=envelope.encode(),
        headers={"Content-Type": "text/xml", "SOAPAction": '""'},
    )


def _component(kind: str, body: str) -> str:
    return f'<md:metadata xsi:type="md:{kind}">{body}</md:metadata>'


def _tab(extra: str = "") -> str:
    return _component(
        "CustomTab",
        f"<md:fullName>{REFERRAL}</md:fullName><md:customObject>true</md:customObject>"
        f"{extra}<md:motif>Custom14: Hands</md:motif>",
    )


def test_a_valid_tab_is_stored_and_read_back(sf: Salesforce, sandbox: Sandbox) -> None:
    provision_referral(sf)
    response = _call(sandbox, "createMetadata", _tab())
    assert response.status_code == 200, response.text
    assert "<success>true</success>" in response.text
    tab = sf.mdapi.CustomTab.read([REFERRAL])
    assert (tab.customObject, tab.motif) == (True, "Custom14: Hands")


@pytest.mark.parametrize(
    ("metadata", "named"),
    [
        (_tab("<md:colour>red</md:colour>"), "colour"),  # an element CustomTab lacks
        (  # elements out of the schema's sequence
            _component(
                "CustomTab",
                f"<md:fullName>{REFERRAL}</md:fullName><md:motif>Custom14: Hands</md:motif>"
                "<md:customObject>true</md:customObject>",
            ),
            "customObject",
        ),
        (  # a value outside the enumeration
            _component(
                "ListView",
                f"<md:fullName>{REFERRAL}.Mine</md:fullName>"
                "<md:filterScope>Everyone</md:filterScope><md:label>Mine</md:label>",
            ),
            "filterScope",
        ),
        (_component("CustomGadget", "<md:fullName>X</md:fullName>"), "CustomGadget"),
    ],
)
def test_what_the_wsdl_refuses_faults_the_call_and_stores_nothing(
    sf: Salesforce, sandbox: Sandbox, metadata: str, named: str
) -> None:
    provision_referral(sf)
    response = _call(sandbox, "createMetadata", metadata)

    assert response.status_code == 500
    assert "<faultcode>soapenv:Client</faultcode>" in response.text
    assert named in response.text
    assert sf.mdapi.CustomTab.read([REFERRAL]).fullName is None
    assert sf.mdapi.ListView.read([f"{REFERRAL}.Mine"]).fullName is None


def test_a_refused_outbound_message_never_echoes_its_endpoint(
    sf: Salesforce, sandbox: Sandbox
) -> None:
    message = (
        "<md:fullName>Opportunity</md:fullName><md:outboundMessages>"
        "<md:fullName>Refnet_Deal_Event</md:fullName><md:apiVersion>62.0</md:apiVersion>"
        f"<md:endpointUrl>https://refnet.example/salesforce/outbound/{TOKEN}</md:endpointUrl>"
        "<md:secretHeader>x</md:secretHeader>"
        "</md:outboundMessages>"
    )
    response = _call(sandbox, "createMetadata", _component("Workflow", message))

    assert response.status_code == 500
    assert TOKEN not in response.text


def test_components_naming_what_the_org_lacks_are_refused(sf: Salesforce) -> None:
    md = sf.mdapi
    with pytest.raises(Exception, match="INVALID_CROSS_REFERENCE_KEY"):
        md.CustomTab.create([md.CustomTab(fullName=REFERRAL, customObject=True, motif="x")])
    provision_referral(sf)
    with pytest.raises(Exception, match="INVALID_CROSS_REFERENCE_KEY"):
        md.CustomApplication.create(
            [md.CustomApplication(fullName="Refnet", label="Refnet", tabs=[REFERRAL])]
        )
    with pytest.raises(Exception, match="FIELD_INTEGRITY_EXCEPTION"):
        md.ListView.create(
            [
                md.ListView(
                    fullName=f"{REFERRAL}.All",
                    label="All",
                    filterScope="Everything",
                    columns=["NAME", "Missing__c"],
                )
            ]
        )
    with pytest.raises(Exception, match="INVALID_CROSS_REFERENCE_KEY"):
        md.Layout.create(
            [
                md.Layout(
                    fullName="Contact-Contact Layout",
                    relatedLists=[{"relatedList": f"{REFERRAL}.Amount__c"}],  # not a lookup
                )
            ]
        )
    with pytest.raises(Exception, match="INVALID_CROSS_REFERENCE_KEY"):
        md.Flow.create(
            [
                md.Flow(
                    fullName="Refnet_Deal_Event",
                    label="Refnet Deal Event",
                    actionCalls=[
                        {
                            "name": "Send",
                            "locationX": 0,
                            "locationY": 0,
                            "actionName": "Opportunity.Refnet_Deal_Event",  # no such message
                            "actionType": "outboundMessage",
                        }
                    ],
                )
            ]
        )
    with pytest.raises(Exception, match="INVALID_CROSS_REFERENCE_KEY"):
        md.CustomObject.update(
            [
                md.CustomObject(
                    fullName=REFERRAL,
                    label="Referral",
                    pluralLabel="Referrals",
                    compactLayoutAssignment="Not_There",
                )
            ]
        )


def test_bulk_api_sharing_and_streaming_go_together(sf: Salesforce) -> None:
    provision_referral(sf)
    md = sf.mdapi
    with pytest.raises(Exception, match="FIELD_INTEGRITY_EXCEPTION"):
        md.CustomObject.update(
            [
                md.CustomObject(
                    fullName=REFERRAL,
                    label="Referral",
                    pluralLabel="Referrals",
                    enableBulkApi=True,
                    enableSharing=False,
                    enableStreamingApi=True,
                )
            ]
        )


def test_zeep_itself_refuses_an_element_the_wsdl_lacks(sf: Salesforce) -> None:
    with pytest.raises((TypeError, Fault)):
        sf.mdapi.CustomTab(fullName=REFERRAL, colour="red")


def test_field_history_needs_the_objects_history_switched_on(sf: Salesforce) -> None:
    provision_referral(sf)
    md = sf.mdapi
    tracked = md.CustomField(
        fullName=f"{REFERRAL}.Amount__c",
        label="Amount",
        type=md.FieldType("Number"),
        precision=16,
        scale=2,
        trackHistory=True,
    )
    with pytest.raises(Exception, match="FIELD_INTEGRITY_EXCEPTION"):
        md.CustomField.update([tracked])

    md.CustomObject.update(
        [
            md.CustomObject(
                fullName=REFERRAL,
                label="Referral",
                pluralLabel="Referrals",
                nameField=md.CustomField(
                    label="Referral Name", type=md.FieldType("AutoNumber"), displayFormat="R-{0}"
                ),
                deploymentStatus=md.DeploymentStatus("Deployed"),
                sharingModel=md.SharingModel("ReadWrite"),
                enableHistory=True,
            )
        ]
    )
    md.CustomField.update([tracked])
    assert md.CustomField.read([f"{REFERRAL}.Amount__c"]).trackHistory is True
