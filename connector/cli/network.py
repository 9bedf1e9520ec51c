"""Commands that set up the store and move whole networks in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from connector.cli.output import console, print_json, table
from connector.cli.state import CliState
from connector.importing import ImportReport, export_network, import_file
from connector.store import current_revision

__all__ = ["register"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def init(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Create the store (or upgrade its schema) at REFNET_DATABASE_URL."""
    state: CliState = ctx.obj
    revision = current_revision(state.store.engine)
    if as_json:
        print_json({"database": state.safe_database_url, "schema_revision": revision})
        return
    console.print(f"store ready: {state.safe_database_url} (schema revision {revision})")


def _summary(report: ImportReport) -> dict[str, object]:
    return {
        "file": report.file,
        "created": dict(report.created),
        "updated": dict(report.updated),
        "stage_changes": [
            {"kind": c.kind, "id": c.record_id, "from": c.old, "to": c.new, "reason": c.reason}
            for c in report.changes
        ],
    }


def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="CSV or JSON files, imported in order.")],
    kind: Annotated[
        str | None,
        typer.Option(help="member, connection, referral, contact, ... (default: from file name)"),
    ] = None,
    employee: Annotated[
        str | None,
        typer.Option(help="For a contact list: the employee (member id) whose contacts these are."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import files, each all or nothing: one bad row rejects its file and names every error."""
    state: CliState = ctx.obj
    summaries = []
    for path in files:
        report = import_file(
            state.store,
            path,
            rules=state.settings.rules,
            actor=state.actor,
            kind=kind,
            employee_id=employee,
        )
        summaries.append(_summary(report))
        if not as_json:
            counts = ", ".join(
                f"{name}: {report.created.get(name, 0)} new, {report.updated.get(name, 0)} updated"
                for name in sorted({*report.created, *report.updated})
            )
            console.print(f"imported {path.name}: {counts or 'nothing'}")
            if report.changes:
                console.print(
                    table(
                        "stage changes",
                        ["kind", "id", "from", "to", "reason"],
                        ((c.kind, c.record_id, c.old, c.new, c.reason) for c in report.changes),
                    )
                )
    if as_json:
        print_json(summaries)


def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Directory to write the files into.")],
    as_json: JsonFlag = False,
) -> None:
    """Export the network as members/connections/referrals CSV and programme.json."""
    state: CliState = ctx.obj
    counts = export_network(state.store, directory)
    if as_json:
        print_json({"directory": str(directory), "counts": counts})
        return
    console.print(table(f"exported to {directory}", ["kind", "records"], counts.items()))


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command("import")(import_)
    app.command()(export)
