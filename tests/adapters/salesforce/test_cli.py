"""``refnet salesforce export-metadata`` and ``provision``, through typer."""

from __future__ import annotations

from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from adapters.salesforce.cli import app
from connector.errors import ConfigError
from tests.adapters.salesforce.fakes import INSTANCE, VERSION, MetadataOrg

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no refnet.toml from the developer's checkout
    for name in ("SESSION_ID", "INSTANCE_URL", "USERNAME", "PASSWORD", "SECURITY_TOKEN"):
        monkeypatch.delenv(f"REFNET_SALESFORCE__{name}", raising=False)


def test_export_metadata_writes_a_deployable_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export-metadata", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/sfdx-project.json").is_file()
    assert (
        tmp_path / "out/force-app/main/default/objects/Refnet_Referral__c/fields/Status__c"
        ".field-meta.xml"
    ).is_file()
    assert "sf project deploy start" in result.output


def test_provision_dry_run_reports_what_it_would_create(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFNET_SALESFORCE__SESSION_ID", "tok")
    monkeypatch.setenv("REFNET_SALESFORCE__INSTANCE_URL", INSTANCE)
    monkeypatch.setenv("REFNET_SALESFORCE__API_VERSION", VERSION)
    org = MetadataOrg()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        org.register(rsps, rest=False)  # a dry run assigns nothing
        result = runner.invoke(app, ["provision", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would create CustomObject Refnet_Referral__c" in result.output
    assert org.components == {}
    assert "planned" in result.output


def test_provision_without_credentials_fails_with_a_config_error() -> None:
    result = runner.invoke(app, ["provision"])

    # refnet's main CLI turns a ConfigError into its message and exit code 6
    assert isinstance(result.exception, ConfigError)
    assert "no salesforce login configured" in str(result.exception)


TOKEN = "tok-0123456789abcdefghijklmnopqrstuv"
BASE = "https://refnet.vogel.example"


def test_export_with_a_webhook_ships_deal_events_and_never_prints_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN", TOKEN)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "export-metadata",
            str(out),
            "--webhook-base-url",
            BASE,
            "--outbound-user",
            "integration@vogel.example",
        ],
    )

    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    workflow = out / "force-app/main/default/workflows/Opportunity.workflow-meta.xml"
    assert f"{BASE}/salesforce/outbound/{TOKEN}" in workflow.read_text()
    assert (out / "force-app/main/default/flows/Refnet_Deal_Event.flow-meta.xml").is_file()


def test_export_without_a_webhook_says_what_it_left_out(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export-metadata", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    assert "deal events left out" in result.output
    assert not (tmp_path / "out/force-app/main/default/flows").exists()


@pytest.mark.parametrize(
    ("base", "token", "user", "complaint"),
    [
        (BASE, None, "u@x.example", "REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN"),
        (BASE, "short", "u@x.example", "at least 32 characters"),
        ("http://refnet.vogel.example", TOKEN, "u@x.example", "must be https"),
        (BASE, TOKEN, None, "--outbound-user"),
    ],
)
def test_a_webhook_without_what_it_needs_is_a_config_error_naming_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    base: str,
    token: str | None,
    user: str | None,
    complaint: str,
) -> None:
    if token is None:
        monkeypatch.delenv("REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN", raising=False)
    else:
        monkeypatch.setenv("REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN", token)
    args = ["export-metadata", str(tmp_path / "out"), "--webhook-base-url", base]
    result = runner.invoke(app, [*args, *(["--outbound-user", user] if user else [])])

    assert isinstance(result.exception, ConfigError)
    assert complaint in str(result.exception)
    assert TOKEN not in str(result.exception)
    assert not (tmp_path / "out").exists()
