"""``refnet hubspot provision`` and ``refnet sync --target hubspot|sandbox-hubspot``, found
through the entry points, against the sandbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.sandbox import Sandbox
from connector.cli.app import app
from tests.conftest import SAMPLE_DIR

SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]
REFNET = Path(sys.executable).with_name("refnet")


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("REFNET_HUBSPOT__ACCESS_TOKEN", sandbox.hubspot_token)
    monkeypatch.setenv("REFNET_HUBSPOT__HOST", sandbox.hubspot_url)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_provision_then_sync_to_hubspot_through_the_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    portal = tmp_path / "portal.json"

    first = cli("hubspot", "provision", "--portal-file", str(portal))
    second = cli("hubspot", "provision", "--portal-file", str(portal))

    assert first.exit_code == 0, first.output
    assert "mode custom_objects" in first.output and portal.is_file()
    assert second.exit_code == 0, second.output
    assert "0 change(s)" in second.output

    # The sync target reads the portal file from its default place.
    default = cli("hubspot", "provision")
    assert default.exit_code == 0, default.output
    imported = cli("import", *(str(SAMPLE_DIR / name) for name in SAMPLE_FILES))
    assert imported.exit_code == 0, imported.output
    synced = cli("sync", "--target", "hubspot", "--object", "contacts")
    assert synced.exit_code == 0, synced.output
    assert "completed" in synced.output and "failed 0" in synced.output


def test_the_sandbox_hubspot_target_provisions_and_syncs_twice(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REFNET_DATABASE_URL": f"sqlite:///{tmp_path / 'refnet.db'}",
        "REFNET_SANDBOX_DIR": str(tmp_path / "sandbox"),
        "COLUMNS": "150",
    }

    def refnet(*args: str) -> str:
        done = subprocess.run(
            [str(REFNET), *args], check=False, cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    refnet("init")
    refnet("import", *(str(SAMPLE_DIR / name) for name in SAMPLE_FILES))

    dry = refnet("sync", "--target", "sandbox-hubspot", "--dry-run")
    first = refnet("sync", "--target", "sandbox-hubspot")
    second = refnet("sync", "--target", "sandbox-hubspot")
    third = refnet("sync", "--target", "sandbox-hubspot")

    # The sandbox portal already holds 9 contacts and 8 companies (hubspot_portal_seed):
    # 6 contacts and 4 companies are the sample's members, 2 companies share one domain.
    assert re.search(r"│ companies\s+│ 4\s+│ 1\s+│ 215\s+│", dry), dry
    assert re.search(r"│ contacts\s+│ 6\s+│ 0\s+│ 375\s+│", dry), dry
    assert "ambiguous: companies mem-cus-008 fits" in dry
    assert "HubSpot portal before the sync: 9 contacts, 8 companies" in first
    assert "sync #2 to sandbox-hubspot: completed" in first and "failed 1" in first
    # 381 contact members (issue #18 added an employee): 6 linked, 375 created; 220
    # companies: 4 linked, 215 created and one left for an admin (ambiguous). No duplicate.
    assert "HubSpot portal after the sync: 384 contacts, 223 companies" in first
    # The one linked contact whose e-mail sales spelled in other letter case gives refnet
    # theirs: read back right after the first push, so the next run has nothing to pull.
    assert "pulled 1," in first
    # The ambiguous company is retried (and refused again); nothing else is sent.
    assert "sent 1," in second and "succeeded 0" in second and "pulled 0," in second
    assert "HubSpot portal after the sync: 384 contacts, 223 companies" in second
    assert "sent 1," in third and "pulled 0" in third
