"""The fake org as a customer's: its population, duplicate rules and private Contacts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from typer.testing import CliRunner

from adapters.sandbox import Sandbox, SandboxConfig, run_sandbox
from adapters.sandbox.auth import USER_ID
from adapters.sandbox.salesforce_duplicates import DUPLICATE_HEADER, MATCH_KEY, org_counts
from adapters.sandbox.salesforce_population import POPULATION, SALES_USER_ID
from adapters.sandbox.salesforce_records import UpsertInput
from connector.cli.app import app as cli_app


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Sandbox]:
    with run_sandbox(tmp_path / "org", SandboxConfig(salesforce_populated=True)) as running:
        yield running


@pytest.fixture
def crm(org: Sandbox) -> Salesforce:
    return org.salesforce_client()


def test_the_population_is_fixed_and_written_once(tmp_path: Path) -> None:
    config = SandboxConfig(salesforce_populated=True)
    with run_sandbox(tmp_path / "a", config) as first:
        counts = org_counts(first.salesforce.records)
        names = [a["Name"] for a in first.salesforce.records.all("Account")]
    with run_sandbox(tmp_path / "a", config) as again:  # a restart adds nothing
        assert org_counts(again.salesforce.records) == counts
    with run_sandbox(tmp_path / "b", config) as other:
        assert [a["Name"] for a in other.salesforce.records.all("Account")] == names
    assert counts["Account"] == len(POPULATION.accounts)
    assert counts["duplicates"] == 1, "the one company entered twice"
    with run_sandbox(tmp_path / "empty") as empty:
        assert org_counts(empty.salesforce.records)["Contact"] == 0, "empty unless asked"


def test_a_contact_with_an_existing_email_is_refused_unless_the_header_allows_it(
    crm: Salesforce,
) -> None:
    duplicate = {"LastName": "Ott", "Email": "EVA.OTT@wagner-metallbau.example"}
    with pytest.raises(SalesforceMalformedRequest) as refused:
        crm.Contact.create(duplicate)
    assert refused.value.content[0]["errorCode"] == "DUPLICATES_DETECTED"
    assert refused.value.content[0]["message"] == "Use one of these records?"
    created = crm.Contact.create(duplicate, headers={DUPLICATE_HEADER: "allowSave=true"})
    assert created["success"]
    with pytest.raises(SalesforceMalformedRequest):  # allowSave=false is the default
        crm.Contact.create(duplicate, headers={DUPLICATE_HEADER: "allowSave=false"})


def test_an_account_name_matches_whatever_its_spelling_and_legal_form(crm: Salesforce) -> None:
    for spelling in ("wagner metallbau", "Wagner Metallbau GmbH & Co. KG", "WAGNER-METALLBAU AG"):
        with pytest.raises(SalesforceMalformedRequest) as refused:
            crm.Account.create({"Name": spelling})
        assert refused.value.content[0]["errorCode"] == "DUPLICATES_DETECTED"
    assert crm.Account.create({"Name": "Wagner Holzbau GmbH"})["success"]


def test_the_duplicate_result_names_the_matched_records(org: Sandbox) -> None:
    records = org.salesforce.records
    obj = org.salesforce.schema.object("Contact")
    id_field = org.salesforce.schema.field_map("Contact")["id"]
    assert obj is not None
    (eva,) = [c["Id"] for c in records.all("Contact") if c.get("LastName") == "Ott"]
    (outcome,) = records.upsert(
        obj,
        id_field,
        [UpsertInput(None, {"LastName": "O", "Email": "eva.ott@wagner-metallbau.example"})],
    )
    (error,) = [e.as_json() for e in outcome.errors]
    result = error["duplicateResult"]
    assert (result["duplicateRuleEntityType"], result["allowSave"]) == ("Contact", True)
    (match,) = result["matchResults"]
    assert [m["record"]["Id"] for m in match["matchRecords"]] == [eva]
    assert (match["entityType"], match["size"], match["success"]) == ("Contact", 1, True)


def test_private_contacts_of_other_owners_are_invisible_and_not_compared(
    org: Sandbox, crm: Salesforce
) -> None:
    rows = crm.query_all("SELECT Id, Email FROM Contact")["records"]
    emails = {r["Email"] for r in rows}
    assert "sabine.privat@example.org" not in emails
    every = org.salesforce.records.all("Contact")
    assert len(rows) == len(every) - 2, "two private Contacts of another owner"
    assert {c["OwnerId"] for c in every if not c.get("AccountId")} == {SALES_USER_ID}
    # The standard rules enforce sharing: what the user cannot see is no duplicate to it.
    created = crm.Contact.create({"LastName": "Privat", "Email": "sabine.privat@example.org"})
    assert created["success"]
    assert crm.Contact.get(created["id"])["OwnerId"] == USER_ID


def test_editing_a_record_into_a_duplicate_only_reports(org: Sandbox, crm: Salesforce) -> None:
    (jens,) = crm.query_all("SELECT Id FROM Contact WHERE LastName = 'Schulz'")["records"]
    body = {
        "allOrNone": False,
        "records": [
            {
                "attributes": {"type": "Contact"},
                "id": jens["Id"],
                "Email": "eva.ott@wagner-metallbau.example",
            }
        ],
    }
    (result,) = crm.restful("composite/sobjects", method="PATCH", json=body)
    assert result["success"], "the standard rules' action on edit is Allow with a report"


def test_a_record_is_compared_by_its_current_email_after_an_edit(crm: Salesforce) -> None:
    (jens,) = crm.query_all("SELECT Id, Email FROM Contact WHERE LastName = 'Schulz'")["records"]
    edit = {"attributes": {"type": "Contact"}, "id": jens["Id"], "Email": "jens.schulz@neu.example"}
    body = {"allOrNone": True, "records": [edit]}
    (edited,) = crm.restful("composite/sobjects", method="PATCH", json=body)
    assert edited["success"], edited
    with pytest.raises(SalesforceMalformedRequest) as refused:
        crm.Contact.create({"LastName": "Schulz", "Email": "JENS.SCHULZ@neu.example"})
    assert refused.value.content[0]["errorCode"] == "DUPLICATES_DETECTED"
    # The old address belongs to nobody any more.
    assert crm.Contact.create({"LastName": "Schulz", "Email": jens["Email"]})["success"]


def test_a_sandbox_folder_from_before_the_duplicate_index_still_refuses_duplicates(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "org"
    config = SandboxConfig(salesforce_populated=True)
    with run_sandbox(folder, config):
        pass
    with sqlite3.connect(folder / "sandbox.db") as old:  # as an older sandbox wrote it
        assert old.execute("DELETE FROM sf_index WHERE field = ?", (MATCH_KEY,)).rowcount > 0
        old.execute("DELETE FROM meta WHERE key = 'sf.duplicate_match_index'")
    with run_sandbox(folder, config) as reopened:
        crm = reopened.salesforce_client()
        with pytest.raises(SalesforceMalformedRequest) as refused:
            crm.Contact.create({"LastName": "Ott", "Email": "eva.ott@wagner-metallbau.example"})
        assert refused.value.content[0]["errorCode"] == "DUPLICATES_DETECTED"


def test_opportunities_derive_closed_and_won_from_the_stage(crm: Salesforce) -> None:
    rows = crm.query_all("SELECT StageName, IsClosed, IsWon FROM Opportunity")["records"]
    flags = {r["StageName"]: (r["IsClosed"], r["IsWon"]) for r in rows}
    assert flags["Closed Won"] == (True, True)
    assert flags["Closed Lost"] == (True, False)
    assert flags["Qualification"] == (False, False)


def test_sandbox_stats_counts_the_org_and_its_duplicates(tmp_path: Path) -> None:
    runner = CliRunner()
    state = str(tmp_path / "cli-org")
    result = runner.invoke(cli_app, ["sandbox", "--stats", "--state-dir", state])
    assert result.exit_code == 0, result.output
    assert "Account 9, Contact 9, Opportunity 4" in result.output
    assert result.output.rstrip().endswith(": 1")
