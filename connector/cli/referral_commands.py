"""``refnet referrals add | update | reopen`` and ``refnet find``: a sales user's daily work.

Logging, correcting and finding referrals by the names people use. The commands parse what
was typed (amounts as German or English numbers, members by id, e-mail, name or company)
and call the domain services (:mod:`connector.referrals`, :mod:`connector.lookup`), which
write through the same rules and audit trail as imports and CRM events.
"""

from __future__ import annotations

from typing import Annotated

import typer

from connector.amounts import parse_amount, parse_currency
from connector.cli.json_flag import JsonFlag
from connector.cli.naming import MEMBER_HELP, names_of
from connector.cli.output import console, number, print_changes, print_json, table
from connector.cli.records import referrals_app, referrals_table
from connector.cli.state import CliState
from connector.cli.words import word
from connector.i18n import gettext as _
from connector.lookup import find
from connector.model import ReferralStatus, Sentiment
from connector.referrals import NewProspect, log_referral, reopen, update_referral

__all__ = ["register"]

AmountOption = Annotated[
    str | None,
    typer.Option(help=_("Value, as German or English number: 12.500,00 or 12500.00.")),
]
CurrencyOption = Annotated[str | None, typer.Option(help=_("ISO currency code, e.g. EUR or CHF."))]

_ADD_HELP = _(
    "Log a new referral; a person not yet in the network becomes a prospect.\n\n"
    "Name the referred person with --referred (a member) or with --name, --company and "
    "--email (a new prospect; someone already known by that e-mail, or by name and company, "
    "is not created twice). Example:\n\n"
    'refnet referrals add --referrer "Uwe Schaefer" --name "Jonas Vogel" '
    '--company "Vogel Sondermaschinen GmbH" --email jonas.vogel@vogel.example'
)


@referrals_app.command("add", help=_ADD_HELP)
def add(
    ctx: typer.Context,
    referrer: Annotated[
        str, typer.Option(help=_("Who recommended: {what}.").format(what=MEMBER_HELP))
    ],
    referred: Annotated[
        str | None,
        typer.Option(
            help=_("The person recommended, if already a member: {what}.").format(what=MEMBER_HELP)
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help=_("The person recommended, if new: their name."))
    ] = None,
    company: Annotated[str | None, typer.Option(help=_("The new person's company."))] = None,
    email: Annotated[str | None, typer.Option(help=_("The new person's e-mail."))] = None,
    recipient: Annotated[
        str | None,
        typer.Option(
            help=_("The club member it was given to (default: us): {what}.").format(
                what=MEMBER_HELP
            )
        ),
    ] = None,
    note: Annotated[str | None, typer.Option(help=_("What the referral is about."))] = None,
    deal: Annotated[str | None, typer.Option(help=_("The CRM deal / opportunity id."))] = None,
    sentiment: Annotated[
        Sentiment, typer.Option(help=_("How the referrer spoke of us."))
    ] = Sentiment.POSITIVE,
    amount: AmountOption = None,
    currency: Annotated[
        str | None,
        typer.Option(help=_("ISO currency code of --amount (default: [money] default_currency).")),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    prospect = NewProspect(name, company, email) if name is not None else None
    if prospect is None and (company or email):
        prospect = NewProspect(company or email or "", company, email)
    where = f"referral from '{referrer}'"
    logged = log_referral(
        state.store,
        referrer=referrer,
        referred=referred,
        prospect=prospect,
        recipient=recipient,
        note=note,
        deal_id=deal,
        sentiment=sentiment,
        amount=parse_amount(amount, record=where) if amount is not None else None,
        currency=parse_currency(currency or state.settings.money.default_currency, record=where),
        actor=state.actor,
        rules=state.settings.rules,
    )
    referral = logged.referral
    if as_json:
        print_json(
            {
                "referral": referral,
                "referred": logged.referred,
                "referred_created": logged.referred_created,
                "changes": logged.changes,
            }
        )
        return
    names = names_of(state, [referral.referrer_id, referral.recipient_id])
    person = logged.referred
    console.print(
        _("referral {id} logged: {referrer} recommended {referred} to {recipient}").format(
            id=referral.id,
            referrer=names[referral.referrer_id],
            referred=person.name + (f" ({person.organisation})" if person.organisation else ""),
            recipient=names[referral.recipient_id] if referral.recipient_id else _("us"),
        ),
        markup=False,
    )
    if logged.referred_created:
        console.print(
            _("new prospect {id}: {name}").format(id=person.id, name=person.name), markup=False
        )
    else:
        console.print(
            _("already in the network: {id} ({name})").format(id=person.id, name=person.name),
            markup=False,
        )


@referrals_app.command(
    "update",
    help=_("Correct a referral's amount, currency, deal or note (its status: `refnet advance`)."),
)
def update(
    ctx: typer.Context,
    referral_id: Annotated[str, typer.Argument(metavar="REFERRAL", help=_("The referral's id."))],
    amount: AmountOption = None,
    currency: CurrencyOption = None,
    deal: Annotated[
        str | None, typer.Option(help=_("The CRM deal / opportunity id ('' clears it)."))
    ] = None,
    note: Annotated[str | None, typer.Option(help=_("The note ('' clears it)."))] = None,
    reason: Annotated[
        str, typer.Option(help=_("Why; stored in the audit trail."))
    ] = "corrected by hand",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    where = f"referral '{referral_id}'"
    changes = update_referral(
        state.store,
        referral_id,
        amount=parse_amount(amount, record=where) if amount is not None else None,
        currency=parse_currency(currency, record=where) if currency is not None else None,
        deal_id=deal,
        note=note,
        reason=reason,
        actor=state.actor,
    )
    if as_json:
        print_json(changes)
        return
    if not changes:
        console.print(_("referral {id}: nothing changed").format(id=referral_id), markup=False)
        return
    print_changes(changes)


@referrals_app.command(
    "reopen",
    help=_(
        "Correct a wrong won or lost: reopen the referral; the audit keeps both.\n\n"
        "The referrer's ladder stage is not moved down: if the rung is no longer earned, the "
        "demotion is proposed (here and in `refnet report`); decide it with `refnet advance "
        "member ...`."
    ),
)
def reopen_command(
    ctx: typer.Context,
    referral_id: Annotated[str, typer.Argument(metavar="REFERRAL", help=_("The referral's id."))],
    reason: Annotated[str, typer.Option(help=_("Why the won or lost was wrong (audit trail)."))],
    to: Annotated[
        ReferralStatus | None,
        typer.Option(help=_("The open state to return to (default: the one before it closed).")),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    done = reopen(
        state.store,
        referral_id,
        reason=reason,
        to=to,
        actor=state.actor,
        rules=state.settings.rules,
    )
    if as_json:
        print_json({"changes": done.changes, "demotion_proposed": done.proposal})
        return
    print_changes(done.changes)
    if done.proposal is not None:
        proposal = done.proposal
        name = names_of(state, [proposal.member_id]).get(proposal.member_id, "?")
        console.print(
            _(
                "demotion proposed, not made: {name} ({id}) {current} → {proposed}: {reason}; "
                "decide with `refnet advance member {id} {raw_proposed} --reason ...`"
            ).format(
                name=name,
                id=proposal.member_id,
                current=word("ladder stage", proposal.current),
                proposed=word("ladder stage", proposal.proposed),
                reason=proposal.reason,
                raw_proposed=proposal.proposed,
            ),
            markup=False,
        )


def find_command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help=_("A name, company, e-mail, id, deal id or note."))],
    limit: Annotated[int, typer.Option(min=1, help=_("Show at most this many of each."))] = 20,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        found = find(tx, text, limit=limit)
    parties = [i for r in found.referrals for i in (r.referrer_id, r.referred_id, r.recipient_id)]
    names = names_of(state, [*parties, *(i for o in found.organisations for i in o.member_ids)])
    if as_json:
        print_json(
            {
                "members": found.members,
                "organisations": found.organisations,
                "referrals": found.referrals,
                "names": {i: names[i] for i in sorted(names)},
            }
        )
        return
    if not (found.members or found.organisations or found.referrals):
        console.print(_("nothing found for '{text}'").format(text=text), markup=False)
        return
    console.print(
        table(
            _("members"),
            [_("id"), _("name"), _("organisation"), _("e-mail"), _("circle"), _("match")],
            (
                (
                    h.id,
                    h.name,
                    h.organisation,
                    h.email,
                    word("circle", h.circle),
                    f"{word('match', h.matched_on)} {number(h.score, digits=0)}",
                )
                for h in found.members
            ),
        )
    )
    if found.organisations:
        console.print(
            table(
                _("organisations"),
                [_("organisation"), _("members"), _("match")],
                (
                    (
                        o.name,
                        ", ".join(names.get(i, i) for i in o.member_ids),
                        number(o.score, digits=0),
                    )
                    for o in found.organisations
                ),
            )
        )
    if found.referrals:
        console.print(referrals_table(_("referrals"), found.referrals, names))


def register(app: typer.Typer) -> None:
    """Adds ``find``; the ``referrals`` sub-commands join ``records.referrals_app`` on import."""
    app.command(
        "find",
        help=_("Find members, organisations and referrals by name, forgiving typos and umlauts."),
    )(find_command)
