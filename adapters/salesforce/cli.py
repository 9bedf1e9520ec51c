"""``refnet salesforce …``: export the schema as an sfdx project, or provision it directly.

Loaded by refnet's CLI through the ``refnet.commands`` entry point, so the core commands
never import simple-salesforce. Errors are refnet errors; the main CLI turns them into
messages and exit codes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from adapters.salesforce.adapter import SalesforceAdapter
from adapters.salesforce.deal_events import OutboundEndpoint
from adapters.salesforce.sfdx import write_sfdx_project
from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.settings import Settings, load_settings
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

WebhookBaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--webhook-base-url",
        help="https://host[/prefix] of refnet's webhook service: ships the deal-event Flows "
        "and Outbound Messages, which post to <this>/salesforce/outbound/<token>.",
    ),
]
OutboundUserOption = Annotated[
    str | None,
    typer.Option(
        "--outbound-user",
        help="Salesforce username the Outbound Messages are sent as "
        "(default: REFNET_SALESFORCE__USERNAME).",
    ),
]
# The token is the webhook service's own setting, read here from the same environment
# variable; the option is hidden so no one is shown a way to pass it as an argument
# (arguments show up in process lists and shell history).
OutboundTokenOption = Annotated[
    str | None,
    typer.Option(
        envvar="REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN",
        hidden=True,
        show_default=False,
    ),
]


def _endpoint(
    settings: Settings, base_url: str | None, user: str | None, token: str | None
) -> OutboundEndpoint | None:
    if base_url is None:
        typer.echo(
            "deal events left out: give --webhook-base-url (and set "
            "REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN) to ship the Flows and Outbound Messages"
        )
        return None
    if not token:
        raise ConfigError(
            _(
                "--webhook-base-url needs REFNET_WEBHOOK_SALESFORCE_OUTBOUND_TOKEN, the token the "
                "webhook service checks"
            )
        )
    integration_user = user or settings.salesforce.username
    if not integration_user:
        raise ConfigError(
            _(
                "--webhook-base-url needs --outbound-user (or REFNET_SALESFORCE__USERNAME): "
                "the Salesforce user the Outbound Messages are sent as"
            )
        )
    return OutboundEndpoint(
        base_url, SecretStr(token), integration_user, settings.salesforce.api_version
    )


@app.command("export-metadata")
def export_metadata(
    directory: Annotated[Path, typer.Argument(help="Where to write the sfdx project.")],
    mappings_dir: MappingsOption = None,
    webhook_base_url: WebhookBaseUrlOption = None,
    outbound_user: OutboundUserOption = None,
    outbound_token: OutboundTokenOption = None,
) -> None:
    """Write an sfdx source-format project (schema, sales app, deal events); no login."""
    settings = load_settings()
    mappings = load_mappings("salesforce", mappings_dir or settings.salesforce.mappings_dir)
    endpoint = _endpoint(settings, webhook_base_url, outbound_user, outbound_token)
    written = write_sfdx_project(
        mappings, directory, api_version=settings.salesforce.api_version, endpoint=endpoint
    )
    typer.echo(f"wrote {len(written)} files to {directory}")
    if endpoint is not None:
        typer.echo("the workflows/ files hold the webhook token: keep the project private")
    typer.echo(f"deploy with: sf project deploy start --source-dir {directory / 'force-app'}")


@app.command()
def provision(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and compare only; change nothing.")
    ] = False,
    mappings_dir: MappingsOption = None,
    webhook_base_url: WebhookBaseUrlOption = None,
    outbound_user: OutboundUserOption = None,
    outbound_token: OutboundTokenOption = None,
) -> None:
    """Create or update the schema, the sales app and the deal events (Metadata API).

    Components that exist are read, refnet's values merged in and written back, so what an
    admin added (help text, history tracking, picklist values, related lists) stays. The
    running user is given the Refnet_Integration permission set.
    """
    settings = load_settings()
    endpoint = _endpoint(settings, webhook_base_url, outbound_user, outbound_token)
    adapter = SalesforceAdapter(
        settings.salesforce,
        load_mappings("salesforce", mappings_dir or settings.salesforce.mappings_dir),
        request_timeout=settings.salesforce.request_timeout,
    )
    report = adapter.provision_report(dry_run=dry_run, endpoint=endpoint)
    prefix = "would " if dry_run else ""
    for line in report.changed:
        typer.echo(f"{prefix}{line}")
    typer.echo(
        f"{len(report.changed)} change(s){' planned' if dry_run else ''}, "
        f"{report.unchanged} unchanged, {adapter.api_calls} API call(s)"
    )


@app.command()
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    mappings_dir: MappingsOption = None,
) -> None:
    """Check, before any write, that the connected user can do all a sync needs.

    Reads describe for every object refnet touches (Salesforce filters it by the user's
    permissions) and names each missing object or field permission. Exit code 0 when all
    is there, 6 (configuration error) when anything is missing.
    """
    settings = load_settings()
    adapter = SalesforceAdapter(
        settings.salesforce,
        load_mappings("salesforce", mappings_dir or settings.salesforce.mappings_dir),
        request_timeout=settings.salesforce.request_timeout,
    )
    result = adapter.check_permissions()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "user_id": result.user_id,
                    "objects_checked": result.objects_checked,
                    "fields_checked": result.fields_checked,
                    "missing": [m.as_json() for m in result.missing],
                    "api_calls": adapter.api_calls,
                },
                indent=2,
            )
        )
    else:
        for missing in result.missing:
            typer.echo(f"missing: {missing.describe()}")
        typer.echo(
            f"{result.objects_checked} object(s), {result.fields_checked} field(s) checked: "
            + ("all permissions present" if result.ok else f"{len(result.missing)} missing")
        )
    if not result.ok:
        if as_json:
            raise typer.Exit(ConfigError.exit_code)
        raise ConfigError(
            _(
                "salesforce user lacks {count} permission(s); assign the Refnet_Integration "
                "permission set (refnet salesforce provision does) or grant them"
            ).format(count=len(result.missing))
        )
