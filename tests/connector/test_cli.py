"""The refnet CLI end to end on a real SQLite file: output, --json and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from connector.model import Membership
from connector.store import Store, create_store_engine, current_revision, head_revision
from tests.conftest import SAMPLE_DIR

SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def sample(run):  # type: ignore[no-untyped-def]
    result = run("import", *(str(SAMPLE_DIR / name) for name in SAMPLE_FILES), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init_creates_the_store_and_reports_the_schema_revision(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    result = run("init", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["schema_revision"] == head_revision() is not None
    assert current_revision(create_store_engine(database_url)) == head_revision()


def test_sample_network_imports_completely(sample) -> None:  # type: ignore[no-untyped-def]
    by_file = {entry["file"]: entry for entry in sample}
    assert set(by_file) == set(SAMPLE_FILES)
    members = by_file["members.csv"]["created"]["member"]
    assert members >= 350
    assert by_file["referrals.csv"]["created"]["referral"] >= 200
    promoted = [c for c in by_file["referrals.csv"]["stage_changes"] if c["to"] == "partner"]
    assert promoted, "some sample customers reach the partner rung"


def test_report_prints_top_multipliers_and_win_win_balance(run, sample) -> None:  # type: ignore[no-untyped-def]
    text = run("report", "--top", "5", "--as-of", "2026-11-20")
    assert text.exit_code == 0
    assert "top multipliers" in text.stdout and "win-win balance" in text.stdout
    data = json.loads(run("report", "--json", "--top", "5", "--as-of", "2026-11-20").stdout)
    top = data["top_multipliers"]
    assert [m["rank"] for m in top] == [1, 2, 3, 4, 5]
    scores = [m["score"]["score"] for m in top]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert top[0]["name"] in text.stdout
    assert data["balances"], "club members both give and receive"
    assert sum(data["referrals_by_status"].values()) >= 200


def test_members_list_filters_and_show_explains_a_member(run, sample) -> None:  # type: ignore[no-untyped-def]
    listed = json.loads(run("members", "list", "--circle", "employee", "--json").stdout)
    assert listed["total"] >= 5
    assert {m["circle"] for m in listed["members"]} == {"employee"}
    partners = json.loads(run("members", "list", "--stage", "partner", "--json").stdout)
    assert partners["total"] >= 1
    shown = json.loads(run("members", "show", partners["members"][0]["id"], "--json").stdout)
    assert shown["multiplier_score"]["won"] >= 3
    assert [e["new_value"] for e in shown["history"]][-1] == "partner"


def test_advance_applies_rules_and_refuses_illegal_moves_with_exit_code_5(run, sample) -> None:  # type: ignore[no-untyped-def]
    listed = json.loads(run("referrals", "list", "--status", "open", "--json").stdout)
    referral_id = listed["referrals"][0]["id"]
    moved = run("advance", "referral", referral_id, "contacted", "--reason", "called", "--json")
    assert moved.exit_code == 0
    assert json.loads(moved.stdout)[0]["new"] == "contacted"
    back = run("advance", "referral", referral_id, "open", "--reason", "undo")
    assert back.exit_code == 5
    assert f"referral '{referral_id}': cannot move from 'contacted' to 'open'" in back.stderr
    trail = json.loads(run("audit", referral_id, "--json").stdout)
    assert [(e["old_value"], e["new_value"], e["reason"]) for e in trail] == [
        ("open", "contacted", "called")
    ]


def test_exit_codes_for_missing_records_and_bad_input(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = run("members", "show", "nobody")
    assert missing.exit_code == 4 and "member 'nobody' not found" in missing.stderr
    bad = tmp_path / "members.csv"
    bad.write_text("id,name,circle\nm1,,customer\nm2,Two,alien\n", encoding="utf-8")
    rejected = run("import", str(bad))
    assert rejected.exit_code == 3
    assert "members.csv line 2: field 'name'" in rejected.stderr
    assert "members.csv line 3: field 'circle'" in rejected.stderr
    assert json.loads(run("members", "list", "--json").stdout)["total"] == 0
    usage = run("advance", "referral")
    assert usage.exit_code == 2


def test_export_writes_files_that_reimport(run, sample, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    result = run("export", str(out), "--json")
    assert result.exit_code == 0
    counts = json.loads(result.stdout)["counts"]
    assert counts["member"] >= 350
    assert sorted(p.name for p in out.iterdir()) == sorted(SAMPLE_FILES)


@pytest.mark.parametrize("months", [None, 24])
def test_a_new_clubs_trial_lasts_default_trial_months_from_refnet_toml(
    run, tmp_path: Path, database_url: str, months: int | None
) -> None:  # type: ignore[no-untyped-def]
    if months is not None:
        (tmp_path / "refnet.toml").write_text(f"[rules.club]\ndefault_trial_months = {months}\n")
    programme = {
        "members": [
            {"id": "m-1", "name": "Anna Weber", "circle": "customer", "email": "anna@weber.example"}
        ],
        # No trial_months of its own: the setting decides.
        "clubs": [{"id": "club-1", "name": "Kundenclub", "founded_on": "2026-01-15"}],
        "memberships": [
            {
                "id": "ms-1",
                "club_id": "club-1",
                "member_id": "m-1",
                "status": "invited",
                "invited_on": "2026-02-01",
            }
        ],
    }
    (tmp_path / "programme.json").write_text(json.dumps(programme))
    assert run("import", str(tmp_path / "programme.json")).exit_code == 0

    moved = run("advance", "membership", "ms-1", "trial", "--reason", "first evening", "--json")

    assert moved.exit_code == 0, moved.output
    store = Store.open(database_url)
    try:
        with store.transaction() as tx:
            membership = tx.maybe(Membership, "ms-1")
    finally:
        store.close()
    assert membership is not None
    assert membership.trial_started_on is not None and membership.trial_ends_on is not None
    started, ends = membership.trial_started_on, membership.trial_ends_on
    assert (ends.year - started.year) * 12 + ends.month - started.month == (months or 12)
