"""The exported sfdx project is valid XML that says exactly what the mappings say."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from adapters.salesforce.metadata import ARCHIVE_FIELD
from adapters.salesforce.sfdx import METADATA_NS, write_sfdx_project
from mappings.spec import FieldType, MappingSet

NS = {"md": METADATA_NS}
SOURCE = Path("force-app/main/default")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, mappings: MappingSet) -> Path:
    directory = tmp_path_factory.mktemp("sfdx")
    write_sfdx_project(mappings, directory, api_version="62.0")
    return directory


def _parse(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag.startswith(f"{{{METADATA_NS}}}")
    return root


def _text(root: ET.Element, path: str) -> str | None:
    return root.findtext("/".join(f"md:{p}" for p in path.split("/")), namespaces=NS)


def test_the_project_file_names_the_package_and_api_version(project: Path) -> None:
    config = json.loads((project / "sfdx-project.json").read_text())
    assert config["packageDirectories"] == [{"path": "force-app", "default": True}]
    assert config["sourceApiVersion"] == "62.0"


def test_every_file_is_metadata_xml(project: Path) -> None:
    files = sorted(project.rglob("*-meta.xml"))
    assert len(files) > 60
    for path in files:
        _parse(path)  # raises on malformed XML or a foreign root


def test_custom_objects_match_their_mappings(project: Path, mappings: MappingSet) -> None:
    objects = SOURCE / "objects"
    for mapping in mappings.mappings:
        folder = project / objects / mapping.object
        meta = folder / f"{mapping.object}.object-meta.xml"
        if not mapping.custom:
            assert not meta.exists()  # Contact / Account are never redefined
            continue
        root = _parse(meta)
        spec = mapping.spec
        assert spec.name_field is not None
        assert _text(root, "label") == spec.label
        assert _text(root, "pluralLabel") == spec.plural_label
        assert _text(root, "nameField/type") == spec.name_field.type
        assert _text(root, "nameField/label") == spec.name_field.label
        assert _text(root, "deploymentStatus") == "Deployed"


def test_fields_types_and_picklist_values_come_from_the_mappings_and_enums(
    project: Path, mappings: MappingSet
) -> None:
    checked_picklists = 0
    for mapping in mappings.mappings:
        folder = project / SOURCE / "objects" / mapping.object / "fields"
        ext = _parse(folder / f"{mapping.external_id_field}.field-meta.xml")
        assert (_text(ext, "externalId"), _text(ext, "unique")) == ("true", "true")
        archived = _parse(folder / f"{ARCHIVE_FIELD}.field-meta.xml")
        assert (_text(archived, "type"), _text(archived, "defaultValue")) == ("Checkbox", "false")
        expected = {
            f"{mapping.external_id_field}.field-meta.xml",
            f"{ARCHIVE_FIELD}.field-meta.xml",
        }
        for field in mapping.fields:
            path = folder / f"{field.target}.field-meta.xml"
            if not field.custom:
                assert not path.exists()  # standard fields (Email, Name) are Salesforce's
                continue
            expected.add(path.name)
            root = _parse(path)
            assert _text(root, "fullName") == field.target
            assert _text(root, "label") == field.spec.label
            lookup = field.spec.type in (FieldType.LOOKUP, FieldType.EXTERNAL_ID_LOOKUP)
            assert _text(root, "type") == ("Lookup" if lookup else field.spec.type.value)
            if lookup:
                assert _text(root, "referenceTo") == field.reference_object
                assert _text(root, "relationshipName") == field.spec.relationship_name
            if field.enum is not None:
                values = root.findall("md:valueSet/md:valueSetDefinition/md:value", NS)
                assert [v.findtext("md:fullName", namespaces=NS) for v in values] == [
                    member.value for member in field.enum
                ]
                defaults = [
                    v.findtext("md:fullName", namespaces=NS)
                    for v in values
                    if v.findtext("md:default", namespaces=NS) == "true"
                ]
                model_default = field.source.default
                assert defaults == ([model_default.value] if model_default is not None else [])
                assert _text(root, "valueSet/restricted") == "true"
                checked_picklists += 1
        assert {p.name for p in folder.iterdir()} == expected
    assert checked_picklists >= 10


def test_the_referral_status_picklist_is_the_enum_with_open_as_default(project: Path) -> None:
    root = _parse(project / SOURCE / "objects/Refnet_Referral__c/fields/Status__c.field-meta.xml")
    values = root.findall("md:valueSet/md:valueSetDefinition/md:value", NS)
    assert [
        (v.findtext("md:fullName", namespaces=NS), v.findtext("md:default", namespaces=NS))
        for v in values
    ] == [
        ("open", "true"),
        ("contacted", "false"),
        ("qualified", "false"),
        ("won", "false"),
        ("lost", "false"),
    ]


def _permissions(project: Path, name: str) -> tuple[dict[str, ET.Element], dict[str, str]]:
    root = _parse(project / SOURCE / f"permissionsets/{name}.permissionset-meta.xml")
    objects = {
        p.findtext("md:object", namespaces=NS) or "": p
        for p in root.findall("md:objectPermissions", NS)
    }
    fields = {
        p.findtext("md:field", namespaces=NS) or "": p.findtext("md:editable", namespaces=NS) or ""
        for p in root.findall("md:fieldPermissions", NS)
    }
    return objects, fields


def test_the_integration_set_grants_every_object_and_field_a_sync_touches(
    project: Path, mappings: MappingSet
) -> None:
    objects, fields = _permissions(project, "Refnet_Integration")
    assert set(objects) == {*(m.object for m in mappings.mappings), "Opportunity"}
    referral = objects["Refnet_Referral__c"]
    assert referral.findtext("md:allowEdit", namespaces=NS) == "true"
    # refnet's own records may be deleted (the delete removal mode); a CRM user's never.
    assert referral.findtext("md:allowDelete", namespaces=NS) == "true"
    for standard in ("Contact", "Account"):
        assert objects[standard].findtext("md:allowCreate", namespaces=NS) == "true"
        assert objects[standard].findtext("md:allowEdit", namespaces=NS) == "true"
        assert objects[standard].findtext("md:allowDelete", namespaces=NS) == "false"
    assert objects["Opportunity"].findtext("md:allowRead", namespaces=NS) == "true"
    assert objects["Opportunity"].findtext("md:allowEdit", namespaces=NS) == "false"
    custom = {f"{m.object}.{m.external_id_field}" for m in mappings.mappings} | {
        f"{m.object}.{f.target}" for m in mappings.mappings for f in m.fields if f.custom
    }
    custom |= {f"{m.object}.{ARCHIVE_FIELD}" for m in mappings.mappings}
    assert custom <= set(fields)
    assert all(fields[name] == "true" for name in custom)
    # Standard fields refnet only reads are granted read-only; mapped ones are written (a
    # pulled field such as Email is seeded when refnet creates the Contact).
    assert fields["Contact.Email"] == "true"
    assert fields["Opportunity.Amount"] == "false"
    assert fields["Contact.AccountId"] == "true"
    # Required and Name fields take no field permission: a deploy naming them fails.
    assert not {"Contact.LastName", "Account.Name", "Opportunity.StageName"} & set(fields)
    assert not any(name.endswith(".Name") for name in fields)


def test_the_sales_user_set_reads_everything_and_edits_only_pulled_fields(
    project: Path, mappings: MappingSet
) -> None:
    objects, fields = _permissions(project, "Refnet_Sales_User")
    assert set(objects) == {m.object for m in mappings.mappings if m.custom}
    for access in objects.values():
        assert access.findtext("md:allowRead", namespaces=NS) == "true"
        for verb in ("allowCreate", "allowEdit", "allowDelete"):
            assert access.findtext(f"md:{verb}", namespaces=NS) == "false"
    pulled = {f"{m.object}.{f.target}" for m in mappings.mappings for f in m.fields if not f.pushed}
    editable = {name for name, value in fields.items() if value == "true"}
    assert editable == {name for name in pulled if name in fields}
    assert "Refnet_Referral__c.Note__c" in editable
    assert fields["Contact.Refnet_Ladder_Stage__c"] == "false"
