"""``refnet members link``: a link the form accepts, revocation, and clear refusals."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from connector.cli.app import app
from connector.model import Member, utcnow
from connector.referral_form import LinkSigner, check_link
from connector.store import Store

SECRET = "cli-secret-for-tests-0123456789abcdef"
BASE = "https://hooks.example.com"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("REFNET_REFERRAL_FORM_SECRET", SECRET)
    monkeypatch.setenv("REFNET_REFERRAL_FORM_PUBLIC_BASE_URL", BASE)
    with Store.open(database_url).transaction() as tx:
        tx.put(Member(id="mem-par-1", name="Petra Lang", circle="partner"))
        tx.put(Member(id="mem-emp-1", name="Anna Weber", circle="employee"))
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def _check(database_url: str, url: str) -> str:
    token = url.removeprefix(f"{BASE}/empfehlen/")
    signer = LinkSigner(SecretStr(SECRET), max_age=timedelta(days=365))
    with Store.open(database_url).reading() as tx:
        verdict, _claims = check_link(tx, signer, token, utcnow())
    return verdict


def test_an_issued_link_opens_the_form_until_it_is_revoked(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    issued = run("members", "link", "mem-par-1", "--json")
    assert issued.exit_code == 0, issued.output
    body = json.loads(issued.stdout)
    assert body["url"].startswith(f"{BASE}/empfehlen/")
    assert SECRET not in issued.output
    assert _check(database_url, body["url"]) == "valid"

    plain = run("members", "link", "mem-par-1")
    assert plain.exit_code == 0 and plain.stdout.splitlines()[0].startswith(f"{BASE}/empfehlen/")

    revoked = run("members", "link", "mem-par-1", "--revoke", "--reason", "Partnerschaft beendet")
    assert revoked.exit_code == 0
    assert "2 link(s) of mem-par-1 revoked" in revoked.stdout
    assert _check(database_url, body["url"]) == "revoked"
    trail = run("audit", "mem-par-1", "--json")
    entries = [e for e in json.loads(trail.stdout) if e["field"] == "referral_link"]
    assert [e["new_value"] for e in entries].count("revoked") == 2
    assert any("Partnerschaft beendet" in e["reason"] for e in entries)


def test_refusals_name_what_is_missing(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    unknown = run("members", "link", "mem-nobody")
    assert unknown.exit_code == 4
    employee = run("members", "link", "mem-emp-1")
    assert employee.exit_code == 3 and "customers and partners" in employee.output
    monkeypatch.delenv("REFNET_REFERRAL_FORM_PUBLIC_BASE_URL")
    no_base = run("members", "link", "mem-par-1")
    assert no_base.exit_code == 6 and "REFNET_REFERRAL_FORM_PUBLIC_BASE_URL" in no_base.output
    monkeypatch.delenv("REFNET_REFERRAL_FORM_SECRET")
    no_secret = run("members", "link", "mem-par-1")
    assert no_secret.exit_code == 6 and "REFNET_REFERRAL_FORM_SECRET" in no_secret.output
