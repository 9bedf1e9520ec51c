"""``refnet events``: joint events (club evenings, partner events) and who attended.

``add`` and ``attend`` write, with their audit entries, and refresh the last contact of the
connections between everyone present (:mod:`connector.joint_events`); ``list`` only reads.
Members are named as everywhere else: id, e-mail, name or company (:mod:`connector.cli.naming`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from connector.cli.naming import MEMBER_HELP, names_of, resolve_id
from connector.cli.output import console, print_changes, print_json, table
from connector.cli.state import CliState
from connector.errors import InputError
from connector.i18n import format_date, ngettext
from connector.i18n import gettext as _
from connector.joint_events import EventChanges, add_event, attend, list_events
from connector.model import JointEventKind, utcnow

__all__ = ["events_app", "register"]

# German offices write 31.12.2026; scripts write 2026-12-31. Both are accepted.
_DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]
JsonFlag = Annotated[bool, typer.Option("--json", help=_("Print machine-readable JSON."))]
Reason = Annotated[str, typer.Option(help=_("Why; stored in the audit trail."))]

events_app = typer.Typer(
    help=_("Joint events: club evenings and partner events, and who attended."),
    no_args_is_help=True,
)


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InputError(_("--reason must not be empty: it is the audit trail's 'why'"))
    return reason


def _print(result: EventChanges, as_json: bool) -> None:
    if as_json:
        print_json({"event": result.event, "changes": result.changes})
        return
    print_changes(result.changes)
    console.print(
        ngettext(
            "{count} relationship refreshed (last contact {day})",
            "{count} relationships refreshed (last contact {day})",
            result.refreshed,
        ).format(count=result.refreshed, day=format_date(result.event.held_on)),
        markup=False,
        highlight=False,
    )


@events_app.command(
    "add", help=_("Record a joint event; its attendees' relationships are refreshed to its day.")
)
def add_command(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help=_("What the event is called."))],
    on: Annotated[datetime, typer.Option("--on", formats=_DATE_FORMATS, help=_("The day."))],
    host: Annotated[
        str, typer.Option(help=_("The hosting employee: {what}.").format(what=MEMBER_HELP))
    ],
    kind: Annotated[JointEventKind, typer.Option(help=_("What kind of event."))] = (
        JointEventKind.CLUB_EVENING
    ),
    club: Annotated[str | None, typer.Option(help=_("The club (id) it belongs to."))] = None,
    attendee: Annotated[
        list[str] | None,
        typer.Option(help=_("An attendee ({what}); repeat it.").format(what=MEMBER_HELP)),
    ] = None,
    reason: Reason = "joint event held",
    as_json: JsonFlag = False,
) -> None:
    """Record a joint event; its attendees' relationships are refreshed to its day."""
    state: CliState = ctx.obj
    result = add_event(
        state.store,
        title=title,
        held_on=on.date(),
        host_id=resolve_id(state, host),
        kind=kind,
        club_id=club,
        attendee_ids=[resolve_id(state, a) for a in attendee or []],
        reason=_reason(reason),
        actor=state.actor,
    )
    _print(result, as_json)


@events_app.command(
    "attend", help=_("Record that members attended an event (refreshes their relationships).")
)
def attend_command(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(metavar="EVENT", help=_("The event (id)."))],
    members: Annotated[list[str], typer.Argument(metavar="MEMBER...", help=MEMBER_HELP)],
    reason: Reason = "attended the joint event",
    as_json: JsonFlag = False,
) -> None:
    """Record that members attended an event (refreshes their relationships)."""
    state: CliState = ctx.obj
    result = attend(
        state.store,
        event_id,
        [resolve_id(state, m) for m in members],
        reason=_reason(reason),
        actor=state.actor,
    )
    _print(result, as_json)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@events_app.command("list", help=_("Joint events, oldest first, with host and attendees."))
def list_command(
    ctx: typer.Context,
    since: Annotated[
        datetime | None, typer.Option("--from", formats=_DATE_FORMATS, help=_("First day."))
    ] = None,
    until: Annotated[
        datetime | None, typer.Option("--to", formats=_DATE_FORMATS, help=_("Last day."))
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Joint events, oldest first, with host and attendees."""
    state: CliState = ctx.obj
    with state.store.reading() as tx:
        events = list_events(tx, start=_day(since), end=_day(until))
    if as_json:
        print_json(events)
        return
    names = names_of(state, [i for e in events for i in (e.host_id, *e.attendee_ids)])
    console.print(
        table(
            _("joint events (as of {day})").format(day=format_date(utcnow().date())),
            [_("id"), _("day"), _("title"), _("kind"), _("host"), _("attendees")],
            (
                (
                    e.id,
                    format_date(e.held_on),
                    e.title,
                    e.kind.value,
                    names.get(e.host_id, e.host_id),
                    ", ".join(names.get(a, a) for a in e.attendee_ids) or "-",
                )
                for e in events
            ),
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
