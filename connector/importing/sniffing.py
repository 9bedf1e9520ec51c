"""How a CSV file is written: its encoding, its delimiter and the line its header is on.

German Excel saves "CSV" as cp1252 with semicolons (UTF-8 with a BOM for "CSV UTF-8"),
Outlook exports with commas, LinkedIn's Connections.csv starts with a "Notes:" preamble.
The encoding comes from charset-normalizer (restricted to the encodings these programs
write); the header line and delimiter are where the most known column names appear, and
:class:`csv.Sniffer` decides only when no header is recognised.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from connector.errors import InputError
from connector.i18n import gettext as _

__all__ = ["DELIMITERS", "CsvLayout", "detect_encoding", "detect_layout", "parse_delimiter"]

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_SAMPLE_BYTES = 1 << 16
_HEADER_SEARCH_LINES = 30
_ENCODINGS = {"utf_8": "utf-8", "cp1252": "cp1252", "ascii": "utf-8"}


@dataclass(frozen=True)
class CsvLayout:
    """Where and how a CSV file's rows are written."""

    encoding: str
    delimiter: str
    header_index: int  # 0-based line of the header (lines above it are a preamble)

    @property
    def delimiter_name(self) -> str:
        return DELIMITERS.get(self.delimiter, repr(self.delimiter))


def parse_delimiter(text: str) -> str:
    """The delimiter a ``--delimiter`` value names: ``,`` ``;`` ``tab`` (or ``\\t``)."""
    named = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t"}
    value = named.get(text.casefold(), text)
    if value not in DELIMITERS:
        raise InputError(
            _("--delimiter '{text}': use comma (,), semicolon (;) or tab").format(text=text)
        )
    return value


def detect_encoding(path: Path, sample: bytes) -> str:
    """UTF-8 (with or without BOM) or cp1252, from the file's first bytes."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    best = charset_normalizer.from_bytes(sample, cp_isolation=["utf_8", "cp1252"]).best()
    if best is None or best.encoding not in _ENCODINGS:
        raise InputError(
            _(
                "{file}: cannot tell the text encoding; save it as CSV UTF-8 "
                "or pass --encoding (utf-8 or cp1252)"
            ).format(file=path.name)
        )
    return _ENCODINGS[best.encoding]


def detect_layout(
    path: Path,
    recognised: Callable[[str], bool],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> CsvLayout:
    """The layout of ``path``; ``recognised`` says whether a header cell is a known column."""
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    chosen_encoding = encoding or detect_encoding(path, sample)
    try:
        codecs.lookup(chosen_encoding)
    except LookupError:
        raise InputError(
            _("--encoding '{encoding}' is not a known encoding").format(encoding=chosen_encoding)
        ) from None
    text = sample.decode(chosen_encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()[:_HEADER_SEARCH_LINES]
    candidates = [delimiter] if delimiter else list(DELIMITERS)
    best: tuple[int, int, str] = (0, 0, candidates[0])  # (known cells, -line, delimiter)
    for index, line in enumerate(lines):
        for candidate in candidates:
            cells = next(csv.reader([line], delimiter=candidate), [])
            known = sum(1 for cell in cells if recognised(cell))
            if known >= 2 and (known, -index) > best[:2]:
                best = (known, -index, candidate)
        if best[0]:
            break  # the first line with known headers is the header
    if best[0]:
        return CsvLayout(chosen_encoding, best[2], -best[1])
    return CsvLayout(chosen_encoding, delimiter or _sniff(lines), 0)


def _sniff(lines: list[str]) -> str:
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","
