"""Write the refnet schema as an sfdx source-format project (``sf project deploy start``).

Layout::

    sfdx-project.json
    force-app/main/default/objects/<Object>/<Object>.object-meta.xml     (custom objects)
    force-app/main/default/objects/<Object>/fields/<Field>.field-meta.xml (also Contact, Account)
    force-app/main/default/permissionsets/<Set>.permissionset-meta.xml    (Refnet_Integration,
                                                                          Refnet_Sales_User)

XML is built with ElementTree in the Metadata API namespace, elements in the order a
``sf project retrieve`` writes them (``fullName`` first, then alphabetical; lists keep their
order, which is the picklist order). Pure apart from writing files under ``directory``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from adapters.salesforce.metadata import Component, desired_components
from mappings.spec import MappingSet

__all__ = ["METADATA_NS", "render_component", "write_sfdx_project"]

METADATA_NS = "http://soap.sforce.com/2006/04/metadata"
_SOURCE_ROOT = Path("force-app/main/default")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ordered(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted(body.items(), key=lambda item: (item[0] != "fullName", item[0]))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _append(parent, name, item)
        return
    element = ET.SubElement(parent, f"{{{METADATA_NS}}}{name}")
    if isinstance(value, dict):
        for key, item in _ordered(value):
            _append(element, key, item)
    else:
        element.text = _text(value)


def render_component(component: Component, *, full_name: str | None = None) -> ET.ElementTree:
    """``component`` as a metadata XML document (``full_name`` goes in as ``fullName``)."""
    root = ET.Element(f"{{{METADATA_NS}}}{component.type}")
    body = dict(component.body)
    if full_name is not None:
        body["fullName"] = full_name
    for key, value in _ordered(body):
        _append(root, key, value)
    ET.indent(root, space="    ")
    return ET.ElementTree(root)


def _write(tree: ET.ElementTree, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        tree.write(handle, encoding="UTF-8", xml_declaration=True, default_namespace=METADATA_NS)
        handle.write(b"\n")
    return path


def _path(component: Component) -> tuple[Path, str | None]:
    """Where a component lives in source format, and the ``fullName`` it carries there."""
    if component.type == "CustomObject":
        name = component.full_name
        return _SOURCE_ROOT / "objects" / name / f"{name}.object-meta.xml", None
    if component.type == "CustomField":
        obj, field = component.full_name.split(".", 1)
        # In source format a field's fullName is the field name alone; the folder names
        # the object.
        return _SOURCE_ROOT / "objects" / obj / "fields" / f"{field}.field-meta.xml", field
    name = component.full_name
    return _SOURCE_ROOT / "permissionsets" / f"{name}.permissionset-meta.xml", None


def write_sfdx_project(mappings: MappingSet, directory: Path, *, api_version: str) -> list[Path]:
    """Write the project for ``mappings`` into ``directory``; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    project = {
        "packageDirectories": [{"path": "force-app", "default": True}],
        "name": "refnet",
        "namespace": "",
        "sourceApiVersion": api_version.removeprefix("v"),
    }
    project_file = directory / "sfdx-project.json"
    project_file.write_text(json.dumps(project, indent=2) + "\n", encoding="utf-8")
    written = [project_file]
    for component in desired_components(mappings):
        relative, full_name = _path(component)
        written.append(
            _write(render_component(component, full_name=full_name), directory / relative)
        )
    return written
