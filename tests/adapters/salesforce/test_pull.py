"""Incremental reads: the exact SOQL sent, paging, pulled values, safe quoting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import responses
from responses import matchers
from responses.registries import OrderedRegistry

from adapters.salesforce.adapter import SalesforceAdapter
from connector.crm import OutboundRecord
from connector.model import Agreement
from mappings import apply_updates, default_directory, from_crm_fields, load_mappings
from mappings.spec import MappingSet
from tests.adapters.salesforce.fakes import BASE, INSTANCE

SINCE = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)


def _ordered() -> responses.RequestsMock:
    return responses.RequestsMock(registry=OrderedRegistry, assert_all_requests_are_fired=True)


def _query(rsps: responses.RequestsMock, soql: str, page: dict[str, object]) -> None:
    rsps.add(
        responses.GET,
        f"{BASE}query/",
        json=page,
        match=[matchers.query_param_matcher({"q": soql})],
    )


def test_pulled_fields_of_a_mapped_object_are_read_since_a_timestamp_page_by_page(
    make_adapter: Callable[..., SalesforceAdapter], mappings: MappingSet
) -> None:
    adapter = make_adapter()
    soql = (
        "SELECT Id, SystemModstamp, Refnet_Id__c, Period_Start__c, Period_End__c, "
        "Review_Dates__c, Signed_On__c, Notes__c FROM Refnet_Agreement__c "
        "WHERE SystemModstamp >= 2024-05-01T08:30:15+00:00 ORDER BY SystemModstamp, Id"
    )
    first = {
        "totalSize": 2,
        "done": False,
        "nextRecordsUrl": "/services/data/v62.0/query/01gxx-2000",
        "records": [
            {
                "attributes": {"type": "Refnet_Agreement__c"},
                "Id": "a05000000000001",
                "SystemModstamp": "2024-05-02T10:00:00.000+0000",
                "Refnet_Id__c": "ag-1",
                "Period_Start__c": "2024-01-01",
                "Period_End__c": "2024-12-31",
                "Review_Dates__c": "2024-03-01; 2024-09-01",
                "Signed_On__c": "2024-01-15",
                "Notes__c": "agreed at the fair",
            }
        ],
    }
    second = {
        "totalSize": 2,
        "done": True,
        "records": [
            {
                "Id": "a05000000000002",
                "SystemModstamp": "2024-05-03T10:00:00.000+0000",
                "Refnet_Id__c": "ag-2",
                "Period_Start__c": None,
                "Period_End__c": None,
                "Review_Dates__c": None,
                "Signed_On__c": None,
                "Notes__c": None,
            }
        ],
    }
    with _ordered() as rsps:
        _query(rsps, soql, first)
        rsps.add(responses.GET, f"{INSTANCE}/services/data/v62.0/query/01gxx-2000", json=second)
        pulled = list(adapter.fetch_changes("Refnet_Agreement__c", SINCE))

    assert [(p.crm_id, p.key) for p in pulled] == [
        ("a05000000000001", "ag-1"),
        ("a05000000000002", "ag-2"),
    ]
    assert pulled[0].modified_at == datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
    assert pulled[0].fields["Notes__c"] == "agreed at the fair"

    mapping = mappings.by_object("Refnet_Agreement__c")
    assert mapping is not None
    agreement = Agreement(
        id="ag-1", partnership_id="p-1", period_start=date(2024, 1, 1), period_end=date(2024, 6, 30)
    )
    updated = apply_updates(
        agreement, from_crm_fields(mapping, pulled[0].fields, record_key="ag-1")
    )
    assert updated.period_end == date(2024, 12, 31)
    assert updated.review_dates == [date(2024, 3, 1), date(2024, 9, 1)]
    assert updated.signed_on == date(2024, 1, 15)
    assert updated.notes == "agreed at the fair"


def test_contacts_are_read_only_when_linked_to_refnet(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter()
    # LastActivityDate (issue #18): the last activity sales logged, read-only in Salesforce.
    soql = (
        "SELECT Id, SystemModstamp, Refnet_Id__c, Refnet_Vision__c, Email, LastActivityDate "
        "FROM Contact WHERE Refnet_Id__c != null ORDER BY SystemModstamp, Id"
    )
    page = {
        "done": True,
        "records": [
            {
                "Id": "003A",
                "SystemModstamp": "2024-05-02T10:00:00.000+0000",
                "Refnet_Id__c": "m-1",
                "Refnet_Vision__c": "grow together",
                "Email": "anna@example.com",
                "LastActivityDate": "2024-04-30",
            }
        ],
    }
    with _ordered() as rsps:
        _query(rsps, soql, page)
        (pulled,) = list(adapter.fetch_changes("Contact", None))

    assert pulled.key == "m-1"
    assert dict(pulled.fields) == {
        "Refnet_Vision__c": "grow together",
        "Email": "anna@example.com",
        "LastActivityDate": "2024-04-30",
    }


def test_opportunities_that_referrals_point_at_are_read_through_a_semi_join(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter()
    soql = (
        "SELECT Id, SystemModstamp, Name, StageName, IsClosed, IsWon, Amount, CloseDate "
        "FROM Opportunity WHERE Id IN (SELECT Opportunity__c FROM Refnet_Referral__c "
        "WHERE Opportunity__c != null) AND SystemModstamp >= 2024-05-01T08:30:15+00:00 "
        "ORDER BY SystemModstamp, Id"
    )
    row = {
        "Id": "006A",
        "SystemModstamp": "2024-05-02T10:00:00.000+0000",
        "Name": "Big deal",
        "StageName": "Closed Won",
        "IsClosed": True,
        "IsWon": True,
        "Amount": 12000.0,
        "CloseDate": "2024-05-02",
    }
    with _ordered() as rsps:
        _query(rsps, soql, {"done": True, "records": [row]})
        (pulled,) = list(adapter.fetch_changes("Opportunity", SINCE))

    assert (pulled.crm_id, pulled.key) == ("006A", None)
    assert pulled.fields["IsWon"] is True and pulled.fields["Amount"] == 12000.0


def test_emails_are_quoted_by_format_soql(make_adapter: Callable[..., SalesforceAdapter]) -> None:
    adapter = make_adapter()
    soql = (
        "SELECT Id, Email FROM Contact WHERE Email IN ('A@x.com','o\\'hara@x.com') "
        "AND Refnet_Id__c = null ORDER BY Id"
    )
    rows = [
        {"Id": "003A", "Email": "O'Hara@x.com"},
        {"Id": "003B", "Email": "a@x.com"},
        {"Id": "003C", "Email": "A@x.com"},
    ]
    records = [
        OutboundRecord("m1", {"Email": "o'hara@x.com"}, new=True),
        OutboundRecord("m2", {"Email": " A@x.com"}, new=True),
        OutboundRecord("m3", {"Email": ""}, new=True),
    ]
    with _ordered() as rsps:
        _query(rsps, soql, {"done": True, "records": rows})
        plan = adapter.linker.plan("Contact", "Refnet_Id__c", records)

    assert plan.links == {"m1": "003A"}
    # a@x.com belongs to two Contacts: ambiguous, so neither linked nor created
    assert plan.ambiguous["m2"].code == "AMBIGUOUS_MATCH"
    assert (plan.state("m2"), plan.state("m3")) == ("ambiguous", "new")


def test_external_ids_in_urls_are_escaped_and_a_miss_is_none(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    adapter = make_adapter()
    with _ordered() as rsps:
        rsps.add(
            responses.GET,
            f"{BASE}sobjects/Refnet_Referral__c/Refnet_Id__c/ref%2F1%3Fx%3D1",
            json={"Id": "a01A", "Refnet_Id__c": "ref/1?x=1"},
        )
        rsps.add(
            responses.GET,
            f"{BASE}sobjects/Refnet_Referral__c/Refnet_Id__c/missing",
            status=404,
            json=[{"errorCode": "NOT_FOUND", "message": "not found"}],
        )
        found = adapter.reader.find_by_external_id("Refnet_Referral__c", "ref/1?x=1")
        missing = adapter.reader.find_by_external_id("Refnet_Referral__c", "missing")

    assert found == {"Id": "a01A", "Refnet_Id__c": "ref/1?x=1"}
    assert missing is None


def test_a_pulled_lookup_by_external_id_reads_the_related_records_refnet_id(
    make_adapter: Callable[..., SalesforceAdapter],
) -> None:
    shipped = (default_directory("salesforce") / "referral.yaml").read_text()
    edited = shipped.replace(
        "    label: Recipient (Club Member)\n",
        "    label: Recipient (Club Member)\n    direction: pull\n",
    )
    assert edited != shipped
    mappings = load_mappings("salesforce", overrides={"referral.yaml": edited})
    adapter = make_adapter(mappings=mappings)
    soql = (
        "SELECT Id, SystemModstamp, Refnet_Id__c, Recipient__r.Refnet_Id__c, Opportunity__c, "
        "Note__c FROM Refnet_Referral__c ORDER BY SystemModstamp, Id"
    )
    row = {
        "Id": "a01A",
        "SystemModstamp": "2024-05-02T10:00:00.000+0000",
        "Refnet_Id__c": "ref-1",
        "Recipient__r": {"attributes": {"type": "Contact"}, "Refnet_Id__c": "m-9"},
        "Opportunity__c": "006A",
        "Note__c": None,
    }
    with _ordered() as rsps:
        _query(rsps, soql, {"done": True, "records": [row]})
        (pulled,) = list(adapter.fetch_changes("Refnet_Referral__c", None))

    mapping = mappings.by_object("Refnet_Referral__c")
    assert mapping is not None
    assert from_crm_fields(mapping, pulled.fields, record_key="ref-1") == {
        "recipient_id": "m-9",
        "deal_id": "006A",
        "note": None,
    }
