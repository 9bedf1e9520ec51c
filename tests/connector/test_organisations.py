"""One organisation, one key, however sales and imports spell its name."""

from __future__ import annotations

import pytest

from connector.model import Circle, CompanySize, LadderStage, Profile
from connector.organisations import normalise_organisation, organisation_key
from mappings.objects import combine_members
from tests.connector.factories import member


@pytest.mark.parametrize(
    "spelling",
    [
        "Müller Maschinenbau GmbH",
        "MUELLER MASCHINENBAU",
        "Müller Maschinenbau GmbH & Co. KG",
        "müller-maschinenbau  ag",
        "Mueller Maschinenbau e.K.",
    ],
)
def test_spellings_of_one_company_share_one_key(spelling: str) -> None:
    assert organisation_key(spelling) == "org:mueller-maschinenbau"


def test_different_companies_keep_different_keys() -> None:
    assert organisation_key("Müller Maschinenbau") != organisation_key("Müller Metallbau")
    assert normalise_organisation("Lehmann & Lange Metallbau GmbH") == "lehmann lange metallbau"
    assert organisation_key("GmbH") is None and organisation_key(None) is None


def test_a_long_name_keeps_a_valid_unique_key() -> None:
    long_a = "Gesellschaft für " + "sehr " * 20 + "lange Namen A GmbH"
    long_b = "Gesellschaft für " + "sehr " * 20 + "lange Namen B GmbH"
    key_a, key_b = organisation_key(long_a), organisation_key(long_b)
    assert key_a is not None and key_b is not None
    assert len(key_a) <= 64 and key_a != key_b


def test_an_organisation_combines_its_members() -> None:
    people = [
        member("m2", organisation="Keller GmbH", profile=Profile(region="Ulm")),
        member("m1", Circle.EMPLOYEE, organisation="KELLER"),
        member(
            "m3",
            organisation="Keller GmbH",
            ladder_stage=LadderStage.REFERRER,
            profile=Profile(size=CompanySize.MEDIUM),
        ),
    ]
    combined = combine_members("org:keller", people)
    assert combined.id == "org:keller" and combined.organisation == "KELLER", "first by id"
    assert combined.circle is Circle.CUSTOMER, "the closest relationship"
    assert combined.ladder_stage is LadderStage.REFERRER, "the highest rung"
    assert (combined.profile.region, combined.profile.size) == ("Ulm", CompanySize.MEDIUM)
