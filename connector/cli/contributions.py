"""``refnet contributions add | list`` and ``refnet rewards list | fulfil``: giving back.

Members are named by id, e-mail, name or company (:mod:`connector.lookup`); a side left out
is the company itself. Every write goes through :mod:`connector.contributions` with its
audit entry.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from connector.amounts import parse_amount, parse_currency
from connector.cli.naming import MEMBER_HELP, names_of, resolve_id
from connector.cli.output import console, print_changes, print_json, table
from connector.cli.state import CliState
from connector.contributions import (
    NewContribution,
    add_contribution,
    fulfil_reward,
    list_contributions,
)
from connector.contributions.labels import kind_label
from connector.i18n import format_date, format_money
from connector.i18n import gettext as _
from connector.model import Contribution, ContributionKind, ContributionStatus, utcnow

__all__ = ["contributions_app", "register", "rewards_app"]

# German offices write 31.12.2026; scripts write 2026-12-31. Both are accepted.
_DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
JsonFlag = Annotated[bool, typer.Option("--json", help=_("Print machine-readable JSON."))]
OnDay = Annotated[
    datetime | None,
    typer.Option("--on", formats=_DATE_FORMATS, help=_("The day it was given (default: today).")),
]

contributions_app = typer.Typer(
    help=_("Giving back: introductions, joint events, favours and rewards (who gave whom what)."),
    no_args_is_help=True,
)
rewards_app = typer.Typer(
    help=_("Thank-you rewards the reward rule owes, and giving them."), no_args_is_help=True
)


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else utcnow().date()


def _print_list(state: CliState, title: str, found: list[Contribution]) -> None:
    names = names_of(state, [i for c in found for i in (c.giver_id, c.receiver_id)])
    us = _("us")
    console.print(
        table(
            title,
            [_("id"), _("kind"), _("from"), _("to"), _("what"), _("worth"), _("given on")],
            (
                (
                    c.id,
                    kind_label(c.kind),
                    names.get(c.giver_id, c.giver_id) if c.giver_id else us,
                    names.get(c.receiver_id, c.receiver_id) if c.receiver_id else us,
                    c.description,
                    format_money(c.value, c.currency) if c.value is not None and c.currency else "",
                    format_date(c.given_on) if c.given_on else _("pending"),
                )
                for c in found
            ),
        )
    )


@contributions_app.command("add")
def add(
    ctx: typer.Context,
    kind: Annotated[ContributionKind, typer.Option(help=_("What was given."))],
    description: Annotated[str, typer.Option(help=_("What it was, in a few words."))],
    giver: Annotated[
        str | None, typer.Option("--from", help=_("Who gave it (default: us): ") + MEMBER_HELP)
    ] = None,
    receiver: Annotated[
        str | None, typer.Option("--to", help=_("Who received it (default: us): ") + MEMBER_HELP)
    ] = None,
    on: OnDay = None,
    value: Annotated[
        str | None, typer.Option(help=_("Worth, as German or English number: 250,00 or 250.00."))
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            help=_("ISO currency code of --value (default: the default currency of the settings).")
        ),
    ] = None,
    event: Annotated[
        str | None, typer.Option(help=_("The joint event it was given at (its reference)."))
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a contribution: e.g. a favour a partner did us, an introduction we made.

    refnet contributions add --kind favour --from "Volksbank" --description "Vortrag beim
    Kundenclub" --value 500
    """
    state: CliState = ctx.obj
    where = _("contribution '{description}'").format(description=description)
    new = NewContribution(
        kind=kind,
        description=description,
        giver=giver,
        receiver=receiver,
        given_on=_day(on),
        value=parse_amount(value, record=where) if value is not None else None,
        currency=parse_currency(currency or state.settings.money.default_currency, record=where),
        event_ref=event,
    )
    contribution, changes = add_contribution(state.store, new, actor=state.actor)
    if as_json:
        print_json({"contribution": contribution, "changes": changes})
        return
    console.print(
        _("contribution {id} recorded").format(id=contribution.id), markup=False, highlight=False
    )
    print_changes(changes)


@contributions_app.command("list")
def list_command(
    ctx: typer.Context,
    member: Annotated[
        str | None, typer.Option(help=_("Only those a member gave or received: ") + MEMBER_HELP)
    ] = None,
    kind: Annotated[ContributionKind | None, typer.Option(help=_("Only this kind."))] = None,
    status: Annotated[ContributionStatus | None, typer.Option(help=_("Only this status."))] = None,
    as_json: JsonFlag = False,
) -> None:
    """Contributions, newest first."""
    state: CliState = ctx.obj
    member_id = resolve_id(state, member) if member else None
    with state.store.reading() as tx:
        found = list_contributions(tx, member_id=member_id, status=status, kind=kind)
    if as_json:
        print_json({"contributions": found})
        return
    _print_list(state, _("contributions"), found)


@rewards_app.command("list")
def rewards_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Rewards owed and not yet given, newest first."""
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        found = list_contributions(
            tx, status=ContributionStatus.PENDING, kind=ContributionKind.REWARD
        )
    if as_json:
        print_json({"rewards": found})
        return
    _print_list(state, _("pending rewards"), found)


@rewards_app.command("fulfil")
def fulfil(
    ctx: typer.Context,
    reward_id: Annotated[str, typer.Argument(metavar="REWARD", help=_("The reward's id."))],
    on: OnDay = None,
    as_json: JsonFlag = False,
) -> None:
    """Mark a pending reward as given: from then on it counts in the win-win balance."""
    state: CliState = ctx.obj
    reward, changes = fulfil_reward(state.store, reward_id, on=_day(on), actor=state.actor)
    if as_json:
        print_json({"reward": reward, "changes": changes})
        return
    console.print(
        _("reward {id} given on {day}").format(id=reward.id, day=format_date(_day(on))),
        markup=False,
        highlight=False,
    )
    print_changes(changes)


def register(app: typer.Typer) -> None:
    app.add_typer(contributions_app, name="contributions")
    app.add_typer(rewards_app, name="rewards")
