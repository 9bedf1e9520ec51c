"""``refnet sandbox``: run the local CRM sandbox in the foreground until Ctrl+C.

It prints where both fake CRMs listen, the CA bundle that makes the fake Salesforce's
certificate trusted, and the credentials to use, as ``REFNET_*`` settings ready to paste.
These are throw-away sandbox credentials, printed on purpose; the sandbox never logs them.
"""

from __future__ import annotations

import shlex
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from adapters.sandbox.faults import HubSpotRateLimit
from adapters.sandbox.salesforce_duplicates import org_counts
from adapters.sandbox.server import Sandbox, SandboxConfig, start_sandbox
from connector.i18n import format_number
from connector.i18n import gettext as _

__all__ = ["app", "serve"]

DEFAULT_SALESFORCE_PORT = 17443
DEFAULT_HUBSPOT_PORT = 17080

app = typer.Typer(
    help="Run the local CRM sandbox (fake Salesforce and HubSpot APIs on loopback).",
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _export(name: str, value: str) -> str:
    # Quoted: session ids contain "!", which an interactive shell would expand.
    return f"  export {name}={shlex.quote(value)}"


def _summary(sandbox: Sandbox) -> str:
    login = sandbox.salesforce_login
    return "\n".join(
        [
            "refnet CRM sandbox is running (Ctrl+C to stop).",
            "",
            f"  Salesforce  {sandbox.salesforce_url}  (API v{sandbox.api_version}, https)",
            f"  HubSpot     {sandbox.hubspot_url}",
            f"  CA bundle   {sandbox.ca_bundle}",
            "",
            "Settings for refnet (session id auth):",
            _export("REFNET_SALESFORCE__INSTANCE_URL", sandbox.salesforce_url),
            _export("REFNET_SALESFORCE__SESSION_ID", sandbox.session_id),
            _export("REFNET_SALESFORCE__VERIFY", sandbox.ca_bundle),
            _export("REFNET_HUBSPOT__HOST", sandbox.hubspot_url),
            _export("REFNET_HUBSPOT__ACCESS_TOKEN", sandbox.hubspot_token),
            "",
            "Or the OAuth client-credentials flow (simple-salesforce domain=):",
            _export("REFNET_SALESFORCE__CONSUMER_KEY", login.client_id),
            _export("REFNET_SALESFORCE__CONSUMER_SECRET", login.client_secret),
            _export("REFNET_SALESFORCE__DOMAIN", sandbox.salesforce_login_domain),
            "",
            "Metadata API (zeep) trusts the sandbox only through the environment:",
            _export("REQUESTS_CA_BUNDLE", sandbox.combined_ca_bundle),
        ]
    )


@app.command()
def serve(
    state_dir: Annotated[
        Path, typer.Option(help="Directory for the database and the private CA.")
    ] = Path(".refnet-sandbox"),
    db: Annotated[
        Path | None, typer.Option(help="SQLite file (default: <state-dir>/sandbox.db).")
    ] = None,
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    port_salesforce: Annotated[
        int, typer.Option(help="Port of the fake Salesforce (https); 0 picks a free one.")
    ] = DEFAULT_SALESFORCE_PORT,
    port_hubspot: Annotated[
        int, typer.Option(help="Port of the fake HubSpot (http); 0 picks a free one.")
    ] = DEFAULT_HUBSPOT_PORT,
    rate_limit: Annotated[
        int | None,
        typer.Option(help="HubSpot requests per rolling 10 s (off when not given)."),
    ] = None,
    daily_limit: Annotated[
        int, typer.Option(help="HubSpot requests per day when --rate-limit is on.")
    ] = 1_000_000,
    salesforce_daily_limit: Annotated[
        int, typer.Option(help="Salesforce API requests per 24 h before 403.")
    ] = 15_000,
    custom_objects: Annotated[
        bool,
        typer.Option(help="Emulate an Enterprise HubSpot portal (custom objects allowed)."),
    ] = True,
    populated: Annotated[
        bool,
        typer.Option(
            "--populated/--empty",
            help="Start the Salesforce org (Accounts, Contacts, Opportunities) and the "
            "HubSpot portal (contacts, companies, a second deal pipeline) with a customer's "
            "records, or empty.",
        ),
    ] = True,
    query_batch_size: Annotated[
        int, typer.Option(min=1, help="Salesforce query page size (nextRecordsUrl paging).")
    ] = 2000,
    stats: Annotated[
        bool,
        typer.Option(
            "--stats",
            help="Print the Salesforce org's Accounts, Contacts, Opportunities and "
            "duplicates, then exit instead of serving.",
        ),
    ] = False,
) -> None:
    """Serve both fake CRMs until interrupted."""
    if stats:
        _print_stats(state_dir, db, populated)
        return
    config = SandboxConfig(
        host=host,
        salesforce_port=port_salesforce,
        hubspot_port=port_hubspot,
        db_path=db,
        query_batch_size=query_batch_size,
        custom_objects=custom_objects,
        hubspot_rate_limit=HubSpotRateLimit(per_interval=rate_limit, daily=daily_limit)
        if rate_limit
        else None,
        salesforce_daily_limit=salesforce_daily_limit,
        salesforce_populated=populated,
        hubspot_populated=populated,
    )
    try:
        sandbox = start_sandbox(state_dir, config)
    except OSError as error:
        typer.echo(f"error: cannot start the sandbox: {error}", err=True)
        raise typer.Exit(1) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    typer.echo(_summary(sandbox))
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
        typer.echo("sandbox stopped.")


def _print_stats(state_dir: Path, db: Path | None, populated: bool) -> None:
    """Counts of the org, private records included, and its duplicates.

    A duplicate is a second Contact with the same e-mail or a second Account with the same
    organisation name as the org's duplicate rules compare them; equal counts before and
    after a sync prove the sync added none.
    """
    config = SandboxConfig(
        salesforce_port=0,
        hubspot_port=0,
        db_path=db,
        salesforce_populated=populated,
        hubspot_populated=populated,
    )
    sandbox = start_sandbox(state_dir, config)
    try:
        counts = org_counts(sandbox.salesforce.records)
    finally:
        sandbox.stop()
    duplicates = counts.pop("duplicates")
    # The object names are Salesforce's API names and stay as they are in every language.
    typer.echo(
        _(
            "Salesforce org: {counts}; duplicates (a 2nd Contact per e-mail, Account per "
            "organisation): {duplicates}"
        ).format(
            counts=", ".join(f"{name} {format_number(count)}" for name, count in counts.items()),
            duplicates=format_number(duplicates),
        )
    )
