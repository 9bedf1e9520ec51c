"""Every exported metadata file passes the Metadata API schema simple-salesforce ships.

The XSD comes from the ``types`` section of simple-salesforce's ``metadata.wsdl`` (the
schema Salesforce serves for the Metadata API). It declares the component types but no
global elements, so the test declares one per root element a source-format file uses
(``<PermissionSet>``, ``<CustomField>``, ...) with that type, as ``sf`` does on deploy.
"""

from __future__ import annotations

import copy
from pathlib import Path
from xml.etree import ElementTree

import pytest
import simple_salesforce
from lxml import etree

from adapters.salesforce.metadata import integration_permission_set
from adapters.salesforce.sfdx import render_component, write_sfdx_project
from mappings.spec import MappingSet

XSD = "http://www.w3.org/2001/XMLSchema"
ROOT_TYPES = ("CustomObject", "CustomField", "PermissionSet")


@pytest.fixture(scope="module")
def metadata_schema() -> etree.XMLSchema:
    wsdl = Path(simple_salesforce.__file__).with_name("metadata.wsdl")
    source = etree.parse(str(wsdl)).getroot().find(f".//{{{XSD}}}schema")
    assert source is not None
    namespace = source.get("targetNamespace")
    # Copied into a document of its own so the tns: prefix of type references stays bound.
    schema = etree.Element(
        f"{{{XSD}}}schema", nsmap={"xsd": XSD, "tns": namespace}, attrib=dict(source.attrib)
    )
    for child in source:
        schema.append(copy.deepcopy(child))
    for name in ROOT_TYPES:
        etree.SubElement(schema, f"{{{XSD}}}element", name=name, type=f"tns:{name}")
    return etree.XMLSchema(schema)


def test_every_exported_file_passes_the_metadata_api_schema(
    tmp_path: Path, mappings: MappingSet, metadata_schema: etree.XMLSchema
) -> None:
    write_sfdx_project(mappings, tmp_path, api_version="62.0")
    files = sorted(tmp_path.rglob("*-meta.xml"))
    kinds = {etree.parse(str(f)).getroot().tag.split("}")[1] for f in files}
    assert kinds == set(ROOT_TYPES)
    assert {f.name for f in files} >= {
        "Refnet_Integration.permissionset-meta.xml",
        "Refnet_Sales_User.permissionset-meta.xml",
    }
    invalid = {
        f.name: str(metadata_schema.error_log.last_error)
        for f in files
        if not metadata_schema.validate(etree.parse(str(f)))
    }
    assert invalid == {}


def test_the_schema_refuses_a_permission_set_it_does_not_know(
    mappings: MappingSet, metadata_schema: etree.XMLSchema
) -> None:
    """The check can fail: a misspelt permission element is refused."""
    component = integration_permission_set(mappings)
    body = dict(component.body)
    body["objectPermissions"] = [{**body["objectPermissions"][0], "allowUpsert": True}]
    tree = render_component(type(component)(component.type, component.full_name, body))
    document = etree.fromstring(ElementTree.tostring(tree.getroot()))
    assert not metadata_schema.validate(document)
