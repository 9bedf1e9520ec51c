"""Commands that set up the store and move whole networks in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from connector.cli.json_flag import JsonFlag
from connector.cli.naming import MEMBER_HELP, resolve_id
from connector.cli.output import console, err_console, number, print_json, table
from connector.cli.state import CliState
from connector.cli.words import kind_word, state_word
from connector.errors import NotFoundError
from connector.i18n import gettext as _
from connector.importing import ImportReport, export_network, import_files
from connector.importing.sniffing import DELIMITERS, parse_delimiter
from connector.store import current_revision

__all__ = ["register"]


def init(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    state: CliState = ctx.obj
    revision = current_revision(state.store.engine)
    if as_json:
        print_json({"database": state.safe_database_url, "schema_revision": revision})
        return
    console.print(
        _("store ready: {database} (schema revision {revision})").format(
            database=state.safe_database_url, revision=revision
        ),
        markup=False,
    )


def _summary(report: ImportReport, dry_run: bool) -> dict[str, object]:
    return {
        "file": report.file,
        "dry_run": dry_run,
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        "ignored_columns": list(report.ignored_columns),
        "created": dict(report.created),
        "updated": dict(report.updated),
        "stage_changes": [
            {"kind": c.kind, "id": c.record_id, "from": c.old, "to": c.new, "reason": c.reason}
            for c in report.changes
        ],
        "demotions_proposed": list(report.proposals),
        "notes": list(report.notes),
    }


def _print_report(report: ImportReport, dry_run: bool) -> None:
    counts = ", ".join(
        _("{kind}: {created} new, {updated} updated").format(
            kind=kind_word(name),
            created=number(report.created.get(name, 0)),
            updated=number(report.updated.get(name, 0)),
        )
        for name in sorted({*report.created, *report.updated})
    )
    how = report.encoding
    if report.delimiter is not None:
        separator = _delimiter_word(report.delimiter)
        how += ", " + _("{delimiter}-separated").format(delimiter=separator)
    # File names and CRM text are data: printed without markup.
    line = (
        _("checked (dry run, nothing written) {file} ({how}): {counts}")
        if dry_run
        else _("imported {file} ({how}): {counts}")
    )
    console.print(
        line.format(file=report.file, how=how, counts=counts or _("nothing")), markup=False
    )
    if report.ignored_columns:
        console.print(
            "  "
            + _("not read (refnet has no use for them): {columns}").format(
                columns=", ".join(report.ignored_columns)
            ),
            markup=False,
        )
    for proposal in report.proposals:
        console.print(
            "  " + _("demotion proposed, not made: {proposal}").format(proposal=proposal),
            markup=False,
        )
    for note in report.notes:
        console.print(f"  {note}", markup=False)
    if report.changes:
        console.print(
            table(
                _("stage changes"),
                [_("kind"), _("id"), _("from"), _("to"), _("reason")],
                (
                    (
                        kind_word(c.kind),
                        c.record_id,
                        state_word(c.kind, c.old, c.field),
                        state_word(c.kind, c.new, c.field),
                        c.reason,
                    )
                    for c in report.changes
                ),
            )
        )


def _delimiter_word(delimiter: str) -> str:
    words = {",": _("comma"), ";": _("semicolon"), "\t": _("tab")}
    return words.get(delimiter, DELIMITERS.get(delimiter, delimiter))


def _employee_id(state: CliState, text: str) -> str:
    """The employee's id; an id not in the store yet may be created by this very import."""
    try:
        return resolve_id(state, text)
    except NotFoundError:
        return text


def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help=_("CSV or JSON files, imported in order."))],
    kind: Annotated[
        str | None,
        typer.Option(
            help=_("member, connection, referral, contact, ... (default: from file name)")
        ),
    ] = None,
    employee: Annotated[
        str | None,
        typer.Option(
            help=_(
                "For a contact list (refnet, Outlook or LinkedIn CSV): the employee whose "
                "contacts these are: {what}."
            ).format(what=MEMBER_HELP)
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(help=_("CSV delimiter: comma, semicolon or tab (default: detected).")),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help=_("Text encoding, e.g. utf-8 or cp1252 (default: detected).")),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help=_("Check every row, count what would change, write nothing.")
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    # Rows read so far on stderr (a large file takes minutes); stdout stays the result.
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def show(file: str, rows: int) -> None:
            if file not in tasks:
                tasks[file] = bar.add_task(file)
            bar.update(
                tasks[file],
                description=_("{file}: {rows} rows read").format(file=file, rows=number(rows)),
            )

        reports = import_files(
            state.store,
            files,
            rules=state.settings.rules,
            actor=state.actor,
            kind=kind,
            employee_id=_employee_id(state, employee) if employee is not None else None,
            zone=ZoneInfo(state.settings.import_timezone),
            encoding=encoding,
            delimiter=parse_delimiter(delimiter) if delimiter is not None else None,
            dry_run=dry_run,
            progress=show,
            money=state.settings.money,
        )
    if as_json:
        print_json([_summary(report, dry_run) for report in reports])
        return
    for report in reports:
        _print_report(report, dry_run)


def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help=_("Directory to write the files into."))],
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    counts = export_network(state.store, directory)
    if as_json:
        print_json({"directory": str(directory), "counts": counts})
        return
    console.print(
        table(
            _("exported to {directory}").format(directory=directory),
            [_("kind"), _("records")],
            ((kind_word(kind), number(count)) for kind, count in counts.items()),
        )
    )


def register(app: typer.Typer) -> None:
    app.command(help=_("Create the store (or upgrade its schema) at REFNET_DATABASE_URL."))(init)
    app.command(
        "import",
        help=_(
            "Import files in one transaction: one bad row rejects them all and names every error."
        ),
    )(import_)
    app.command(
        help=_("Export the network as members/connections/referrals CSV and programme.json.")
    )(export)
