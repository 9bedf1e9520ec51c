"""The mapping labels reach the catalog through Babel, and come back out in German."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from connector.i18n import LOCALE_DIR
from connector.model.enums import ReferralStatus
from mappings.babel_extract import extract_mapping_labels
from mappings.labels import LABEL_CONTEXTS, label_translator, picklist_label
from mappings.loader import default_directory, load_mappings

KEYWORDS = {"pgettext": ((1, "c"), 2)}


def _extracted(crm: str) -> set[tuple[str | None, str]]:
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {
        (context, message if isinstance(message, str) else message[-1])
        for filename, _line, message, _comments, context in extract_from_dir(
            default_directory(crm).parent,
            method_map=method_map,
            options_map=options_map,
            keywords=KEYWORDS,
        )
        if filename.startswith(f"{crm}/")
    }


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_babel_cfg_extracts_every_label_of_the_mappings_in_the_crm_context(crm: str) -> None:
    extracted = _extracted(crm)
    context = LABEL_CONTEXTS[crm]
    wanted: set[str] = set()
    for mapping in load_mappings(crm).mappings:
        spec = mapping.spec
        wanted |= {label for label in (spec.label, spec.plural_label) if label}
        wanted.add(spec.external_id.label)
        for field in mapping.fields:
            wanted.add(field.spec.label)
            if field.spec.relationship_label:
                wanted.add(field.spec.relationship_label)
            wanted |= {picklist_label(value) for value in field.picklist_values}

    assert {(context, label) for label in wanted} <= extracted
    assert {c for c, _ in extracted} == {context}  # never in the CLI's (empty) context


def test_picklist_labels_come_from_the_enum_the_yaml_names() -> None:
    text = (
        b"fields:\n"
        b"  - {source: status, target: Status__c, type: Picklist, picklist: ReferralStatus,"
        b" label: Status}\n"
    )
    found = list(
        extract(
            extract_mapping_labels,
            io.BytesIO(text),
            keywords=KEYWORDS,
            options={"crm": "salesforce"},
        )
    )

    labels = [(line, message, context) for line, message, _comments, context in found]
    assert (2, "Status", "salesforce label") in labels
    for member in ReferralStatus:
        assert (2, picklist_label(member.value), "salesforce label") in labels


def test_a_file_of_no_known_crm_is_refused() -> None:
    stream = io.BytesIO(b"label: Referral\n")
    stream.name = str(Path("elsewhere") / "referral.yaml")  # type: ignore[misc]
    with pytest.raises(ValueError, match="which CRM"):
        list(extract_mapping_labels(stream, {}, [], {}))


def test_labels_are_translated_into_the_chosen_language_not_the_process_one() -> None:
    german = label_translator("salesforce", "de")
    english = label_translator("salesforce", "en")

    assert german("Referral") == "Empfehlung"
    assert german("Referrer") == "Empfehler"
    assert german("Opportunity") == "Verkaufschance"
    assert label_translator("hubspot", "de")("Deal") == "Deal"
    assert english("Referral") == "Referral"
    assert german("A label nobody translated") == "A label nobody translated"
    with pytest.raises(ValueError, match="not 'fr'"):
        label_translator("salesforce", "fr")
