"""Reading import files into located rows: CSV (one kind per file) and JSON (a list or sections).

Every row keeps where it came from (file, line or record number) so a validation error can
name the file, the line and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from connector.errors import ImportRejected, InputError, RowError
from connector.i18n import gettext as _
from connector.importing.csvfiles import open_csv
from connector.importing.formats import CSV_FORMATS
from connector.importing.rows import SourceFile, SourceRow

__all__ = ["SECTIONS", "SourceFile", "SourceRow", "infer_kind", "open_source", "read_rows"]

# JSON section names (plural) → record kinds, in the order they must be written.
SECTIONS: dict[str, str] = {
    "members": "member",
    "connections": "connection",
    "referrals": "referral",
    "target_profiles": "target_profile",
    "partnerships": "partnership",
    "agreements": "agreement",
    "clubs": "club",
    "memberships": "membership",
    "introductions": "introduction",
    "joint_events": "joint_event",  # issue #18
    "contributions": "contribution",
}


def _nested_column(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(record)"


def infer_kind(path: Path) -> str | None:
    """Guess the kind from the file name: ``members.csv``, ``referrals-2025.csv``, ..."""
    stem = path.stem.lower()
    for section, kind in SECTIONS.items():
        if stem.startswith((section, kind)):
            return kind
    if stem.startswith("contact"):
        return "contact"
    return None


def open_source(
    path: Path,
    kind: str | None,
    *,
    zone: ZoneInfo,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> SourceFile:
    """Open ``path``; raise :class:`ImportRejected` / :class:`InputError` if it cannot be read."""
    if not path.is_file():
        raise InputError(_("{path}: no such file").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        chosen = kind or infer_kind(path)
        if chosen is None:
            raise InputError(
                _("{file}: cannot tell what the file holds; pass --kind ({kinds})").format(
                    file=path.name, kinds=", ".join([*CSV_FORMATS, "contact"])
                )
            )
        return open_csv(path, chosen, zone=zone, encoding=encoding, delimiter=delimiter)
    if suffix == ".json":
        return SourceFile(path, kind or "json", _read_json(path, kind))
    raise InputError(
        _("{file}: unsupported file type '{suffix}' (use .csv or .json)").format(
            file=path.name, suffix=suffix
        )
    )


def read_rows(path: Path, kind: str | None) -> Iterator[SourceRow]:
    """The rows of ``path`` (dates without a zone in Europe/Berlin)."""
    yield from open_source(path, kind, zone=ZoneInfo("Europe/Berlin")).rows


def _read_json(path: Path, kind: str | None) -> Iterator[SourceRow]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            path.name, [RowError(path.name, exc.lineno, "(json)", exc.msg)]
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            _("{file}: not UTF-8 text ({reason})").format(file=path.name, reason=exc.reason)
        ) from None
    if isinstance(content, list):
        chosen = kind or infer_kind(path)
        if chosen is None or chosen not in SECTIONS.values():
            raise InputError(
                _("{file}: a JSON list needs --kind ({kinds})").format(
                    file=path.name, kinds=", ".join(SECTIONS.values())
                )
            )
        sections = {next(s for s, k in SECTIONS.items() if k == chosen): content}
    elif isinstance(content, dict):
        unknown = sorted(set(content) - set(SECTIONS))
        if unknown:
            raise InputError(
                _("{file}: unknown section(s) {sections}; known: {known}").format(
                    file=path.name, sections=", ".join(unknown), known=", ".join(SECTIONS)
                )
            )
        sections = content
    else:
        raise InputError(
            _("{file}: expected a JSON list or an object of sections").format(file=path.name)
        )
    for section, section_kind in SECTIONS.items():
        items = sections.get(section, [])
        if not isinstance(items, list):
            raise InputError(
                _("{file}: section '{section}' must be a list").format(
                    file=path.name, section=section
                )
            )
        for number, item in enumerate(items, start=1):
            label = f"{path.name}:{section}"
            if not isinstance(item, dict):
                raise ImportRejected(
                    path.name, [RowError(label, number, "(record)", _("not an object"), "record")]
                )
            yield SourceRow(section_kind, label, number, "record", item, _nested_column)
