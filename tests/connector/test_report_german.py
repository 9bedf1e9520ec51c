"""``refnet report`` in German: the sample network's terminal report, its HTML page and the
pilot review speak German, with German numbers, money and dates (issue #19).

The suite runs in English (tests/conftest.py); these tests choose German themselves, in the
process (``i18n.set_language``) and in the environment a refnet process would read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector import i18n
from connector.cli.app import app
from connector.club import load_club_facts, resolve_club, review_pilot
from connector.club.tables import review_tables
from connector.rules.config import ClubRulesConfig
from connector.store import Store
from tests.conftest import SAMPLE_DIR
from tests.connector.club.builders import synthetic_club

SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]
AS_OF = "2026-11-20"
# Every section title the English report starts with; none may remain in German.
ENGLISH_TITLES = (
    "network on",
    "won value per currency",
    "top multipliers",
    "win-win balance",
    "proposed demotions",
    "goal agreements",
    "company network",
    "employee networks",
    "overlap between employees",
    "contacts nobody has activated",
    "top connectors",
    "partner candidates for",
    "suggested introductions in",
    "win-win health",
    "club growth per quarter",
    "referral network",
)
GERMAN_TITLES = (
    "Netzwerk am 20.11.2026",
    "die besten Multiplikatoren",
    "Win-win-Bilanz je Paar",
    "vorgeschlagene Rückstufungen",
    "Zielvereinbarungen: Fortschritt, aus den Daten gemessen",
    "Unternehmensnetzwerk (Schritt 1",
    "die besten Brückenbauer außerhalb des Unternehmens",
    "Partner-Kandidaten für 'Regionaler Multiplikator'",
    "vorgeschlagene Vorstellungen in 'Weber Kundenclub'",
    "Win-win-Zustand der strategischen Partner",
)
# 4.881.196,87 € — German thousands and decimals, the euro sign after the amount.
GERMAN_MONEY = re.compile(r"\b\d{1,3}(?:\.\d{3})*,\d{2}\xa0€")
ENGLISH_MONEY = re.compile(r"\b\d{1,3}(?:,\d{3})+\.\d{2}\b")
GERMAN_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REFNET_LANGUAGE", "de")
    i18n.set_language("de")
    yield
    i18n.set_language("en")  # conftest's fixture does it too; this keeps the order obvious


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REFNET_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "250")
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), catch_exceptions=False)

    result = invoke("import", *(str(SAMPLE_DIR / name) for name in SAMPLE_FILES))
    assert result.exit_code == 0, result.output
    return invoke


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[str] = []
        self.text: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        self._in_heading = tag in ("h1", "h2")

    def handle_endtag(self, tag: str) -> None:
        self._in_heading = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_heading:
            self.headings.append(data)


def test_the_sample_networks_report_in_german(run, german: None, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "bericht.html"
    result = run("report", "--top", "3", "--as-of", AS_OF, "--html", str(target))
    assert result.exit_code == 0, result.output
    text = result.stdout
    flat = " ".join(text.split())  # Rich wraps long titles at spaces
    for title in GERMAN_TITLES:
        assert title in flat, title
    for title in ENGLISH_TITLES:
        assert title not in text, title
    # German figures: the won value as 1.234,56 €, dates as 20.11.2026, no English forms.
    assert GERMAN_MONEY.search(text), text
    assert ENGLISH_MONEY.search(text) is None
    assert "Kunde: " in text and "gewonnen: " in text  # circles and statuses in German

    page = _Page()
    page.feed(target.read_text(encoding="utf-8"))
    assert page.lang == "de"
    assert "refnet-Bericht vom 20.11.2026" in page.headings
    assert "Empfehlungsnetzwerk" in page.headings
    for title in GERMAN_TITLES:
        assert any(h.startswith(title) for h in page.headings), title
    for title in ENGLISH_TITLES:
        assert not any(h.startswith(title) for h in page.headings), title
    body = " ".join(page.text)
    assert GERMAN_MONEY.search(body)
    assert ENGLISH_MONEY.search(body) is None
    assert GERMAN_DATE.search(body) and ISO_DATE.search(body) is None
    assert "gewonnene Empfehlung" in body and "Kreisfläche: Multiplikator-Punktzahl" in body


def test_the_english_page_says_so(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "report.html"
    assert run("report", "--top", "3", "--as-of", AS_OF, "--html", str(target)).exit_code == 0
    page = _Page()
    page.feed(target.read_text(encoding="utf-8"))
    assert page.lang == "en"
    assert "refnet report on 2026-11-20" in page.headings


def test_the_pilot_reviews_recommendation_in_german(store: Store, german: None) -> None:
    synthetic_club(
        store, active=4, referrals_between=6, won_value_each="2000.00", non_member_referrals=2
    )
    with store.reading() as tx:
        facts = load_club_facts(tx, resolve_club(tx, None))
    review = review_pilot(facts, ClubRulesConfig(), as_of=date(2026, 1, 15))
    assert review.recommendation == "continue"  # the value --json prints stays neutral
    assert review.reasons[0] == "100\xa0% der Probephase sind vergangen"  # Babel: no-break space
    assert review.reasons[-1] == (
        "jedes Ziel liegt im Plan und Mitglieder schneiden mindestens so gut ab wie Nichtmitglieder"
    )
    # The business-value goal: 12.000 of 10.000 due, German thousands and percent.
    assert (
        "Geschäftswert: 12.000 von 10.000 bis heute fälligen (120\xa0%; Ziel 10.000"
        in (review.reasons[3])
    )
    tables = review_tables(review)
    assert tables[0].title.startswith("Bewertung der Pilotphase von")
    assert tables[-1].title == "Empfehlung zur Pilotphase: FORTFÜHREN"
    assert tables[-1].columns == ["weil"]
    assert any("Mitglieder gaben je 1,5 Empfehlungen" in str(row[0]) for row in tables[-1].rows)
