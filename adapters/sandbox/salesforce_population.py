"""A customer's org as refnet finds it: Accounts, Contacts and Opportunities made by its users.

``refnet sandbox``, ``refnet sync --target sandbox`` and ``make demo`` start from this
population; tests that need an empty org start the sandbox without it
(``SandboxConfig(salesforce_populated=False)``, the default).

The data is fixed (no randomness, no clock: ids follow from insertion order) and written
to match the sample network (``examples/sample``) on purpose:

* Contacts that **match** members by e-mail, one with a different spelling of case;
* Accounts that **match** members' organisations by name, spelt as sales typed them
  (capitals, no legal form);
* an **ambiguous** organisation: two Accounts that are the same company
  ("Fuchs Verpackungen GmbH" and "Fuchs Verpackungen"), which refnet must neither pick
  from nor add a third to;
* records that match **nothing** in the network, Opportunities open, won and lost, and
  **private** Contacts (no Account, owned by another user) the API user cannot see.

The org's duplicate rules (:mod:`adapters.sandbox.salesforce_duplicates`) are on, as in
every org, so a careless create of a matching Contact or Account is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.sandbox.auth import USER_ID
from adapters.sandbox.ids import salesforce_id
from adapters.sandbox.salesforce_records import SalesforceRecords

__all__ = ["POPULATION", "SALES_USER_ID", "Population", "populate"]

# Another user of the org (a sales rep); owns the private Contacts.
SALES_USER_ID = salesforce_id("005", 2)


@dataclass(frozen=True)
class _Account:
    key: str  # how the Contacts and Opportunities below refer to it
    name: str
    industry: str | None = None


@dataclass(frozen=True)
class _Contact:
    first: str
    last: str
    email: str | None
    account: str | None  # an _Account key; None makes the Contact private
    owner: str = USER_ID


@dataclass(frozen=True)
class _Opportunity:
    name: str
    account: str
    stage: str
    close_date: str
    amount: float | None


@dataclass(frozen=True)
class Population:
    accounts: tuple[_Account, ...]
    contacts: tuple[_Contact, ...]
    opportunities: tuple[_Opportunity, ...]


POPULATION = Population(
    accounts=(
        # match the sample's organisations
        _Account("wagner", "Wagner Metallbau GmbH", "Technology"),
        _Account("zimmermann", "ZIMMERMANN METALLBAU"),
        _Account("weber", "Weber Antriebstechnik GmbH"),
        _Account("walter", "Walter Elektrotechnik"),
        # one company entered twice: ambiguous
        _Account("fuchs-1", "Fuchs Verpackungen GmbH"),
        _Account("fuchs-2", "Fuchs Verpackungen"),
        # match nothing
        _Account("schulz", "Schulz Elektrotechnik GmbH"),
        _Account("hoffmann", "Hoffmann Kunststofftechnik AG"),
        _Account("bauer", "Bauer Holzbau KG"),
    ),
    contacts=(
        # match members by e-mail
        _Contact("Eva", "Ott", "eva.ott@wagner-metallbau.example", "wagner"),
        _Contact("Markus", "Lang", "Markus.Lang@Zimmermann-Metallbau.example", "zimmermann"),
        _Contact("Anna", "Weber", "anna.weber@weber-antriebe.example", "weber"),
        _Contact("Clara", "Scholz", "clara.scholz@walter-elektrotechnik.example", "walter"),
        # match nothing
        _Contact("Jens", "Schulz", "jens.schulz@schulz-elektro.example", "schulz"),
        _Contact("Petra", "Hoffmann", "petra.hoffmann@hoffmann-kunststoff.example", "hoffmann"),
        _Contact("Tim", "Bauer", None, "bauer"),
        # private: no Account, another owner; the API user never sees them
        _Contact("Sabine", "Privat", "sabine.privat@example.org", None, SALES_USER_ID),
        _Contact("Georg", "Privat", "georg.privat@example.org", None, SALES_USER_ID),
    ),
    opportunities=(
        _Opportunity("Wagner – Antriebe Halle 3", "wagner", "Qualification", "2026-03-31", 48000.0),
        _Opportunity("Walter – Servoachsen", "walter", "Closed Won", "2025-11-14", 23500.0),
        _Opportunity("Schulz – Retrofit", "schulz", "Closed Lost", "2025-09-30", 12000.0),
        _Opportunity("Hoffmann – Förderband", "hoffmann", "Prospecting", "2026-06-30", None),
    ),
)


def populate(records: SalesforceRecords, population: Population = POPULATION) -> dict[str, int]:
    """Write ``population`` into an empty org; the number of records per object.

    An org that already holds Accounts is left alone: the population is a starting point,
    not something to add again on every start.
    """
    if records.all("Account"):
        return {}
    accounts: dict[str, str] = {}
    for account in population.accounts:
        values: dict[str, object] = {"Name": account.name}
        if account.industry:
            values["Industry"] = account.industry
        accounts[account.key] = records.seed("Account", values, owner_id=USER_ID)
    for contact in population.contacts:
        values = {"FirstName": contact.first, "LastName": contact.last}
        if contact.email:
            values["Email"] = contact.email
        if contact.account:
            values["AccountId"] = accounts[contact.account]
        records.seed("Contact", values, owner_id=contact.owner)
    for deal in population.opportunities:
        values = {
            "Name": deal.name,
            "AccountId": accounts[deal.account],
            "StageName": deal.stage,
            "CloseDate": deal.close_date,
        }
        if deal.amount is not None:
            values["Amount"] = deal.amount
        records.seed("Opportunity", values, owner_id=USER_ID)
    return {
        "Account": len(population.accounts),
        "Contact": len(population.contacts),
        "Opportunity": len(population.opportunities),
    }
