"""Files as German offices write them: Excel (cp1252 or UTF-8 with BOM, semicolons), Outlook
contacts and LinkedIn Connections. Each imports, or is refused with one message per problem
naming file, line, the file's own column header and the fix."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.errors import ImportRejected, InputError
from connector.importing import ImportReport, import_file, import_files
from connector.model import (
    Circle,
    Connection,
    LadderStage,
    Member,
    Referral,
    ReferralStatus,
    new_id,
)
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store


def _write(path: Path, lines: list[str], encoding: str, *, bom: bool = False) -> Path:
    # Excel and Outlook end lines with CRLF.
    data = "\r\n".join(lines).encode(encoding) + b"\r\n"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


def _import(store: Store, path: Path, **kwargs: object) -> ImportReport:
    return import_file(store, path, rules=RulesConfig(), actor=Actor("test"), **kwargs)  # type: ignore[arg-type]


EXCEL_MEMBERS = [
    "Nr;Name;E-Mail;Firma;Kreis;Stufe;Branche;Region;Größe;Angebote;Erstellt am",
    "k1;Jürgen Müller;jm@mueller.example;Müller & Söhne GmbH;Kunde;Empfehler;Maschinenbau;Ulm;"
    'mittel;"CNC; Schweißen";31.12.2025 14:30',
    "k2;Grete Weiß;grete@weiss.example;Weiß KG;Kunde;;Logistik;Köln;klein;;01.02.2025",
    "m1;Anna Weber;anna@weber.example;Wir GmbH;Mitarbeiter;;;;;;",
    ";;;;;;;;;;",  # Excel writes trailing empty rows like this
]


@pytest.fixture
def excel_members(tmp_path: Path) -> Path:
    return _write(tmp_path / "members.csv", EXCEL_MEMBERS, "cp1252")


def test_german_excel_cp1252_semicolon_file_imports(store: Store, excel_members: Path) -> None:
    report = _import(store, excel_members)
    assert (report.encoding, report.delimiter) == ("cp1252", ";")
    assert report.created == {"member": 3}
    with store.reading() as tx:
        jurgen = tx.get(Member, "k1")
        grete = tx.get(Member, "k2")
    assert (jurgen.name, jurgen.organisation) == ("Jürgen Müller", "Müller & Söhne GmbH")
    assert (jurgen.circle, jurgen.ladder_stage) == (Circle.CUSTOMER, LadderStage.REFERRER)
    assert jurgen.profile.offers == ["CNC", "Schweißen"]
    assert jurgen.profile.size is not None and jurgen.profile.size.value == "medium"
    # 14:30 in Berlin in winter is 13:30 UTC.
    assert jurgen.created_at.astimezone(UTC) == datetime(2025, 12, 31, 13, 30, tzinfo=UTC)
    assert grete.created_at.astimezone(UTC) == datetime(2025, 1, 31, 23, 0, tzinfo=UTC)
    assert grete.ladder_stage is LadderStage.CUSTOMER


def test_utf8_bom_tab_file_imports_and_reports_how_it_was_read(
    store: Store, tmp_path: Path
) -> None:
    lines = [line.replace(";", "\t").replace('"CNC\t Schweißen"', "CNC") for line in EXCEL_MEMBERS]
    path = _write(tmp_path / "members.csv", lines, "utf-8", bom=True)
    report = _import(store, path)
    assert (report.encoding, report.delimiter) == ("utf-8-sig", "\t")
    with store.reading() as tx:
        assert tx.get(Member, "k1").name == "Jürgen Müller"


def test_flags_override_detection(store: Store, excel_members: Path) -> None:
    wrong = _import_or_error(store, excel_members, delimiter=",")
    assert isinstance(wrong, ImportRejected)
    assert "required column missing (is the delimiter right?" in wrong.errors[-1].message
    report = _import(store, excel_members, delimiter=";", encoding="cp1252")
    assert report.created == {"member": 3}


def _import_or_error(store: Store, path: Path, **kwargs: object) -> ImportReport | ImportRejected:
    try:
        return _import(store, path, **kwargs)
    except ImportRejected as exc:
        return exc


def test_a_new_member_imported_above_the_first_rung_is_audited(
    store: Store, excel_members: Path
) -> None:
    _import(store, excel_members)
    with store.reading() as tx:
        trail = tx.audit_trail("k1")
    assert [(e.old_value, e.new_value, e.event_ref) for e in trail] == [
        (None, "referrer", "import:members.csv")
    ]
    assert trail[0].reason == "imported from members.csv line 2"


def test_unknown_header_gets_a_suggestion(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "members.csv", ["Nr;Name;Fimra;Kreis", "k1;A;B;Kunde"], "cp1252")
    with pytest.raises(ImportRejected) as caught:
        _import(store, path)
    (error,) = caught.value.errors
    assert str(error) == (
        "members.csv line 1: field 'Fimra': unknown column; did you mean 'Firma'?"
    )


REFERRAL_HEADER = "Nr;Empfehler;Empfohlen;Kreis;Status;Betrag;Währung;Erstellt am"


def test_german_values_in_referrals(store: Store, excel_members: Path, tmp_path: Path) -> None:
    _import(store, excel_members)
    path = _write(
        tmp_path / "referrals.csv",
        [
            REFERRAL_HEADER,
            "r1;k1;k2;Kunde;gewonnen;12.500,00;EUR;31.12.2025",
            "r2;k1;m1;Kunde;offen;12500.50;EUR;2025-03-01",
            "r3;k2;m1;Kunde;qualifiziert;99,5;EUR;01.03.2025 09:00",
        ],
        "cp1252",
    )
    _import(store, path)
    with store.reading() as tx:
        won = tx.get(Referral, "r1")
        assert (won.status, won.amount) == (ReferralStatus.WON, Decimal("12500.00"))
        assert tx.get(Referral, "r2").amount == Decimal("12500.50")
        assert tx.get(Referral, "r3").amount == Decimal("99.5")
        # Imported past its first state: audited with the file as the reason.
        (entry,) = tx.audit_trail("r1")
        assert (entry.old_value, entry.new_value, entry.reason) == (
            None,
            "won",
            "imported from referrals.csv line 2",
        )
        assert tx.audit_trail("r2") == []


def test_every_error_of_every_file_in_one_pass_and_nothing_written(
    store: Store, tmp_path: Path
) -> None:
    members = _write(tmp_path / "members.csv", EXCEL_MEMBERS, "cp1252")
    referrals = _write(
        tmp_path / "referrals.csv",
        [
            REFERRAL_HEADER,
            "r1;k1;k2;Kunde;gewonnen;zwölf;EUR;31.12.2025",  # bad amount
            "r2;k9;k2;Kunde;offen;10;EUR;31.12.2025",  # unknown member
            "r3;k8;k2;Kunde;offen;1,2,3;EUR;32.13.2025",  # all three at once
        ],
        "cp1252",
    )
    with pytest.raises(ImportRejected) as caught:
        import_files(store, [members, referrals], rules=RulesConfig(), actor=Actor("t"))
    found = {(e.file, e.line, e.field) for e in caught.value.errors}
    assert found == {
        ("referrals.csv", 2, "Betrag"),
        ("referrals.csv", 3, "Empfehler"),
        ("referrals.csv", 4, "Betrag"),
        ("referrals.csv", 4, "Erstellt am"),
        ("referrals.csv", 4, "Empfehler"),
    }
    messages = {str(e) for e in caught.value.errors}
    assert (
        "referrals.csv line 2: field 'Betrag': 'zwölf' is not an amount; "
        "write e.g. 12.500,00 or 12500.00"
    ) in messages
    assert "referrals.csv line 3: field 'Empfehler': unknown member 'k9'" in messages
    with store.reading() as tx:
        assert tx.count(Member) == 0, "the members file of the same command was rolled back"


def test_partial_reimport_keeps_other_columns_and_clears_only_on_the_marker(
    store: Store, excel_members: Path, tmp_path: Path
) -> None:
    _import(store, excel_members)
    partial = _write(
        tmp_path / "members.csv",
        ["id;name;circle;ladder_stage;email", "k1;Jürgen Müller;customer;referrer;<leer>"],
        "utf-8",
    )
    report = _import(store, partial)
    assert report.updated == {"member": 1}
    with store.reading() as tx:
        jurgen = tx.get(Member, "k1")
    assert jurgen.email is None
    assert jurgen.organisation == "Müller & Söhne GmbH"
    assert jurgen.profile.industry == "Maschinenbau"
    assert jurgen.profile.offers == ["CNC", "Schweißen"]


def test_a_lower_stage_is_proposed_not_made_and_a_skipped_rung_is_refused(
    store: Store, excel_members: Path, tmp_path: Path
) -> None:
    _import(store, excel_members)
    lower = _write(tmp_path / "members.csv", ["Nr;Stufe", "k1;Kunde"], "cp1252")
    report = _import(store, lower)
    assert report.changes == []
    (proposal,) = report.proposals
    assert "says 'customer', stays 'referrer'" in proposal
    with store.reading() as tx:
        assert tx.get(Member, "k1").ladder_stage is LadderStage.REFERRER
        assert len(tx.audit_trail("k1")) == 1
    skip = _write(tmp_path / "members.csv", ["Nr;Stufe", "k2;Partner"], "cp1252")
    with pytest.raises(ImportRejected) as caught:
        _import(store, skip)
    (error,) = caught.value.errors
    assert (error.line, error.field) == (2, "Stufe")
    assert "set 'referrer' first" in error.message
    up = _write(tmp_path / "members.csv", ["Nr;Stufe", "k2;Empfehler"], "cp1252")
    (change,) = _import(store, up).changes
    assert (change.old, change.new, change.reason) == (
        "customer",
        "referrer",
        "imported from members.csv line 2",
    )


def test_a_file_that_is_not_the_detected_encoding_names_line_and_fix(
    store: Store, tmp_path: Path
) -> None:
    # The first 64 KiB are plain ASCII, so UTF-8 is detected; a cp1252 "ü" comes later.
    lines = ["id,name,circle"] + [f"m{i},Name {i},prospect" for i in range(4000)]
    lines.append("late,Jürgen,prospect")
    path = _write(tmp_path / "members.csv", lines, "cp1252")
    with pytest.raises(InputError) as caught:
        _import(store, path)
    assert "members.csv line 4002: not utf-8 text" in str(caught.value)
    assert "--encoding cp1252" in str(caught.value)
    assert _import(store, path, encoding="cp1252").created == {"member": 4001}


OUTLOOK_HEADER = (
    '"Anrede","Vorname","Weitere Vornamen","Nachname","Suffix","Firma","Abteilung","Position",'
    '"Straße geschäftlich","Ort geschäftlich","Telefon geschäftlich","E-Mail-Adresse",'
    '"E-Mail: Angezeigter Name","Notizen"'
)


def _outlook_row(first: str, last: str, company: str, position: str, email: str) -> str:
    cells = ["Herr", first, "", last, "", company, "", position, "Hauptstr. 1", "Ulm", ""]
    cells += [email, f"{first} {last} ({email})" if email else "", ""]
    return ",".join(f'"{cell}"' for cell in cells)


@pytest.fixture
def employee(store: Store, excel_members: Path) -> str:
    _import(store, excel_members)
    return "m1"


def test_outlook_contacts_export_imports_for_an_employee(
    store: Store, employee: str, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "Kontakte.csv",
        [
            OUTLOOK_HEADER,
            _outlook_row(
                "Jürgen", "Müller", "Müller & Söhne GmbH", "Inhaber", "jm@mueller.example"
            ),
            _outlook_row("Petra", "Schäfer", "Schäfer AG", "Einkauf", "petra@schaefer.example"),
            _outlook_row("Otto", "Öztürk", "Öztürk Bau", "", ""),
        ],
        "cp1252",
    )
    report = _import(store, path, employee_id=employee, kind="contact")
    assert report.encoding == "cp1252" and report.delimiter == ","
    assert report.created == {"member": 2, "connection": 3}
    assert "Straße geschäftlich" in report.ignored_columns
    with store.reading() as tx:
        petra = tx.member_by_email("petra@schaefer.example")
        assert petra is not None and petra.name == "Petra Schäfer"
        assert petra.circle is Circle.PROSPECT
        # Known by e-mail: the customer stays a customer.
        assert tx.get(Member, "k1").circle is Circle.CUSTOMER
        links = list(tx.find(Connection, from_id=employee))
    assert {link.context for link in links} >= {"address book: Einkauf"}
    again = _import(store, path, employee_id=employee, kind="contact")
    assert again.created == {}


def test_a_duplicate_contact_row_gives_one_error_in_the_files_own_words(
    store: Store, employee: str, tmp_path: Path
) -> None:
    row = _outlook_row("Petra", "Schäfer", "Schäfer AG", "Einkauf", "petra@schaefer.example")
    path = _write(tmp_path / "Kontakte.csv", [OUTLOOK_HEADER, row, row], "cp1252")
    with pytest.raises(ImportRejected) as caught:
        _import(store, path, employee_id=employee, kind="contact")
    (error,) = caught.value.errors
    assert str(error) == (
        "Kontakte.csv line 3: field 'E-Mail-Adresse': the same contact as line 2; "
        "delete one of the two lines"
    )


LINKEDIN = [
    "Notes:",
    '"When exporting your connection data, you may notice that some of the email addresses are'
    " missing. You will only see email addresses for connections who have allowed their"
    ' connections to see or download it. You can learn more here: https://www.linkedin.com/help"',
    "",
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On",
    "Jürgen,Müller,https://www.linkedin.com/in/jm,,Müller & Söhne GmbH,Inhaber,03 Dec 2026",
    'Lena,Vogel,https://www.linkedin.com/in/lv,,"Vogel, Fink & Co",Vertrieb,15 Jan 2024',
    "Lena,Vogel,https://www.linkedin.com/in/lv2,,Andere GmbH,CEO,16 Jan 2024",
]


def test_linkedin_connections_with_preamble_and_without_emails(
    store: Store, employee: str, tmp_path: Path
) -> None:
    path = _write(tmp_path / "Connections.csv", LINKEDIN, "utf-8")
    report = import_files(
        store, [path], rules=RulesConfig(), actor=Actor("t"), employee_id=employee
    )[0]
    # Jürgen is matched by name + company (no e-mail); the two Lenas are different people.
    assert report.created == {"member": 2, "connection": 3}
    with store.reading() as tx:
        link = tx.get(Connection, _link_id(employee, "k1"))
        assert link.context == "LinkedIn: Inhaber"
        berlin = link.created_at.astimezone(ZoneInfo("Europe/Berlin"))
        assert berlin.date().isoformat() == "2026-12-03"
        assert tx.count(Member, name="Lena Vogel") == 2
    again = import_files(store, [path], rules=RulesConfig(), actor=Actor("t"), employee_id=employee)
    assert again[0].created == {}


def _link_id(employee: str, member: str) -> str:
    return new_id("con", f"{employee}->{member}")
