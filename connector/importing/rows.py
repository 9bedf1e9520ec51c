"""A row read from an import file, with where it came from and what was wrong in its cells."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.errors import RowError

__all__ = ["SourceFile", "SourceRow"]


@dataclass(frozen=True)
class SourceRow:
    """One record's input as read from a file, with its location.

    ``data`` holds only the values the row sets (an empty cell sets nothing; a clear marker
    sets None). ``problems`` are the cells that could not be read, already as row errors;
    ``raw_references`` keeps the reference cells as written so they are checked even when
    another cell of the row is bad (all errors in one pass).
    """

    kind: str
    file: str
    number: int
    unit: str
    data: dict[str, Any]
    column_for: Callable[[tuple[int | str, ...]], str]
    problems: tuple[RowError, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)  # canonical column → file's header

    def header(self, column: str) -> str:
        """The file's own name of a column (an error must name what the user sees)."""
        return self.headers.get(column, column)

    def error(self, field: str, message: str) -> RowError:
        return RowError(self.file, self.number, self.header(field), message, self.unit)


@dataclass
class SourceFile:
    """An opened import file: how it is written (for the summary) and its rows, read lazily."""

    path: Path
    kind: str
    rows: Iterator[SourceRow]
    encoding: str = "utf-8"
    delimiter: str | None = None  # None for JSON
    ignored_columns: tuple[str, ...] = ()
