"""Members as commands take them: an id, an e-mail, a name or a company.

Every command that takes a member turns the user's text into one through
:func:`connector.lookup.resolve_member`, so all of them forgive the same typos and list the
same candidates when a text fits several members.
"""

from __future__ import annotations

from collections.abc import Iterable

from connector.cli.state import CliState
from connector.i18n import gettext as _
from connector.lookup import member_names, resolve_member_id

__all__ = ["MEMBER_HELP", "names_of", "resolve_id"]

MEMBER_HELP = _("id, e-mail, name or company (typos and missing umlauts are forgiven)")


def resolve_id(state: CliState, text: str) -> str:
    """The id of the one member ``text`` names (exit 4 if none, exit 3 listing several)."""
    with state.store.reading() as tx:
        return resolve_member_id(tx, text)


def names_of(state: CliState, ids: Iterable[str | None]) -> dict[str, str]:
    with state.store.reading() as tx:
        return member_names(tx, ids)
