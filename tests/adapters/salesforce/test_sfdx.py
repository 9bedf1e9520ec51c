"""The exported sfdx project is valid XML that says exactly what the mappings say."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from pydantic import SecretStr

from adapters.salesforce.deal_events import OutboundEndpoint, event_fields
from adapters.salesforce.metadata import ARCHIVE_FIELD
from adapters.salesforce.sfdx import METADATA_NS, write_sfdx_project
from adapters.sandbox.metadata_schema import schema_errors
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
            # the fields deal events read (Contact.Referred_By__c)
            *(
                f"{c.full_name.split('.')[1]}.field-meta.xml"
                for c in event_fields(mappings)
                if c.full_name.startswith(f"{mapping.object}.")
            ),
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
    # Besides these, sales users fill the two deal-event fields (tested below).
    objects, fields = _permissions(project, "Refnet_Sales_User")
    assert set(objects) == {m.object for m in mappings.mappings if m.custom}
    for access in objects.values():
        assert access.findtext("md:allowRead", namespaces=NS) == "true"
        for verb in ("allowCreate", "allowEdit", "allowDelete"):
            assert access.findtext(f"md:{verb}", namespaces=NS) == "false"
    pulled = {f"{m.object}.{f.target}" for m in mappings.mappings for f in m.fields if not f.pushed}
    deal_fields = {"Opportunity.Refnet_Referral_Id__c", "Contact.Referred_By__c"}
    editable = {name for name, value in fields.items() if value == "true"} - deal_fields
    assert editable == {name for name in pulled if name in fields}
    assert "Refnet_Referral__c.Note__c" in editable
    assert fields["Contact.Refnet_Ladder_Stage__c"] == "false"


# --- The whole package: every file against the Metadata API schema, and the sales app ---

TOKEN = "tok-0123456789abcdefghijklmnopqrstuv"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory, mappings: MappingSet) -> Path:
    directory = tmp_path_factory.mktemp("package")
    endpoint = OutboundEndpoint(
        "https://refnet.vogel.example", SecretStr(TOKEN), "integration@vogel.example", "62.0"
    )
    write_sfdx_project(mappings, directory, api_version="62.0", endpoint=endpoint)
    return directory


def test_every_exported_file_passes_the_metadata_wsdl_schema(package: Path) -> None:
    files = sorted(package.rglob("*-meta.xml"))
    kinds = {ET.parse(path).getroot().tag.rpartition("}")[2] for path in files}

    refused = {str(path.relative_to(package)): schema_errors(path.read_bytes()) for path in files}

    assert {name: errors for name, errors in refused.items() if errors} == {}
    assert len(files) >= 130
    assert kinds == {
        "CustomObject",
        "CustomField",
        "CompactLayout",
        "ListView",
        "Layout",
        "CustomTab",
        "CustomApplication",
        "Workflow",
        "Flow",
        "PermissionSet",
        "CustomObjectTranslation",  # German labels (test_translations.py)
        "CustomFieldTranslation",
    }


def test_the_schema_check_refuses_what_salesforce_refuses() -> None:
    tab = '<CustomTab xmlns="{ns}"><customObject>true</customObject>{extra}</CustomTab>'
    assert schema_errors(tab.format(ns=METADATA_NS, extra="").encode()) == []
    unknown = schema_errors(tab.format(ns=METADATA_NS, extra="<colour>red</colour>").encode())
    assert unknown and "colour" in unknown[0]
    out_of_order = (
        f'<ListView xmlns="{METADATA_NS}"><label>x</label><filterScope>Mine</filterScope>'
        "</ListView>"
    )
    assert schema_errors(out_of_order.encode())
    bad_scope = (
        f'<ListView xmlns="{METADATA_NS}"><filterScope>Everyone</filterScope><label>x</label>'
        "</ListView>"
    )
    assert schema_errors(bad_scope.encode())


def test_the_project_holds_tabs_an_app_layouts_and_list_views(
    package: Path, mappings: MappingSet
) -> None:
    source = package / SOURCE
    custom = [m.object for m in mappings.mappings if m.custom]
    assert sorted(p.name for p in (source / "tabs").iterdir()) == sorted(
        f"{name}.tab-meta.xml" for name in custom
    )
    app = _parse(source / "applications/Refnet.app-meta.xml")
    tabs = [t.text for t in app.findall("md:tabs", NS)]
    assert set(custom) <= set(tabs) and "standard-Contact" in tabs
    assert _text(app, "uiType") == "Lightning"
    for permission_set in (source / "permissionsets").iterdir():  # users see app and tabs
        granted = _parse(permission_set)
        assert _text(granted, "applicationVisibilities/application") == "Refnet"
        shown = {t.findtext("md:tab", namespaces=NS) for t in granted.findall("md:tabSettings", NS)}
        assert shown == set(custom)
    layouts = sorted(p.name for p in (source / "layouts").iterdir())
    assert len(layouts) == len(custom)
    # Contact's and Opportunity's layouts are the admin's: provisioning merges into them,
    # a deploy would replace them, so they are not exported.
    assert not [name for name in layouts if name.startswith(("Contact-", "Opportunity-"))]
    views = {p.name for p in source.glob("objects/*/listViews/*.listView-meta.xml")}
    assert {
        "Refnet_My_Open_Referrals.listView-meta.xml",
        "Refnet_Partners_By_Stage.listView-meta.xml",
        "Refnet_Club_Members_In_Trial.listView-meta.xml",
    } <= views
    for name in custom:
        root = _parse(source / "objects" / name / f"{name}.object-meta.xml")
        assert _text(root, "compactLayoutAssignment") == "Refnet_Compact"
        assert (
            source / "objects" / name / "compactLayouts/Refnet_Compact.compactLayout-meta.xml"
        ).is_file()
        for flag in ("enableActivities", "enableReports", "enableSearch", "enableHistory"):
            assert _text(root, flag) == "true", (name, flag)
        for flag in ("enableBulkApi", "enableSharing", "enableStreamingApi"):
            assert _text(root, flag) == "true", (name, flag)


def test_my_open_referrals_are_mine_and_open(package: Path) -> None:
    view = _parse(
        package / SOURCE / "objects/Refnet_Referral__c/listViews/Refnet_My_Open_Referrals"
        ".listView-meta.xml"
    )
    assert _text(view, "filterScope") == "Mine"
    assert (_text(view, "filters/field"), _text(view, "filters/value")) == ("Status__c", "open")
    columns = [c.text for c in view.findall("md:columns", NS)]
    assert columns[:3] == ["NAME", "Referrer__c", "Referred__c"]  # who referred whom


def test_a_referral_layout_shows_pushed_fields_read_only_and_pulled_ones_editable(
    package: Path,
) -> None:
    layout = _parse(package / SOURCE / "layouts/Refnet_Referral__c-Referral Layout.layout-meta.xml")
    behaviour = {
        item.findtext("md:field", namespaces=NS): item.findtext("md:behavior", namespaces=NS)
        for item in layout.iter(f"{{{METADATA_NS}}}layoutItems")
    }
    assert behaviour["Status__c"] == "Readonly"  # refnet moves the status
    assert behaviour["Note__c"] == "Edit"  # sales users own notes
    assert behaviour["Opportunity__c"] == "Edit"  # and link the deal
    assert behaviour["Name"] == "Readonly"  # an auto-number


def test_deal_events_ship_an_outbound_message_and_the_flow_that_sends_it(package: Path) -> None:
    source = package / SOURCE
    workflow = _parse(source / "workflows/Opportunity.workflow-meta.xml")
    assert _text(workflow, "outboundMessages/endpointUrl") == (
        f"https://refnet.vogel.example/salesforce/outbound/{TOKEN}"
    )
    assert _text(workflow, "outboundMessages/includeSessionId") == "false"
    # Workflow Rules are retired: the Workflow file carries the message and nothing else.
    assert [child.tag.rpartition("}")[2] for child in workflow] == ["outboundMessages"]
    flow = _parse(source / "flows/Refnet_Deal_Event.flow-meta.xml")
    assert _text(flow, "start/object") == "Opportunity"
    assert _text(flow, "start/triggerType") == "RecordAfterSave"
    assert "ISCHANGED({!$Record.StageName})" in (_text(flow, "start/filterFormula") or "")
    assert _text(flow, "actionCalls/actionType") == "outboundMessage"
    assert _text(flow, "actionCalls/actionName") == "Opportunity.Refnet_Deal_Event"
    contact_flow = _parse(source / "flows/Refnet_Contact_Event.flow-meta.xml")
    assert "Referred_By__c" in (_text(contact_flow, "start/filterFormula") or "")
    assert not list(source.glob("classes/*"))  # no Apex, so no test class to keep covered
    field = _parse(source / "objects/Opportunity/fields/Refnet_Referral_Id__c.field-meta.xml")
    assert _text(field, "type") == "Text"


def test_without_an_endpoint_no_deal_event_is_written(project: Path) -> None:
    assert not (project / SOURCE / "flows").exists()
    assert not (project / SOURCE / "workflows").exists()
    assert (project / SOURCE / "objects/Contact/fields/Referred_By__c.field-meta.xml").is_file()


def test_sales_users_fill_the_deal_event_fields_and_the_integration_user_reads_them(
    package: Path,
) -> None:
    deal_fields = {"Opportunity.Refnet_Referral_Id__c", "Contact.Referred_By__c"}
    _, sales = _permissions(package, "Refnet_Sales_User")
    _, integration = _permissions(package, "Refnet_Integration")
    assert {name: sales.get(name) for name in deal_fields} == dict.fromkeys(deal_fields, "true")
    assert {name: integration.get(name) for name in deal_fields} == dict.fromkeys(
        deal_fields, "false"
    )
