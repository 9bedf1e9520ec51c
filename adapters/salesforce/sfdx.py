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
    permissionsets/<Name>.permissionset-meta.xml

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


# Children of a custom object that source format keeps in files of their own.
_OBJECT_CHILDREN = {"compactLayouts": "CompactLayout", "listViews": "ListView"}
_CHILD_FOLDERS = {"CompactLayout": "compactLayouts", "ListView": "listViews"}
_SUFFIXES = {
    "Layout": ("layouts", "layout"),
    "CustomTab": ("tabs", "tab"),
    "CustomApplication": ("applications", "app"),
    "Workflow": ("workflows", "workflow"),
    "Flow": ("flows", "flow"),
    "PermissionSet": ("permissionsets", "permissionset"),
}


def _split(component: Component) -> list[tuple[Path, ET.ElementTree]]:
    """A component as source-format files: a custom object's compact layouts and list views
    go into files of their own, named by their ``fullName`` without the object."""
    if component.type == "CustomField":
        obj, field = component.full_name.split(".", 1)
        # In source format a field's fullName is the field name alone; the folder names
        # the object.
        path = _SOURCE_ROOT / "objects" / obj / "fields" / f"{field}.field-meta.xml"
        return [(path, render_component(component, full_name=field))]
    if component.type == "CustomObject":
        name = component.full_name
        folder = _SOURCE_ROOT / "objects" / name
        body = {k: v for k, v in component.body.items() if k not in _OBJECT_CHILDREN}
        files = [
            (
                folder / f"{name}.object-meta.xml",
                render_component(Component("CustomObject", name, body)),
            )
        ]
        for key, kind in _OBJECT_CHILDREN.items():
            for child in component.body.get(key, []):
                child_name = str(child["fullName"])
                child_body = {k: v for k, v in child.items() if k != "fullName"}
                suffix = kind[0].lower() + kind[1:]
                path = folder / _CHILD_FOLDERS[kind] / f"{child_name}.{suffix}-meta.xml"
                files.append((path, _render_child(kind, child_name, child_body)))
        return files
    directory, extension = _SUFFIXES[component.type]
    path = _SOURCE_ROOT / directory / f"{component.full_name}.{extension}-meta.xml"
    return [(path, render_component(component))]


def _render_child(kind: str, full_name: str, body: dict[str, Any]) -> ET.ElementTree:
    root = ET.Element(f"{{{METADATA_NS}}}{kind}")
    for key, value in _ordered({**body, "fullName": full_name}):
        _append(root, key, value)
    ET.indent(root, space="    ")
    return ET.ElementTree(root)


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
        for relative, tree in _split(component):
            written.append(_write(tree, directory / relative))
    return written
