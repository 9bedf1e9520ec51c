"""``refnet hubspot …``: provision the schema, and generate the HubSpot app (``app-config``).

Loaded by refnet's CLI through the ``refnet.commands`` entry point, so the core commands
never import hubspot-api-client. Errors are refnet errors; the main CLI turns them into
messages and exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters.hubspot.adapter import HubSpotAdapter
from adapters.hubspot.app_config import build_app_project, write_app_project
from adapters.hubspot.portal import PortalFile, default_portal_file
from connector.errors import InputError
from connector.i18n import gettext as _
from connector.settings import load_settings
from mappings.loader import load_mappings

__all__ = ["app"]

app = typer.Typer(
    help="HubSpot: provision the refnet schema from the mappings.",
    no_args_is_help=True,
    add_completion=False,  # the main refnet command owns shell completion
)


@app.callback()
def hubspot() -> None:
    """HubSpot: provision the refnet schema from the mappings."""
    # A callback keeps `provision` a subcommand: a one-command Typer app would run it
    # as `refnet hubspot` itself.


@app.command()
def provision(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and compare only; change nothing.")
    ] = False,
    redetect: Annotated[
        bool,
        typer.Option(
            "--redetect",
            help="Check again whether the portal has custom objects (after an upgrade).",
        ),
    ] = False,
    properties_only: Annotated[
        bool,
        typer.Option(
            "--properties-only",
            help="Use properties-only mode (no custom objects) even if the portal has them.",
        ),
    ] = False,
    relabel: Annotated[
        bool,
        typer.Option(
            "--relabel",
            help=_(
                "Rewrite refnet's labels the portal holds in another language in the label "
                "language (hubspot.label_language, else refnet's language)."
            ),
        ),
    ] = False,
    portal_file: Annotated[
        Path | None,
        typer.Option(
            "--portal-file",
            help="Where to keep the portal's ids (default: <database>.hubspot.json).",
            dir_okay=False,
        ),
    ] = None,
    mappings_dir: Annotated[
        Path | None,
        typer.Option(
            "--mappings",
            help="Directory of HubSpot mapping YAML files (default: the shipped ones).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Create or update custom objects, properties, association labels and pipelines."""
    settings = load_settings()
    adapter = HubSpotAdapter(
        settings.hubspot,
        load_mappings("hubspot", mappings_dir),
        portal_file=portal_file or default_portal_file(settings),
    )
    report = adapter.provision_report(
        dry_run=dry_run, redetect=redetect, properties_only=properties_only, relabel=relabel
    )
    prefix = "would " if dry_run else ""
    for note in report.notes:
        typer.echo(f"note: {note}")
    for line in report.changed:
        typer.echo(f"{prefix}{line}")
    for skipped in report.skipped:
        typer.echo(f"skipped {skipped} (needs custom objects)")
    typer.echo(
        f"{len(report.changed)} change(s){' planned' if dry_run else ''}, "
        f"{report.unchanged} unchanged, mode {report.mode}, {adapter.api_calls} API call(s)"
    )
    if not dry_run:
        typer.echo(f"portal ids in {adapter.portal.path}")


@app.command("app-config")
def app_config(
    directory: Annotated[
        Path, typer.Argument(help="Directory to write the app project into.", file_okay=False)
    ],
    target_url: Annotated[
        str,
        typer.Option(
            "--target-url",
            help="The public URL of refnet's HubSpot endpoint (https://<host>/hubspot/events).",
        ),
    ],
    portal_file: Annotated[
        Path | None,
        typer.Option(
            "--portal-file",
            help="Portal ids from `refnet hubspot provision` (default: <database>.hubspot.json).",
            dir_okay=False,
        ),
    ] = None,
    mappings_dir: Annotated[
        Path | None,
        typer.Option(
            "--mappings", help="Directory of HubSpot mapping YAML files.", file_okay=False
        ),
    ] = None,
) -> None:
    """Write the HubSpot app (project, scopes, webhooks, contact card) and its setup steps."""
    if not target_url.startswith("https://"):
        raise InputError(_("--target-url must be an https:// URL (HubSpot calls only https)"))
    settings = load_settings()
    portal = PortalFile(portal_file or default_portal_file(settings)).load()
    project = build_app_project(
        load_mappings("hubspot", mappings_dir), target_url=target_url, portal=portal
    )
    for path in write_app_project(project, directory):
        typer.echo(f"wrote {path}")
    typer.echo(
        f"{len(project.subscriptions)} webhook subscription(s); "
        + ("portal ids used" if portal is not None else "not provisioned yet: see README.md")
    )
