"""CRM text is printed literally: a member named ``[/]`` (it can arrive from a CRM event)
must not crash or restyle any table or message of the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app

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


def test_member_names_with_markup_print_literally(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
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
    audit = run("audit")
    assert audit.exit_code == 0, audit.output
    assert "members [x].csv" in audit.stdout
