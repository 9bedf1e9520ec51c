"""German labels in the Salesforce package: Translation Workbench metadata, WSDL-valid, deployable.

The references nobody here wrote: the Metadata API schema inside simple-salesforce's
``metadata.wsdl`` (through :func:`adapters.sandbox.metadata_schema.schema_errors`) and the
Metadata API client of simple-salesforce talking to the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from babel.messages.pofile import read_po
from zeep.helpers import serialize_object

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.metadata import Component
from adapters.salesforce.package import package_components
from adapters.salesforce.sfdx import METADATA_NS, write_sfdx_project
from adapters.salesforce.translations import german_case_values, object_translations
from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.metadata_schema import schema_errors
from adapters.sandbox.target import salesforce_adapter
from connector.i18n import LOCALE_DIR
from connector.settings import load_settings
from mappings.spec import MappingSet

NS = {"md": METADATA_NS}
SOURCE = Path("force-app/main/default")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, mappings: MappingSet) -> Path:
    directory = tmp_path_factory.mktemp("sfdx-de")
    write_sfdx_project(mappings, directory, api_version="62.0")
    return directory


def _translation(project: Path, obj: str) -> Path:
    return project / SOURCE / "objectTranslations" / f"{obj}-de"


def _root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def _field(project: Path, obj: str, field: str) -> ET.Element:
    return _root(_translation(project, obj) / f"{field}.fieldTranslation-meta.xml")


def _cases(root: ET.Element) -> dict[tuple[str, str], str]:
    return {
        (
            str(c.findtext("md:caseType", namespaces=NS)),
            str(c.findtext("md:plural", namespaces=NS)),
        ): str(c.findtext("md:value", namespaces=NS))
        for c in root.findall("md:caseValues", NS)
    }


def test_every_translation_file_and_the_manifest_pass_the_wsdl_schema(project: Path) -> None:
    files = sorted((project / SOURCE / "objectTranslations").rglob("*-meta.xml"))
    files.append(project / "manifest" / "package.xml")

    refused = {str(p.relative_to(project)): schema_errors(p.read_bytes()) for p in files}

    assert {name: errors for name, errors in refused.items() if errors} == {}
    kinds = {_root(p).tag.rpartition("}")[2] for p in files}
    assert kinds == {"CustomObjectTranslation", "CustomFieldTranslation", "Package"}
    assert len(files) > 90


def test_the_schema_refuses_a_translation_salesforce_would_refuse(project: Path) -> None:
    status = _translation(project, "Refnet_Referral__c") / "Status__c.fieldTranslation-meta.xml"
    good = status.read_bytes()
    assert schema_errors(good) == []
    # CustomFieldTranslation has no description, and gender is an enumeration.
    assert schema_errors(good.replace(b"<label>", b"<description>x</description><label>"))
    referral = (
        _translation(project, "Refnet_Referral__c")
        / "Refnet_Referral__c-de.objectTranslation-meta.xml"
    )
    assert schema_errors(referral.read_bytes().replace(b"Feminine", b"Female"))


def test_every_refnet_field_has_its_german_label(project: Path, mappings: MappingSet) -> None:
    objects = project / SOURCE / "objects"
    for obj in [*(m.object for m in mappings.mappings), "Opportunity"]:
        # The project holds only refnet's own fields, also on standard objects.
        exported = {
            p.name.split(".")[0] for p in (objects / obj / "fields").glob("*.field-meta.xml")
        }
        translated = {
            p.name.split(".")[0]
            for p in _translation(project, obj).glob("*.fieldTranslation-meta.xml")
        }
        assert exported, obj
        assert translated == exported, obj


def test_the_referral_reads_german_with_its_grammar(project: Path) -> None:
    referral = _root(
        _translation(project, "Refnet_Referral__c")
        / "Refnet_Referral__c-de.objectTranslation-meta.xml"
    )

    cases = _cases(referral)
    assert cases[("Nominative", "false")] == "Empfehlung"
    assert cases[("Dative", "true")] == "Empfehlungen"
    assert referral.findtext("md:gender", namespaces=NS) == "Feminine"
    assert referral.findtext("md:nameFieldLabel", namespaces=NS) == "Empfehlungsnummer"

    referrer = _field(project, "Refnet_Referral__c", "Referrer__c")
    assert referrer.findtext("md:label", namespaces=NS) == "Empfehler"
    assert referrer.findtext("md:relationshipLabel", namespaces=NS) == "Gegebene Empfehlungen"
    opportunity = _field(project, "Refnet_Referral__c", "Opportunity__c")
    assert opportunity.findtext("md:label", namespaces=NS) == "Verkaufschance"


def test_masculine_objects_decline(project: Path) -> None:
    club = _root(
        _translation(project, "Refnet_Club__c") / "Refnet_Club__c-de.objectTranslation-meta.xml"
    )
    assert club.findtext("md:gender", namespaces=NS) == "Masculine"
    assert _cases(club)[("Genitive", "false")] == "Kundenclubs"
    assert german_case_values("Netzwerkpartner", "Netzwerkpartner")[-1] == {
        "caseType": "Dative",
        "plural": True,
        "value": "Netzwerkpartnern",
    }


def test_picklist_translations_pair_the_exported_value_labels(project: Path) -> None:
    field = _root(
        project / SOURCE / "objects" / "Refnet_Referral__c" / "fields" / "Status__c.field-meta.xml"
    )
    labels = [v.findtext("md:label", namespaces=NS) for v in field.iterfind(".//md:value", NS)]
    api_names = [
        v.findtext("md:fullName", namespaces=NS) for v in field.iterfind(".//md:value", NS)
    ]

    status = _field(project, "Refnet_Referral__c", "Status__c")
    pairs = [
        (p.findtext("md:masterLabel", namespaces=NS), p.findtext("md:translation", namespaces=NS))
        for p in status.findall("md:picklistValues", NS)
    ]

    assert api_names == ["open", "contacted", "qualified", "won", "lost"]  # data stays English
    assert [master for master, _ in pairs] == labels
    assert [german for _, german in pairs] == [
        "Offen",
        "Kontaktiert",
        "Qualifiziert",
        "Gewonnen",
        "Verloren",
    ]


def test_the_org_keeps_english_labels(project: Path) -> None:
    referral = _root(
        project / SOURCE / "objects" / "Refnet_Referral__c" / "Refnet_Referral__c.object-meta.xml"
    )
    assert referral.findtext("md:label", namespaces=NS) == "Referral"
    contact = _translation(project, "Contact")
    assert not _cases(
        _root(contact / "Contact-de.objectTranslation-meta.xml")
    )  # Salesforce names Contact


def test_the_manifest_lists_every_translation(project: Path) -> None:
    manifest = _root(project / "manifest" / "package.xml")
    members = {
        t.findtext("md:name", namespaces=NS): [m.text for m in t.findall("md:members", NS)]
        for t in manifest.findall("md:types", NS)
    }
    folders = sorted(p.name for p in (project / SOURCE / "objectTranslations").iterdir())

    assert members["CustomObjectTranslation"] == folders
    assert "Refnet_Referral__c.Status__c" in members["CustomField"]
    assert manifest.findtext("md:version", namespaces=NS) == "62.0"


# -- deployed through the Metadata API onto the sandbox --


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox") as running:
        yield running


@pytest.fixture
def adapter(sandbox: Sandbox) -> SalesforceAdapter:
    return salesforce_adapter(load_settings(), sandbox)


def _read(adapter: SalesforceAdapter, name: str) -> dict[str, Any]:
    record = adapter.client().mdapi.CustomObjectTranslation.read([name])
    body: dict[str, Any] = serialize_object(record, dict)
    return body


def _create(adapter: SalesforceAdapter, name: str, **body: Any) -> None:
    mdapi = adapter.client().mdapi
    mdapi.CustomObjectTranslation.create([mdapi.CustomObjectTranslation(fullName=name, **body)])


def _update(adapter: SalesforceAdapter, name: str, **body: Any) -> None:
    mdapi = adapter.client().mdapi
    mdapi.CustomObjectTranslation.update([mdapi.CustomObjectTranslation(fullName=name, **body)])


def test_provisioning_deploys_the_german_labels_and_the_org_stays_english(
    adapter: SalesforceAdapter,
) -> None:
    changed = adapter.provision()

    assert "create CustomObjectTranslation Refnet_Referral__c-de" in changed
    stored = _read(adapter, "Refnet_Referral__c-de")
    assert stored["gender"] == "Feminine"
    status = next(f for f in stored["fields"] if f["name"] == "Status__c")
    assert [p["translation"] for p in status["picklistValues"]][:2] == ["Offen", "Kontaktiert"]
    described = adapter.client().Refnet_Referral__c.describe()
    assert described["label"] == "Referral"  # the org's language is still English
    assert adapter.provision() == []  # read back equal: nothing to change


def test_the_sandbox_refuses_translations_of_what_the_org_lacks(adapter: SalesforceAdapter) -> None:
    adapter.provision()
    with pytest.raises(Exception, match=r"INVALID_CROSS_REFERENCE_KEY.*Refnet_Nothing__c"):
        _create(adapter, "Refnet_Nothing__c-de", fields=[{"name": "X__c", "label": "X"}])
    with pytest.raises(Exception, match=r"INVALID_CROSS_REFERENCE_KEY.*Refnet_Referral__c.Nope__c"):
        _update(adapter, "Refnet_Referral__c-de", fields=[{"name": "Nope__c", "label": "Nein"}])
    with pytest.raises(Exception, match=r"picklist value.*Status__c.Maybe"):
        _update(
            adapter,
            "Refnet_Referral__c-de",
            fields=[
                {
                    "name": "Status__c",
                    "label": "Status",
                    "picklistValues": [{"masterLabel": "Maybe", "translation": "Vielleicht"}],
                }
            ],
        )
    with pytest.raises(Exception, match=r"FIELD_INTEGRITY_EXCEPTION.*'fr'"):
        _create(adapter, "Refnet_Referral__c-fr", fields=[{"name": "Status__c", "label": "x"}])
    with pytest.raises(Exception, match="standard object's name"):
        _update(adapter, "Contact-de", gender="Masculine")
    with pytest.raises(Exception, match=r"relationshipLabel on a field that is no lookup"):
        _update(
            adapter,
            "Refnet_Referral__c-de",
            fields=[{"name": "Status__c", "label": "Status", "relationshipLabel": "x"}],
        )
    # Nothing refused was stored: the German labels read back as provisioned.
    assert _read(adapter, "Refnet_Referral__c-de")["gender"] == "Feminine"


def test_object_translations_cover_every_mapping_and_the_deal_event_fields(
    mappings: MappingSet,
) -> None:
    translations = {c.full_name: c for c in object_translations(mappings)}
    assert list(translations) == [f"{m.object}-de" for m in mappings.mappings] + ["Opportunity-de"]
    (referral_id,) = translations["Opportunity-de"].body["fields"]
    assert referral_id["label"] == "Refnet Empfehlungs-ID"
    assert referral_id["help"].startswith("Die Empfehlungsnummer aus refnet")
    referred_by = next(
        f for f in translations["Contact-de"].body["fields"] if f["name"] == "Referred_By__c"
    )
    assert referred_by["help"].startswith("Wer hat diesen Kontakt empfohlen?")


def _master_texts(component: Component) -> list[str]:
    body = component.body
    if component.type == "CustomObject":
        return [body["label"], body["pluralLabel"], body["nameField"]["label"]]
    values = body.get("valueSet", {}).get("valueSetDefinition", {}).get("value", [])
    texts = [body["label"], body.get("relationshipLabel"), body.get("inlineHelpText")]
    return [t for t in [*texts, *(v["label"] for v in values)] if t]


def test_every_label_the_package_ships_has_a_german_catalog_entry(mappings: MappingSet) -> None:
    with (LOCALE_DIR / "de" / "LC_MESSAGES" / "refnet.po").open("rb") as stream:
        catalog = read_po(stream, locale="de")
    shipped = [
        (c.full_name, text)
        for c in package_components(mappings)
        if c.type in ("CustomObject", "CustomField")
        for text in _master_texts(c)
    ]
    missing = [
        (name, text)
        for name, text in shipped
        if not (entry := catalog.get(text, context="salesforce label")) or not entry.string
    ]

    assert len(shipped) > 150
    assert missing == []


# Salesforce's limits (Metadata API, CustomField: "label" 40 characters, "inlineHelpText"
# 510); a translation is held to the same ones, so German labels must stay as short.
LABEL_MAX, HELP_MAX = 40, 510


def test_german_labels_fit_salesforce_limits(mappings: MappingSet) -> None:
    too_long = []
    for component in object_translations(mappings):
        for case in component.body.get("caseValues", []):
            if len(case["value"]) > LABEL_MAX:
                too_long.append(case["value"])
        for field in component.body["fields"]:
            texts = [field["label"], field.get("relationshipLabel") or ""]
            texts += [p["translation"] for p in field.get("picklistValues", [])]
            too_long += [t for t in texts if len(t) > LABEL_MAX]
            if len(field.get("help", "")) > HELP_MAX:
                too_long.append(field["help"])
    assert too_long == []
