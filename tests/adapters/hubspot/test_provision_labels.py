"""HubSpot labels in the chosen language, through the real hubspot-api-client and the sandbox.

HubSpot keeps one label per property, option, object and pipeline (the properties API's
``label`` is a single string), so a portal is provisioned in one language. Names and option
values are data and never change with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubspot.crm.properties import ApiClient, OptionInput, PropertyCreate, PropertyUpdate

from adapters.hubspot import HubSpotAdapter, PortalFile
from adapters.sandbox import Sandbox
from connector import i18n
from connector.errors import ConfigError
from connector.model.enums import Circle, ReferralStatus
from connector.settings import load_settings
from mappings import MappingSet
from mappings.labels import localizer
from tests.adapters.hubspot.conftest import FakeClock, settings_for, writes


@pytest.fixture
def make(sandbox: Sandbox, tmp_path: Path, clock: FakeClock, hubspot_mappings: MappingSet) -> Any:
    def adapter(language: str | None) -> HubSpotAdapter:
        settings = settings_for(sandbox).model_copy(update={"label_language": language})
        return HubSpotAdapter(
            settings,
            hubspot_mappings,
            portal_file=tmp_path / "refnet.hubspot.json",
            sleep=clock.sleep,
            clock=clock.time,
        )

    return adapter


def _property(adapter: HubSpotAdapter, object_type: str, name: str) -> Any:
    return adapter.apis.properties.get_by_name(object_type, name)


def _referral_type(tmp_path: Path) -> str:
    return PortalFile(tmp_path / "refnet.hubspot.json").require().object_types["refnet_referral"]


def _labels(adapter: HubSpotAdapter, tmp_path: Path) -> dict[str, Any]:
    """What a HubSpot user reads, as the SDK returns it."""
    referral = _referral_type(tmp_path)
    schema = next(s for s in adapter.apis.schemas.get_all().results if s.name == "refnet_referral")
    status = _property(adapter, referral, "status")
    circle = _property(adapter, "contacts", "refnet_circle")
    association = adapter.apis.association_labels.get_all(referral, "contacts").results
    ids = PortalFile(tmp_path / "refnet.hubspot.json").require()
    pipeline = ids.pipeline("refnet_partnership")
    stored = adapter.apis.pipelines.get_by_id(pipeline.object_type, pipeline.pipeline_id)
    return {
        "object": (schema.labels.singular, schema.labels.plural),
        "status": (status.name, status.label, [(o.value, o.label) for o in status.options]),
        "circle": (circle.name, circle.label, [(o.value, o.label) for o in circle.options]),
        "associations": sorted(
            str(a.label) for a in association if a.label and a.category == "USER_DEFINED"
        ),
        "pipeline": (stored.label, sorted(s.label for s in stored.stages)),
    }


def test_a_german_portal_reads_german_and_keeps_refnet_names_and_values(
    make: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    adapter = make("de")
    report = adapter.provision_report()

    assert not report.failures
    seen = _labels(adapter, tmp_path)
    assert seen["object"] == ("Empfehlung", "Empfehlungen")
    name, label, options = seen["status"]
    assert (name, label) == ("status", "Status")
    assert [value for value, _ in options] == [s.value for s in ReferralStatus]
    assert [german for _, german in options] == [
        "Offen",
        "Kontaktiert",
        "Qualifiziert",
        "Gewonnen",
        "Verloren",
    ]
    name, label, options = seen["circle"]
    assert (name, label) == ("refnet_circle", "refnet Kreis")
    assert [value for value, _ in options] == [c.value for c in Circle]
    assert {"Empfehler", "Empfohlene Person"} <= set(seen["associations"])
    assert seen["pipeline"][0] == "refnet Netzwerkpartner"
    assert {"Analyse", "Profil", "Kontakt", "Zielvereinbarung", "Optimierung"} <= set(
        seen["pipeline"][1]
    )


def test_an_english_portal_keeps_its_labels_until_asked_to_relabel(
    make: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    make("en").provision_report()
    english = _labels(make("en"), tmp_path)
    assert english["object"] == ("Referral", "Referrals")

    # Provisioned again in German: no failure, no write, nothing relabelled.
    before = len(sandbox.faults.requests())
    quiet = make("de").provision_report()
    assert quiet.changed == [] and not quiet.failures
    assert writes(sandbox, before) == []
    assert _labels(make("de"), tmp_path) == english

    # Asked to: every label refnet owns becomes German, names and values stay.
    relabelled = make("de").provision_report(relabel=True)
    assert not relabelled.failures
    assert "update object refnet_referral (labels, description)" in relabelled.changed
    assert any(
        line.startswith("update property contacts.refnet_circle") for line in relabelled.changed
    )
    german = _labels(make("de"), tmp_path)
    assert german["object"] == ("Empfehlung", "Empfehlungen")
    assert german["status"][2] == [
        (value, label)
        for (value, _), label in zip(
            english["status"][2],
            ["Offen", "Kontaktiert", "Qualifiziert", "Gewonnen", "Verloren"],
            strict=True,
        )
    ]
    assert german["circle"][0] == "refnet_circle"
    assert german["pipeline"][0] == "refnet Netzwerkpartner"
    # Association labels and stages are found in English and not duplicated.
    assert german["associations"] == english["associations"]
    assert german["pipeline"][1] == english["pipeline"][1]

    again = make("de").provision_report()
    assert again.changed == []


def test_a_changed_mapping_label_is_still_updated_without_relabel(
    make: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    adapter = make("en")
    adapter.provision_report()
    referral = _referral_type(tmp_path)
    adapter.apis.properties.update(referral, "status", PropertyUpdate(label="Old Status"))

    report = make("de").provision_report()

    assert "update property refnet_referral.status (label)" in report.changed
    assert _property(adapter, referral, "status").label == "Status"


@pytest.fixture
def german_shell() -> Iterator[None]:
    i18n.set_language("de")
    try:
        yield
    finally:
        i18n.set_language("en")


@pytest.mark.usefixtures("german_shell")
def test_the_label_language_follows_refnet_language_unless_set(
    make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert make(None).label_language == "de"
    assert make("en").label_language == "en"
    monkeypatch.setenv("REFNET_HUBSPOT__LABEL_LANGUAGE", "en")
    assert load_settings().hubspot.label_language == "en"
    monkeypatch.setenv("REFNET_HUBSPOT__LABEL_LANGUAGE", "fr")
    with pytest.raises(ConfigError):
        load_settings()


def test_the_sdk_models_carry_the_german_label_as_plain_text() -> None:
    localize = localizer("hubspot", "de")
    create = PropertyCreate(
        name="status",
        label=localize("Status"),
        type="enumeration",
        field_type="select",
        group_name="refnet",
        options=[OptionInput(label=localize("Won"), value="won", display_order=0, hidden=False)],
    )
    update = PropertyUpdate(label=localize("Referrer Circle"))

    sent = ApiClient().sanitize_for_serialization(create)
    assert sent["name"] == "status"
    assert sent["options"] == [
        {"label": "Gewonnen", "value": "won", "displayOrder": 0, "hidden": False}
    ]
    assert ApiClient().sanitize_for_serialization(update) == {"label": "Kreis des Empfehlers"}
