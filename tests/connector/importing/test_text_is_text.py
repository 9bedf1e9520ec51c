"""CRM text is printed literally: a member named ``[/]`` (it can arrive from a CRM event)
must not crash or restyle any table or message of the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from connector.rules import StageChange
from connector.store import Store

NASTY = "[/]"
STYLED = "[bold red]Mallory[/bold red]"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "250")  # one line per row, so the text can be found whole
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_member_names_with_markup_print_literally(run, tmp_path: Path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    members = tmp_path / "members [x].csv"
    members.write_text(
        f'id,name,circle,ladder_stage\nm1,{NASTY},customer,referrer\nm2,"{STYLED}",prospect,\n',
        encoding="utf-8",
    )
    imported = run("import", str(members), "--kind", "member")
    assert imported.exit_code == 0, imported.output
    assert "imported members [x].csv" in imported.stdout
    listed = run("members", "list")
    assert listed.exit_code == 0, listed.output
    assert NASTY in listed.stdout and STYLED in listed.stdout
    shown = run("members", "show", "m1")
    assert shown.exit_code == 0, shown.output
    assert f"{NASTY} (m1)" in shown.stdout
    # A reason and an actor from a CRM event, as the webhook worker would write them.
    store = Store.open(database_url)
    with store.transaction() as tx:
        tx.audit(
            StageChange("ladder", "m1", "ladder_stage", "referrer", "partner", NASTY), actor=STYLED
        )
    store.close()
    audit = run("audit")
    assert audit.exit_code == 0, audit.output
    assert "members [x].csv" in audit.stdout
    assert NASTY in audit.stdout and STYLED in audit.stdout


def test_two_files_one_command_all_or_nothing_with_exit_3(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    members = tmp_path / "members.csv"
    members.write_bytes("Nr;Name;Kreis\r\nk1;Jürgen Müller;Kunde\r\n".encode("cp1252"))
    referrals = tmp_path / "referrals.csv"
    referrals.write_bytes(
        "Nr;Empfehler;Empfohlen;Kreis;Betrag\r\nr1;k1;k2;Kunde;12.500,00\r\n".encode("cp1252")
    )
    rejected = run("import", str(members), str(referrals))
    assert rejected.exit_code == 3
    assert "referrals.csv line 2: field 'Empfohlen': unknown member 'k2'" in rejected.stderr
    assert "members.csv" not in rejected.stdout, "nothing reported as imported"
    listed = run("members", "list", "--json")
    assert listed.exit_code == 0 and '"total": 0' in listed.stdout
    done = run("import", str(members), "--delimiter", "semicolon", "--encoding", "cp1252")
    assert done.exit_code == 0, done.output
    assert "imported members.csv (cp1252, semicolon-separated): member: 1 new" in done.stdout


def test_a_dry_run_import_says_so_and_writes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    members = tmp_path / "members.csv"
    members.write_bytes("Nr;Name;Kreis\r\nk1;Jürgen Müller;Kunde\r\n".encode("cp1252"))
    checked = run("import", str(members), "--dry-run")
    assert checked.exit_code == 0, checked.output
    assert "checked (dry run, nothing written) members.csv" in checked.stdout
    assert "member: 1 new" in checked.stdout
    listed = run("members", "list", "--json")
    assert listed.exit_code == 0 and '"total": 0' in listed.stdout
