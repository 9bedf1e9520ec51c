"""Reading a CSV file as Excel, Outlook or LinkedIn wrote it into located rows.

The header is matched by name (German or English, any case); cells are parsed as German
files write them (:mod:`connector.importing.values`). An empty cell sets nothing, so a file
with fewer columns or gaps never wipes stored values; ``<leer>`` or ``<empty>`` clears one.
An employee's contact list may be refnet's own contact columns or an address book export
(Outlook contacts, LinkedIn Connections): there only the columns refnet uses are read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from connector.errors import ImportRejected, InputError, RowError
from connector.i18n import gettext as _
from connector.i18n import ngettext
from connector.importing.formats import CSV_FORMATS, LIST_SEPARATOR, MEMBERS, CsvFormat
from connector.importing.headers import PARSERS, header_key, resolve_header, suggest
from connector.importing.rows import SourceFile, SourceRow
from connector.importing.sniffing import CsvLayout, detect_layout
from connector.importing.values import CLEAR_MARKERS, CellError, ValueParser

__all__ = ["ADDRESS_BOOK", "open_csv"]

# Address book exports → what refnet reads from them. Outlook (German and English) and
# LinkedIn's Connections.csv ("First Name,Last Name,URL,Email Address,Company,Position,
# Connected On"); every other column of these exports is ignored.
ADDRESS_BOOK: dict[str, tuple[str, ...]] = {
    "first_name": ("Vorname", "First Name"),
    "last_name": ("Nachname", "Last Name"),
    "organisation": ("Firma", "Company", "Unternehmen"),
    "email": ("E-Mail-Adresse", "E-mail Address", "Email Address", "E-Mail"),
    "position": ("Position", "Job Title"),
    "url": ("URL", "Profile URL"),
    "connected_on": ("Connected On", "Verbunden am"),
}
_ADDRESS_BOOK_KEYS = {header_key(h): c for c, hs in ADDRESS_BOOK.items() for h in hs}
_LINK_COLUMNS = ("strength", "willing_to_introduce", "context", "last_contact_on")


def open_csv(
    path: Path,
    kind: str,
    *,
    zone: ZoneInfo,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> SourceFile:
    """Read the header now (a bad header rejects the file) and the rows lazily."""
    if kind != "contact" and kind not in CSV_FORMATS:
        raise InputError(
            _("{file}: CSV import supports {kinds} and contact").format(
                file=path.name, kinds=", ".join(CSV_FORMATS)
            )
        )

    def recognised(cell: str) -> bool:
        key = header_key(cell)
        return resolve_header(kind, cell) is not None or (
            kind == "contact" and key in _ADDRESS_BOOK_KEYS
        )

    layout = detect_layout(path, recognised, encoding=encoding, delimiter=delimiter)
    handle = path.open(newline="", encoding=layout.encoding)
    try:
        for _skipped in range(layout.header_index):
            handle.readline()
        reader = csv.reader(handle, delimiter=layout.delimiter)
        header = next(reader, [])
    except UnicodeDecodeError as exc:
        handle.close()
        raise _not_encoded(path, layout, exc) from None
    header_line = layout.header_index + 1
    address_book = kind == "contact" and any(
        _ADDRESS_BOOK_KEYS.get(header_key(h)) in ("first_name", "last_name") for h in header
    )
    if address_book:
        columns = {
            i: _ADDRESS_BOOK_KEYS[header_key(h)]
            for i, h in enumerate(header)
            if header_key(h) in _ADDRESS_BOOK_KEYS
        }
        ignored = tuple(h for i, h in enumerate(header) if i not in columns and h.strip())
    else:
        columns = _columns(path, kind, header, header_line, handle)
        ignored = ()
    headers = {column: header[i] for i, column in columns.items()}
    if address_book:
        names = [headers[c] for c in ("first_name", "last_name") if c in headers]
        headers["name"] = "/".join(names)
        headers["created_at"] = headers.get("connected_on", "created_at")
    rows = _rows(
        path, kind, layout, handle, reader, (columns, headers, len(header)), zone, address_book
    )
    return SourceFile(path, kind, rows, layout.encoding, layout.delimiter, ignored)


def _columns(
    path: Path, kind: str, header: list[str], header_line: int, handle: TextIO
) -> dict[int, str]:
    """Header index → canonical column; every header problem at once, with a suggestion."""
    problems: list[RowError] = []
    columns: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, name in enumerate(header):
        column = resolve_header(kind, name)
        if column is None:
            if name.strip():
                problems.append(
                    RowError(
                        path.name,
                        header_line,
                        name,
                        _("unknown column; {hint}").format(hint=suggest(kind, name)),
                    )
                )
            continue
        if column in seen:
            problems.append(
                RowError(
                    path.name,
                    header_line,
                    name,
                    _("names the same column as '{other}'; keep one of them").format(
                        other=seen[column]
                    ),
                )
            )
            continue
        seen[column] = name
        columns[index] = column
    required = "name" if kind == "contact" else "id"
    if required not in seen:
        problems.append(
            RowError(
                path.name,
                header_line,
                required,
                _(
                    "required column missing (is the delimiter right? read as {layout}); "
                    "add a column '{required}'"
                ).format(layout=_describe_delimiter(header), required=required),
            )
        )
    if problems:
        handle.close()
        raise ImportRejected(path.name, problems)
    return columns


def _describe_delimiter(header: list[str]) -> str:
    return ngettext("{count} column: {names}", "{count} columns: {names}", len(header)).format(
        count=len(header), names=", ".join(repr(h) for h in header[:4])
    )


def _not_encoded(path: Path, layout: CsvLayout, exc: UnicodeDecodeError) -> InputError:
    other = "cp1252" if layout.encoding.startswith("utf") else "utf-8"
    return InputError(
        _(
            "{file} line {line}: not {encoding} text ({reason}); save the file as CSV UTF-8 "
            "or pass --encoding {other}"
        ).format(
            file=path.name,
            line=_first_undecodable_line(path, layout.encoding),
            encoding=layout.encoding,
            reason=exc.reason,
            other=other,
        )
    )


def _first_undecodable_line(path: Path, encoding: str) -> int | str:
    # The decoder reads ahead in blocks, so the reader's line count is not where the bad
    # byte is; only on this error path is the file scanned again, line by line.
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                return number
    return "?"


def _rows(
    path: Path,
    kind: str,
    layout: CsvLayout,
    handle: TextIO,
    reader: Any,
    header: tuple[dict[int, str], dict[str, str], int],
    zone: ZoneInfo,
    address_book: bool,
) -> Iterator[SourceRow]:
    columns, headers, width = header
    fmt = MEMBERS if kind == "contact" else CSV_FORMATS[kind]
    contact = kind == "contact"
    # Looked up once per file, not once per cell: a million rows have seven million cells.
    plan = [
        (index, column, PARSERS.get(column), column in fmt.lists)
        for index, column in columns.items()
    ]
    line = layout.header_index + 1
    with handle:
        try:
            for cells in reader:
                line = layout.header_index + reader.line_num
                # Excel writes empty rows as ";;;;" (the first cell decides almost every row).
                if not (cells and cells[0].strip()) and not any(cell.strip() for cell in cells):
                    continue
                problems: list[RowError] = []
                if (
                    not address_book
                    and len(cells) > width
                    and any(cell.strip() for cell in cells[width:])
                ):
                    problems.append(
                        RowError(path.name, line, "(row)", _("more cells than columns"))
                    )
                values: dict[str, Any] = {}
                count = len(cells)
                for index, column, parser, is_list in plan:
                    if index >= count:
                        continue
                    text = cells[index].strip()
                    if not text:
                        continue  # an empty cell keeps the stored value
                    if parser is None and not is_list and text[0] != "<":
                        values[column] = text  # plain text (ids, names): as _cell returns it
                        continue
                    value = _cell(text, zone, parser, is_list)
                    if isinstance(value, CellError):
                        problems.append(RowError(path.name, line, headers[column], str(value)))
                    else:
                        values[column] = value
                if address_book:
                    values = _from_address_book(values)
                data = _nest(values, fmt, contact=contact)
                yield SourceRow(
                    kind, path.name, line, "line", data, fmt.column_for, tuple(problems), headers
                )
        except UnicodeDecodeError as exc:
            raise _not_encoded(path, layout, exc) from None
        except csv.Error as exc:
            raise ImportRejected(
                path.name, [RowError(path.name, line, "(row)", str(exc))]
            ) from None


def _cell(text: str, zone: ZoneInfo, parser: ValueParser | None, is_list: bool) -> object:
    """A non-empty cell's value, or the :class:`CellError` saying what was expected."""
    if text[0] == "<" and text.casefold() in CLEAR_MARKERS:
        return [] if is_list else None
    if parser is not None:
        try:
            return parser(text, zone)
        except CellError as exc:
            return exc
    if is_list:
        return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]
    return text


def _from_address_book(values: dict[str, Any]) -> dict[str, Any]:
    """An Outlook or LinkedIn row as a contact row: name, e-mail, company, how we know them."""
    name = " ".join(str(values[k]) for k in ("first_name", "last_name") if values.get(k))
    position = values.get("position")
    source = "LinkedIn" if "url" in values or "connected_on" in values else "address book"
    contact: dict[str, Any] = {
        "name": name,
        "context": f"{source}: {position}" if position else source,
    }
    for column in ("email", "organisation"):
        if values.get(column):
            contact[column] = values[column]
    if values.get("connected_on"):
        contact["connected_on"] = values["connected_on"]
    return contact


def _nest(values: dict[str, Any], fmt: CsvFormat, *, contact: bool) -> dict[str, Any]:
    if not fmt.nested:
        return values  # nothing to nest (connections, referrals): the row's own dict
    data: dict[str, Any] = {}
    for column, value in values.items():
        parent = fmt.nested.get(column)
        if (contact and column in (*_LINK_COLUMNS, "connected_on")) or parent is None:
            data[column] = value
        else:
            data.setdefault(parent, {})[column] = value
    return data
