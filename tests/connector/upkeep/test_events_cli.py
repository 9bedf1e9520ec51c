"""``refnet events add|attend|list`` end to end on a real store, members named as users do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from connector.model import Connection
from connector.store import Store
from tests.connector.upkeep.network import small_network


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    store = Store.open(database_url)
    small_network(store)
    store.close()
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    invoke.database_url = database_url  # type: ignore[attr-defined]
    return invoke


def test_add_attend_and_list_with_members_by_name_and_german_dates(run) -> None:  # type: ignore[no-untyped-def]
    added = run(
        "events", "add", "--title", "Kundenabend im Werk", "--on", "20.11.2025",
        "--host", "Anna Weber", "--attendee", "Kunde 1", "--attendee", "Vogel GmbH", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    event = json.loads(added.stdout)["event"]
    assert (event["held_on"], event["host_id"]) == ("2025-11-20", "emp")
    assert event["attendee_ids"] == ["c1", "p1"]

    attended = run("events", "attend", event["id"], "Kunde 2")
    assert attended.exit_code == 0, attended.output
    # emp–c2 and c1–c2 move to the evening (emp–c1 already did when the event was added).
    assert "2 relationships refreshed (last contact Nov 20, 2025)" in attended.stdout

    listed = run("events", "list", "--from", "2025-01-01", "--json")
    assert [e["attendee_ids"] for e in json.loads(listed.stdout)] == [["c1", "p1", "c2"]]
    table = run("events", "list").stdout
    assert "Kundenabend im Werk" in table and "Kunde 1, Vogel GmbH, Kunde 2" in table
    assert json.loads(run("events", "list", "--to", "2025-11-19", "--json").stdout) == []

    store = Store.open(run.database_url)
    with store.reading() as tx:
        assert tx.get(Connection, "con-c1-c2").last_contact_on.isoformat() == "2025-11-20"  # type: ignore[union-attr]
    store.close()


def test_a_customer_as_host_is_refused_with_the_field_named(run) -> None:  # type: ignore[no-untyped-def]
    result = run("events", "add", "--title", "Abend", "--on", "2025-11-20", "--host", "c1")
    assert result.exit_code == 3
    assert "host_id" in result.output and "must be an employee" in result.output
    assert json.loads(run("events", "list", "--json").stdout) == []
