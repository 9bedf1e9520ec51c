"""``refnet contributions`` and the report on a real SQLite file: members by name, clear
errors naming the record and the field, the report (terminal, HTML, --as-of) showing what
was given and what is still owed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector.cli.app import app
from connector.model import (
    Circle,
    Contribution,
    ContributionKind,
    ContributionStatus,
    IntroductionStatus,
    Member,
)
from connector.report import build_report
from connector.report_sections import report_sections
from connector.rules import RulesConfig
from connector.store import Store
from tests.connector.club.builders import introduction
from tests.connector.contributions.builders import contribution, pending_reward
from tests.connector.factories import club, member, referral

KNOWN = datetime(2024, 6, 1, tzinfo=UTC)  # in the network before anything below


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def people(store: Store) -> Store:
    with store.transaction() as tx:
        tx.put_many(
            [
                Member(
                    id="c1",
                    name="Uwe Schäfer",
                    email="uwe@schaefer.example",
                    circle=Circle.CUSTOMER,
                    created_at=KNOWN,
                ),
                Member(
                    id="p1", name="Volksbank Göppingen", circle=Circle.PARTNER, created_at=KNOWN
                ),
                Member(id="e1", name="Stefan Koch", circle=Circle.EMPLOYEE, created_at=KNOWN),
            ]
        )
    return store


def test_add_takes_members_by_name_or_e_mail_and_lists_them(run, people: Store) -> None:  # type: ignore[no-untyped-def]
    added = run(
        "contributions", "add", "--kind", "favour", "--from", "Volksbank",
        "--description", "Räume für den Kundenclub-Abend", "--value", "1.250,00",
        "--on", "12.03.2026", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    favour = json.loads(added.stdout)["contribution"]
    assert (favour["giver_id"], favour["receiver_id"], favour["value"], favour["given_on"]) == (
        "p1",
        None,
        "1250.00",
        "2026-03-12",
    )
    assert favour["currency"] == "EUR"
    event = run(
        "contributions", "add", "--kind", "joint_event", "--to", "uwe@schaefer.example",
        "--description", "Kundenclub-Abend", "--event", "evt-2026-03",
    )  # fmt: skip
    assert event.exit_code == 0, event.output
    listed = json.loads(run("contributions", "list", "--member", "Uwe Schaefer", "--json").stdout)
    assert [(c["kind"], c["event_ref"]) for c in listed["contributions"]] == [
        ("joint_event", "evt-2026-03")
    ]
    text = run("contributions", "list").stdout
    assert "Volksbank Göppingen" in text and "Räume für den Kundenclub-Abend" in text
    with people.reading() as tx:
        trail = [(e.kind, e.new_value) for e in tx.audit_trail(favour["id"])]
    assert trail == [("contribution", "given")]


def test_the_list_shows_the_club_introductions_the_balance_counts(run, people: Store) -> None:  # type: ignore[no-untyped-def]
    with people.transaction() as tx:
        tx.put_many(
            [
                club(),
                introduction("int-1", "c1", "p1", status=IntroductionStatus.MADE),
                introduction("int-2", "c1", "e1", status=IntroductionStatus.SUGGESTED),
                contribution("k1", ContributionKind.FAVOUR, "p1", None, on=date(2025, 6, 1)),
            ]
        )
    listed = json.loads(run("contributions", "list", "--member", "c1", "--json").stdout)
    # The made introduction gave c1 a contact; the merely suggested one gave nothing yet,
    # and p1's favour to the company is not c1's.
    assert [(c["id"], c["kind"], c["giver_id"]) for c in listed["contributions"]] == [
        ("int-1.a", "introduction", None)
    ]
    everyone = json.loads(run("contributions", "list", "--json").stdout)["contributions"]
    assert [c["id"] for c in everyone] == ["k1", "int-1.b", "int-1.a"]
    favours = json.loads(run("contributions", "list", "--kind", "favour", "--json").stdout)
    assert [c["id"] for c in favours["contributions"]] == ["k1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--kind", "favour", "--value", "viel"],
            "contribution 'Hilfe': field 'amount': 'viel' is not an amount",
        ),
        (
            ["--kind", "joint_event", "--event", "x" * 65],
            "contribution 'Hilfe': field 'event_ref': String should have at most 64 characters",
        ),
        (
            ["--kind", "favour", "--from", "c1", "--to", "Uwe"],
            "contribution 'Hilfe': field '(record)': Value error, giver and receiver must differ",
        ),
        (["--kind", "referral"], "a referral is recorded with 'refnet referrals add'"),
    ],
    ids=["bad-amount", "long-event", "same-member", "referral"],
)
def test_bad_input_names_the_record_and_the_field_and_writes_nothing(
    run,  # type: ignore[no-untyped-def]
    people: Store,
    args: list[str],
    message: str,
) -> None:
    # An option given twice takes its last value: the parametrised receiver wins.
    result = run("contributions", "add", "--description", "Hilfe", "--to", "c1", *args)
    assert result.exit_code == 3
    assert message in " ".join(result.output.split())
    with people.reading() as tx:
        assert tx.count(Contribution) == 0


def test_the_report_shows_what_was_given_and_what_is_owed_as_of_a_day(
    run,  # type: ignore[no-untyped-def]
    people: Store,
    tmp_path: Path,
) -> None:
    with people.transaction() as tx:
        tx.put_many(
            [
                member("x1", Circle.PROSPECT, created_at=KNOWN),
                referral("r1", "c1", "x1"),
                contribution("k1", ContributionKind.FAVOUR, None, "p1", on=date(2025, 5, 1)),
                # Owed since January, given in June: pending on 1 March, given on 1 July.
                pending_reward("k2", "c1", "r1").model_copy(
                    update={"status": ContributionStatus.GIVEN, "given_on": date(2025, 6, 1)}
                ),
                club(),
                introduction(
                    "int-1", "c1", "p1", status=IntroductionStatus.MADE,
                    status_changed_at=datetime(2025, 2, 1, tzinfo=UTC),
                ),
            ]
        )  # fmt: skip

    def figures(day: str) -> tuple[dict[str, int], list[str]]:
        data = json.loads(run("report", "--json", "--as-of", day).stdout)
        return data["contributions_by_kind"], [c["id"] for c in data["pending_rewards"]]

    assert figures("2025-03-01") == ({}, ["k2"])
    # The made club introduction: one for each member.
    assert figures("2025-07-01") == ({"favour": 1, "introduction": 2, "reward": 1}, [])
    html = tmp_path / "report.html"
    text = run("report", "--as-of", "2025-03-01", "--html", str(html))
    assert text.exit_code == 0, text.output
    assert "pending rewards" in text.stdout and "Gutschein Weinhandlung" in text.stdout
    assert "pending rewards" in html.read_text(encoding="utf-8")

    # The made club introduction counts as the company giving both members a contact.
    report = build_report(people, RulesConfig(), as_of=datetime(2025, 7, 1, tzinfo=UTC))
    balances = {b.member_id: b.tally for b in report.balances}
    assert balances["c1"].contributions_received == 2  # the introduction and the reward
    titles = [s.title for s in report_sections(report)]
    assert "contributions given (counted in the win-win balance)" in titles
