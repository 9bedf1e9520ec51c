"""``refnet sync`` and ``refnet runs``: the admin's main job and its history."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from connector.cli.output import console, print_json, table
from connector.cli.state import CliState
from connector.sync.engine import RunSummary, SyncOptions, run_sync
from connector.sync.history import get_run, list_runs, rejected_records
from connector.sync.targets import load_target

__all__ = ["register"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


class Removals(StrEnum):
    keep = "keep"
    archive = "archive"
    delete = "delete"


EXIT_STOPPED = 7  # the same code as a temporary failure: run again later to resume

runs_app = typer.Typer(help="Sync run history.", invoke_without_command=True)


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
    mode = "dry run (nothing written)" if summary.dry_run else "sync"
    console.print(
        table(
            f"{mode} #{summary.run_id} to {summary.target}: {summary.status}",
            [
                "object",
                "create",
                "update",
                "retry",
                "unchanged",
                "rejected",
                "ok",
                "failed",
                f"gone ({summary.removals})",
                "removed",
            ],
            (
                (
                    p.name,
                    p.creates,
                    p.updates,
                    p.retries,
                    p.unchanged,
                    p.rejected,
                    p.succeeded,
                    p.failed,
                    p.gone,
                    p.removed,
                )
                for p in summary.objects
            ),
        )
    )
    if summary.pulls:
        console.print(
            table(
                "read back from the CRM (fields its users own)",
                ["object", "read", "changed in refnet", "unchanged", "not in refnet", "invalid"],
                (
                    (
                        f"{p.name} (after push)" if p.after_push else p.name,
                        p.read,
                        p.changed,
                        p.unchanged,
                        p.unknown,
                        p.failed,
                    )
                    for p in summary.pulls
                ),
            )
        )
    deals = summary.outcomes
    if deals is not None:
        console.print(
            f"deal outcomes ({deals.name}): read {deals.read}, won {deals.won}, lost "
            f"{deals.lost}, open {deals.still_open}, no referral {deals.unlinked}, "
            f"referrals closed {deals.referrals_closed}",
            highlight=False,
        )
    c = summary.counts
    console.print(
        f"planned {c.planned}, sent {c.sent}, succeeded {c.succeeded}, failed {c.failed}, "
        f"skipped {c.skipped}, pulled {c.pulled}, removed {c.removed}, API calls {c.api_calls}",
        highlight=False,
    )
    linking = [p for p in summary.objects if p.linked or p.ambiguous]
    if summary.dry_run and linking:
        console.print(
            table(
                "creates matched against records the CRM already has",
                ["object", "linked (existing record)", "ambiguous", "new"],
                ((p.name, p.linked, len(p.ambiguous), p.new_records) for p in linking),
            )
        )
        for plan in linking:
            for record_id, candidates in plan.ambiguous.items():
                console.print(
                    f"ambiguous: {plan.name} {record_id} fits {', '.join(candidates)}",
                    highlight=False,
                )
    if summary.dry_run:
        for plan in summary.objects:
            for record in plan.sample:
                console.print(
                    table(
                        f"{plan.name} {record.record_id}: {record.action}",
                        ["field", "now", "planned"],
                        ((ch.field, ch.old, ch.new) for ch in record.changes),
                    )
                )
    if summary.stop_reason:
        console.print(
            f"stopped: {summary.stop_reason}; run again to resume", markup=False, highlight=False
        )


def sync(
    ctx: typer.Context,
    target: Annotated[str, typer.Option(help="salesforce, hubspot or sandbox.")] = "sandbox",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only; no write call.")] = False,
    objects: Annotated[
        list[str] | None, typer.Option("--object", help="Only this object (repeatable).")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Resend unchanged records too.")] = False,
    removals: Annotated[
        Removals | None,
        typer.Option(help="CRM records refnet no longer has (default: the sync.removals setting)."),
    ] = None,
    pull: Annotated[
        bool | None,
        typer.Option("--pull/--no-pull", help="Read CRM-owned fields back first."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Pull what CRM users own, then push only what changed since the last confirmed write."""
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


@runs_app.callback()
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="How many runs.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """List recent sync runs (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    found = list_runs(state.store, limit=limit)
    if as_json:
        print_json(found)
        return
    console.print(
        table(
            "sync runs",
            [
                "id",
                "target",
                "started",
                "status",
                "dry",
                "planned",
                "sent",
                "ok",
                "failed",
                "skipped",
                "pulled",
                "removed",
                "API calls",
                "seconds",
            ],
            (
                (
                    r.id,
                    r.target,
                    r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                    r.status,
                    "yes" if r.dry_run else "",
                    r.planned,
                    r.sent,
                    r.succeeded,
                    r.failed,
                    r.skipped,
                    r.pulled,
                    r.removed,
                    r.api_calls,
                    f"{r.duration_seconds:.1f}" if r.duration_seconds is not None else "",
                )
                for r in found
            ),
        )
    )


@runs_app.command("show")
def show_run(ctx: typer.Context, run_id: int, as_json: JsonFlag = False) -> None:
    """One run with every failed record and the CRM's reason."""
    state: CliState = ctx.obj
    run, failures = get_run(state.store, run_id)
    if as_json:
        print_json({"run": run, "failures": failures})
        return
    console.print(table(f"run {run.id}", ["field", "value"], vars(run).items()))
    console.print(
        table(
            f"failures ({len(failures)})",
            ["object", "record", "code", "reason"],
            ((f.object_name, f.record_id, f.code, f.message) for f in failures),
        )
    )


@runs_app.command("rejected")
def show_rejected(
    ctx: typer.Context,
    target: Annotated[str, typer.Option(help="The sync target.")] = "sandbox",
    as_json: JsonFlag = False,
) -> None:
    """Records whose last write the CRM refused, with its reason."""
    state: CliState = ctx.obj
    found = rejected_records(state.store, target)
    if as_json:
        print_json(found)
        return
    console.print(
        table(
            f"rejected records ({len(found)})",
            ["object", "record", "code", "reason", "last try"],
            ((f.object_name, f.record_id, f.code, f.message, f.at) for f in found),
        )
    )


def register(app: typer.Typer) -> None:
    app.command()(sync)
    app.add_typer(runs_app, name="runs")
