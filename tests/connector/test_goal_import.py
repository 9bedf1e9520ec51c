"""Older agreement files with free-text goals keep loading (#17 item 3)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from connector.goal_text import ParsedGoal, parse_goal_text
from connector.importing import import_file
from connector.model import Agreement, GoalMetric, Referral
from connector.money import MoneyConfig
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store

YEAR = (date(2026, 3, 1), date(2027, 2, 28))


@pytest.mark.parametrize(
    ("text", "metric", "target"),
    [
        ("3 referrals per year", GoalMetric.REFERRALS_GIVEN, 3),
        ("3 Empfehlungen pro Quartal", GoalMetric.REFERRALS_GIVEN, 12),
        ("zwei gemeinsame Veranstaltungen", GoalMetric.JOINT_EVENTS, 2),
        ("3 gewonnene Aufträge im Jahr", GoalMetric.REFERRALS_WON, 3),
        ("Umsatz 50.000 € pro Jahr", GoalMetric.WON_VALUE, 50_000),
        ("25k EUR won value", GoalMetric.WON_VALUE, 25_000),
        ("1 Vorstellung pro Monat", GoalMetric.INTRODUCTIONS, 12),
    ],
)
def test_unambiguous_goal_texts_become_goals(text: str, metric: GoalMetric, target: int) -> None:
    assert parse_goal_text(text, *YEAR) == ParsedGoal(metric, target)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("mehr Sichtbarkeit in der Region", "names no measurable metric"),
        ("3 referrals and 2 events", "names more than one metric"),
        ("3 referrals per quarter (12 a year)", "names more than one number"),
        ("Empfehlungen, so viele wie möglich", "names no target number"),
        ("5 Empfehlungen pro Halbjahr", None),  # checked against a 4-month period below
    ],
)
def test_ambiguous_goal_texts_are_not_guessed(text: str, why: str | None) -> None:
    if why is None:
        result = parse_goal_text(text, date(2026, 1, 1), date(2026, 4, 30))
        assert result == "its period ('halbjahr') does not divide the agreement's period evenly"
    else:
        assert parse_goal_text(text, *YEAR) == why


def test_an_old_file_with_text_goals_loads_and_the_report_says_what_became_of_each(
    store: Store, tmp_path: Path
) -> None:
    programme = {
        "members": [
            {"id": "p1", "name": "Vogel Sondermaschinen GmbH", "circle": "partner"},
            {"id": "x1", "name": "Anna Berg", "circle": "prospect"},
        ],
        "partnerships": [{"id": "pn-1", "member_id": "p1", "stage": "agreement"}],
        "agreements": [
            {
                "id": "ag-1",
                "partnership_id": "pn-1",
                "status": "draft",
                "period_start": "2026-03-01",
                "period_end": "2027-02-28",
                "goals": ["3 Empfehlungen pro Quartal", "mehr Sichtbarkeit in der Region"],
                "notes": "Jahresgespräch im März",
            }
        ],
        "referrals": [{"id": "r1", "referrer_id": "p1", "referred_id": "x1", "circle": "partner"}],
    }
    path = tmp_path / "programm.json"
    path.write_text(json.dumps(programme, ensure_ascii=False), encoding="utf-8")
    report = import_file(
        store, path, rules=RulesConfig(), actor=Actor("test"),
        money=MoneyConfig(default_currency="CHF"),
    )  # fmt: skip
    assert report.notes == [
        "agreement 'ag-1' (line 1): goal '3 Empfehlungen pro Quartal' read as referrals_given, "
        "target 12 over 2026-03-01 – 2027-02-28",
        "agreement 'ag-1' (line 1): goal 'mehr Sichtbarkeit in der Region' kept as a note, not "
        "measured: it names no measurable metric",
    ]
    with store.reading() as tx:
        agreement = tx.get(Agreement, "ag-1")
        referral = tx.get(Referral, "r1")
    (goal,) = agreement.goals
    assert (goal.metric, goal.target, goal.description) == (
        GoalMetric.REFERRALS_GIVEN,
        12,
        "3 Empfehlungen pro Quartal",
    )
    assert agreement.notes == (
        "Jahresgespräch im März\nZiel (nicht messbar): mehr Sichtbarkeit in der Region"
    )
    assert referral.currency == "CHF"  # [money] default_currency for a referral without one
