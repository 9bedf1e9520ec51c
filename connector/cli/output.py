"""Rendering for humans (rich tables) and for scripts (``--json``)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["console", "err_console", "print_changes", "print_json", "table", "to_jsonable"]

console = Console()
err_console = Console(stderr=True)


def to_jsonable(value: Any) -> Any:
    """Plain JSON types for models, dataclasses, enums, decimals and dates."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def print_json(value: Any) -> None:
    # Plain print: rich would interpret brackets in the data as markup.
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A table whose title and cells print literally.

    Cells hold user and CRM text (a contact named ``[/]`` arrives from a CRM event); as plain
    strings Rich would read them as markup and crash or restyle them, so every cell is a
    :class:`~rich.text.Text`.
    """
    rendered = Table(title=Text(title), title_justify="left", header_style="bold")
    for column in columns:
        rendered.add_column(Text(column), overflow="fold")
    for row in rows:
        rendered.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    return rendered


def print_changes(changes: Iterable[Any]) -> None:
    """The stage and field changes a command made, one row each (``StageChange``-shaped)."""
    console.print(
        table(
            "changes",
            ["kind", "id", "field", "from", "to", "reason"],
            ((c.kind, c.record_id, c.field, c.old, c.new, c.reason) for c in changes),
        )
    )
