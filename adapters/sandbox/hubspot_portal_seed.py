"""A HubSpot portal like a customer's: contacts, companies and a second deal pipeline already there.

Deterministic, and the one place this data lives. Some records match members of the
sample network (``examples/sample/members.csv``): contacts by e-mail (one in other letter
case, as HubSpot compares e-mail addresses without case), companies by the domain of a
customer's e-mail address. Others match nobody. One domain is held by two companies, so a
member of that organisation cannot be linked without a human choosing (ambiguous).

The second deal pipeline ("Projektgeschäft") gets numeric stage ids from the portal, as
every pipeline but the default one does; its won and lost stages say so only in their
metadata (``probability`` "1.0" / "0.0", ``isClosed`` "true"), as HubSpot's pipelines API
documents deal stages (CRM API | Pipelines guide: deal stages need ``metadata.probability``,
closed stages carry ``isClosed``).

:func:`populate` runs once per sandbox state (a flag in the store's meta table), so a
sandbox restarted on the same directory keeps what users and syncs did to these records.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sandbox.hubspot_pipelines import HubSpotPipelines
from adapters.sandbox.hubspot_records import HubSpotRecords
from adapters.sandbox.hubspot_schema import HubSpotSchema
from adapters.sandbox.store import Store

__all__ = [
    "AMBIGUOUS_DOMAIN",
    "COMPANIES",
    "CONTACTS",
    "PROJECT_PIPELINE",
    "SeedCompany",
    "SeedContact",
    "populate",
]


@dataclass(frozen=True)
class SeedContact:
    email: str
    firstname: str
    lastname: str


@dataclass(frozen=True)
class SeedCompany:
    name: str
    domain: str


CONTACTS: tuple[SeedContact, ...] = (
    # Members of the sample network, entered by sales before refnet came.
    SeedContact("eva.ott@wagner-metallbau.example", "Eva", "Ott"),
    SeedContact("markus.lang@zimmermann-metallbau.example", "Markus", "Lang"),
    SeedContact("frank.becker@fuchs-verpackungen.example", "Frank", "Becker"),
    SeedContact("monika.richter@sommer-logistik.example", "Monika", "Richter"),
    SeedContact("lukas.berger@winter-maschinenbau.example", "Lukas", "Berger"),
    SeedContact("Anna.Weber@Weber-Antriebe.example", "Anna", "Weber"),  # other letter case
    # Contacts refnet knows nothing about.
    SeedContact("julia.schmitt@schmitt-elektro.example", "Julia", "Schmitt"),
    SeedContact("sabine.koenig@koenig-druck.example", "Sabine", "König"),
    SeedContact("thomas.wagner@gmx.de", "Thomas", "Wagner"),
)

AMBIGUOUS_DOMAIN = "becker-verpackungen.example"

COMPANIES: tuple[SeedCompany, ...] = (
    # Organisations of sample customers, by the domain of their e-mail addresses.
    SeedCompany("Wagner Metallbau GmbH", "wagner-metallbau.example"),
    SeedCompany("Zimmermann Metallbau e.K.", "zimmermann-metallbau.example"),
    SeedCompany("Fuchs Verpackungen GmbH", "fuchs-verpackungen.example"),
    SeedCompany("Sommer Logistik AG", "sommer-logistik.example"),
    # Two companies on one domain: which one is the member's is for a human to say.
    SeedCompany("Becker Verpackungen GmbH", AMBIGUOUS_DOMAIN),
    SeedCompany("Becker Verpackungen Service GmbH", AMBIGUOUS_DOMAIN),
    # Companies refnet knows nothing about.
    SeedCompany("Schmitt Elektro GmbH", "schmitt-elektro.example"),
    SeedCompany("König Druck GmbH", "koenig-druck.example"),
)

PROJECT_PIPELINE = "Projektgeschäft"
_PROJECT_STAGES = (
    ("Anfrage", "0.1", "false"),
    ("Angebot", "0.4", "false"),
    ("Verhandlung", "0.7", "false"),
    ("Auftrag erteilt", "1.0", "true"),  # won
    ("Kein Auftrag", "0.0", "true"),  # lost
)
_FLAG = "hs.populated"


def populate(
    store: Store, schema: HubSpotSchema, records: HubSpotRecords, pipelines: HubSpotPipelines
) -> bool:
    """Fill the portal once; ``True`` if it was filled now, ``False`` if it already was."""
    done: list[bool] = []

    def first_time() -> str:
        done.append(True)
        return "yes"

    store.meta(_FLAG, first_time)
    if not done:
        return False
    contacts = schema.resolve("contacts")
    companies = schema.resolve("companies")
    assert contacts is not None and companies is not None
    for outcome in records.create(
        contacts,
        [
            {"properties": {"email": c.email, "firstname": c.firstname, "lastname": c.lastname}}
            for c in CONTACTS
        ],
    ):
        assert outcome.error is None, outcome.error
    for outcome in records.create(
        companies, [{"properties": {"name": c.name, "domain": c.domain}} for c in COMPANIES]
    ):
        assert outcome.error is None, outcome.error
    pipelines.create(
        "0-3",
        {
            "label": PROJECT_PIPELINE,
            "displayOrder": 1,
            "stages": [
                {
                    "label": label,
                    "displayOrder": order,
                    "metadata": {"probability": probability, "isClosed": closed},
                }
                for order, (label, probability, closed) in enumerate(_PROJECT_STAGES)
            ],
        },
    )
    return True
