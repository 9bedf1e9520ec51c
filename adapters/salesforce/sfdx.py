"""Write what refnet ships as an sfdx source-format project (``sf project deploy start``).

Layout (``force-app/main/default/…``)::

    objects/<Object>/<Object>.object-meta.xml                  custom objects
    objects/<Object>/fields/<Field>.field-meta.xml             also on Contact, Account, Opportunity
    objects/<Object>/compactLayouts/<Name>.compactLayout-meta.xml
    objects/<Object>/listViews/<Name>.listView-meta.xml
    layouts/<Object>-<Label> Layout.layout-meta.xml
    tabs/<Object>.tab-meta.xml
    applications/Refnet.app-meta.xml
    workflows/<Object>.workflow-meta.xml                       Outbound Messages only
    flows/<Name>.flow-meta.xml
    permissionsets/<Name>.permissionset-meta.xml          Refnet_Integration, Refnet_Sales_User

XML is built with ElementTree in the Metadata API namespace, elements in the order a
``sf project retrieve`` writes them (``fullName`` first, then alphabetical, or the body's
own order for an :class:`~adapters.salesforce.metadata.InOrder` body; lists keep their
order, which is the picklist order). Components that are only ever merged into the org's
own (``merge_only``: Contact's and Opportunity's layouts) are not written: a deploy would
replace the admin's layout. Pure apart from writing files under ``directory``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from adapters.salesforce.deal_events import OutboundEndpoint
from adapters.salesforce.metadata import Component, InOrder
from adapters.salesforce.package import package_components
from mappings.spec import MappingSet

__all__ = ["METADATA_NS", "render_component", "write_sfdx_project"]

METADATA_NS = "http://soap.sforce.com/2006/04/metadata"
_SOURCE_ROOT = Path("force-app/main/default")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ordered(body: dict[str, Any]) -> list[tuple[str, Any]]:
    if isinstance(body, InOrder):
        return list(body.items())
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


# Children of a custom object, in files of their own under the object's folder.
_OBJECT_CHILDREN = {
    "CustomField": ("fields", "field"),
    "CompactLayout": ("compactLayouts", "compactLayout"),
    "ListView": ("listViews", "listView"),
}
_SUFFIXES = {
    "CustomObject": ("objects", "object"),
    "Layout": ("layouts", "layout"),
    "CustomTab": ("tabs", "tab"),
    "CustomApplication": ("applications", "app"),
    "Workflow": ("workflows", "workflow"),
    "Flow": ("flows", "flow"),
    "PermissionSet": ("permissionsets", "permissionset"),
}


def _path(component: Component) -> tuple[Path, str | None]:
    """Where a component lives in source format, and the ``fullName`` it carries there."""
    if component.type in _OBJECT_CHILDREN:
        obj, child = component.full_name.split(".", 1)
        folder, suffix = _OBJECT_CHILDREN[component.type]
        # In source format a child's fullName is its own name alone; the folder names the
        # object.
        return _SOURCE_ROOT / "objects" / obj / folder / f"{child}.{suffix}-meta.xml", child
    folder, suffix = _SUFFIXES[component.type]
    name = component.full_name
    if component.type == "CustomObject":
        return _SOURCE_ROOT / "objects" / name / f"{name}.{suffix}-meta.xml", None
    return _SOURCE_ROOT / folder / f"{name}.{suffix}-meta.xml", None


def write_sfdx_project(
    mappings: MappingSet,
    directory: Path,
    *,
    api_version: str,
    endpoint: OutboundEndpoint | None = None,
) -> list[Path]:
    """Write the project for ``mappings`` into ``directory``; return the files written.

    With ``endpoint`` the deal-event Outbound Messages and Flows are written too (the
    workflow files then hold the endpoint's token: keep the project out of version control).
    """
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
    for component in package_components(mappings, endpoint=endpoint):
        if component.merge_only:
            continue
        relative, full_name = _path(component)
        written.append(
            _write(render_component(component, full_name=full_name), directory / relative)
        )
    return written
