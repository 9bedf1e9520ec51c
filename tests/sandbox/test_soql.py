"""The SOQL subset, parsed and run without a server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from simple_salesforce import format_soql

from adapters.sandbox.salesforce_schema import SYSTEM_FIELDS, SfField
from adapters.sandbox.soql import SoqlError, parse_soql

FIELDS = {
    f.name.lower(): f
    for f in (
        *SYSTEM_FIELDS,
        SfField("Name", "Name", "string", length=80),
        SfField("Amount__c", "Amount", "double"),
        SfField("Won__c", "Won", "boolean"),
        SfField("Close__c", "Close", "date"),
    )
}
RECORDS: list[Mapping[str, Any]] = [
    {
        "Id": "a",
        "Name": "O'Hara",
        "Amount__c": 5.0,
        "Won__c": True,
        "Close__c": "2024-02-01",
        "SystemModstamp": "2024-05-01T10:00:00.000+0000",
    },
    {
        "Id": "b",
        "Name": "beta",
        "Amount__c": None,
        "Won__c": False,
        "Close__c": None,
        "SystemModstamp": "2024-05-01T11:00:00.000+0000",
    },
    {
        "Id": "c",
        "Name": "Alpha",
        "Amount__c": 7.5,
        "Won__c": False,
        "Close__c": "2024-01-15",
        "SystemModstamp": "2024-05-01T12:00:00.000+0000",
    },
]


def run(text: str) -> list[str]:
    query = parse_soql(text, lambda name: FIELDS if name.lower() == "thing__c" else None)
    return [str(r["Id"]) for r in query.run(RECORDS)]


def test_filters_combine_with_and() -> None:
    assert run("SELECT Id FROM Thing__c WHERE Amount__c > 4 AND Won__c = false") == ["c"]
    assert run("select id from thing__c where name = 'ALPHA'") == ["c"]  # text ignores case
    assert run(format_soql("SELECT Id FROM Thing__c WHERE Name = {}", "O'Hara")) == ["a"]
    assert run("SELECT Id FROM Thing__c WHERE Name LIKE 'al%'") == ["c"]
    assert run("SELECT Id FROM Thing__c WHERE Id NOT IN ('a', 'c')") == ["b"]
    assert run("SELECT Id FROM Thing__c WHERE Amount__c = null") == ["b"]
    assert run("SELECT Id FROM Thing__c WHERE Close__c < 2024-02-01") == ["c"]


def test_datetime_literals_in_any_offset_form() -> None:
    for literal in (
        "2024-05-01T11:00:00Z",
        "2024-05-01T11:00:00.000+0000",
        "2024-05-01T13:00:00+02:00",
    ):
        assert run(f"SELECT Id FROM Thing__c WHERE SystemModstamp >= {literal}") == ["b", "c"]


def test_order_limit_offset_and_nulls() -> None:
    assert run("SELECT Id FROM Thing__c ORDER BY Amount__c") == ["b", "a", "c"]  # nulls first
    assert run("SELECT Id FROM Thing__c ORDER BY Amount__c DESC") == ["c", "a", "b"]
    assert run("SELECT Id FROM Thing__c ORDER BY Amount__c ASC NULLS LAST LIMIT 2") == ["a", "c"]
    assert run("SELECT Id FROM Thing__c ORDER BY Name LIMIT 1 OFFSET 1") == ["b"]


def test_count_only() -> None:
    query = parse_soql("SELECT COUNT() FROM Thing__c WHERE Won__c = true", lambda _: FIELDS)
    assert query.count_only and len(query.run(RECORDS)) == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
        ("SELECT Missing__c FROM Thing__c", "INVALID_FIELD"),
        ("SELECT Account.Name FROM Thing__c", "INVALID_FIELD"),
        ("SELECT Id FROM Thing__c WHERE SystemModstamp > '2024-01-01'", "INVALID_FIELD"),
        ("SELECT Id FROM Thing__c WHERE Won__c = true OR Won__c = false", "MALFORMED_QUERY"),
        ("SELECT Id FROM Thing__c WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Thing__c LIMIT x", "MALFORMED_QUERY"),
        ("SELECT Id Thing__c", "MALFORMED_QUERY"),
    ],
)
def test_refused_queries_name_the_salesforce_error_code(text: str, code: str) -> None:
    with pytest.raises(SoqlError) as error:
        run(text)
    assert error.value.code == code


_DEALS = {
    f.name.lower(): f
    for f in (
        *SYSTEM_FIELDS,
        SfField("Name", "Name", "string", length=80),
        SfField("Deal__c", "Deal", "reference", length=18, reference_to=("Opportunity",)),
    )
}
_OPPORTUNITIES = {f.name.lower(): f for f in (*SYSTEM_FIELDS, SfField("Name", "Name", "string"))}


def _semi(text: str) -> list[str]:
    def resolve(name: str) -> Mapping[str, SfField] | None:
        return {"Referral__c": _DEALS, "Opportunity": _OPPORTUNITIES}.get(name)

    referrals = [
        {"Id": "r1", "Name": "a", "Deal__c": "o1"},
        {"Id": "r2", "Name": "b", "Deal__c": None},
        {"Id": "r3", "Name": "c", "Deal__c": "o3"},
    ]
    opportunities = [{"Id": f"o{i}", "Name": f"deal {i}"} for i in range(1, 5)]
    tables = {"Referral__c": referrals, "Opportunity": opportunities}
    query = parse_soql(text, resolve)
    return [str(r["Id"]) for r in query.run(tables[query.object_name], tables.__getitem__)]


def test_a_semi_join_selects_the_records_another_object_points_at() -> None:
    inner = "SELECT Deal__c FROM Referral__c WHERE Deal__c != null"
    assert _semi(f"SELECT Id FROM Opportunity WHERE Id IN ({inner})") == ["o1", "o3"]
    assert _semi(f"SELECT Id FROM Opportunity WHERE Id NOT IN ({inner})") == ["o2", "o4"]
    narrowed = f"SELECT Id FROM Opportunity WHERE Id IN ({inner} AND Name = 'a') AND Name != 'x'"
    assert _semi(narrowed) == ["o1"]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FROM Opportunity WHERE Name IN (SELECT Deal__c FROM Referral__c)",
        "SELECT Id FROM Opportunity WHERE Id IN (SELECT Name FROM Referral__c)",
        "SELECT Id FROM Opportunity WHERE Id IN (SELECT Id, Deal__c FROM Referral__c)",
        "SELECT Id FROM Opportunity WHERE Id IN (SELECT Deal__c FROM Referral__c "
        "WHERE Id IN (SELECT Id FROM Opportunity))",
    ],
)
def test_semi_joins_salesforce_refuses_are_refused(text: str) -> None:
    with pytest.raises(SoqlError) as refused:
        _semi(text)
    assert refused.value.code == "MALFORMED_QUERY"
