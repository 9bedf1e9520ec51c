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
    objectTranslations/<Object>-de/<Object>-de.objectTranslation-meta.xml   German labels
    objectTranslations/<Object>-de/<Field>.fieldTranslation-meta.xml

and ``manifest/package.xml`` listing every component (``sf project deploy start --manifest``).
A ``CustomObjectTranslation`` is decomposed as ``sf project retrieve`` writes it: the object's
own elements in one file, each field's ``CustomFieldTranslation`` in a file of its own.

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

__all__ = [
    "METADATA_NS",
    "package_manifest",
    "render_body",
    "render_component",
    "write_sfdx_project",
]

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


def render_body(kind: str, body: dict[str, Any]) -> ET.ElementTree:
    """A metadata XML document whose root is ``kind`` (a type or a subtype's own file)."""
    root = ET.Element(f"{{{METADATA_NS}}}{kind}")
    for key, value in _ordered(body):
        _append(root, key, value)
    ET.indent(root, space="    ")
    return ET.ElementTree(root)


def render_component(component: Component, *, full_name: str | None = None) -> ET.ElementTree:
    """``component`` as a metadata XML document (``full_name`` goes in as ``fullName``)."""
    body = dict(component.body)
    if full_name is not None:
        body["fullName"] = full_name
    return render_body(component.type, body)


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


def _translation_files(component: Component) -> list[tuple[ET.ElementTree, Path]]:
    """A translation's files in source format: the object's part, then one per field."""
    folder = _SOURCE_ROOT / "objectTranslations" / component.full_name
    body = {k: v for k, v in component.body.items() if k != "fields"}
    files = [
        (
            render_body(component.type, body),
            folder / f"{component.full_name}.objectTranslation-meta.xml",
        )
    ]
    for field in component.body.get("fields", []):
        name = str(field["name"])
        files.append(
            (
                render_body("CustomFieldTranslation", dict(field)),
                folder / f"{name}.fieldTranslation-meta.xml",
            )
        )
    return files


def package_manifest(components: list[Component], api_version: str) -> ET.ElementTree:
    """``package.xml``: every component by type (the Metadata API's ``Package``)."""
    members: dict[str, list[str]] = {}
    for component in components:
        members.setdefault(component.type, []).append(component.full_name)
    types = [{"members": sorted(names), "name": kind} for kind, names in sorted(members.items())]
    return render_body("Package", {"types": types, "version": api_version.removeprefix("v")})


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
    shipped = [c for c in package_components(mappings, endpoint=endpoint) if not c.merge_only]
    for component in shipped:
        if component.type == "CustomObjectTranslation":
            files = _translation_files(component)
            written += [_write(tree, directory / path) for tree, path in files]
            continue
        relative, full_name = _path(component)
        written.append(
            _write(render_component(component, full_name=full_name), directory / relative)
        )
    manifest = package_manifest(shipped, api_version)
    written.append(_write(manifest, directory / "manifest" / "package.xml"))
    return written
