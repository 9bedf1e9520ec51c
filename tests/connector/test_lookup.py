"""Members named as sales users name them: id, e-mail, name or company, forgivingly."""

from __future__ import annotations

import pytest

from connector.errors import AmbiguousMatch, NotFoundError
from connector.lookup import find, fold, resolve_member
from connector.model import Circle, Member
from connector.store import Store
from tests.connector.factories import referral


def _person(member_id: str, name: str, organisation: str | None, email: str | None) -> Member:
    return Member(
        id=member_id, name=name, organisation=organisation, email=email, circle=Circle.CUSTOMER
    )


@pytest.fixture
def people(store: Store) -> Store:
    with store.transaction() as tx:
        tx.put_many(
            [
                _person("m-1", "Jürgen Weiß", "Müller Maschinenbau GmbH", "jw@mueller.example"),
                _person("m-2", "Tanja Haas", "Köhler Metallbau AG", "tanja@koehler.example"),
                _person("m-3", "Klaus Haas", "Scholz Elektrotechnik GmbH", None),
                _person("m-4", "André Lefèvre", "Vogel Sondermaschinen GmbH", None),
                _person("m-5", "Petra Kaiser", "Haas Medizintechnik GmbH", None),
                _person("m-6", "Peter Kaiser", "Haas Medizintechnik GmbH", None),
                referral("ref-1", "m-2", "m-4"),
                referral("ref-2", "m-3", "m-1").model_copy(
                    update={"note": "Anfrage über die Messe in Q1", "deal_id": "006ABC"}
                ),
            ]
        )
    return store


def test_fold_writes_german_letters_as_germans_type_them_without_the_keys() -> None:
    assert fold("Jürgen WEISS") == fold("Juergen Weiß") == "juergen weiss"
    assert fold("  André   Lefèvre-Dupont ") == "andre lefevre dupont"
    assert fold("Köhler & Söhne") == "koehler soehne"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m-1", "m-1"),  # id
        ("TANJA@Koehler.example", "m-2"),  # e-mail, any case
        ("tanja haas", "m-2"),  # name, any case
        ("Tanja", "m-2"),  # the only Tanja
        ("Haas, Tanja", "m-2"),  # name, surname first
        ("Tanja Hass", "m-2"),  # a typo
        ("Juergen Weiss", "m-1"),  # umlaut and ß typed as ae / ss
        ("Jurgen Weiss", "m-1"),  # umlaut typed without its e
        ("andre lefevre", "m-4"),  # accents left out
        ("Vogel Sondermaschinen GmbH", "m-4"),  # the company
        ("vogel sondermaschinen", "m-4"),  # the company without its legal form
        ("Vogle Sondermaschinen", "m-4"),  # the company misspelt
        ("MUELLER MASCHINENBAU", "m-1"),
    ],
)
def test_a_member_is_found_by_id_email_name_or_company(
    people: Store, text: str, expected: str
) -> None:
    with people.reading() as tx:
        assert resolve_member(tx, text).id == expected


def test_a_text_fitting_several_members_lists_them_and_picks_none(people: Store) -> None:
    with people.reading() as tx, pytest.raises(AmbiguousMatch) as caught:
        resolve_member(tx, "Haas")
    error = caught.value
    # Two people named Haas and two people of Haas Medizintechnik: all four candidates.
    assert sorted(record_id for record_id, _ in error.candidates) == ["m-2", "m-3", "m-5", "m-6"]
    assert error.exit_code == 3
    assert "'Haas' fits 4 members" in str(error)
    assert "m-2: Tanja Haas, Köhler Metallbau AG <tanja@koehler.example> (customer)" in str(error)
    with people.reading() as tx, pytest.raises(AmbiguousMatch) as company:
        resolve_member(tx, "Haas Medizintechnik")
    assert [record_id for record_id, _ in company.value.candidates] == ["m-6", "m-5"]


def test_an_unknown_text_is_not_found_rather_than_a_distant_guess(people: Store) -> None:
    with people.reading() as tx:
        for text in ("Nobody Else", "Tanja Weber", "m-99", "someone@koehler.example", "  "):
            with pytest.raises(NotFoundError) as caught:
                resolve_member(tx, text)
            assert caught.value.exit_code == 4


def test_find_lists_members_organisations_and_their_referrals(people: Store) -> None:
    with people.reading() as tx:
        found = find(tx, "Vogle Sondermaschinen")
        assert [h.id for h in found.members] == ["m-4"]
        assert found.members[0].matched_on == "organisation"
        assert [(o.name, o.member_ids) for o in found.organisations] == [
            ("Vogel Sondermaschinen GmbH", ["m-4"])
        ]
        assert [r.id for r in found.referrals] == ["ref-1"]
        # Looser than resolving: a first name alone finds the people who carry it.
        assert {h.id for h in find(tx, "Peter Kaisr").members} >= {"m-6"}
        # A referral by its deal id or a word of its note.
        assert [r.id for r in find(tx, "006ABC").referrals] == ["ref-2"]
        assert [r.id for r in find(tx, "ÜBER DIE MESSE").referrals] == ["ref-2"]
        assert find(tx, "zzzz qqqq").members == []
