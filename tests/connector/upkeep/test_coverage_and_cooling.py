"""Step-1 coverage and cooling relationships (issue #18, items 7-8): analysis, report, import."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from connector.errors import ImportRejected
from connector.importing import import_file
from connector.intelligence import IntelligenceConfig, UpkeepConfig, analyse_upkeep
from connector.intelligence.upkeep_tables import coverage_headline
from connector.model import Connection, new_id
from connector.report import build_report
from connector.report_html import network_picture, render_html
from connector.report_sections import report_sections
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store
from tests.connector.upkeep.network import small_network

AS_OF = date(2025, 12, 31)


def _analysis(store: Store, months: int = 6):  # type: ignore[no-untyped-def]
    config = IntelligenceConfig(upkeep=UpkeepConfig(cooling_after_months=months))
    with store.reading() as tx:
        return analyse_upkeep(tx, config.paths, config.upkeep, as_of=AS_OF)


def test_coverage_names_who_delivered_when_and_how_big(store: Store) -> None:
    small_network(store)
    upkeep = _analysis(store)
    by_id = {e.member_id: e for e in upkeep.employees}
    assert (by_id["emp"].connections, by_id["emp"].strong) == (3, 3)
    assert (by_id["emp2"].connections, by_id["emp2"].strong) == (2, 1)
    assert by_id["emp"].delivered_on == date(2025, 3, 1)
    assert not by_id["emp3"].delivered and by_id["emp3"].delivered_on is None
    assert coverage_headline(upkeep) == (
        "2 of 3 employees delivered their network; missing: Carla Busch"
    )


def test_strong_ties_without_contact_for_n_months_are_cooling(store: Store) -> None:
    small_network(store)
    upkeep = _analysis(store, months=6)
    # Strong (≥ 4) and last contact before 30.06.2025: emp2–c3 (10.01.) and emp–c1 (01.02.).
    # emp–p1 (01.12.) is recent, emp–c2 has no date, emp2–c4 is weak (2).
    assert [(t.employee_id, t.member_id) for t in upkeep.cooling] == [
        ("emp2", "c3"),
        ("emp", "c1"),
    ]
    by_id = {e.member_id: e for e in upkeep.employees}
    assert (by_id["emp"].cooling, by_id["emp"].undated_strong) == (1, 1)
    # With a year's patience only nothing is cooling.
    assert _analysis(store, months=12).cooling == []


def test_the_report_shows_coverage_and_cooling_in_terminal_and_html_sections(
    store: Store,
) -> None:
    small_network(store)
    report = build_report(store, RulesConfig(), as_of=datetime(2025, 12, 31, 12, tzinfo=UTC))
    sections = {s.title: s for s in report_sections(report)}
    coverage = sections["step 1 coverage: 2 of 3 employees delivered their network; missing: "
                        "Carla Busch"]  # fmt: skip
    assert coverage.rows[0][:2] == ("Carla Busch", "no")
    cooling = next(s for t, s in sections.items() if t.startswith("cooling relationships"))
    assert [row[:2] for row in cooling.rows] == [
        ("Bernd Koch", "Kunde 3"),
        ("Anna Weber", "Kunde 1"),
    ]
    assert cooling.rows[0][3:] == ("Jan 10, 2025", "11")
    page = render_html(report, network_picture([], [], {}, 10))
    assert "2 of 3 employees delivered their network; missing: Carla Busch" in page
    assert "Bernd Koch" in page and "cooling relationships" in page


def test_last_contact_imports_from_german_dates_and_a_time_is_refused(
    store: Store, tmp_path: Path
) -> None:
    small_network(store)
    contacts = tmp_path / "kontakte-anna.csv"
    contacts.write_text(
        "Name;E-Mail;Firma;Stärke;Letzter Kontakt\nGerd Neu;gerd@neu.example;Neu AG;4;31.12.2024\n",
        encoding="utf-8",
    )
    import_file(store, contacts, rules=RulesConfig(), actor=Actor("t"), employee_id="emp")
    connections = tmp_path / "connections.csv"
    connections.write_text(
        "id,from_id,to_id,strength,last_contact_on\ncon-emp2-c4,emp2,c4,2,15.03.2025\n",
        encoding="utf-8",
    )
    import_file(store, connections, rules=RulesConfig(), actor=Actor("t"))
    with store.reading() as tx:
        gerd = next(c for c in tx.find(Connection, employee_id="emp") if c.to_id.startswith("mem"))
        assert gerd.last_contact_on == date(2024, 12, 31)
        assert tx.get(Connection, "con-emp2-c4").last_contact_on == date(2025, 3, 15)
    connections.write_text(
        "id,from_id,to_id,strength,last_contact_on\ncon-emp2-c4,emp2,c4,2,15.03.2025 14:30\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as rejected:
        import_file(store, connections, rules=RulesConfig(), actor=Actor("t"))
    (error,) = rejected.value.errors
    assert "line 2" in str(error) and "last_contact_on" in str(error)
    assert "write the day only" in str(error)
    assert new_id("con", "emp->x") != "con-emp2-c4"  # ids stay the file's


def test_the_cooling_setting_changes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    store = Store.open(database_url)
    small_network(store)
    store.close()

    def cooling() -> list[list[str]]:
        result = CliRunner().invoke(
            app, ["report", "--as-of", "2025-12-31", "--json"], catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        upkeep = json.loads(result.stdout)["intelligence"]["upkeep"]
        return [[t["employee_id"], t["member_id"]] for t in upkeep["cooling"]]

    monkeypatch.setenv("REFNET_INTELLIGENCE__UPKEEP__COOLING_AFTER_MONTHS", "6")
    assert cooling() == [["emp2", "c3"], ["emp", "c1"]]
    monkeypatch.setenv("REFNET_INTELLIGENCE__UPKEEP__COOLING_AFTER_MONTHS", "11")
    assert cooling() == [["emp2", "c3"]]
