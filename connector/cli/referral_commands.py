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
from connector.cli.naming import MEMBER_HELP, names_of
from connector.cli.output import console, print_changes, print_json, table
from connector.cli.records import referrals_app
from connector.cli.state import CliState
from connector.lookup import find
from connector.model import ReferralStatus, Sentiment
from connector.referrals import NewProspect, log_referral, reopen, update_referral

__all__ = ["register"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
AmountOption = Annotated[
    str | None,
    typer.Option(help="Value, as German or English number: 12.500,00 or 12500.00."),
]
CurrencyOption = Annotated[str | None, typer.Option(help="ISO currency code, e.g. EUR or CHF.")]


@referrals_app.command("add")
def add(
    ctx: typer.Context,
    referrer: Annotated[str, typer.Option(help=f"Who recommended: {MEMBER_HELP}.")],
    referred: Annotated[
        str | None,
        typer.Option(help=f"The person recommended, if already a member: {MEMBER_HELP}."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The person recommended, if new: their name.")
    ] = None,
    company: Annotated[str | None, typer.Option(help="The new person's company.")] = None,
    email: Annotated[str | None, typer.Option(help="The new person's e-mail.")] = None,
    recipient: Annotated[
        str | None,
        typer.Option(help=f"The club member it was given to (default: us): {MEMBER_HELP}."),
    ] = None,
    note: Annotated[str | None, typer.Option(help="What the referral is about.")] = None,
    deal: Annotated[str | None, typer.Option(help="The CRM deal / opportunity id.")] = None,
    sentiment: Annotated[
        Sentiment, typer.Option(help="How the referrer spoke of us.")
    ] = Sentiment.POSITIVE,
    amount: AmountOption = None,
    currency: Annotated[
        str | None,
        typer.Option(help="ISO currency code of --amount (default: [money] default_currency)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Log a new referral; a person not yet in the network becomes a prospect.

    Name the referred person with --referred (a member) or with --name, --company and
    --email (a new prospect; someone already known by that e-mail, or by name and company,
    is not created twice). Example:

    refnet referrals add --referrer "Uwe Schaefer" --name "Jonas Vogel"
    --company "Vogel Sondermaschinen GmbH" --email jonas.vogel@vogel.example
    """
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
        f"referral {referral.id} logged: {names[referral.referrer_id]} recommended "
        f"{person.name}{f' ({person.organisation})' if person.organisation else ''} to "
        f"{names[referral.recipient_id] if referral.recipient_id else 'us'}",
        markup=False,
    )
    if logged.referred_created:
        console.print(f"new prospect {person.id}: {person.name}", markup=False)
    else:
        console.print(f"already in the network: {person.id} ({person.name})", markup=False)


@referrals_app.command("update")
def update(
    ctx: typer.Context,
    referral_id: Annotated[str, typer.Argument(metavar="REFERRAL", help="The referral's id.")],
    amount: AmountOption = None,
    currency: CurrencyOption = None,
    deal: Annotated[
        str | None, typer.Option(help="The CRM deal / opportunity id ('' clears it).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="The note ('' clears it).")] = None,
    reason: Annotated[
        str, typer.Option(help="Why; stored in the audit trail.")
    ] = "corrected by hand",
    as_json: JsonFlag = False,
) -> None:
    """Correct a referral's amount, currency, deal or note (its status: `refnet advance`)."""
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
        console.print(f"referral {referral_id}: nothing changed", markup=False)
        return
    print_changes(changes)


@referrals_app.command("reopen")
def reopen_command(
    ctx: typer.Context,
    referral_id: Annotated[str, typer.Argument(metavar="REFERRAL", help="The referral's id.")],
    reason: Annotated[str, typer.Option(help="Why the won or lost was wrong (audit trail).")],
    to: Annotated[
        ReferralStatus | None,
        typer.Option(help="The open state to return to (default: the one before it closed)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Correct a wrong won or lost: reopen the referral; the audit keeps both.

    The referrer's ladder stage is not moved down: if the rung is no longer earned, the
    demotion is proposed (here and in `refnet report`); decide it with `refnet advance
    member ...`.
    """
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
            f"demotion proposed, not made: {name} ({proposal.member_id}) "
            f"{proposal.current} → {proposal.proposed}: {proposal.reason}; decide with "
            f"`refnet advance member {proposal.member_id} {proposal.proposed} --reason ...`",
            markup=False,
        )


def find_command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A name, company, e-mail, id, deal id or note.")],
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many of each.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Find members, organisations and referrals by name, forgiving typos and umlauts."""
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
        console.print(f"nothing found for '{text}'", markup=False)
        return
    console.print(
        table(
            "members",
            ["id", "name", "organisation", "e-mail", "circle", "match"],
            (
                (h.id, h.name, h.organisation, h.email, h.circle, f"{h.matched_on} {h.score:.0f}")
                for h in found.members
            ),
        )
    )
    if found.organisations:
        console.print(
            table(
                "organisations",
                ["organisation", "members", "match"],
                (
                    (o.name, ", ".join(names.get(i, i) for i in o.member_ids), f"{o.score:.0f}")
                    for o in found.organisations
                ),
            )
        )
    if found.referrals:
        console.print(
            table(
                "referrals",
                ["id", "referrer", "referred", "recipient", "status", "amount", "date"],
                (
                    (
                        r.id,
                        names.get(r.referrer_id, r.referrer_id),
                        names.get(r.referred_id, r.referred_id),
                        names.get(r.recipient_id, r.recipient_id) if r.recipient_id else "us",
                        r.status,
                        f"{r.amount:,.2f} {r.currency}" if r.amount is not None else "",
                        r.created_at.date(),
                    )
                    for r in found.referrals
                ),
            )
        )


def register(app: typer.Typer) -> None:
    """Adds ``find``; the ``referrals`` sub-commands join ``records.referrals_app`` on import."""
    app.command("find")(find_command)
