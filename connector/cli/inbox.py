"""``refnet inbox``: see, replay and set aside webhook events (dead letters included).

``list`` and ``show`` read; ``retry`` puts events back in the queue the worker processes
(the same exactly-once path as a new event) and ``discard`` sets them aside. Both write
an audit entry per event, naming the actor (REFNET_ACTOR) and the reason given.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from connector.cli.json_flag import JsonFlag
from connector.cli.output import console, moment, number, print_json, table
from connector.cli.state import CliState
from connector.cli.words import word
from connector.errors import InputError
from connector.i18n import gettext as _
from connector.i18n import ngettext
from connector.inbox.admin import (
    STATUSES,
    InboxEntry,
    discard_events,
    get_entry,
    list_entries,
    retry_events,
)
from connector.inbox.heartbeats import WorkerBeat, list_workers
from connector.model import utcnow

__all__ = ["register"]

inbox_app = typer.Typer(
    help=_("Webhook events: list, show, retry, discard; the workers processing them."),
    no_args_is_help=True,
)

StatusOption = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        help=_("Only these statuses (repeatable): {statuses}.").format(
            statuses=", ".join(STATUSES)
        ),
    ),
]
ProviderOption = Annotated[
    str | None, typer.Option("--provider", help=_("Only this provider: hubspot or salesforce."))
]
AgeOption = Annotated[
    str | None,
    typer.Option(
        "--older-than",
        help=_("Only events received at least this long ago: 30m, 12h, 7d, P7D."),
    ),
]
_SHORT_AGE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_age(text: str) -> timedelta:
    """``30m``/``12h``/``7d``, or what pydantic reads as a duration (``P7D``, seconds)."""
    short = _SHORT_AGE.match(text.strip())
    if short:
        return timedelta(**{_UNITS[short.group(2)]: int(short.group(1))})
    try:
        return TypeAdapter(timedelta).validate_python(text)
    except ValidationError:
        raise InputError(
            _("--older-than: '{text}' is not a duration (e.g. 30m, 12h, 7d, P7D)").format(text=text)
        ) from None


def _statuses(given: list[str] | None) -> list[str]:
    unknown = sorted(set(given or ()) - set(STATUSES))
    if unknown:
        raise InputError(
            _("--status: unknown {unknown}; one of {statuses}").format(
                unknown=", ".join(unknown), statuses=", ".join(STATUSES)
            )
        )
    return list(given or ())


def _when(entry_time: datetime | None) -> str:
    return "" if entry_time is None else f"{moment(entry_time)} UTC"


def _rows(entries: list[InboxEntry]) -> list[list[object]]:
    return [
        [
            e.id,
            e.provider,
            e.event_type,
            f"{e.object_type} {e.object_id}",
            word("inbox status", e.status),
            e.attempts,
            _when(e.received_at),
            e.outcome or "",
        ]
        for e in entries
    ]


def _head() -> list[str]:
    return [
        _("id"),
        _("provider"),
        _("event"),
        _("object"),
        _("status"),
        _("attempts"),
        _("received"),
        _("outcome"),
    ]


@inbox_app.command(
    "list", help=_("List events, oldest first (e.g. --status failed --status rejected).")
)
def list_command(
    ctx: typer.Context,
    status: StatusOption = None,
    provider: ProviderOption = None,
    older_than: AgeOption = None,
    limit: Annotated[int, typer.Option(min=1, help=_("At most this many, oldest first."))] = 100,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    entries = list_entries(
        state.store,
        now=utcnow(),
        statuses=_statuses(status),
        provider=provider,
        older_than=parse_age(older_than) if older_than else None,
        limit=limit,
    )
    if as_json:
        print_json(entries)
        return
    title = ngettext("inbox: {count} event", "inbox: {count} events", len(entries))
    console.print(table(title.format(count=number(len(entries))), _head(), _rows(entries)))


@inbox_app.command(
    "show", help=_("Show one event with its stored payload (CRM fields; never request headers).")
)
def show_command(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help=_("The event's inbox id (from list)."))],
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    entry = get_entry(state.store, entry_id)
    if as_json:
        print_json(entry)
        return
    console.print(table(_("inbox event {id}").format(id=entry.id), _head(), _rows([entry])))
    console.print(_("event ref: {ref}").format(ref=entry.ref), markup=False, highlight=False)
    console.print(_("occurred: {when}").format(when=_when(entry.occurred_at)), markup=False)
    console.print_json(data=entry.payload)


def _select_ids(
    state: CliState,
    ids: list[int] | None,
    status: list[str] | None,
    provider: str | None,
    older_than: str | None,
) -> list[int]:
    if ids:
        return ids
    if not (status or provider or older_than):
        raise InputError(
            _("name inbox ids, or select events with --status/--provider/--older-than")
        )
    return [
        e.id
        for e in list_entries(
            state.store,
            now=utcnow(),
            statuses=_statuses(status),
            provider=provider,
            older_than=parse_age(older_than) if older_than else None,
            limit=10_000,
        )
    ]


def _report(verb: str, done: str, entries: list[InboxEntry], as_json: bool) -> None:
    """``verb`` names the JSON key; ``done`` the line for humans (``{count}`` events)."""
    if as_json:
        print_json({verb: [{"id": e.id, "ref": e.ref, "from": e.status} for e in entries]})
        return
    console.print(done.format(count=number(len(entries))), markup=False)
    for entry in entries:
        console.print(
            "  "
            + _("{id} {ref} (was {status})").format(
                id=entry.id, ref=entry.ref, status=word("inbox status", entry.status)
            ),
            markup=False,
        )


@inbox_app.command(
    "retry",
    help=_("Put failed, rejected, ignored or discarded events back in the queue (all or none)."),
)
def retry_command(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help=_("Inbox ids; or use the filters."))
    ] = None,
    status: StatusOption = None,
    provider: ProviderOption = None,
    older_than: AgeOption = None,
    reason: Annotated[str, typer.Option(help=_("Why; kept in the audit log."))] = "retried by hand",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    chosen = _select_ids(state, ids, status, provider, older_than)
    entries = retry_events(
        state.store, chosen, actor=state.settings.actor, reason=reason, now=utcnow()
    )
    done = ngettext("re-queued {count} event", "re-queued {count} events", len(entries))
    _report("re-queued", done, entries, as_json)


@inbox_app.command(
    "discard",
    help=_("Set pending, failed or rejected events aside for good (kept, never processed)."),
)
def discard_command(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help=_("Inbox ids; or use the filters."))
    ] = None,
    status: StatusOption = None,
    provider: ProviderOption = None,
    older_than: AgeOption = None,
    reason: Annotated[
        str, typer.Option(help=_("Why; kept in the audit log."))
    ] = "discarded by hand",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    chosen = _select_ids(state, ids, status, provider, older_than)
    entries = discard_events(
        state.store, chosen, actor=state.settings.actor, reason=reason, now=utcnow()
    )
    done = ngettext("discarded {count} event", "discarded {count} events", len(entries))
    _report("discarded", done, entries, as_json)


@inbox_app.command(
    "workers",
    help=_(
        "List inbox workers (threads and `refnet worker` processes) by their last heartbeat."
        "\n\nA worker that stopped cleanly removes itself; one that was killed stays, with an "
        "ageing heartbeat, until it is pruned by hand or the store is reset."
    ),
)
def workers_command(
    ctx: typer.Context,
    within: Annotated[
        str | None,
        typer.Option("--within", help=_("Only workers that beat this recently: 2m, 1h, P1D.")),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    now = utcnow()
    beats = list_workers(state.store, now=now, within=parse_age(within) if within else None)
    if as_json:
        print_json([_beat_json(b, now) for b in beats])
        return
    console.print(
        table(
            _("inbox workers: {count}").format(count=number(len(beats))),
            [
                _("worker"),
                _("host"),
                _("pid"),
                _("started"),
                _("last beat"),
                _("seconds ago"),
                _("events applied"),
            ],
            [
                [
                    b.worker_id,
                    b.host,
                    b.pid,
                    _when(b.started_at),
                    _when(b.last_beat_at),
                    number(b.age_seconds(now), digits=1),
                    number(b.events_applied),
                ]
                for b in beats
            ],
        )
    )


def _beat_json(worker: WorkerBeat, now: datetime) -> dict[str, object]:
    return {
        "worker_id": worker.worker_id,
        "host": worker.host,
        "pid": worker.pid,
        "started_at": worker.started_at.isoformat(),
        "last_beat_at": worker.last_beat_at.isoformat(),
        "last_beat_seconds": round(worker.age_seconds(now), 3),
        "events_applied": worker.events_applied,
    }


def register(app: typer.Typer) -> None:
    app.add_typer(inbox_app, name="inbox")
