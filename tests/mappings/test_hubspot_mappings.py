"""HubSpot mappings: the shipped ones load; HubSpot's naming rule and ``hubspot:`` block hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mappings import MappingError, load_mappings

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "hubspot"


def _copy_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "hubspot"
    shutil.copytree(SHIPPED, folder)
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


def test_the_shipped_hubspot_mappings_load_with_hubspots_naming_rule() -> None:
    mappings = load_mappings("hubspot")

    referral = mappings.by_object("refnet_referral")
    contacts = mappings.by_object("contacts")
    assert referral is not None and referral.custom and referral.external_id_field == "refnet_id"
    assert contacts is not None and not contacts.custom
    partnership = mappings.by_object("refnet_partnership")
    assert partnership is not None and partnership.spec.hubspot is not None
    pipeline = partnership.spec.hubspot.pipeline
    assert pipeline is not None and pipeline.field == "hs_pipeline_stage"


def test_a_salesforce_style_name_is_refused_in_a_hubspot_mapping(tmp_path: Path) -> None:
    folder = _copy_with(tmp_path, "referral.yaml", "target: status,", "target: Status__c,")

    with pytest.raises(MappingError) as caught:
        load_mappings("hubspot", folder)

    assert "Status__c" in str(caught.value) and "referral.yaml" in str(caught.value)


def test_a_display_property_must_be_a_mapped_property(tmp_path: Path) -> None:
    folder = _copy_with(
        tmp_path,
        "referral.yaml",
        "primary_display_property: refnet_name",
        "primary_display_property: nowhere",
    )

    with pytest.raises(MappingError) as caught:
        load_mappings("hubspot", folder)

    assert "nowhere" in str(caught.value) and "primary_display_property" in str(caught.value)


def test_the_hubspot_block_is_refused_in_a_salesforce_mapping(tmp_path: Path) -> None:
    (tmp_path / "referral.yaml").write_text(
        "model: referral\nobject: Refnet_Referral__c\nlabel: Referral\nplural_label: Referrals\n"
        "external_id: {field: Refnet_Id__c}\n"
        "name_field: {label: Referral Number, type: AutoNumber, display_format: 'REF-{0000}'}\n"
        "hubspot: {searchable_properties: [refnet_id]}\n"
    )

    with pytest.raises(MappingError, match="HubSpot mappings only"):
        load_mappings("salesforce", tmp_path)
