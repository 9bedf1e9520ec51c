"""CSV and JSON import: every bad row reported with file, line and field; nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connector.errors import ImportRejected, InputError
from connector.importing import export_network, import_file
from connector.model import (
    Connection,
    LadderStage,
    Member,
    Partnership,
    PartnerStage,
    Referral,
    ReferralStatus,
    new_id,
)
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store
from tests.conftest import NewDatabaseUrl

MEMBERS = """\
id,name,email,organisation,circle,industry,region,size,offers,needs
emp-1,Anna Weber,anna@weber.example,Weber GmbH,employee,,,,,
cus-1,Bernd Keller,bernd@keller.example,Keller,customer,machining,Ulm,medium,CNC; welding,export
cus-2,Clara Roth,clara@roth.example,Roth,customer,logistics,Ulm,small,warehousing,CNC
pro-1,Dieter Lang,dieter@lang.example,Lang,prospect,food,,,,
pro-2,Eva Maier,eva@maier.example,Maier,prospect,,,,,
pro-3,Fritz Huber,fritz@huber.example,Huber,prospect,,,,,
"""

REFERRALS_HEADER = (
    "id,referrer_id,referred_id,recipient_id,circle,sentiment,status,deal_id,amount,currency,"
    "note,created_at,status_changed_at\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _connection_id(employee: str, member: str) -> str:
    return new_id("con", f"{employee}->{member}")


def _import(store: Store, path: Path, **kwargs: object) -> object:
    return import_file(store, path, rules=RulesConfig(), actor=Actor("test"), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def members_file(tmp_path: Path) -> Path:
    return _write(tmp_path, "members.csv", MEMBERS)


def test_members_import_builds_profiles_and_is_idempotent(store: Store, members_file: Path) -> None:
    report = _import(store, members_file)
    assert report.created == {"member": 6}  # type: ignore[attr-defined]
    with store.reading() as tx:
        keller = tx.get(Member, "cus-1")
    assert keller.profile.offers == ["CNC", "welding"]
    assert keller.profile.size == "medium"
    assert keller.ladder_stage is LadderStage.CUSTOMER
    again = _import(store, members_file)
    assert again.created == {} and again.updated == {"member": 6}  # type: ignore[attr-defined]


def test_every_bad_row_is_reported_with_line_and_field_and_nothing_is_written(
    store: Store, tmp_path: Path
) -> None:
    bad = _write(
        tmp_path,
        "members.csv",
        "id,name,email,circle,size\n"
        "ok-1,Fine,fine@x.example,customer,small\n"
        "bad-1,,broken@x.example,customer,small\n"
        "bad-2,Bad Mail,not-an-email,customer,small\n"
        "bad-3,Bad Circle,c@x.example,friends,huge\n",
    )
    with pytest.raises(ImportRejected) as caught:
        _import(store, bad)
    found = {(e.line, e.field) for e in caught.value.errors}
    assert found == {(3, "name"), (4, "email"), (5, "circle"), (5, "size")}
    assert all(e.file == "members.csv" for e in caught.value.errors)
    assert "members.csv line 3: field 'name'" in str(caught.value.errors[0])
    with store.reading() as tx:
        assert tx.count(Member) == 0, "the good row was not imported either"


def test_unknown_and_missing_columns_are_named(store: Store, tmp_path: Path) -> None:
    bad = _write(tmp_path, "members.csv", "nr,name,emial\nx,X,x@x.example\n")
    with pytest.raises(ImportRejected) as caught:
        _import(store, bad)
    assert {(e.line, e.field, e.message) for e in caught.value.errors} == {
        (1, "emial", "unknown column; did you mean 'email'?"),
    }
    no_id = _write(tmp_path, "members.csv", "name,circle\nX,customer\n")
    with pytest.raises(ImportRejected) as caught:
        _import(store, no_id)
    (error,) = caught.value.errors
    assert (error.line, error.field) == (1, "id")
    assert "required column missing" in error.message


def test_a_new_member_without_a_circle_is_a_row_error(store: Store, tmp_path: Path) -> None:
    # Columns other than the id are optional (a re-import may update only some), so a new
    # member lacking one is refused on its row, naming the column.
    bad = _write(tmp_path, "members.csv", "id,name\nx,X\n")
    with pytest.raises(ImportRejected) as caught:
        _import(store, bad)
    (error,) = caught.value.errors
    assert (error.line, error.field) == (2, "circle")


def test_references_to_unknown_members_are_row_errors(
    store: Store, members_file: Path, tmp_path: Path
) -> None:
    _import(store, members_file)
    referrals = _write(
        tmp_path,
        "referrals.csv",
        REFERRALS_HEADER
        + "r1,cus-1,pro-1,,customer,positive,open,,,EUR,,2025-01-10T10:00:00+00:00,"
        "2025-01-10T10:00:00+00:00\n"
        + "r2,cus-9,pro-1,cus-7,customer,positive,open,,,EUR,,2025-01-10T10:00:00+00:00,"
        "2025-01-10T10:00:00+00:00\n",
    )
    with pytest.raises(ImportRejected) as caught:
        _import(store, referrals)
    assert {(e.line, e.field) for e in caught.value.errors} == {
        (3, "referrer_id"),
        (3, "recipient_id"),
    }
    assert "unknown member 'cus-9'" in {e.message for e in caught.value.errors}
    with store.reading() as tx:
        assert tx.count(Referral) == 0


def test_duplicate_ids_in_one_file_are_rejected(store: Store, tmp_path: Path) -> None:
    dup = _write(tmp_path, "members.csv", "id,name,circle\nm1,A,customer\nm1,B,customer\n")
    with pytest.raises(ImportRejected) as caught:
        _import(store, dup)
    (error,) = caught.value.errors
    assert (error.line, error.field) == (3, "id")
    assert "line 2" in error.message


def test_imported_referrals_move_their_referrers_up_the_ladder_with_audit(
    store: Store, members_file: Path, tmp_path: Path
) -> None:
    _import(store, members_file)
    rows = "".join(
        f"r{i},cus-1,pro-{i},,customer,positive,won,deal-{i},1000.00,EUR,,"
        f"2025-0{i}-10T10:00:00+00:00,2025-0{i}-20T10:00:00+00:00\n"
        for i in (1, 2, 3)
    )
    report = _import(store, _write(tmp_path, "referrals.csv", REFERRALS_HEADER + rows))
    assert [(c.record_id, c.old, c.new) for c in report.changes] == [  # type: ignore[attr-defined]
        # Each referral came in as won: audited with the file as its reason.
        ("r1", None, "won"),
        ("r2", None, "won"),
        ("r3", None, "won"),
        ("cus-1", "customer", "referrer"),
        ("cus-1", "referrer", "partner"),
    ]
    with store.reading() as tx:
        assert tx.get(Member, "cus-1").ladder_stage is LadderStage.PARTNER
        trail = tx.audit_trail("cus-1")
    assert [e.new_value for e in trail] == ["referrer", "partner"]
    assert all(e.event_ref == "import:referrals.csv" for e in trail)


def test_reimport_with_an_illegal_stage_change_is_rejected(
    store: Store, members_file: Path, tmp_path: Path
) -> None:
    _import(store, members_file)
    won = (
        "r1,cus-1,pro-1,,customer,positive,{status},,,EUR,,2025-01-10T10:00:00+00:00,"
        "2025-01-10T10:00:00+00:00\n"
    )
    _import(store, _write(tmp_path, "referrals.csv", REFERRALS_HEADER + won.format(status="won")))
    back = _write(tmp_path, "referrals.csv", REFERRALS_HEADER + won.format(status="open"))
    with pytest.raises(ImportRejected) as caught:
        _import(store, back)
    (error,) = caught.value.errors
    assert error.field == "status"
    assert "cannot move from 'won' to 'open'" in error.message
    with store.reading() as tx:
        assert tx.get(Referral, "r1").status is ReferralStatus.WON


def test_an_employee_contact_list_adds_prospects_and_connections(
    store: Store, members_file: Path, tmp_path: Path
) -> None:
    _import(store, members_file)
    contacts = _write(
        tmp_path,
        "contacts-anna.csv",
        "name,email,organisation,strength,willing_to_introduce,industry\n"
        "Gerd Neu,gerd@neu.example,Neu AG,4,yes,banking\n"
        "Bernd Keller,BERND@keller.example,Keller,5,true,\n",
    )
    report = _import(store, contacts, employee_id="emp-1")
    assert report.created == {"member": 1, "connection": 2}  # type: ignore[attr-defined]
    with store.reading() as tx:
        links = {c.to_id: c for c in tx.find(Connection, employee_id="emp-1")}
        keller = tx.get(Member, "cus-1")
        gerd = next(tx.find(Member, email="gerd@neu.example"))
    assert set(links) == {"cus-1", gerd.id}
    assert links["cus-1"].strength == 5 and links["cus-1"].willing_to_introduce
    assert keller.circle == "customer", "an existing customer is not turned into a prospect"
    assert gerd.circle == "prospect" and gerd.profile.industry == "banking"
    # Importing the same list again creates nothing new.
    again = _import(store, contacts, employee_id="emp-1")
    assert again.created == {}  # type: ignore[attr-defined]


def test_contacts_without_email_are_matched_by_name_and_company(
    store: Store, members_file: Path, tmp_path: Path
) -> None:
    _import(store, members_file)
    contacts = _write(
        tmp_path,
        "contacts.csv",
        "name,organisation,strength\nNo Mail,Acme,3\nBernd Keller,Keller,4\n",
    )
    first = _import(store, contacts, employee_id="emp-1")
    assert first.created == {"member": 1, "connection": 2}  # type: ignore[attr-defined]
    again = _import(store, contacts, employee_id="emp-1")
    assert again.created == {}  # type: ignore[attr-defined]
    with store.reading() as tx:
        assert tx.count(Member, name="No Mail") == 1
        assert tx.get(Connection, _connection_id("emp-1", "cus-1")).strength == 4
    with pytest.raises(ImportRejected, match="--employee"):
        _import(store, contacts, kind="contact")


def test_json_sections_are_validated_with_record_numbers(
    store: Store, members_file: Path, tmp_path: Path
) -> None:
    _import(store, members_file)
    programme = {
        "partnerships": [
            {"id": "p1", "member_id": "cus-1", "stage": "contact"},
            {"id": "p2", "member_id": "cus-1", "stage": "halfway"},
        ]
    }
    path = _write(tmp_path, "programme.json", json.dumps(programme))
    with pytest.raises(ImportRejected) as caught:
        _import(store, path)
    (error,) = caught.value.errors
    assert (error.file, error.line, error.unit, error.field) == (
        "programme.json:partnerships",
        2,
        "record",
        "stage",
    )
    programme["partnerships"].pop()
    _import(store, _write(tmp_path, "programme.json", json.dumps(programme)))
    with store.reading() as tx:
        assert tx.get(Partnership, "p1").stage is PartnerStage.CONTACT


def test_malformed_files_are_clear_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as caught:
        _import(store, _write(tmp_path, "network.json", '{"members": [}'))
    assert caught.value.errors[0].line == 1
    with pytest.raises(InputError, match="unknown section"):
        _import(store, _write(tmp_path, "network.json", '{"people": []}'))
    with pytest.raises(InputError, match="--kind"):
        _import(store, _write(tmp_path, "data.csv", "id\n1\n"))
    with pytest.raises(InputError, match="unsupported file type"):
        _import(store, _write(tmp_path, "members.xlsx", ""))
    with pytest.raises(InputError, match="no such file"):
        _import(store, tmp_path / "missing.csv")


def test_export_reimports_into_an_identical_network(
    store: Store, members_file: Path, tmp_path: Path, new_database_url: NewDatabaseUrl
) -> None:
    _import(store, members_file)
    rows = (
        "r1,cus-1,pro-1,cus-2,customer,positive,won,deal-1,1234.50,EUR,a note,"
        "2025-01-10T10:00:00+00:00,2025-02-10T10:00:00+00:00\n"
    )
    _import(store, _write(tmp_path, "referrals.csv", REFERRALS_HEADER + rows))
    out = tmp_path / "export"
    counts = export_network(store, out)
    assert counts["member"] == 6 and counts["referral"] == 1
    copy = Store.open(new_database_url())
    for name in ("members.csv", "connections.csv", "referrals.csv", "programme.json"):
        _import(copy, out / name)
    with store.reading() as a, copy.reading() as b:
        for model in (Member, Referral):
            originals = {
                r.id: r.model_dump(exclude={"created_at", "updated_at"}) for r in a.find(model)
            }
            copies = {
                r.id: r.model_dump(exclude={"created_at", "updated_at"}) for r in b.find(model)
            }
            assert originals == copies


def test_a_connection_stored_under_another_id_is_a_row_error_naming_that_id(
    store: Store, members_file: Path, tmp_path: Path
) -> None:
    _import(store, members_file)
    header = "id,from_id,to_id,strength\n"
    _import(store, _write(tmp_path, "connections.csv", header + "con-a,emp-1,cus-1,3\n"))
    rows = "con-b,emp-1,cus-2,4\ncon-c,emp-1,cus-1,5\n"
    again = _write(tmp_path, "connections-2.csv", header + rows)

    with pytest.raises(ImportRejected) as rejected:
        _import(store, again)

    assert [(e.line, e.field) for e in rejected.value.errors] == [(3, "to_id")]
    assert "already stored as connection 'con-a'" in rejected.value.errors[0].message
    with store.transaction() as tx:  # all or nothing: con-b was not written either
        assert {c.id for c in tx.find(Connection)} == {"con-a"}
