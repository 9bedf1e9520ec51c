"""The ``refnet`` command line.

Exit codes scripts can rely on: 0 done, 1 unexpected error, 2 usage error, 3 invalid input
(nothing written), 4 not found, 5 illegal stage change, 6 configuration error, 7 temporary
failure (retry later), 8 refused by a CRM. CRM sub-commands (``salesforce``, ``sandbox``,
...) come from adapters through the ``refnet.commands`` entry points and are imported only
when used, so the core commands start fast and never load a vendor SDK.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from connector.cli import club as club_commands
from connector.cli import contributions as contributions_commands
from connector.cli import events as events_commands
from connector.cli import inbox as inbox_commands
from connector.cli import (
    intel,
    network,
    records,
    referral_commands,  # sales users: referrals add/update/reopen, find
    referral_links,
    reporting,
    syncing,
)
from connector.cli.output import err_console
from connector.cli.state import CliState
from connector.cli.typer_words import translate_typer
from connector.errors import AmbiguousMatch, ImportRejected, RefnetError
from connector.i18n import gettext as _

__all__ = ["app", "main"]

PLUGIN_GROUP = "refnet.commands"
_MAX_ROW_ERRORS_SHOWN = 50


def _plugins() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}


def _report(error: RefnetError) -> None:
    if isinstance(error, AmbiguousMatch):  # one candidate a line, to pick an id from
        err_console.print(
            "[bold red]{label}[/] {message}".format(
                label=escape(_("error:")), message=escape(error.headline)
            ),
            highlight=False,
        )
        for record_id, what in error.candidates:
            err_console.print(
                f"  {record_id}: {what}", markup=False, highlight=False, soft_wrap=True
            )
        return
    # The message is data, not markup: brackets in it must print as they are.
    err_console.print(
        "[bold red]{label}[/] {message}".format(
            label=escape(_("error:")), message=escape(str(error))
        ),
        highlight=False,
        soft_wrap=True,
    )
    if isinstance(error, ImportRejected):
        for row_error in error.errors[:_MAX_ROW_ERRORS_SHOWN]:
            err_console.print(f"  {row_error}", markup=False, highlight=False)
        hidden = len(error.errors) - _MAX_ROW_ERRORS_SHOWN
        if hidden > 0:
            err_console.print("  " + _("... and {count} more").format(count=hidden), markup=False)


class RefnetGroup(TyperGroup):
    """Turns refnet errors into messages and exit codes; loads adapter commands lazily.

    Contexts and commands are typed ``Any``: recent typer releases vendor their own click, so
    naming either click's or typer's private classes here would break on the other.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugins()})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in (plugins := _plugins()):
            try:
                sub_app = plugins[cmd_name].load()
            except ImportError as exc:
                # A broken adapter install must not take the core commands down with it.
                err_console.print(
                    _("warning: command '{command}' is unavailable: {reason}").format(
                        command=cmd_name, reason=exc.name or exc
                    ),
                    markup=False,
                )
                return None
            command = typer.main.get_command(sub_app)
            command.name = cmd_name
        return command

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RefnetError as error:
            _report(error)
            raise typer.Exit(error.exit_code) from None


translate_typer()
app = typer.Typer(
    cls=RefnetGroup,
    help=_("refnet: run a referral network (customers, employees, partners) inside your CRM."),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Read the settings once and hand them to every command (help: the app's, above)."""
    ctx.obj = CliState()


intel.register(app)
network.register(app)
records.register(app)
reporting.register(app)
syncing.register(app)
inbox_commands.register(app)
# -- the customer club (issue #18) --
club_commands.register(app)
referral_links.register()  # `refnet members link`
referral_commands.register(app)
# -- joint events (issue #18, items 6-7) --
events_commands.register(app)
# -- giving back: the contributions ledger and rewards (issue #18, item 5) --
contributions_commands.register(app)


def main() -> None:
    app(prog_name="refnet")
