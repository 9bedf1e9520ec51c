"""Rendering for humans (rich tables) and for scripts (``--json``).

Humans read the current language (:mod:`connector.i18n`): numbers, money and dates as they
write them (``4.881.196,87 €``, ``31.12.2025`` in German); ``--json`` stays language-neutral.
"""

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

from connector.cli.words import field_word, kind_word, state_word
from connector.i18n import format_date, format_datetime, format_money, format_number
from connector.i18n import gettext as _

__all__ = [
    "cell",
    "console",
    "day",
    "err_console",
    "moment",
    "money",
    "number",
    "print_changes",
    "print_json",
    "table",
    "to_jsonable",
    "yes",
]

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


def money(amount: Decimal | int | float | None, currency: str | None) -> str:
    """An amount with its currency as the reader writes it; empty when there is none."""
    return "" if amount is None else format_money(amount, currency or "EUR")


def number(value: int | float | Decimal | None, digits: int | None = None) -> str:
    """A count or measure with the reader's separators (``1.234,5`` in German)."""
    return "" if value is None else format_number(value, digits=digits)


def day(value: date | datetime | None) -> str:
    """A calendar day (``31.12.2025`` in German)."""
    if value is None:
        return ""
    return format_date(value.date() if isinstance(value, datetime) else value)


def moment(value: datetime | None) -> str:
    """A timestamp (``31.12.2025, 14:05:00`` in German)."""
    return "" if value is None else format_datetime(value)


def yes(flag: bool | None) -> str:
    """A flag as a table cell: the reader's "yes", or nothing."""
    return _("yes") if flag else ""


def cell(value: Any) -> str:
    """One table cell as text: dates, timestamps and decimals in the reader's format."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return day(value)
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


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
        rendered.add_row(*(Text(cell(value)) for value in row))
    return rendered


def print_changes(changes: Iterable[Any]) -> None:
    """The stage and field changes a command made, one row each (``StageChange``-shaped)."""
    console.print(
        table(
            _("changes"),
            [_("kind"), _("id"), _("field"), _("from"), _("to"), _("reason")],
            (
                (
                    kind_word(c.kind),
                    c.record_id,
                    field_word(c.field),
                    state_word(c.kind, c.old, c.field),
                    state_word(c.kind, c.new, c.field),
                    c.reason,
                )
                for c in changes
            ),
        )
    )
