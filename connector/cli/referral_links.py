"""``refnet members link MEMBER``: issue or revoke a member's referral form link."""

from __future__ import annotations

from typing import Annotated

import typer

from connector.cli.json_flag import JsonFlag
from connector.cli.output import console, day, print_json
from connector.cli.records import members_app
from connector.cli.state import CliState
from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.i18n import ngettext
from connector.model import utcnow
from connector.referral_form import (
    LinkSigner,
    issue_link,
    load_referral_form_settings,
    revoke_links,
)

__all__ = ["register"]


def link_member(
    ctx: typer.Context,
    member_id: Annotated[str, typer.Argument(metavar="MEMBER", help=_("The member's refnet id."))],
    revoke: Annotated[
        bool, typer.Option("--revoke", help=_("Revoke every link this member holds instead."))
    ] = False,
    reason: Annotated[
        str, typer.Option(help=_("Why the links are revoked; stored in the audit trail."))
    ] = "revoked by an admin",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    settings = load_referral_form_settings()
    if revoke:
        revoked = revoke_links(
            state.store, member_id, reason=reason, actor=state.actor, now=utcnow()
        )
        if as_json:
            print_json({"member_id": member_id, "revoked": revoked})
        else:
            console.print(
                # English keeps "link(s)" in both forms (scripts grep for it); German counts.
                ngettext(
                    "{count} link(s) of {member} revoked",
                    "{count} link(s) of {member} revoked",
                    len(revoked),
                ).format(count=len(revoked), member=member_id),
                markup=False,
            )
        return
    secret = settings.require_secret()
    if settings.public_base_url is None:
        raise ConfigError(
            _(
                "refnet members link needs REFNET_REFERRAL_FORM_PUBLIC_BASE_URL (the https URL "
                "of the webhook service, e.g. https://hooks.example.com)"
            )
        )
    signer = LinkSigner(secret, max_age=settings.link_max_age)
    issued = issue_link(state.store, signer, member_id, actor=state.actor)
    url = issued.url(settings.public_base_url)
    if as_json:
        print_json(
            {
                "member_id": member_id,
                "link_id": issued.link_id,
                "url": url,
                "expires_at": issued.expires_at.isoformat(),
            }
        )
        return
    # soft_wrap: the URL must stay one line, whatever the terminal's width.
    console.print(url, markup=False, highlight=False, soft_wrap=True)
    console.print(
        _("link {id} for {member}, valid until {day}").format(
            id=issued.link_id, member=member_id, day=day(issued.expires_at)
        ),
        markup=False,
        highlight=False,
    )


def register() -> None:
    """Add ``link`` to ``refnet members``."""
    members_app.command(
        "link",
        help=_(
            "Issue a signed link to the referral form for MEMBER (a customer or partner).\n\n"
            "The link opens a page of the webhook service where the member recommends someone; "
            "the submission becomes an open referral with MEMBER as referrer. Needs "
            "REFNET_REFERRAL_FORM_SECRET (the service must have the same) and "
            "REFNET_REFERRAL_FORM_PUBLIC_BASE_URL."
        ),
    )(link_member)
