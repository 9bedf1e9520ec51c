"""typer's own words in help pages and errors, in the reader's language.

typer prints its panel titles and markers ("Options", "Commands", "[required]", ...) from
module constants of ``typer.rich_utils``, the same ones its style settings live beside;
setting them is how a program adapts that output, so refnet sets them from its catalog once,
before any help page is drawn. typer's vendored click writes "Usage:" and the ``--help``
option's "Show this message and exit." as fixed English strings with no catalog to plug in:
those stay English.
"""

from __future__ import annotations

from typer import rich_utils

from connector.i18n import gettext as _

__all__ = ["translate_typer"]


def translate_typer() -> None:
    """Point typer's help and error words at refnet's catalog (current language)."""
    rich_utils.DEPRECATED_STRING = _("(deprecated) ")
    rich_utils.DEFAULT_STRING = _("[default: {}]")
    rich_utils.ENVVAR_STRING = _("[env var: {}]")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")
    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.ERRORS_PANEL_TITLE = _("Error")
    rich_utils.ABORTED_TEXT = _("Aborted.")
    rich_utils.RICH_HELP = _("Try [blue]'{command_path} {help_option}'[/] for help.")
