"""New members link to the contacts and companies a live portal already holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.hubspot import HubSpotAdapter
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.hubspot_portal_seed import AMBIGUOUS_DOMAIN, COMPANIES, CONTACTS
from adapters.sandbox.server import SandboxConfig
from connector.crm import OutboundRecord
from tests.adapters.hubspot.conftest import writes


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A portal that already holds contacts, companies and a second deal pipeline."""
    with run_sandbox(tmp_path / "sandbox", SandboxConfig(hubspot_populated=True)) as running:
        yield running


def _records(sandbox: Sandbox, object_name: str) -> list[dict[str, str | None]]:
    object_type = sandbox.hubspot.schema.resolve(object_name)
    assert object_type is not None
    return [r.properties for r in sandbox.hubspot.records.all(object_type)]


def _id_of(sandbox: Sandbox, object_name: str, prop: str, value: str) -> str:
    (found,) = [r for r in _records(sandbox, object_name) if r.get(prop) == value]
    return str(found["hs_object_id"])


def test_new_members_are_written_onto_the_contacts_with_their_email(
    sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    before = len(_records(sandbox, "contacts"))
    eva = _id_of(sandbox, "contacts", "email", "eva.ott@wagner-metallbau.example")
    anna = _id_of(sandbox, "contacts", "email", "Anna.Weber@Weber-Antriebe.example")
    records = [
        OutboundRecord(
            "m-eva", {"lastname": "Ott", "email": "eva.ott@wagner-metallbau.example"}, new=True
        ),
        # HubSpot compares e-mail addresses without case.
        OutboundRecord(
            "m-anna", {"lastname": "Weber", "email": "anna.weber@weber-antriebe.example"}, new=True
        ),
        OutboundRecord("m-new", {"lastname": "Neu", "email": "neu@neu-gmbh.example"}, new=True),
    ]

    result = adapter.upsert_batch("contacts", records)

    outcomes = {o.key: o for o in result.outcomes}
    assert all(o.ok for o in outcomes.values()), outcomes
    assert (outcomes["m-eva"].crm_id, outcomes["m-eva"].created) == (eva, False)
    assert (outcomes["m-anna"].crm_id, outcomes["m-anna"].created) == (anna, False)
    assert outcomes["m-new"].created
    after = _records(sandbox, "contacts")
    assert len(after) == before + 1  # only the truly new member
    by_id = {str(r["hs_object_id"]): r for r in after}
    assert by_id[eva]["refnet_id"] == "m-eva" and by_id[eva]["lastname"] == "Ott"
    assert by_id[anna]["refnet_id"] == "m-anna"
    # The e-mail is the contact owner's: refnet's spelling is not written over it.
    assert by_id[anna]["email"] == "Anna.Weber@Weber-Antriebe.example"
    # Written once linked: the next write goes by refnet_id, with no lookup.
    since = len(sandbox.faults.requests())
    again = adapter.upsert_batch("contacts", [OutboundRecord("m-eva", {"lastname": "Ott-Ko"})])
    assert again.outcomes[0].ok and again.outcomes[0].crm_id == eva
    assert writes(sandbox, since) == ["hubspot.batch_upsert"]
    assert len(_records(sandbox, "contacts")) == before + 1


def test_companies_link_by_domain_and_two_on_one_domain_are_ambiguous(
    sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    before = len(_records(sandbox, "companies"))
    wagner = _id_of(sandbox, "companies", "domain", "wagner-metallbau.example")
    beckers = sorted(
        str(r["hs_object_id"])
        for r in _records(sandbox, "companies")
        if r["domain"] == AMBIGUOUS_DOMAIN
    )
    records = [
        OutboundRecord(
            "c-wagner",
            {"name": "Wagner Metallbau GmbH", "domain": "wagner-metallbau.example"},
            new=True,
        ),
        OutboundRecord(
            "c-becker", {"name": "Becker Verpackungen GmbH", "domain": AMBIGUOUS_DOMAIN}, new=True
        ),
        OutboundRecord("c-new", {"name": "Neu GmbH", "domain": "neu-gmbh.example"}, new=True),
        OutboundRecord("c-none", {"name": "Ohne Domain GmbH", "domain": None}, new=True),
    ]

    result = adapter.upsert_batch("companies", records)

    outcomes = {o.key: o for o in result.outcomes}
    assert outcomes["c-wagner"].ok and outcomes["c-wagner"].crm_id == wagner
    becker = outcomes["c-becker"]
    assert not becker.ok and becker.code == "AMBIGUOUS_MATCH"
    assert all(i in (becker.message or "") for i in beckers)
    assert "hubspot_company_id" in (becker.message or "")
    assert outcomes["c-new"].created and outcomes["c-none"].created
    after = _records(sandbox, "companies")
    assert len(after) == before + 2
    assert [r.get("refnet_id") for r in after if r.get("domain") == AMBIGUOUS_DOMAIN] == [
        None,
        None,
    ]
    # An empty domain is never sent: refnet does not clear HubSpot's key property.
    (none,) = [r for r in after if r.get("refnet_id") == "c-none"]
    assert none.get("domain") is None


def test_a_stored_hubspot_id_wins_so_a_webhook_prospect_is_no_new_contact(
    sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    # The webhook worker creates a prospect for a contact it was told about by id; the
    # contact may have no e-mail at all.
    object_type = sandbox.hubspot.schema.resolve("contacts")
    assert object_type is not None
    (made,) = sandbox.hubspot.records.create(object_type, [{"properties": {"lastname": "Ohne"}}])
    assert made.record is not None
    contact_id = str(made.record.id)
    before = len(_records(sandbox, "contacts"))

    result = adapter.upsert_batch(
        "contacts",
        [OutboundRecord("m-prospect", {"lastname": "Ohne", "hs_object_id": contact_id}, new=True)],
    )

    assert result.outcomes[0].ok and result.outcomes[0].crm_id == contact_id
    assert len(_records(sandbox, "contacts")) == before
    by_id = {str(r["hs_object_id"]): r for r in _records(sandbox, "contacts")}
    assert by_id[contact_id]["refnet_id"] == "m-prospect"


def test_two_new_members_with_one_email_are_both_ambiguous(
    sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    email = CONTACTS[0].email
    result = adapter.upsert_batch(
        "contacts",
        [
            OutboundRecord("m-a", {"lastname": "A", "email": email}, new=True),
            OutboundRecord("m-b", {"lastname": "B", "email": email.upper()}, new=True),
        ],
    )

    assert [o.code for o in result.outcomes] == ["AMBIGUOUS_MATCH", "AMBIGUOUS_MATCH"]
    assert len(_records(sandbox, "contacts")) == len(CONTACTS)


def test_the_preview_only_reads_and_says_linked_ambiguous_and_new(
    sandbox: Sandbox, adapter: HubSpotAdapter
) -> None:
    since = len(sandbox.faults.requests())
    preview = adapter.preview_links(
        "companies",
        [
            OutboundRecord(f"c{i}", {"name": c.name, "domain": c.domain}, new=True)
            for i, c in enumerate(COMPANIES[:5])
        ]
        + [OutboundRecord("c-new", {"name": "Neu", "domain": "neu-gmbh.example"}, new=True)],
    )

    assert sorted(preview.linked) == ["c0", "c1", "c2", "c3"]
    assert list(preview.ambiguous) == ["c4"] and preview.new == ["c-new"]
    assert preview.api_calls == 1  # one search for six domains
    assert writes(sandbox, since) == []
    assert len(_records(sandbox, "companies")) == len(COMPANIES)
