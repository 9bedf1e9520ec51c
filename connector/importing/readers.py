"""Reading import files into located rows: CSV (one kind per file) and JSON (a list or sections).

Every row keeps where it came from (file, line or record number) so a validation error can
name the file, the line and the field.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.errors import ImportRejected, InputError, RowError
from connector.importing.formats import CSV_FORMATS, MEMBERS, CsvFormat

__all__ = ["CONTACT_COLUMNS", "SECTIONS", "SourceRow", "infer_kind", "read_rows"]

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
}

# An employee's own contact list: a member per row plus how well the employee knows them.
_LINK_COLUMNS = ("strength", "willing_to_introduce", "context")
CONTACT_COLUMNS = (*(c for c in MEMBERS.columns if c != "ladder_stage"), *_LINK_COLUMNS)


def _nested_column(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(record)"


@dataclass(frozen=True)
class SourceRow:
    """One record's input as read from a file, with its location."""

    kind: str
    file: str
    number: int
    unit: str
    data: dict[str, Any]
    column_for: Callable[[tuple[int | str, ...]], str]

    def error(self, field: str, message: str) -> RowError:
        return RowError(self.file, self.number, field, message, self.unit)


def infer_kind(path: Path) -> str | None:
    """Guess the kind from the file name: ``members.csv``, ``referrals-2025.csv``, ..."""
    stem = path.stem.lower()
    for section, kind in SECTIONS.items():
        if stem.startswith((section, kind)):
            return kind
    if stem.startswith("contact"):
        return "contact"
    return None


def read_rows(path: Path, kind: str | None) -> Iterator[SourceRow]:
    """Yield the rows of ``path``; raise :class:`ImportRejected` if the file cannot be read."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        chosen = kind or infer_kind(path)
        if chosen is None:
            raise InputError(
                f"{path.name}: cannot tell what the file holds; pass --kind "
                f"({', '.join([*CSV_FORMATS, 'contact'])})"
            )
        yield from _read_csv(path, chosen)
    elif suffix == ".json":
        yield from _read_json(path, kind)
    else:
        raise InputError(f"{path.name}: unsupported file type '{suffix}' (use .csv or .json)")


def _read_csv(path: Path, kind: str) -> Iterator[SourceRow]:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    if kind == "contact":
        columns, required, column_for = CONTACT_COLUMNS, ("name",), MEMBERS.column_for
        fmt: CsvFormat | None = None
    elif kind in CSV_FORMATS:
        fmt = CSV_FORMATS[kind]
        columns, required, column_for = fmt.columns, fmt.required, fmt.column_for
    else:
        raise InputError(f"{path.name}: CSV import supports {', '.join(CSV_FORMATS)} and contact")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        problems = [
            RowError(path.name, 1, name, "unknown column") for name in header if name not in columns
        ] + [
            RowError(path.name, 1, name, "required column missing")
            for name in required
            if name not in header
        ]
        if problems:
            raise ImportRejected(path.name, problems)
        try:
            for row in reader:
                if None in row:
                    raise ImportRejected(
                        path.name,
                        [RowError(path.name, reader.line_num, "(row)", "more cells than columns")],
                    )
                data = fmt.to_input(row) if fmt else _contact_input(row)
                yield SourceRow(kind, path.name, reader.line_num, "line", data, column_for)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:
            raise ImportRejected(
                path.name, [RowError(path.name, reader.line_num, "(row)", str(exc))]
            ) from None


def _contact_input(row: dict[str, str | None]) -> dict[str, Any]:
    """A contact row: the member's columns nested like a members row, plus the link columns."""
    data = MEMBERS.to_input(row)
    for column in _LINK_COLUMNS:
        value = (row.get(column) or "").strip()
        if value:
            data[column] = value
    return data


def _read_json(path: Path, kind: str | None) -> Iterator[SourceRow]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            path.name, [RowError(path.name, exc.lineno, "(json)", exc.msg)]
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    if isinstance(content, list):
        chosen = kind or infer_kind(path)
        if chosen is None or chosen not in SECTIONS.values():
            raise InputError(
                f"{path.name}: a JSON list needs --kind ({', '.join(SECTIONS.values())})"
            )
        sections = {next(s for s, k in SECTIONS.items() if k == chosen): content}
    elif isinstance(content, dict):
        unknown = sorted(set(content) - set(SECTIONS))
        if unknown:
            raise InputError(
                f"{path.name}: unknown section(s) {', '.join(unknown)}; "
                f"known: {', '.join(SECTIONS)}"
            )
        sections = content
    else:
        raise InputError(f"{path.name}: expected a JSON list or an object of sections")
    for section, section_kind in SECTIONS.items():
        items = sections.get(section, [])
        if not isinstance(items, list):
            raise InputError(f"{path.name}: section '{section}' must be a list")
        for number, item in enumerate(items, start=1):
            label = f"{path.name}:{section}"
            if not isinstance(item, dict):
                raise ImportRejected(
                    path.name, [RowError(label, number, "(record)", "not an object", "record")]
                )
            yield SourceRow(section_kind, label, number, "record", item, _nested_column)
