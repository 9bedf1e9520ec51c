"""The German catalog is complete: every marked text translated, same placeholders, glossary words.

The texts are found by Babel's own extractor over the source, the same one
``make i18n-extract`` runs, so a text marked in code but never added to the catalog fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from connector.i18n import LOCALE_DIR, language_from_environment

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("connector", "mappings", "adapters", "webhooks")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
# Python-format and brace placeholders: both must survive translation unchanged.
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sdif]|%[sdif]")


def _marked_texts() -> Iterator[tuple[str, str | None, str]]:
    """(msgid, context, file) for every text marked in the source, and every CRM label of
    the mapping YAML (babel.cfg names the extractors, as for ``make i18n-extract``)."""
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    for folder in SOURCE_DIRS:
        for filename, _lineno, message, _comments, context in extract_from_dir(
            ROOT / folder, method_map=method_map, options_map=options_map, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            yield msgid, context, f"{folder}/{filename}"


def _german() -> Catalog:
    with (LOCALE_DIR / "de" / "LC_MESSAGES" / "refnet.po").open("rb") as stream:
        return read_po(stream, locale="de")


def _glossary_forbidden() -> list[str]:
    """The words of GLOSSARY.md's "not" column."""
    words: list[str] = []
    for line in (LOCALE_DIR / "GLOSSARY.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2] and cells[2] != "not" and not cells[2].startswith("-"):
            words += [w.split("(")[0].strip() for w in cells[2].split(",") if w.strip()]
    return [w for w in words if w]


def test_every_marked_text_is_in_the_german_catalog() -> None:
    catalog = _german()
    missing = sorted(
        f"{source}: {msgid!r}"
        for msgid, context, source in _marked_texts()
        if catalog.get(msgid, context=context) is None
    )
    assert not missing, "not in de/LC_MESSAGES/refnet.po (run make i18n-update):\n" + "\n".join(
        missing
    )


def test_every_german_entry_is_translated_and_not_fuzzy() -> None:
    untranslated = [
        message.id
        for message in _german()
        if message.id
        and (
            message.fuzzy
            or not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
        )
    ]
    assert not untranslated, f"untranslated or fuzzy: {untranslated}"


def test_placeholders_survive_translation() -> None:
    broken = []
    for message in _german():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for translated in strings:
            if translated and sorted(PLACEHOLDER.findall(translated)) != wanted:
                broken.append((ids[-1], translated))
    assert not broken, f"placeholders differ: {broken}"


def test_the_catalog_uses_the_glossary_words() -> None:
    forbidden = _glossary_forbidden()
    assert "Tippgeber" in forbidden  # the parser reads the "not" column
    offending = []
    for message in _german():
        if not message.id:
            continue  # the header names the catalog's fields ("Report-Msgid-Bugs-To")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            for word in forbidden:
                if translated and re.search(rf"\b{re.escape(word)}\b", translated):
                    offending.append((word, translated))
    assert not offending, f"GLOSSARY.md forbids: {offending}"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"REFNET_LANGUAGE": "de"}, "de"),
        ({"REFNET_LANGUAGE": "en", "LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANG": "de_AT.UTF-8"}, "de"),
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "de_DE.UTF-8"}, "en"),
        ({"LANGUAGE": "de:en", "LANG": "C.UTF-8"}, "de"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"REFNET_LANGUAGE": "klingon"}, "en"),
    ],
)
def test_the_language_follows_refnet_language_then_the_locale(
    environ: dict[str, str], expected: str
) -> None:
    assert language_from_environment(environ) == expected
