"""``refnet club``: grow the customer club, moderate it, and review it as a pilot.

``invite-candidates``, ``todo`` and ``review`` only read; ``invite``, ``invitation``,
``moderator``, ``introduction`` and ``pilot`` write, each change with its audit entry.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

import typer

from connector.cli.club_output import print_candidates, print_review, print_todo
from connector.cli.json_flag import JsonFlag
from connector.cli.output import print_changes, print_json
from connector.cli.state import CliState
from connector.club import (
    club_todo,
    load_club_facts,
    rank_invite_candidates,
    resolve_club,
    review_pilot,
)
from connector.club.service import (
    IntroductionFollowUp,
    answer_invitation,
    invite,
    set_follow_up,
    set_moderator,
    set_pilot,
)
from connector.errors import InputError
from connector.i18n import gettext as _
from connector.model import PilotGoals, utcnow
from connector.rules import StageChange

__all__ = ["club_app", "register"]

# German offices write 31.12.2026; scripts write 2026-12-31. Both are accepted.
_DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
ClubOption = Annotated[
    str | None,
    typer.Option("--club", help=_("The club (id); may be left out if there is one.")),
]
AsOf = Annotated[
    datetime | None,
    typer.Option(formats=_DATE_FORMATS, help=_("As of this day (default: today).")),
]
OnDay = Annotated[
    datetime | None,
    typer.Option("--on", formats=_DATE_FORMATS, help=_("The day it happened (default: today).")),
]
Reason = Annotated[str, typer.Option(help=_("Why; stored in the audit trail."))]

club_app = typer.Typer(
    help=_("The customer club: whom to invite, invitations, moderation, to-dos, pilot review."),
    no_args_is_help=True,
)


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else utcnow().date()


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InputError(_("--reason must not be empty: it is the audit trail's 'why'"))
    return reason


def _print_changes(changes: list[StageChange], record: object, as_json: bool) -> None:
    if as_json:
        print_json({"record": record, "changes": changes})
        return
    print_changes(changes)


@club_app.command(
    "invite-candidates",
    help=_(
        "Rank customers to invite: loyal, positive, willing (already refer), connected to members."
    ),
)
def invite_candidates(
    ctx: typer.Context,
    club: ClubOption = None,
    top: Annotated[int, typer.Option(min=1, help=_("Rows to show."))] = 10,
    as_of: AsOf = None,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        facts = load_club_facts(tx, resolve_club(tx, club), with_connections=True)
    ranked = rank_invite_candidates(
        facts, state.settings.rules.club.invite_weights, as_of=_day(as_of), top=top
    )
    if as_json:
        print_json(ranked)
        return
    print_candidates(ranked)


@club_app.command(
    "invite", help=_("Invite a customer to the club (or renew a declined invitation).")
)
def invite_command(
    ctx: typer.Context,
    member_id: Annotated[str, typer.Argument(metavar="MEMBER", help=_("The customer (id)."))],
    club: ClubOption = None,
    on: OnDay = None,
    reason: Reason = "invited to the club",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    membership, changes = invite(
        state.store,
        member_id,
        club_id=club,
        on=_day(on),
        reason=_reason(reason),
        actor=state.actor,
        rules=state.settings.rules,
    )
    _print_changes(changes, membership, as_json)


class Answer(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


@club_app.command("invitation", help=_("Record the answer to an invitation."))
def invitation_command(
    ctx: typer.Context,
    answer: Annotated[Answer, typer.Argument(help=_("accept (the trial starts) or decline."))],
    member_id: Annotated[str, typer.Argument(metavar="MEMBER", help=_("The invited customer."))],
    club: ClubOption = None,
    on: OnDay = None,
    accept_rules: Annotated[
        int | None, typer.Option(help=_("The club rules version the member accepts."))
    ] = None,
    reason: Reason = "",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    accepted = answer is Answer.ACCEPT
    membership, changes = answer_invitation(
        state.store,
        member_id,
        accept=accepted,
        club_id=club,
        on=_day(on),
        reason=reason.strip()
        or ("accepted the invitation" if accepted else "declined the invitation"),
        actor=state.actor,
        rules=state.settings.rules,
        accepted_rules_version=accept_rules,
    )
    _print_changes(changes, membership, as_json)


@club_app.command(
    "moderator", help=_("Make an employee the club's moderator (connects members, follows up).")
)
def moderator_command(
    ctx: typer.Context,
    employee_id: Annotated[str, typer.Argument(metavar="EMPLOYEE", help=_("The employee (id)."))],
    club: ClubOption = None,
    reason: Reason = "moderates the club",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    moved, change = set_moderator(
        state.store, employee_id, club_id=club, reason=_reason(reason), actor=state.actor
    )
    _print_changes([change], moved, as_json)


def _amount(value: str | None) -> Decimal | None:
    if value is None:
        return None
    # German sales teams type 12.500,00; scripts type 12500.00.
    text = value.strip()
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InputError(
            _("--value: '{value}' is not an amount (e.g. 12.500,00)").format(value=value)
        ) from None


@club_app.command(
    "introduction", help=_("Record an introduction's follow-up date, outcome and value.")
)
def introduction_command(
    ctx: typer.Context,
    introduction_id: Annotated[
        str, typer.Argument(metavar="INTRODUCTION", help=_("The introduction's id."))
    ],
    follow_up: Annotated[
        datetime | None, typer.Option(formats=_DATE_FORMATS, help=_("When to follow up."))
    ] = None,
    outcome: Annotated[str | None, typer.Option(help=_("What came of it."))] = None,
    value: Annotated[str | None, typer.Option(help=_("Business it led to, in EUR."))] = None,
    reason: Reason = "moderation",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    moved, changes = set_follow_up(
        state.store,
        introduction_id,
        IntroductionFollowUp(follow_up.date() if follow_up else None, outcome, _amount(value)),
        reason=_reason(reason),
        actor=state.actor,
    )
    _print_changes(changes, moved, as_json)


@club_app.command("pilot", help=_("Give the club its test phase (one to two years) with goals."))
def pilot_command(
    ctx: typer.Context,
    start: Annotated[datetime, typer.Option(formats=_DATE_FORMATS, help=_("First day."))],
    end: Annotated[datetime, typer.Option(formats=_DATE_FORMATS, help=_("Last day."))],
    members: Annotated[int | None, typer.Option(min=1, help=_("Goal: members by the end."))] = None,
    referrals: Annotated[
        int | None, typer.Option(min=1, help=_("Goal: referrals between members."))
    ] = None,
    business: Annotated[
        str | None, typer.Option(help=_("Goal: business value for members, in EUR."))
    ] = None,
    club: ClubOption = None,
    reason: Reason = "test phase agreed",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    moved, change = set_pilot(
        state.store,
        club_id=club,
        starts_on=start.date(),
        ends_on=end.date(),
        goals=PilotGoals(members=members, referrals=referrals, business_value=_amount(business)),
        reason=_reason(reason),
        actor=state.actor,
        rules=state.settings.rules,
    )
    _print_changes([change], moved, as_json)


@club_app.command(
    "todo",
    help=_("What the moderator has to do: follow-ups, trials ending, quiet members, pilot end."),
)
def todo_command(
    ctx: typer.Context, club: ClubOption = None, as_of: AsOf = None, as_json: JsonFlag = False
) -> None:
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        facts = load_club_facts(tx, resolve_club(tx, club))
    items = club_todo(facts, state.settings.rules.club, as_of=_day(as_of))
    if as_json:
        print_json(items)
        return
    print_todo(items)


@club_app.command(
    "review",
    help=_(
        "Review the pilot: goals vs actuals, members vs comparable non-members, a recommendation."
    ),
)
def review_command(
    ctx: typer.Context, club: ClubOption = None, as_of: AsOf = None, as_json: JsonFlag = False
) -> None:
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        facts = load_club_facts(tx, resolve_club(tx, club))
    review = review_pilot(facts, state.settings.rules.club, as_of=_day(as_of))
    if as_json:
        print_json(review)
        return
    print_review(review)


def register(app: typer.Typer) -> None:
    app.add_typer(club_app, name="club")
