"""``refnet club ...`` and the report's club section end to end on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from connector.store import Store
from tests.connector.club.builders import introduction, synthetic_club


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    store = Store.open(database_url)
    synthetic_club(
        store, active=4, referrals_between=6, won_value_each="2000.00", non_member_referrals=2
    )
    store.close()
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_review_recommends_with_reasons_as_json_and_as_tables(run) -> None:  # type: ignore[no-untyped-def]
    result = run("club", "review", "--as-of", "15.01.2026", "--json")
    assert result.exit_code == 0, result.output
    review = json.loads(result.stdout)
    assert review["recommendation"] == "continue"
    assert [g["goal"] for g in review["goals"]] == ["members", "referrals", "business_value"]
    assert review["comparison"]["non_members"] == 4
    text = run("club", "review", "--as-of", "2026-01-15").stdout
    assert "pilot recommendation: CONTINUE" in text
    assert "comparable non-members" in text


def test_the_quiet_setting_changes_the_todo_list(run, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def quiet() -> list[str]:
        result = run("club", "todo", "--as-of", "2026-03-01", "--json")
        assert result.exit_code == 0, result.output
        return sorted(
            i["record_id"] for i in json.loads(result.stdout) if i["what"] == "quiet_member"
        )

    # Every member's last activity is a referral between February and July 2025.
    monkeypatch.setenv("REFNET_RULES__CLUB__QUIET_AFTER_MONTHS", "12")
    assert quiet() == []
    monkeypatch.setenv("REFNET_RULES__CLUB__QUIET_AFTER_MONTHS", "3")
    assert quiet() == ["ms-1", "ms-2", "ms-3", "ms-4"]


def test_invite_answer_moderate_and_report(run) -> None:  # type: ignore[no-untyped-def]
    ranked = json.loads(run("club", "invite-candidates", "--json", "--as-of", "2026-01-01").stdout)
    assert {c["member_id"] for c in ranked} == {"n1", "n2", "n3", "n4", "food"}
    assert {c["criterion"] for c in ranked[0]["criteria"]} == {
        "loyal",
        "positive",
        "willing",
        "connected",
    }
    invited = run("club", "invite", "n1", "--on", "2026-01-10", "--json")
    assert invited.exit_code == 0, invited.output
    assert json.loads(invited.stdout)["record"]["status"] == "invited"
    declined = run("club", "invitation", "decline", "n1", "--on", "12.01.2026", "--json")
    assert json.loads(declined.stdout)["record"]["responded_on"] == "2026-01-12"
    assert run("club", "moderator", "emp").exit_code == 0
    pilot = run("club", "pilot", "--start", "2025-01-01", "--end", "2025-06-30", "--members", "5")
    assert pilot.exit_code == 3
    assert "field 'pilot.ends_on'" in pilot.stderr
    report = run("report", "--as-of", "2026-01-15")
    assert report.exit_code == 0, report.output
    assert "club Kundenclub (club-1): business created for its members" in report.stdout
    assert "Member emp" in report.stdout  # the moderator
    assert "club growth per quarter" in report.stdout
    assert "pilot recommendation: CONTINUE" in report.stdout
    html = Path("report.html")
    assert run("report", "--as-of", "2026-01-15", "--html", str(html)).exit_code == 0
    assert "club growth per quarter" in html.read_text(encoding="utf-8")


def test_introduction_follow_up_takes_german_amounts_and_names_bad_fields(
    run, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(database_url)
    with store.transaction() as tx:
        tx.put(introduction("int-1", "m1", "m2"))
    store.close()
    done = run(
        "club",
        "introduction",
        "int-1",
        "--follow-up",
        "01.07.2025",
        "--outcome",
        "Auftrag",
        "--value",
        "12.500,00",
        "--json",
    )
    assert done.exit_code == 0, done.output
    record = json.loads(done.stdout)["record"]
    assert (record["follow_up_on"], record["value"]) == ("2025-07-01", "12500.00")
    bad = run("club", "introduction", "int-1", "--value", "zwölf")
    assert bad.exit_code == 3
    assert "--value" in bad.stderr
    missing = run("club", "introduction", "int-404", "--outcome", "x")
    assert missing.exit_code == 4
    assert "introduction 'int-404' not found" in missing.stderr
