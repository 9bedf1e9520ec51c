"""``refnet salesforce …``: export the schema as an sfdx project, or provision it directly.

Loaded by refnet's CLI through the ``refnet.commands`` entry point, so the core commands
never import simple-salesforce. Errors are refnet errors; the main CLI turns them into
messages and exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.sfdx import write_sfdx_project
from connector.settings import load_settings
from mappings.loader import load_mappings

__all__ = ["app"]

app = typer.Typer(
    help="Salesforce: export or provision the refnet schema from the mappings.",
    no_args_is_help=True,
    add_completion=False,  # the main refnet command owns shell completion
)

MappingsOption = Annotated[
    Path | None,
    typer.Option(
        "--mappings",
        help="Directory of Salesforce mapping YAML files (default: the shipped ones).",
        file_okay=False,
    ),
]


@app.command("export-metadata")
def export_metadata(
    directory: Annotated[Path, typer.Argument(help="Where to write the sfdx project.")],
    mappings_dir: MappingsOption = None,
) -> None:
    """Write an sfdx source-format project (objects, fields, permission set); no login."""
    settings = load_settings()
    mappings = load_mappings("salesforce", mappings_dir or settings.salesforce.mappings_dir)
    written = write_sfdx_project(mappings, directory, api_version=settings.salesforce.api_version)
    typer.echo(f"wrote {len(written)} files to {directory}")
    typer.echo(f"deploy with: sf project deploy start --source-dir {directory / 'force-app'}")


@app.command()
def provision(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and compare only; change nothing.")
    ] = False,
    mappings_dir: MappingsOption = None,
) -> None:
    """Create or update objects, fields, permission sets; assign Refnet_Integration to you."""
    settings = load_settings()
    adapter = SalesforceAdapter(
        settings.salesforce,
        load_mappings("salesforce", mappings_dir or settings.salesforce.mappings_dir),
        request_timeout=settings.salesforce.request_timeout,
    )
    report = adapter.provision_report(dry_run=dry_run)
    prefix = "would " if dry_run else ""
    for line in report.changed:
        typer.echo(f"{prefix}{line}")
    typer.echo(
        f"{len(report.changed)} change(s){' planned' if dry_run else ''}, "
        f"{report.unchanged} unchanged, {adapter.api_calls} API call(s)"
    )
