"""Provisioning through the real client: idempotent, portal ids stored, properties-only fallback."""

from __future__ import annotations

from pathlib import Path

from adapters.hubspot import HubSpotAdapter, PortalFile
from adapters.sandbox import Sandbox
from connector.crm import OutboundRecord
from tests.adapters.hubspot.conftest import MakeAdapter, writes

PARTNER_STEPS = ["analysis", "profile", "contact", "agreement", "optimisation", "dropped"]
CUSTOM_OBJECTS = {
    "refnet_referral",
    "refnet_partnership",
    "refnet_membership",
    "refnet_connection",
    "refnet_agreement",
    "refnet_introduction",
}


def test_provisioning_twice_changes_nothing_the_second_time(
    make_adapter: MakeAdapter, sandbox: Sandbox, tmp_path: Path
) -> None:
    first = make_adapter()
    before = len(sandbox.faults.requests())

    report = first.provision_report()

    assert report.mode == "custom_objects" and report.changed and not report.failures
    assert writes(sandbox, before)  # schemas, properties, labels, the pipeline
    ids = PortalFile(tmp_path / "refnet.hubspot.json").require()
    assert set(ids.object_types) >= CUSTOM_OBJECTS
    assert all(type_id.startswith("2-") for type_id in ids.object_types.values())
    # Portal-specific ids really are the portal's: each resolves in the sandbox.
    for type_id in ids.object_types.values():
        assert sandbox.hubspot.schema.resolve(type_id) is not None
    referrer = ids.association("refnet_referral", "referrer")
    assert referrer.type_id > 0 and referrer.to_type == "contacts"
    pipeline = ids.pipeline("refnet_partnership")
    assert set(pipeline.stages) == set(PARTNER_STEPS)
    stored = sandbox.hubspot.pipelines.get(pipeline.object_type, pipeline.pipeline_id)
    assert stored is not None
    # The five steps plus dropped, in the order of the partner pipeline.
    in_order = sorted(stored["stages"], key=lambda stage: stage["displayOrder"])
    assert [s["id"] for s in in_order] == [pipeline.stages[s] for s in PARTNER_STEPS]
    file_before = (tmp_path / "refnet.hubspot.json").read_text()

    second_start = len(sandbox.faults.requests())
    again = make_adapter().provision_report()

    assert again.changed == [] and again.unchanged > 0
    assert writes(sandbox, second_start) == []  # reads only
    assert (tmp_path / "refnet.hubspot.json").read_text() == file_before


def test_a_dry_run_on_a_new_portal_lists_the_changes_and_makes_none(
    make_adapter: MakeAdapter, sandbox: Sandbox, tmp_path: Path
) -> None:
    before = len(sandbox.faults.requests())

    report = make_adapter().provision_report(dry_run=True)

    assert report.dry_run and report.changed
    assert writes(sandbox, before) == []
    assert not (tmp_path / "refnet.hubspot.json").exists()


def test_a_portal_without_custom_objects_falls_back_to_properties_only(
    make_adapter: MakeAdapter, sandbox: Sandbox
) -> None:
    sandbox.set_custom_objects(False)
    adapter = make_adapter()

    report = adapter.provision_report()

    assert report.mode == "properties_only" and not report.failures
    assert any("403" in note for note in report.notes)
    assert "refnet_connection" in report.skipped  # no standard object can hold it
    ids = adapter.portal_ids()
    assert ids.mode == "properties_only" and ids.object_types == {}
    # Stages and scores live on contacts; referrals are deals in a "refnet Referrals" pipeline.
    contact_props = {p["name"] for p in sandbox.hubspot.schema.properties("0-1")}
    assert {"refnet_partner_stage", "refnet_id"} <= contact_props
    referrals = ids.pipeline("refnet_referral")
    assert referrals.object_type == "deals"
    assert set(referrals.stages) == {"open", "contacted", "qualified", "won", "lost"}
    assert not adapter.writable("refnet_connection")

    # A second run remembers the mode and changes nothing.
    before = len(sandbox.faults.requests())
    assert adapter.provision_report().changed == []
    assert writes(sandbox, before) == []


def test_properties_only_writes_referrals_as_deals_and_partner_stages_onto_contacts(
    make_adapter: MakeAdapter, sandbox: Sandbox
) -> None:
    sandbox.set_custom_objects(False)
    adapter = make_adapter()
    adapter.provision()
    contacts = [OutboundRecord(k, {"firstname": "Ada", "lastname": k}) for k in ("a", "b")]
    assert all(o.ok for o in adapter.upsert_batch("contacts", contacts).outcomes)

    referral = adapter.upsert_batch(
        "refnet_referral",
        [
            OutboundRecord(
                "r1",
                {
                    "referrer": {"refnet_id": "a"},
                    "referred": {"refnet_id": "b"},
                    "recipient": None,
                    "status": "qualified",
                    "circle": "customer",
                    "amount": 1200,
                },
            )
        ],
    )
    partner = adapter.upsert_batch(
        "refnet_partnership",
        [OutboundRecord("p1", {"partner": {"refnet_id": "b"}, "hs_pipeline_stage": "agreement"})],
    )

    assert [o.ok for o in referral.outcomes + partner.outcomes] == [True, True]
    deals = sandbox.hubspot.schema.resolve("deals")
    assert deals is not None
    (deal,) = sandbox.hubspot.records.all(deals)
    pipeline = adapter.portal_ids().pipeline("refnet_referral")
    assert deal.properties["refnet_id"] == "r1"
    assert deal.properties["pipeline"] == pipeline.pipeline_id
    assert deal.properties["dealstage"] == pipeline.stages["qualified"]
    linked = sandbox.hubspot.associations.targets(deals.type_id, deal.id, "0-1")
    assert len(linked) == 2  # the referrer's and the referred party's contacts
    contact_type = sandbox.hubspot.schema.resolve("contacts")
    assert contact_type is not None
    b = sandbox.hubspot.records.find(contact_type, "refnet_id", "b")
    assert b is not None and b.properties["refnet_partner_stage"] == "agreement"


def test_the_adapter_refuses_to_write_before_provisioning(make_adapter: MakeAdapter) -> None:
    adapter: HubSpotAdapter = make_adapter()

    assert not adapter.writable("refnet_referral")
