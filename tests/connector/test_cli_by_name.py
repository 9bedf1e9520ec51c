"""Every command that takes a member takes a name, e-mail or company too; lists show names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from tests.conftest import SAMPLE_DIR

SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]
TANJA = "mem-cus-095"  # Tanja Haas, Köhler Metallbau AG: a partner and club member


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Any:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    assert invoke("import", *(str(SAMPLE_DIR / name) for name in SAMPLE_FILES)).exit_code == 0
    return invoke


def test_member_arguments_take_names_emails_and_companies(run: Any) -> None:
    by_id = json.loads(run("members", "show", TANJA, "--json").stdout)
    for text in (
        "tanja haas",
        "Tanja Hass",
        "TANJA.HAAS@koehler-metallbau.example",
        "Koehler Metallbau",
    ):
        shown = json.loads(run("members", "show", text, "--json").stdout)
        assert shown["member"]["id"] == TANJA, text
    assert by_id["member"]["name"] == "Tanja Haas"

    # The two examples: a company as path target, a name as referrer filter.
    by_company = run("intel", "path", "Scholz Elektrotechnik GmbH", "--json")
    assert by_company.exit_code == 0, by_company.output
    assert json.loads(by_company.stdout)["target"] == "mem-cus-055"
    listed = json.loads(run("referrals", "list", "--referrer", "Tanja Haas", "--json").stdout)
    assert listed["total"] == 26
    assert {r["referrer_id"] for r in listed["referrals"]} == {TANJA}
    assert listed["names"][TANJA] == "Tanja Haas"
    text = run("referrals", "list", "--referrer", "tanja haas").stdout
    assert "Tanja Haas" in text and "Gerda Ott" in text  # names, not only ids

    trail = json.loads(run("audit", "Tanja Haas", "--json").stdout)
    assert trail and {e["record_id"] for e in trail} == {TANJA}
    moved = run("advance", "member", "tanja haas", "referrer", "--reason", "Test", "--json")
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)[0]["record_id"] == TANJA


def test_an_ambiguous_name_lists_the_candidates_with_exit_code_3(run: Any) -> None:
    refused = run("members", "show", "Jonas Huber")
    assert refused.exit_code == 3
    assert "'Jonas Huber' fits 2 members" in refused.stderr
    assert "  mem-cus-023: Jonas Huber, Richter Metallbau GmbH" in refused.stderr
    assert "  mem-cus-086: Jonas Huber, Wagner Kunststofftechnik GmbH" in refused.stderr
    missing = run("intel", "path", "Gibt Es Nicht GmbH")
    assert missing.exit_code == 4 and "member 'Gibt Es Nicht GmbH' not found" in missing.stderr


def test_members_show_tells_who_referred_them_their_referrals_connections_club_and_stage(
    run: Any,
) -> None:
    shown = json.loads(run("members", "show", "Tanja Haas", "--json").stdout)
    assert len(shown["given"]) == 26
    assert {g["referral"]["referrer_id"] for g in shown["given"]} == {TANJA}
    assert all(g["referred_name"] for g in shown["given"])
    strongest = shown["strongest_connections"]
    assert 0 < len(strongest) <= 5
    strengths = [c["strength"] for c in strongest]
    assert strengths == sorted(strengths, reverse=True) and all(c["name"] for c in strongest)
    assert [(m["status"], shown["club_names"][m["club_id"]]) for m in shown["memberships"]] == [
        ("member", "Weber Kundenclub")
    ]
    prospect = json.loads(run("members", "show", "Gerda Ott", "--json").stdout)
    assert [r["referrer_name"] for r in prospect["referred_by"]] == ["Tanja Haas"]
    text = run("members", "show", "Tanja Haas").stdout
    for heading in ("referred by", "referrals given", "strongest connections", "partner stage"):
        assert heading in text
    assert "Weber Kundenclub: member" in text
    partner = json.loads(run("members", "show", "mem-par-04", "--json").stdout)
    assert partner["partnerships"], "a strategic partner shows its pipeline stage"
    assert partner["partnerships"][0]["stage"] in run("members", "show", "mem-par-04").stdout


def test_referrals_update_and_won_amounts_read_german_and_english_numbers(run: Any) -> None:
    open_one = json.loads(run("referrals", "list", "--status", "open", "--json").stdout)
    referral_id = open_one["referrals"][0]["id"]
    updated = run(
        "referrals",
        "update",
        referral_id,
        "--amount",
        "1.234,50",
        "--note",
        "Angebot raus",
        "--json",
    )
    assert [(c["field"], c["new"]) for c in json.loads(updated.stdout)] == [
        ("amount", "1234.50"),
        ("note", "Angebot raus"),
    ]
    won = run(
        "advance",
        "referral",
        referral_id,
        "won",
        "--amount",
        "12500.50",
        "--currency",
        "chf",
        "--reason",
        "Auftrag",
        "--json",
    )
    assert [(c["field"], c["new"]) for c in json.loads(won.stdout)][:3] == [
        ("status", "won"),
        ("amount", "12500.50"),
        ("currency", "CHF"),
    ]
    bad = run("referrals", "update", referral_id, "--amount", "zwölf")
    assert bad.exit_code == 3
    assert f"referral '{referral_id}': field 'amount': 'zwölf' is not an amount" in bad.stderr
    wrong_kind = run("advance", "member", TANJA, "referrer", "--reason", "x", "--amount", "5")
    assert wrong_kind.exit_code == 3 and "only a referral has an amount" in wrong_kind.stderr
    reopened = run("referrals", "reopen", referral_id, "--reason", "Storno")
    assert reopened.exit_code == 0 and "reopened: Storno" in reopened.stdout
    again = run("referrals", "reopen", referral_id, "--reason", "Storno")
    assert again.exit_code == 3 and "nothing to reopen" in again.stderr
