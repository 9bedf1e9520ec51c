"""``refnet report``: multipliers, win-win balance, goals and network intelligence; ``--html``."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from connector.as_of import as_of_caption, store_as_of
from connector.cli.json_flag import JsonFlag
from connector.cli.output import console, print_json, table
from connector.cli.state import CliState
from connector.i18n import gettext as _
from connector.model import utcnow
from connector.report import build_report
from connector.report_html import write_html_report
from connector.report_sections import report_sections

__all__ = ["register"]


def report(
    ctx: typer.Context,
    top: Annotated[int, typer.Option(min=1, help=_("Rows per table."))] = 10,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help=_(
                "The report as it stood at the end of this day: only what existed then, "
                "in the state it had then (default: now)."
            ),
        ),
    ] = None,
    as_json: JsonFlag = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            dir_okay=False,
            help=_("Also write the report as one self-contained HTML page with a network picture."),
        ),
    ] = None,
) -> None:
    state: CliState = ctx.obj
    settings = state.settings
    # The whole day counts: a referral logged at 15:00 on the day existed "on" the day.
    day_end = None if as_of is None else datetime.combine(as_of.date(), time.max, tzinfo=UTC)
    when = day_end or utcnow()
    note = None if as_of is None else as_of_caption(as_of.date())
    with store_as_of(state.store, day_end) as store:
        data = build_report(
            store,
            settings.rules,
            as_of=when,
            top=top,
            intelligence=settings.intelligence,
            money=settings.money,
        )
        if html is not None:
            write_html_report(html, data, store, settings.rules, settings.intelligence, note=note)
    if as_json:
        print_json(data)
        return
    for section in report_sections(data):
        console.print(table(section.title, section.columns, section.rows))
    if note is not None:
        console.print(note, markup=False)
    if html is not None:
        console.print(_("wrote {file}").format(file=html), markup=False)


def register(app: typer.Typer) -> None:
    app.command(
        help=_("Print the network's multipliers, the win-win balance and what needs attention.")
    )(report)
