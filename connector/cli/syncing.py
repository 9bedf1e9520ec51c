"""``refnet sync`` and ``refnet runs``: the admin's main job and its history."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from connector.cli.json_flag import JsonFlag
from connector.cli.output import console, moment, number, print_json, table, yes
from connector.cli.state import CliState
from connector.cli.words import word
from connector.i18n import gettext as _
from connector.i18n import pgettext
from connector.sync.engine import RunSummary, SyncOptions, run_sync
from connector.sync.history import get_run, list_runs, rejected_records
from connector.sync.targets import load_target

__all__ = ["register"]


class Removals(StrEnum):
    keep = "keep"
    archive = "archive"
    delete = "delete"


EXIT_STOPPED = 7  # the same code as a temporary failure: run again later to resume

runs_app = typer.Typer(help=_("Sync run history."), invoke_without_command=True)


class _RichProgress:
    """One progress bar per object."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, object] = {}

    def begin(self, object_name: str, total: int) -> None:
        self.tasks[object_name] = self.progress.add_task(object_name, total=total)

    def advance(self, object_name: str, done: int) -> None:
        self.progress.update(self.tasks[object_name], completed=done)  # type: ignore[arg-type]

    def end(self, object_name: str) -> None:
        return None


def _print_summary(summary: RunSummary) -> None:
    title = (
        _("dry run (nothing written) #{run} to {target}: {status}")
        if summary.dry_run
        else _("sync #{run} to {target}: {status}")
    )
    console.print(
        table(
            title.format(
                run=summary.run_id,
                target=summary.target,
                status=word("sync run status", summary.status),
            ),
            [
                _("object"),
                pgettext("sync action", "create"),
                pgettext("sync action", "update"),
                pgettext("sync action", "retry"),
                _("unchanged"),
                _("rejected"),
                _("ok"),
                _("failed"),
                _("gone ({removals})").format(removals=word("sync action", summary.removals)),
                _("removed"),
            ],
            (
                (
                    p.name,
                    number(p.creates),
                    number(p.updates),
                    number(p.retries),
                    number(p.unchanged),
                    number(p.rejected),
                    number(p.succeeded),
                    number(p.failed),
                    number(p.gone),
                    number(p.removed),
                )
                for p in summary.objects
            ),
        )
    )
    if summary.pulls:
        console.print(
            table(
                _("read back from the CRM (fields its users own)"),
                [
                    _("object"),
                    _("read"),
                    _("changed in refnet"),
                    _("unchanged"),
                    _("not in refnet"),
                    _("invalid"),
                ],
                (
                    (
                        _("{object} (after push)").format(object=p.name)
                        if p.after_push
                        else p.name,
                        number(p.read),
                        number(p.changed),
                        number(p.unchanged),
                        number(p.unknown),
                        number(p.failed),
                    )
                    for p in summary.pulls
                ),
            )
        )
    deals = summary.outcomes
    if deals is not None:
        console.print(
            _(
                "deal outcomes ({object}): read {read}, won {won}, lost {lost}, open {open}, "
                "no referral {unlinked}, referrals closed {closed}"
            ).format(
                object=deals.name,
                read=number(deals.read),
                won=number(deals.won),
                lost=number(deals.lost),
                open=number(deals.still_open),
                unlinked=number(deals.unlinked),
                closed=number(deals.referrals_closed),
            ),
            highlight=False,
            markup=False,
        )
    c = summary.counts
    console.print(
        _(
            "planned {planned}, sent {sent}, succeeded {succeeded}, failed {failed}, "
            "skipped {skipped}, pulled {pulled}, removed {removed}, API calls {api_calls}"
        ).format(
            planned=number(c.planned),
            sent=number(c.sent),
            succeeded=number(c.succeeded),
            failed=number(c.failed),
            skipped=number(c.skipped),
            pulled=number(c.pulled),
            removed=number(c.removed),
            api_calls=number(c.api_calls),
        ),
        highlight=False,
        markup=False,
    )
    linking = [p for p in summary.objects if p.linked or p.ambiguous]
    if summary.dry_run and linking:
        console.print(
            table(
                _("creates matched against records the CRM already has"),
                [_("object"), _("linked (existing record)"), _("ambiguous"), _("new")],
                (
                    (p.name, number(p.linked), number(len(p.ambiguous)), number(p.new_records))
                    for p in linking
                ),
            )
        )
        for plan in linking:
            for record_id, candidates in plan.ambiguous.items():
                console.print(
                    _("ambiguous: {object} {record} fits {candidates}").format(
                        object=plan.name, record=record_id, candidates=", ".join(candidates)
                    ),
                    highlight=False,
                    markup=False,
                )
    if summary.dry_run:
        for plan in summary.objects:
            for record in plan.sample:
                console.print(
                    table(
                        f"{plan.name} {record.record_id}: {word('sync action', record.action)}",
                        [_("field"), _("now"), _("planned")],
                        ((ch.field, ch.old, ch.new) for ch in record.changes),
                    )
                )
    if summary.stop_reason:
        console.print(
            _("stopped: {reason}; run again to resume").format(reason=summary.stop_reason),
            markup=False,
            highlight=False,
        )


def sync(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Option(help=_("salesforce, hubspot, sandbox or sandbox-hubspot.")),
    ] = "sandbox",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_("Plan only; no write call."))
    ] = False,
    objects: Annotated[
        list[str] | None, typer.Option("--object", help=_("Only this object (repeatable)."))
    ] = None,
    full: Annotated[bool, typer.Option("--full", help=_("Resend unchanged records too."))] = False,
    removals: Annotated[
        Removals | None,
        typer.Option(
            help=_("CRM records refnet no longer has (default: the sync.removals setting).")
        ),
    ] = None,
    pull: Annotated[
        bool | None,
        typer.Option("--pull/--no-pull", help=_("Read CRM-owned fields back first.")),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    defaults = state.settings.sync
    chosen = load_target(target, state.settings)
    options = SyncOptions(
        dry_run=dry_run,
        full=full,
        max_attempts=defaults.max_attempts,
        removals=removals.value if removals else defaults.removals,
        pull=defaults.pull if pull is None else pull,
    )
    selected = chosen.select(objects or [])
    if as_json:
        summary = run_sync(
            state.store,
            chosen.adapter,
            selected,
            target=target,
            options=options,
            deals=chosen.deals,
        )
        print_json(summary)
    else:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            summary = run_sync(
                state.store,
                chosen.adapter,
                selected,
                target=target,
                options=options,
                progress=_RichProgress(bar),
                deals=chosen.deals,
            )
        _print_summary(summary)
    if summary.status == "stopped":
        raise typer.Exit(EXIT_STOPPED)


@runs_app.callback(help=_("List recent sync runs (newest first)."))
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help=_("How many runs."))] = 20,
    as_json: JsonFlag = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    found = list_runs(state.store, limit=limit)
    if as_json:
        print_json(found)
        return
    console.print(
        table(
            _("sync runs"),
            [
                _("id"),
                _("target"),
                _("started"),
                _("status"),
                _("dry"),
                _("planned"),
                _("sent"),
                _("ok"),
                _("failed"),
                _("skipped"),
                _("pulled"),
                _("removed"),
                _("API calls"),
                _("seconds"),
            ],
            (
                (
                    r.id,
                    r.target,
                    moment(r.started_at),
                    word("sync run status", r.status),
                    yes(r.dry_run),
                    number(r.planned),
                    number(r.sent),
                    number(r.succeeded),
                    number(r.failed),
                    number(r.skipped),
                    number(r.pulled),
                    number(r.removed),
                    number(r.api_calls),
                    number(r.duration_seconds, digits=1),
                )
                for r in found
            ),
        )
    )


@runs_app.command("show", help=_("One run with every failed record and the CRM's reason."))
def show_run(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(metavar="RUN", help=_("The run's id (from runs)."))],
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    run, failures = get_run(state.store, run_id)
    if as_json:
        print_json({"run": run, "failures": failures})
        return
    rows = [
        (_("target"), run.target),
        (_("started"), moment(run.started_at)),
        (_("finished"), moment(run.finished_at)),
        (_("status"), word("sync run status", run.status)),
        (_("dry run"), yes(run.dry_run)),
        (_("all records (--full)"), yes(run.full)),
        (_("objects"), ", ".join(run.objects)),
        (_("planned"), number(run.planned)),
        (_("sent"), number(run.sent)),
        (_("ok"), number(run.succeeded)),
        (_("failed"), number(run.failed)),
        (_("skipped"), number(run.skipped)),
        (_("pulled"), number(run.pulled)),
        (_("removed"), number(run.removed)),
        (_("API calls"), number(run.api_calls)),
        (_("seconds"), number(run.duration_seconds, digits=1)),
        (_("stopped because"), run.stop_reason),
    ]
    console.print(table(_("run {id}").format(id=run.id), [_("field"), _("value")], rows))
    console.print(
        table(
            _("failures ({count})").format(count=number(len(failures))),
            [_("object"), _("record"), _("code"), _("reason")],
            ((f.object_name, f.record_id, f.code, f.message) for f in failures),
        )
    )


@runs_app.command("rejected", help=_("Records whose last write the CRM refused, with its reason."))
def show_rejected(
    ctx: typer.Context,
    target: Annotated[str, typer.Option(help=_("The sync target."))] = "sandbox",
    as_json: JsonFlag = False,
) -> None:
    state: CliState = ctx.obj
    found = rejected_records(state.store, target)
    if as_json:
        print_json(found)
        return
    console.print(
        table(
            _("rejected records ({count})").format(count=number(len(found))),
            [_("object"), _("record"), _("code"), _("reason"), _("last try")],
            ((f.object_name, f.record_id, f.code, f.message, f.at) for f in found),
        )
    )


def register(app: typer.Typer) -> None:
    app.command(
        help=_(
            "Pull what CRM users own, then push only what changed since the last confirmed write."
        )
    )(sync)
    app.add_typer(runs_app, name="runs")
