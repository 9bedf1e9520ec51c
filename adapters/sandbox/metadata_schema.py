"""The Metadata API's own schema: the XSD inside the ``metadata.wsdl`` simple-salesforce ships.

Salesforce validates every component it is sent against this schema (an element the type
does not declare, or one out of sequence, is refused: "Element {…}x invalid at this
location in type Y", Metadata API Developer Guide, "Error Handling"). The sandbox does the
same with lxml, so it is exactly as strict as the WSDL, and the export tests use it to check
every file refnet writes.

The WSDL declares the metadata types but no global elements for them (components travel as
``<metadata xsi:type="CustomTab">``), so a global element is declared for each type here:
``<CustomTab>`` validates as the type ``CustomTab``, as a source-format file's root does.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import simple_salesforce
from lxml import etree

__all__ = ["METADATA_NS", "WSDL_PATH", "metadata_types", "schema_errors"]

METADATA_NS = "http://soap.sforce.com/2006/04/metadata"
_XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_PATH = Path(simple_salesforce.__file__).parent / "metadata.wsdl"


@cache
def _schema() -> tuple[etree.XMLSchema, frozenset[str]]:
    wsdl = etree.parse(WSDL_PATH)
    embedded = wsdl.getroot().find(f".//{{{_XSD_NS}}}schema")
    if embedded is None:
        raise RuntimeError(f"{WSDL_PATH} holds no XML schema")
    # A schema of its own, with the WSDL root's namespace prefixes (``tns:``), which the
    # types' ``type=`` attributes use.
    schema = etree.Element(f"{{{_XSD_NS}}}schema", nsmap={"xsd": _XSD_NS, "tns": METADATA_NS})
    for name, value in embedded.attrib.items():
        schema.set(name, value)
    for child in embedded:
        schema.append(copy.deepcopy(child))
    global_elements = {str(e.get("name")) for e in embedded.findall(f"{{{_XSD_NS}}}element")}
    types = frozenset(
        str(t.get("name"))
        for t in embedded.findall(f"{{{_XSD_NS}}}complexType")
        if t.get("name") not in global_elements
    )
    for name in sorted(types):
        etree.SubElement(schema, f"{{{_XSD_NS}}}element", name=name, type=f"tns:{name}")
    return etree.XMLSchema(etree.ElementTree(schema)), types


def metadata_types() -> frozenset[str]:
    """The complex types the WSDL declares (``CustomTab``, ``Flow``, ``ListView``…)."""
    return _schema()[1]


def schema_errors(document: bytes) -> list[str]:
    """What the schema refuses in ``document`` (a metadata XML whose root names its type).

    Each error names the line and the element, never the element's text (an Outbound
    Message's endpoint carries a token).
    """
    schema, types = _schema()
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False))
    kind = etree.QName(root).localname
    if etree.QName(root).namespace != METADATA_NS or kind not in types:
        return [f"{kind} is not a metadata type of this API version"]
    if schema.validate(root):
        return []
    return [f"line {e.line}: {_without_values(e.message)}" for e in schema.error_log]


def _without_values(message: str) -> str:
    """lxml's message without the refused value (it quotes it) and without the namespace."""
    message = message.replace(f"{{{METADATA_NS}}}", "")
    element, _, detail = message.partition(": ")
    if "[facet" in detail:
        facet = detail.split("]", 1)[0] + "]"
        return f"{element}: value not allowed by {facet.lstrip('[')[:-1]}"
    if "is not a valid value" in detail:
        return f"{element}: not a valid value of its type"
    return message
