"""The command line speaks German: every text a user reads differs from its English twin.

The main commands run twice on one store holding the sample network, synced into the local
CRM sandbox: in German and in English. A text that prints the same in both languages (a line,
or a table cell beside its twin) may hold only data. The rule for "data": a whole value of the
sample files (a name, company, industry, note; list cells split at ``;``), a whole message the
CRM wrote (its refusal reasons, from ``runs rejected --json``), the actor's name (a setting),
an identifier (a word with a
digit, ``_``, ``@``, ``.`` or ``:``), or a word spelt the same in both languages
(``NEUTRAL``). refnet's enum values (``customer``, ``won``) never count as data: shown to
people, they must be translated. What is left of such a text once the data is taken out must
hold no word: a word left is an English text that escaped the catalog, and the test names the
command and the text.

``--json`` output is the same in both languages (floats nearly: a score's recency decays
between the two runs), and German tables show German numbers, money and dates.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connector import i18n
from connector.cli.app import app
from connector.cli.words import CONTEXT_OF_KIND, words
from connector.model import enums
from connector.settings import load_settings
from tests.conftest import SAMPLE_DIR

SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]

SYNC = ("sync", "--target", "sandbox", "--object", "member")
# What a user runs day to day (after SYNC ran once per language).
COMMANDS: list[tuple[str, ...]] = [
    ("runs",),
    ("runs", "show", "1"),
    ("runs", "rejected"),
    ("members", "list", "--limit", "15"),
    ("members", "list", "--circle", "partner", "--limit", "5"),
    ("members", "show", "mem-cus-005"),
    ("members", "show", "mem-par-01"),
    ("referrals", "list", "--limit", "15"),
    ("referrals", "list", "--status", "won", "--limit", "5"),
    ("referrals", "show", "ref-0001"),
    ("find", "schaefer", "--limit", "5"),
    ("audit", "ref-0001"),
    ("intel", "connectors", "--top", "5"),
    ("intel", "path", "mem-cus-001"),
    ("intel", "suggest"),
    ("club", "todo", "--as-of", "2026-03-01"),
    ("club", "invite-candidates", "--top", "3", "--as-of", "2026-03-01"),
]

# Spelt the same in German and English, or names of things (CRMs, formats, units, the CRM's
# object API names a sync prints per row).
NEUTRAL = {
    "account",
    "api",
    "code",
    "contact",
    "crm",
    "eur",
    "host",
    "hubspot",
    "id",
    "json",
    "name",
    "neutral",
    "ok",
    "organisation",
    "partner",
    "pid",
    "refnet",
    "region",
    "salesforce",
    "sandbox",
    "status",
    "utc",
    "worker",
}

# Words split at spaces, table rules and punctuation; "org:fuchs-verpackungen" stays one word
# (an identifier), "to-do" becomes two.
_WORD = re.compile(r"[^\s│┃┏┓┗┛┡┩└┘┌┐├┤┬┴┼━─═╇╈╋┳┻|,;()'\"→↔—=+*/<>\[\]{}#?!]+")
_CELL = re.compile(r"[│┃]")
_GERMAN_MONEY = re.compile(r"\b\d{1,3}(?:\.\d{3})*,\d{2}\xa0€")
_GERMAN_DAY = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")


# The states the command line shows people (GoalMetric names, e.g., are never shown).
SHOWN_ENUMS: dict[str, type[StrEnum]] = {
    "circle": enums.Circle,
    "ladder stage": enums.LadderStage,
    "referral status": enums.ReferralStatus,
    "sentiment": enums.Sentiment,
    "partner stage": enums.PartnerStage,
    "agreement status": enums.AgreementStatus,
    "membership status": enums.MembershipStatus,
    "introduction status": enums.IntroductionStatus,
    "contribution status": enums.ContributionStatus,
    "company size": enums.CompanySize,
}


# Reasons stored in the language of the process that wrote them (the German import's audit
# reasons, the German sync run's refusals): data, once written, so the English run shows
# them in German too.
STORED_IN_THE_WRITERS_LANGUAGE = [
    re.compile(r"importiert aus \S+, (Zeile|Datensatz) \d+"),
    re.compile(
        r"\d+ (Empfehlungen? qualifiziert oder gewonnen|gewonnene Empfehlungen?) "
        r"\(Schwelle \d+\); Import von \S+"
    ),
    re.compile(r"\w+ zum refnet-Datensatz „[^“]+“ passt zu .* die richtige Salesforce-ID"),
]


def _without_stored_reasons(text: str) -> str:
    for pattern in STORED_IN_THE_WRITERS_LANGUAGE:
        text = pattern.sub(" ", text)
    return text


def _enum_values() -> set[str]:
    return {member.value for enum in SHOWN_ENUMS.values() for member in enum}


def _words_of(text: str) -> set[str]:
    found: set[str] = set()
    for raw in _WORD.findall(text):
        word = raw.strip(":-").lower()
        if ":" in word:
            found.add(word)  # an identifier such as org:fuchs-verpackungen
        else:
            found |= {part for part in word.split("-") if part}
    return found


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _sample_values() -> set[str]:
    found: set[str] = set()
    for name in SAMPLE_FILES:
        path = SAMPLE_DIR / name
        if path.suffix == ".csv":
            with path.open(encoding="utf-8") as stream:
                for row in csv.DictReader(stream):
                    for value in row.values():
                        found |= {item.strip() for item in re.split(r"[;|]", value or "")}
        else:
            found |= set(_strings(json.loads(path.read_text(encoding="utf-8"))))
    return {value for value in found if value}


def _is_identifier(word: str) -> bool:
    return any(c.isdigit() or c in "_@.:" for c in word) or len(word) < 3


def _same(german: object, english: object) -> bool:
    """Equal JSON; floats only nearly (a score's recency decays between the two runs)."""
    if isinstance(german, float) and isinstance(english, float):
        return math.isclose(german, english, rel_tol=1e-3)
    if isinstance(german, dict) and isinstance(english, dict):
        return german.keys() == english.keys() and all(
            _same(german[key], english[key]) for key in german
        )
    if isinstance(german, list) and isinstance(english, list):
        return len(german) == len(english) and all(
            _same(g, e) for g, e in zip(german, english, strict=True)
        )
    return german == english


class Outputs:
    """What each command printed, by language; and the data values of this store."""

    def __init__(self) -> None:
        self.text: dict[tuple[str, tuple[str, ...]], str] = {}
        self.json: dict[tuple[str, tuple[str, ...]], str] = {}
        self.data_values: list[str] = []  # longest first, so no value eats part of another


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outputs]:
    folder = tmp_path_factory.mktemp("german-cli")
    runner = CliRunner()
    found = Outputs()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("REFNET_DATABASE_URL", f"sqlite:///{folder / 'refnet.db'}")
        # Wide enough that no table wraps a word into two lines.
        patch.setenv("COLUMNS", "400")

        def run(language: str, *args: str) -> str:
            i18n.set_language(language)
            result = runner.invoke(app, list(args), catch_exceptions=False)
            assert result.exit_code in (0, 7), (language, args, result.output)
            return result.stdout

        for language in ("de", "en"):
            found.text[language, ("init",)] = run(language, "init")
        files = [str(SAMPLE_DIR / name) for name in SAMPLE_FILES]
        # Imported once (a second import would only update); its lines are checked in German.
        found.text["de", ("import",)] = run("de", "import", *files)
        for language in ("de", "en"):  # both runs first: `runs` then lists the same two
            found.text[language, SYNC] = run(language, *SYNC)
        for language in ("de", "en"):
            for command in COMMANDS:
                found.text[language, command] = run(language, *command)
                found.json[language, command] = run(language, *command, "--json")
        rejected = json.loads(run("en", "runs", "rejected", "--json"))
        crm_messages = {str(r["message"]) for r in rejected}
        actor = load_settings().actor  # who changed what, in the audit trail
        values = (_sample_values() | crm_messages | {actor}) - _enum_values()
        found.data_values = sorted(values, key=len, reverse=True)
        i18n.set_language("en")
    yield found


def _squeezed(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip()


def _shared_texts(german: str, english: str) -> list[str]:
    """The texts printed the same in both languages: table cells side by side, other lines whole.

    Both outputs have the same rows in the same order (the tables are wide enough not to wrap),
    so line i of one is line i of the other and its cells can be compared one by one; a row
    whose money or date differs still shows an untranslated status in its own cell. Padding
    follows the widest cell, which differs between the languages: only the text is compared.
    """
    german_lines = [_squeezed(line) for line in german.splitlines()]
    english_lines = [_squeezed(line) for line in english.splitlines()]
    if len(german_lines) != len(english_lines):  # then only whole lines can be matched
        return [line for line in german_lines if line in set(english_lines)]
    shared = []
    for ours, theirs in zip(german_lines, english_lines, strict=True):
        our_cells, their_cells = _CELL.split(ours), _CELL.split(theirs)
        if len(our_cells) > 1 and len(our_cells) == len(their_cells):
            for cell, other in zip(our_cells, their_cells, strict=True):
                if _squeezed(cell) == _squeezed(other):
                    shared.append(_squeezed(cell))
        elif ours == theirs:
            shared.append(ours)
    return [text for text in shared if text]


def _english_texts(outputs: Outputs, command: tuple[str, ...]) -> list[str]:
    offending = []
    for text in _shared_texts(outputs.text["de", command], outputs.text["en", command]):
        rest = _without_stored_reasons(text)
        for value in outputs.data_values:
            if value in rest:  # whole values only, never a piece of a word
                rest = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", rest)
        leftover = {w for w in _words_of(rest) if not _is_identifier(w) and w not in NEUTRAL}
        if leftover:
            offending.append(f"{' '.join(command)}: {sorted(leftover)} in {text!r}")
    return offending


@pytest.mark.parametrize("command", [("init",), SYNC, *COMMANDS], ids=" ".join)
def test_no_text_prints_the_same_english_words_in_german(
    outputs: Outputs, command: tuple[str, ...]
) -> None:
    assert outputs.text["de", command].strip(), "the command printed nothing"
    assert _english_texts(outputs, command) == []


def test_the_rule_catches_an_untranslated_title_and_status(outputs: Outputs) -> None:
    fake = Outputs()
    fake.data_values = outputs.data_values
    german = "Empfehlungen (5 von 392)\n│ ref-0001 │ Uwe Graf │ won    │ 57.972,89 € │\n"
    english = "referrals (5 of 392)\n│ ref-0001 │ Uwe Graf │ won │ €57,972.89 │\n"
    fake.text["de", ("x",)], fake.text["en", ("x",)] = german, english
    assert _english_texts(fake, ("x",)) == ["x: ['won'] in 'won'"]
    fake.text["de", ("x",)] = english
    assert len(_english_texts(fake, ("x",))) == 2  # the title, the status


def test_the_import_summary_is_german(outputs: Outputs) -> None:
    lines = outputs.text["de", ("import",)].splitlines()
    assert (
        "importiert members.csv (utf-8, getrennt durch Komma): Mitglied: 381 neu, 0 aktualisiert"
    ) in lines
    # German thousands: 1.770 connections.
    assert (
        "importiert connections.csv (utf-8, getrennt durch Komma): Kontakt: 1.770 neu, "
        "0 aktualisiert"
    ) in lines


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_json_output_does_not_depend_on_the_language(
    outputs: Outputs, command: tuple[str, ...]
) -> None:
    german, english = outputs.json["de", command], outputs.json["en", command]
    assert json.loads(german)  # real JSON, not a message
    assert _same(json.loads(german), json.loads(english))
    # A status is a JSON value of its own: "won", never "gewonnen" (the German sample's
    # own texts may say "gewonnene").
    assert '"gewonnen"' not in _without_stored_reasons(german)


def test_german_tables_show_german_money_and_days(outputs: Outputs) -> None:
    command = ("referrals", "list", "--status", "won", "--limit", "5")
    german, english = outputs.text["de", command], outputs.text["en", command]
    assert _GERMAN_MONEY.search(german), german
    assert _GERMAN_DAY.search(german), german
    assert not _GERMAN_MONEY.search(english) and not _GERMAN_DAY.search(english)
    assert re.search(r"€\d{1,3}(,\d{3})*\.\d{2}", english), english
    runs = outputs.text["de", ("runs", "show", "1")]
    assert _GERMAN_DAY.search(runs), runs


def test_every_model_state_has_a_german_word() -> None:
    """A new enum value must get its word in connector/cli/words.py (and the catalog)."""
    i18n.set_language("de")
    for context, enum in SHOWN_ENUMS.items():
        german = words(context)
        assert set(german) == {m.value for m in enum}, context
        untranslated = [v for v, w in german.items() if w == v and v != "neutral"]
        assert not untranslated, (context, untranslated)
    assert set(CONTEXT_OF_KIND.values()) <= set(SHOWN_ENUMS)


def test_help_pages_are_german_including_typers_own_panels(tmp_path: Path) -> None:
    """Help texts are translated at import time, so a German process shows German help."""
    environ = {**os.environ, "REFNET_LANGUAGE": "de", "COLUMNS": "200"}
    refnet = Path(sys.executable).parent / "refnet"
    german = subprocess.run(
        [str(refnet), "members", "--help"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert "Mitglieder des Netzwerks auflisten und anzeigen." in german
    assert "Optionen" in german and "Befehle" in german
    assert "Mitglieder auflisten, wahlweise eines Kreises oder einer Stufe." in german
    assert "List and show members" not in german


def test_a_german_import_writes_german_stage_change_reasons(tmp_path: Path) -> None:
    """The audit reasons are written in the importing process's language, with real plurals."""
    environ = {
        **os.environ,
        "REFNET_LANGUAGE": "de",
        "REFNET_DATABASE_URL": f"sqlite:///{tmp_path / 'refnet.db'}",
        "COLUMNS": "300",
    }
    refnet = str(Path(sys.executable).parent / "refnet")
    files = [str(SAMPLE_DIR / name) for name in ("members.csv", "referrals.csv")]
    for args in (["init"], ["import", *files]):
        printed = subprocess.run(
            [refnet, *args], env=environ, capture_output=True, text=True, check=True, cwd=tmp_path
        ).stdout
    lines = [_squeezed(line) for line in printed.splitlines()]
    assert "│ Empfehlung │ ref-0001 │ │ gewonnen │ importiert aus referrals.csv, Zeile 2 │" in lines
    assert (
        "│ Stufenleiter │ mem-cus-007 │ Kunde │ Empfehler │ 1 Empfehlung qualifiziert oder "
        "gewonnen (Schwelle 1); Import von referrals.csv │"
    ) in lines
    assert (
        "│ Stufenleiter │ mem-cus-013 │ Empfehler │ Partner │ 4 gewonnene Empfehlungen "
        "(Schwelle 3); Import von referrals.csv │"
    ) in lines
    assert "qualified" not in printed and "(s)" not in printed and "imported" not in printed
