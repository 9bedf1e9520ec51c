"""Error messages in German: import problems naming row and field, setting and sync refusals,
pydantic's own messages; English stays exactly as before (the rest of the suite checks it)."""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_core import PydanticKnownError, core_schema

from connector import i18n
from connector.errors import (
    ConfigError,
    IllegalTransition,
    ImportRejected,
    NotFoundError,
    RowError,
    SignatureError,
    kind_word,
)
from connector.importing import import_file
from connector.model import Connection, LadderStage, Member
from connector.rules import LADDER, RulesConfig
from connector.services import Actor
from connector.settings import Settings, read_settings
from connector.store import KINDS, Store
from connector.sync.targets import load_target
from connector.validation_messages import catalogued, validation_message, validation_problems
from webhooks.signatures import refnet_signature_header, verify_refnet_signature

REFNET = str(Path(sys.executable).with_name("refnet"))

# A members file as a German office writes it, with three mistakes: a circle that is no
# circle, an impossible date, a row without a name.
BAD_GERMAN_MEMBERS = (
    "Nr;Name;E-Mail;Firma;Kreis;Stufe;Erstellt am\r\n"
    "k1;Jürgen Müller;jm@mueller.example;Müller GmbH;Kundin;;31.13.2025\r\n"
    "k2;;grete@weiss.example;Weiß KG;Kunde;Empfehler;01.02.2025\r\n"
)


@pytest.fixture
def german() -> Iterator[None]:
    i18n.set_language("de")
    yield
    i18n.set_language("en")


def _refnet(tmp_path: Path, *args: str, language: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REFNET_", "LANG", "LC_"))
    }
    environment.update(
        REFNET_DATABASE_URL=f"sqlite:///{tmp_path / 'refnet.db'}",
        REFNET_LANGUAGE=language,
        COLUMNS="300",  # one message a line, whatever the terminal
    )
    return subprocess.run(
        [REFNET, *args],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard only
        check=False,
    )


def test_a_bad_german_csv_is_refused_in_german_naming_row_and_the_files_header(
    tmp_path: Path,
) -> None:
    (tmp_path / "mitglieder.csv").write_text(BAD_GERMAN_MEMBERS, encoding="utf-8")
    assert _refnet(tmp_path, "init", language="de").returncode == 0

    done = _refnet(tmp_path, "import", "mitglieder.csv", "--kind", "member", language="de")

    assert done.returncode == 3, done.stderr
    lines = done.stderr
    assert "nichts importiert" in lines
    # Row and the file's own header ("Kreis", "Erstellt am", "Name"), the problem in German.
    assert "mitglieder.csv Zeile 2: Feld 'Kreis': 'Kundin' ist keiner der Werte:" in lines
    assert (
        "mitglieder.csv Zeile 2: Feld 'Erstellt am': '31.13.2025' ist kein Datum; "
        "schreiben Sie z. B. 31.12.2025" in lines
    )
    assert "mitglieder.csv Zeile 3: Feld 'Name': Pflichtfeld fehlt" in lines
    assert "field" not in lines and "line" not in lines and "not a date" not in lines


def test_the_same_file_is_refused_in_english_as_before(tmp_path: Path) -> None:
    (tmp_path / "members.csv").write_text(BAD_GERMAN_MEMBERS, encoding="utf-8")
    assert _refnet(tmp_path, "init", language="en").returncode == 0

    done = _refnet(tmp_path, "import", "members.csv", "--kind", "member", language="en")

    assert done.returncode == 3
    assert "members.csv line 3: field 'Name': Field required" in done.stderr
    assert "'31.13.2025' is not a date; write e.g. 31.12.2025" in done.stderr
    assert "Zeile" not in done.stderr


def test_a_missing_crm_login_is_explained_in_german(tmp_path: Path) -> None:
    assert _refnet(tmp_path, "init", language="de").returncode == 0

    done = _refnet(tmp_path, "sync", "--target", "salesforce", language="de")

    assert done.returncode == 6  # ConfigError: fix the settings
    assert "keine Salesforce-Anmeldung eingerichtet: setzen Sie username" in done.stderr


def test_import_errors_in_process_are_german_and_keep_the_header(
    german: None, store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "mitglieder.csv"
    path.write_text(BAD_GERMAN_MEMBERS, encoding="utf-8")

    with pytest.raises(ImportRejected) as refused:
        import_file(store, path, rules=RulesConfig(), actor=Actor("test"), kind="member")

    shown = [str(error) for error in refused.value.errors]
    assert "mitglieder.csv Zeile 3: Feld 'Name': Pflichtfeld fehlt" in shown
    assert str(refused.value).startswith("mitglieder.csv: 4 ungültige Zeilen, nichts importiert")
    # The fields stay as the file names them, for scripts and for the user's eye.
    assert {error.field for error in refused.value.errors} == {"Kreis", "Erstellt am", "Name"}


def test_a_row_error_is_translated_when_shown_not_when_made() -> None:
    error = RowError("kontakte.json:members", 2, "email", "kaputt", "record")
    assert str(error) == "kontakte.json:members record 2: field 'email': kaputt"
    i18n.set_language("de")
    try:
        assert str(error) == "kontakte.json:members Datensatz 2: Feld 'email': kaputt"
    finally:
        i18n.set_language("en")


def test_a_bad_setting_is_explained_in_german(german: None) -> None:
    with pytest.raises(ConfigError) as refused:
        read_settings(Settings, "Einstellungen", import_timezone="Mars/Base")
    assert str(refused.value) == (
        "ungültige Angaben in Einstellungen: import_timezone: unbekannte Zeitzone 'Mars/Base' "
        "(verwenden Sie einen IANA-Namen wie Europe/Berlin)"
    )


def test_an_unknown_sync_target_is_refused_in_german(german: None) -> None:
    with pytest.raises(ConfigError, match="unbekanntes Ziel der Synchronisierung 'nirgendwo'"):
        load_target("nirgendwo", Settings())


def test_domain_errors_name_the_record_kind_in_german(german: None) -> None:
    assert str(NotFoundError("member", "m-404")) == "Mitglied 'm-404' nicht gefunden"
    with pytest.raises(IllegalTransition) as refused:
        LADDER.check("k1", LadderStage.PARTNER, LadderStage.CUSTOMER)
    assert str(refused.value).startswith("Stufenleiter 'k1': kein Wechsel von 'partner' zu")
    assert refused.value.kind == "ladder"  # the attributes stay language-neutral


def _problems(model: type[Member] | type[Connection], data: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)
    return [message for _location, message in validation_problems(refused.value)]


def test_pydantics_own_messages_are_german_through_the_catalog(german: None) -> None:
    problems = _problems(
        Connection, {"id": "c1", "from_id": "m1", "to_id": "m2", "strength": 9, "colour": "red"}
    )
    assert "Der Wert darf höchstens 5 sein" in problems
    assert "Zusätzliche Angaben sind nicht erlaubt" in problems
    member = _problems(Member, {"id": "m1", "name": "Anna", "circle": "nobody"})
    assert any(m.startswith("Erlaubt ist ") and " oder " in m for m in member), member
    # refnet's own validators: the message alone, without pydantic's "Value error, ".
    assert _problems(Connection, {"id": "c1", "from_id": "m1", "to_id": "m1", "strength": 3}) == [
        "ein Mitglied kann nicht sein eigener Kontakt sein"
    ]


def test_english_messages_are_exactly_pydantics() -> None:
    with pytest.raises(ValidationError) as refused:
        Connection.model_validate({"id": "c1", "from_id": "m1", "to_id": "m2", "strength": 9})
    for problem in refused.value.errors(include_url=False, include_input=False):
        assert validation_message(problem) == problem["msg"]


def _templates() -> set[str]:
    """Every message template pydantic-core knows, whatever context its type needs."""
    found: set[str] = set()
    for error_type in typing.get_args(core_schema.ErrorType):
        context: dict[str, object] = {}
        for _attempt in range(6):
            try:
                found.add(PydanticKnownError(error_type, context or None).message_template)
                break
            except (KeyError, TypeError, ValueError) as exc:
                # "'gt' required in context": give it one and try again.
                context[str(exc).split("'")[1]] = "x"
    return found


def test_every_catalogued_template_is_pydantic_cores_own() -> None:
    # Under English the marked texts come back as written: they must be pydantic's, or the
    # catalog would translate a text pydantic never produces.
    assert set(catalogued()) <= _templates()


def test_a_webhook_signature_refusal_reads_german(german: None) -> None:
    signed = refnet_signature_header(b"{}", secret="s" * 32, timestamp=1_700_000_000)
    with pytest.raises(SignatureError) as refused:
        verify_refnet_signature(
            b"{}",
            {"X-Refnet-Signature": signed},
            secret="s" * 32,
            now=datetime.fromtimestamp(1_700_000_000, tz=UTC) + timedelta(hours=1),
        )
    assert str(refused.value) == "der Zeitstempel der Signatur ist zu alt"


def test_a_date_parsers_detail_is_german_too(german: None) -> None:
    problems = _problems(
        Member, {"id": "m1", "name": "Anna", "circle": "customer", "created_at": "2025-13-01"}
    )
    assert problems == [
        "Erwartet wird ein Zeitpunkt oder ein Datum (der Monat liegt nicht zwischen 1 und 12)"
    ]


def test_every_record_kind_has_a_german_word(german: None) -> None:
    untranslated = [kind for kind in KINDS if kind_word(kind) == kind]
    assert not untranslated, f"add pgettext('record kind', ...) for {untranslated}"
