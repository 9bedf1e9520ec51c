"""Permissions against the strict sandbox: an integration user with nothing but its profile.

The sandbox runs with the ``minimum_access`` profile (Minimum Access - API Only
Integrations): every object and field refnet uses must come from ``Refnet_Integration``,
which ``provision`` deploys and assigns. ``check`` must see exactly that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest
from typer.testing import CliRunner

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.cli import app
from adapters.salesforce.client import choose_flow
from adapters.salesforce.metadata import integration_permission_set
from adapters.sandbox import Sandbox, SandboxConfig, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.errors import ConfigError
from connector.model import Circle
from connector.rules import RulesConfig
from connector.settings import SalesforceSettings, load_settings
from connector.store import Store
from connector.sync.engine import run_sync
from mappings.loader import load_mappings
from mappings.objects import mapped_objects
from tests.connector.factories import member, referral


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    config = SandboxConfig(salesforce_profile="minimum_access")
    with run_sandbox(tmp_path / "sandbox", config) as running:
        yield running


@pytest.fixture
def adapter(sandbox: Sandbox) -> SalesforceAdapter:
    return salesforce_adapter(load_settings(), sandbox)


def _client(sandbox: Sandbox) -> Salesforce:
    return Salesforce(
        instance_url=sandbox.salesforce_url,
        session_id=sandbox.session_id,
        session=sandbox.salesforce_session(),
        version=sandbox.api_version,
    )


def test_provision_then_check_then_sync_with_only_the_integration_set(
    adapter: SalesforceAdapter, sandbox: Sandbox, store: Store
) -> None:
    before = adapter.check_permissions()
    # Nothing but the profile: not even Contact can be read yet.
    assert {"Read on object Contact", "Create on object Account", "Read on object Opportunity"} <= {
        m.describe() for m in before.missing
    }

    adapter.provision()
    after = adapter.check_permissions()
    assert after.missing == []
    assert after.objects_checked == 12  # the mapped objects (events, contributions) and Opportunity
    assert after.fields_checked == len(
        integration_permission_set(adapter.mappings).body["fieldPermissions"]
    )
    assert adapter.assign_integration_permission_set() is False  # idempotent

    with store.transaction() as tx:
        tx.put_many([member(f"m{i}", organisation=f"Firma {i} GmbH") for i in range(3)])
        tx.put_many(
            [member(f"p{i}", circle=Circle.PROSPECT, email=f"p{i}@example.de") for i in range(3)]
        )
        tx.put_many([referral(f"r{i}", f"m{i}", f"p{i}") for i in range(3)])
    summary = run_sync(
        store, adapter, mapped_objects(adapter.mappings, RulesConfig().multiplier), target="sb"
    )
    assert (summary.status, summary.counts.failed) == ("completed", 0)
    assert summary.counts.succeeded == summary.counts.planned > 0
    sf = _client(sandbox)
    assert sf.query("SELECT COUNT() FROM Refnet_Referral__c")["totalSize"] == 3
    assert sf.query("SELECT COUNT() FROM Contact WHERE Refnet_Id__c != null")["totalSize"] == 6


def test_a_missing_field_permission_is_named_by_check(
    adapter: SalesforceAdapter, sandbox: Sandbox
) -> None:
    adapter.provision()
    # An admin takes one field away from the integration set.
    md = _client(sandbox).mdapi
    current = md.PermissionSet.read("Refnet_Integration")
    current.fieldPermissions = [
        p for p in current.fieldPermissions if p.field != "Contact.Refnet_Ladder_Stage__c"
    ]
    md.PermissionSet.update([current])

    result = adapter.check_permissions()

    assert [m.describe() for m in result.missing] == [
        "Read on field Contact.Refnet_Ladder_Stage__c"
    ]


def test_soql_and_dml_on_an_invisible_field_are_invalid_field(
    adapter: SalesforceAdapter, sandbox: Sandbox
) -> None:
    adapter.provision()
    md = _client(sandbox).mdapi
    current = md.PermissionSet.read("Refnet_Integration")
    current.fieldPermissions = [
        p for p in current.fieldPermissions if p.field != "Contact.Refnet_Region__c"
    ]
    md.PermissionSet.update([current])
    sf = _client(sandbox)

    with pytest.raises(SalesforceMalformedRequest) as soql:
        sf.query("SELECT Id, Refnet_Region__c FROM Contact")
    assert soql.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as dml:
        sf.Contact.create({"LastName": "Weber", "Refnet_Region__c": "Bayern"})
    assert dml.value.content[0]["errorCode"] == "INVALID_FIELD"
    # Opportunity is granted Read only: creating one is refused for the object.
    with pytest.raises(SalesforceMalformedRequest) as readonly:
        sf.Opportunity.create(
            {"Name": "Auftrag", "StageName": "Prospecting", "CloseDate": "2026-12-31"}
        )
    assert readonly.value.content[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"


def test_an_object_without_permission_is_refused_with_the_documented_codes(
    sandbox: Sandbox,
) -> None:
    sf = _client(sandbox)
    with pytest.raises(SalesforceMalformedRequest) as query:
        sf.query("SELECT Id FROM Contact")
    assert query.value.content[0]["errorCode"] == "INVALID_TYPE"
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert "Contact" not in names


def test_the_check_command_exits_6_and_names_what_is_missing(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFNET_SALESFORCE__SESSION_ID", sandbox.session_id)
    monkeypatch.setenv("REFNET_SALESFORCE__INSTANCE_URL", sandbox.salesforce_url)
    monkeypatch.setenv("REFNET_SALESFORCE__API_VERSION", sandbox.api_version)
    monkeypatch.setenv("REFNET_SALESFORCE__VERIFY", sandbox.ca_bundle)
    # requests lets REQUESTS_CA_BUNDLE override a session's verify; zeep trusts only it.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.combined_ca_bundle)
    runner = CliRunner()

    missing = runner.invoke(app, ["check", "--json"])
    assert missing.exit_code == ConfigError.exit_code, missing.output
    body = json.loads(missing.output)
    assert body["ok"] is False
    assert {"kind": "object", "name": "Refnet_Referral__c", "permission": "Read"} in body["missing"]

    human = runner.invoke(app, ["check"])
    assert isinstance(human.exception, ConfigError)
    assert "missing: Read on field Contact.Email" in human.output

    assert runner.invoke(app, ["provision"]).exit_code == 0
    ok = runner.invoke(app, ["check", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["missing"] == []


def test_client_credentials_settings_log_in_provision_and_check(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented login (an External Client App's client credentials) end to end."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.combined_ca_bundle)  # zeep's session
    login = sandbox.salesforce_login
    settings = SalesforceSettings(
        consumer_key=login.client_id,
        consumer_secret=SecretStr(login.client_secret),
        domain=sandbox.salesforce_login_domain,
        api_version=sandbox.api_version,
    )
    assert choose_flow(settings).name == "client credentials"
    adapter = SalesforceAdapter(
        settings, load_mappings("salesforce"), session=sandbox.salesforce_session()
    )

    adapter.provision()

    assert adapter.check_permissions().missing == []
    assert sandbox.request_count("salesforce.oauth_token") == 1
    assert sandbox.request_count("salesforce.userinfo") == 2  # assignment, then the check
