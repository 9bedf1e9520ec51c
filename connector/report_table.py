"""One titled table of plain rows: what every report section hands its renderers.

The terminal report, the HTML page and the club commands all print these, so one shape
serves the report's own sections, the club's and the relationship upkeep's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Row", "Section"]

Row = tuple[object, ...]


@dataclass(frozen=True)
class Section:
    title: str
    columns: Sequence[str]
    rows: list[Row]
