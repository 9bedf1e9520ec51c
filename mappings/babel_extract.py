"""Babel extractor for the labels in the mapping YAML (``make i18n-extract``).

``connector/locale/babel.cfg`` names it for ``salesforce/*.yaml`` and ``hubspot/*.yaml``
under ``mappings/``. Every label a CRM user reads becomes a catalog entry in the CRM's
message context (:data:`mappings.labels.LABEL_CONTEXTS`): object and plural labels, field,
name-field, external-id and relationship labels, the labels of the ``hubspot:`` block, and
the label of every picklist value (from the refnet enum the field names, since the YAML
never lists the values). HubSpot shows a property's description as its help text, so
HubSpot descriptions are extracted too; Salesforce's Translation Workbench translates no
descriptions, so Salesforce's are not.

Babel's protocol (Babel docs, "Writing Extraction Methods"): ``(fileobj, keywords,
comment_tags, options)`` in, ``(lineno, funcname, messages, comments)`` out; a ``pgettext``
funcname with ``(context, message)`` makes a ``msgctxt`` entry.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml

from mappings.labels import BUILTIN_LABELS, LABEL_CONTEXTS, picklist_label
from mappings.registry import ENUMS

__all__ = ["extract_mapping_labels", "mapping_labels"]

_LABEL_KEYS = frozenset({"label", "plural_label", "relationship_label"})
# Keys whose text a CRM shows its users, beyond the labels.
_HELP_KEYS: dict[str, frozenset[str]] = {
    "salesforce": frozenset(),
    "hubspot": frozenset({"description"}),
}

Extracted = tuple[int, str, tuple[str, str], list[str]]


def _crm(fileobj: IO[bytes], options: Mapping[str, Any]) -> str:
    crm = options.get("crm")
    if not crm:
        name = str(getattr(fileobj, "name", "")).replace("\\", "/")
        crm = next((known for known in LABEL_CONTEXTS if f"/{known}/" in f"/{name}"), None)
    if crm not in LABEL_CONTEXTS:
        raise ValueError(
            f"cannot tell which CRM {getattr(fileobj, 'name', 'a mapping')} is for; "
            f"set 'crm = ...' in babel.cfg ({', '.join(LABEL_CONTEXTS)})"
        )
    return str(crm)


def _texts(node: yaml.Node, keys: Collection[str]) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of every label (and enum value label) under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if isinstance(value, yaml.ScalarNode) and value.value:
                line = value.start_mark.line + 1
                if name in keys:
                    yield line, str(value.value).strip()
                elif name == "picklist" and value.value in ENUMS:
                    for member in ENUMS[value.value]:
                        yield line, picklist_label(str(member.value))
            else:
                yield from _texts(value, keys)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _texts(item, keys)


def mapping_labels(text: str, crm: str) -> list[tuple[int, str]]:
    """``(line, label)`` of every label in one mapping document of ``crm``, in order."""
    root = yaml.compose(text)
    if root is None:
        return []
    return list(_texts(root, _LABEL_KEYS | _HELP_KEYS[crm]))


def extract_mapping_labels(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel's entry point: the labels of one mapping file, in its CRM's context."""
    del keywords, comment_tags  # labels need no keywords; the YAML has no translator notes
    crm = _crm(fileobj, options)
    context = LABEL_CONTEXTS[crm]
    encoding = str(options.get("encoding", "utf-8"))
    for line, label in mapping_labels(fileobj.read().decode(encoding), crm):
        yield line, "pgettext", (context, label), []
    for label in BUILTIN_LABELS[crm]:
        yield 1, "pgettext", (context, label), []
