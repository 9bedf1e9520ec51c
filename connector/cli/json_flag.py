"""``--json``: the option every listing command shares, machine-readable and language-neutral."""

from __future__ import annotations

from typing import Annotated

import typer

from connector import i18n
from connector.i18n import gettext as _

__all__ = ["JsonFlag"]


def _speak_the_source_language(value: bool) -> bool:
    # Scripts parse --json output. Keys and enum values are neutral anyway; the texts inside
    # it (reasons, explanations) must not change with the reader's locale either, so a
    # --json command runs in English, refnet's source language.
    if value:
        i18n.set_language("en")
    return value


JsonFlag = Annotated[
    bool,
    typer.Option(
        "--json", help=_("Print machine-readable JSON."), callback=_speak_the_source_language
    ),
]
