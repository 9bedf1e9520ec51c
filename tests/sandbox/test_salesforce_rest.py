"""The fake Salesforce's REST API driven by simple-salesforce over real https."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)
from simple_salesforce.format import format_external_id

from adapters.sandbox import Sandbox
from adapters.sandbox.salesforce_api import login_domain
from tests.sandbox.conftest import QUERY_PAGE
from tests.sandbox.helpers import (
    EXTERNAL_ID,
    REFERRAL,
    collections_upsert,
    provision_referral,
    referral,
)

pytestmark = pytest.mark.usefixtures("mdapi_trusts_sandbox")


def test_versions_and_global_describe_list_the_standard_objects(sf: Salesforce) -> None:
    versions = sf.session.get(f"https://{sf.sf_instance}/services/data/").json()
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in versions
    names = {o["name"]: o["keyPrefix"] for o in sf.describe()["sobjects"]}
    assert names == {
        "Account": "001",
        "Contact": "003",
        "Opportunity": "006",
        "User": "005",
        "PermissionSet": "0PS",
        "PermissionSetAssignment": "0Pa",
    }


def test_describe_shows_fields_provisioned_through_the_metadata_api(sf: Salesforce) -> None:
    provision_referral(sf)
    describe = getattr(sf, REFERRAL).describe()
    fields = {f["name"]: f for f in describe["fields"]}
    assert describe["custom"] is True and describe["keyPrefix"].startswith("a")
    assert fields[EXTERNAL_ID]["externalId"] and fields[EXTERNAL_ID]["unique"]
    assert fields[EXTERNAL_ID]["length"] == 64
    assert [v["value"] for v in fields["Stage__c"]["picklistValues"]] == ["New", "Won"]
    assert fields["Stage__c"]["restrictedPicklist"] is True
    assert fields["Referred_By__c"]["referenceTo"] == ["Contact"]
    assert fields["Name"]["autoNumber"] is True and fields["Name"]["createable"] is False
    assert fields["SystemModstamp"]["type"] == "datetime"


def test_objects_that_were_not_provisioned_are_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as describe_error:
        sf.Referral__c.describe()
    assert describe_error.value.content[0]["errorCode"] == "NOT_FOUND"
    with pytest.raises(SalesforceMalformedRequest) as query_error:
        sf.query("SELECT Id FROM Referral__c")
    assert query_error.value.content[0]["errorCode"] == "INVALID_TYPE"
    with pytest.raises(SalesforceMalformedRequest) as upsert_error:
        collections_upsert(sf, [referral("r-1")])
    assert upsert_error.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_single_upsert_creates_then_updates_by_external_id(sf: Salesforce) -> None:
    provision_referral(sf)
    key = format_external_id(EXTERNAL_ID, "ref/1")  # a slash must survive the URL
    assert sf.Referral__c.upsert(key, {"Stage__c": "New"}) == 201
    assert sf.Referral__c.upsert(key, {"Stage__c": "Won"}) == 200
    rows = sf.query_all(f"SELECT Name, {EXTERNAL_ID}, Stage__c FROM {REFERRAL}")["records"]
    assert [(r["Name"], r[EXTERNAL_ID], r["Stage__c"]) for r in rows] == [
        ("REF-0001", "ref/1", "Won")
    ]
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.Referral__c.upsert(key, {"Stage__c": "Bogus"})
    assert error.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_collections_upsert_answers_per_record_in_request_order(sf: Salesforce) -> None:
    provision_referral(sf)
    collections_upsert(sf, [referral("r-2", Stage__c="New")])
    results = collections_upsert(
        sf,
        [
            referral("r-1", Stage__c="New", Amount__c=12.5),
            referral("r-2", Stage__c="Bogus"),
            referral("r-3", Unknown__c="x"),
            {"External_Id__c": "r-4"},  # no attributes.type
            referral("r-2", Stage__c="Won"),
            referral("r-5", Referred_By__c="not-an-id"),
            referral("r-6", Referred_By__c="003000000000000AAA"),  # well formed, no such record
        ],
    )
    assert results[0]["success"] and results[0]["created"] and len(results[0]["id"]) == 18
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "DUPLICATE_EXTERNAL_ID",
                "message": "Duplicate external id specified: r-2",
                "fields": [],
            }
        ],
    }
    assert results[4]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert results[2]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert results[3]["errors"][0]["statusCode"] == "INVALID_TYPE"
    assert results[5]["errors"][0]["statusCode"] == "MALFORMED_ID"
    assert results[6]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    rows = sf.query(f"SELECT {EXTERNAL_ID}, Amount__c FROM {REFERRAL} ORDER BY {EXTERNAL_ID}")
    assert [(r[EXTERNAL_ID], r["Amount__c"]) for r in rows["records"]] == [
        ("r-1", 12.5),
        ("r-2", None),
    ]


def test_collections_upsert_updates_existing_records_and_links_lookups(sf: Salesforce) -> None:
    provision_referral(sf)
    contact_id = sf.Contact.create({"LastName": "Lovelace", "FirstName": "Ada"})["id"]
    first = collections_upsert(sf, [referral("r-1", Stage__c="New")])
    second = collections_upsert(sf, [referral("R-1", Stage__c="Won", Referred_By__c=contact_id)])
    # The external id is case-insensitive, so "R-1" is the same record.
    assert second[0]["id"] == first[0]["id"] and second[0]["created"] is False
    record = sf.Referral__c.get(first[0]["id"])
    assert record["Stage__c"] == "Won" and record["Referred_By__c"] == contact_id
    assert sf.Contact.get(contact_id)["Name"] == "Ada Lovelace"


def test_all_or_none_rolls_every_record_back(sf: Salesforce) -> None:
    provision_referral(sf)
    results = collections_upsert(
        sf, [referral("r-1", Stage__c="New"), referral("r-2", Stage__c="Bogus")], all_or_none=True
    )
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert sf.query(f"SELECT COUNT() FROM {REFERRAL}")["totalSize"] == 0


def test_collections_refuse_more_than_200_records(sf: Salesforce) -> None:
    provision_referral(sf)
    with pytest.raises(SalesforceMalformedRequest) as error:
        collections_upsert(sf, [referral(f"r-{i}") for i in range(201)])
    assert error.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_required_fields_are_enforced_on_create(sf: Salesforce) -> None:
    result = sf.restful(
        "composite/sobjects/Contact/Id",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Contact"}, "FirstName": "No last name"}]},
    )
    assert isinstance(result, list)
    assert result[0]["errors"][0] == {
        "statusCode": "REQUIRED_FIELD_MISSING",
        "message": "Required fields are missing: [LastName]",
        "fields": ["LastName"],
    }


def test_query_pages_through_next_records_url(sf: Salesforce) -> None:
    provision_referral(sf)
    collections_upsert(sf, [referral(f"r-{i:02d}", Stage__c="New") for i in range(8)])
    first = sf.query(f"SELECT {EXTERNAL_ID} FROM {REFERRAL} ORDER BY {EXTERNAL_ID} DESC")
    assert first["totalSize"] == 8 and first["done"] is False
    assert len(first["records"]) == QUERY_PAGE
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert [r[EXTERNAL_ID] for r in second["records"]] == ["r-04", "r-03", "r-02"]
    everything = sf.query_all(f"SELECT {EXTERNAL_ID} FROM {REFERRAL} LIMIT 7")
    assert everything["totalSize"] == 7
    include_deleted = sf.query(f"SELECT Id FROM {REFERRAL}", include_deleted=True)
    assert include_deleted["nextRecordsUrl"].startswith("/services/data/v62.0/queryAll/")


def test_query_filters_on_system_modstamp_and_in_lists(sf: Salesforce, sandbox: Sandbox) -> None:
    provision_referral(sf)
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    collections_upsert(sf, [referral("old", Stage__c="Won")])
    checkpoint = sf.query_all(f"SELECT SystemModstamp FROM {REFERRAL}")["records"][0]
    collections_upsert(sf, [referral("new", Stage__c="Won"), referral("other", Stage__c="New")])
    # Salesforce's own millisecond stamp as a checkpoint: only later writes match.
    changed = sf.query_all(
        format_soql(
            "SELECT {:literal} FROM Referral__c WHERE SystemModstamp > {:literal} "
            "AND Stage__c IN {}",
            EXTERNAL_ID,
            checkpoint["SystemModstamp"],
            ["Won", "Lost"],
        )
    )
    assert [r[EXTERNAL_ID] for r in changed["records"]] == ["new"]
    # format_soql's second-precision datetimes work too.
    since = format_soql("SELECT Id FROM Referral__c WHERE SystemModstamp >= {}", hour_ago)
    assert sf.query_all(since)["totalSize"] == 3
    with pytest.raises(SalesforceMalformedRequest) as error:
        sf.query(f"SELECT Id FROM {REFERRAL} WHERE SystemModstamp > '2024-01-01T00:00:00Z'")
    assert error.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.query(f"SELECT Nope__c FROM {REFERRAL}")
    assert "No such column 'Nope__c'" in unknown.value.content[0]["message"]


def test_every_answer_reports_api_usage(sf: Salesforce, sandbox: Sandbox) -> None:
    sandbox.faults.set_salesforce_usage(100, 5000)
    sf.describe()
    assert sf.api_usage["api-usage"].used == 101
    assert sf.api_usage["api-usage"].total == 5000
    contact = sf.Contact
    contact.describe()
    assert contact.api_usage["api-usage"].used == 102
    assert sf.limits()["DailyApiRequests"] == {"Max": 5000, "Remaining": 4897}


def test_a_wrong_session_id_is_refused_with_the_documented_body(sandbox: Sandbox) -> None:
    sf = Salesforce(
        instance_url=sandbox.salesforce_url,
        session_id="00D000000000000!wrong",
        session=sandbox.salesforce_session(),
        version="62.0",
    )
    with pytest.raises(SalesforceExpiredSession) as error:
        sf.describe()
    assert error.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_client_credentials_flow_through_the_token_endpoint(sandbox: Sandbox) -> None:
    login = sandbox.salesforce_login
    sf = Salesforce(
        consumer_key=login.client_id,
        consumer_secret=login.client_secret,
        domain=sandbox.salesforce_login_domain,
        session=sandbox.salesforce_session(),
        version="62.0",
    )
    assert sf.session_id != sandbox.session_id
    assert f"https://{sf.sf_instance}" == sandbox.salesforce_url
    assert sf.Contact.describe()["name"] == "Contact"
    assert sandbox.request_count("salesforce.oauth_token") == 1


def test_password_login_over_soap(sandbox: Sandbox) -> None:
    login = sandbox.salesforce_login
    sf = Salesforce(
        username=login.username,
        password=login.password,
        security_token=login.security_token,
        domain=login_domain(sandbox.salesforce_url, "/services/Soap/u/62.0"),
        session=sandbox.salesforce_session(),
        version="62.0",
    )
    assert sf.describe() is not None
    assert sandbox.request_count("salesforce.soap_login") == 1


def test_read_by_external_id_and_get_updated(sf: Salesforce) -> None:
    provision_referral(sf)
    start = datetime.now(UTC) - timedelta(minutes=5)
    collections_upsert(sf, [referral("r-1", Stage__c="New")])
    record = sf.Referral__c.get_by_custom_id(EXTERNAL_ID, "r-1")
    assert (record[EXTERNAL_ID], record["Stage__c"]) == ("r-1", "New")
    end = datetime.now(UTC) + timedelta(minutes=1)
    assert sf.Referral__c.updated(start, end)["ids"] == [record["Id"]]
    assert sf.Referral__c.updated(start, start + timedelta(minutes=1))["ids"] == []
    assert sf.Referral__c.deleted(start, end)["deletedRecords"] == []
    with pytest.raises(SalesforceResourceNotFound):
        sf.Referral__c.get_by_custom_id(EXTERNAL_ID, "missing")


def test_oauth_password_grant_and_a_refused_login(sandbox: Sandbox) -> None:
    login = sandbox.salesforce_login
    credentials = {
        "username": login.username,
        "consumer_key": login.client_id,
        "consumer_secret": login.client_secret,
        "domain": sandbox.salesforce_login_domain,
        "session": sandbox.salesforce_session(),
        "version": "62.0",
    }
    sf = Salesforce(password=login.password + login.security_token, **credentials)
    assert sf.Contact.describe()["name"] == "Contact"
    with pytest.raises(SalesforceAuthenticationFailed) as refused:
        Salesforce(password="wrong", **credentials)
    assert refused.value.code == "invalid_grant"
