"""``refnet intel``: partner candidates, club matchmaking and warm paths; the report's sections.

``candidates`` and ``suggest`` show what they would do; ``--add`` and ``--apply`` write it,
through the same rules and audit trail as every other change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from connector.cli.naming import MEMBER_HELP, resolve_id
from connector.cli.output import console, print_json
from connector.cli.output import table as plain_table
from connector.cli.state import CliState
from connector.errors import InputError
from connector.intelligence import (
    IntroRouter,
    connector_scores,
    top_connectors,
)
from connector.intelligence.service import (
    add_candidates,
    apply_suggestions,
    club_suggestions,
    load_graph,
    member_names,
    rank_candidates,
)
from connector.intelligence.summary import IntelligenceReport, RankedConnector
from connector.intelligence.tables import (
    CANDIDATE_COLUMNS,
    candidate_rows,
)
from connector.report_sections import intelligence_sections

__all__ = ["intel_app", "print_intelligence", "register"]

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Top = Annotated[int, typer.Option(min=1, help="Rows to show.")]

intel_app = typer.Typer(
    help="Network intelligence: connectors, partner candidates, club matchmaking, warm paths.",
    no_args_is_help=True,
)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    """A table whose cells print as they are: names and reasons are data, not rich markup."""
    return plain_table(
        escape(title),
        columns,
        ([escape(str(cell)) if cell is not None else None for cell in row] for row in rows),
    )


@intel_app.command("candidates")
def candidates(
    ctx: typer.Context,
    target: Annotated[str, typer.Option(help="The target profile (id) to score against.")],
    top: Top = 10,
    add: Annotated[
        int,
        typer.Option(min=0, help="Put this many of the best new candidates on the pipeline."),
    ] = 0,
    min_score: Annotated[
        float, typer.Option(min=0, max=100, help="Only add candidates scoring at least this.")
    ] = 50.0,
    as_json: JsonFlag = False,
) -> None:
    """Rank members against a target profile, explained per criterion; --add feeds the pipeline."""
    state: CliState = ctx.obj
    config = state.settings.intelligence
    changes = []
    if add:
        changes = add_candidates(
            state.store, target, config, count=add, min_score=min_score, actor=state.actor
        )
    profile, ranked = rank_candidates(state.store, target, config, top=top)
    if as_json:
        print_json({"target_profile": profile, "candidates": ranked, "added": changes})
        return
    names = _names(state)
    console.print(
        table(
            f"partner candidates for '{profile.name}'",
            CANDIDATE_COLUMNS,
            candidate_rows(ranked, names),
        )
    )
    if add:
        if not changes:
            console.print(f"no new candidate scores {min_score:g} or more; nothing added")
        for change in changes:
            console.print(
                f"partnership {change.record_id}: {change.old or '(new)'} → {change.new}",
                markup=False,
            )


@intel_app.command("suggest")
def suggest(
    ctx: typer.Context,
    club: Annotated[str | None, typer.Option(help="The club (id); optional if only one.")] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the suggestions as introductions.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Suggest introductions between active club members whose needs and offers fit."""
    state: CliState = ctx.obj
    found = club_suggestions(state.store, club, state.settings.intelligence)
    written = apply_suggestions(state.store, found, actor=state.actor) if apply else []
    if as_json:
        print_json(
            {
                "club": found.club.id,
                "stats": found.stats,
                "suggestions": found.suggestions,
                "written": [i.id for i in written],
            }
        )
        return
    names = _names(state)
    console.print(
        table(
            f"suggested introductions in '{found.club.name}'",
            ["round", "member", "member", "score", "why"],
            (
                (s.round, names[s.match.a], names[s.match.b], f"{s.match.score:g}", s.reason)
                for s in found.suggestions
            ),
        )
    )
    stats = found.stats
    console.print(
        f"{stats.members} active members, {stats.pairs_compared} pairs compared of "
        f"{stats.all_pairs}, {stats.matching_pairs} fit, {stats.already_introduced} introduced "
        "already"
    )
    if apply:
        console.print(f"{len(written)} introduction(s) written in 'suggested'")
    elif found.suggestions:
        console.print("nothing written; add --apply to create these introductions")


@intel_app.command("path")
def path(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help=f"The member to be introduced to: {MEMBER_HELP}.")],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help=f"Start at this employee (default: the best employee): {MEMBER_HELP}.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The warmest shortest chain of introductions from the company (or one employee)."""
    state: CliState = ctx.obj
    target = resolve_id(state, target)
    from_ = resolve_id(state, from_) if from_ is not None else None
    graph = load_graph(state.store)
    router = IntroRouter(graph, state.settings.intelligence.paths)
    found = (
        router.from_employee(from_, target)
        if from_ is not None
        else router.from_company([target])[target]
    )
    if as_json:
        print_json({"target": target, "path": found})
        return
    if found is None:
        limit = state.settings.intelligence.paths.max_hops
        names = dict(zip(graph.ids, graph.names, strict=True))
        raise InputError(
            f"no warm path to {names.get(target, '?')} ('{target}') within {limit} hop(s)"
            + (f" from {names.get(from_, '?')} ('{from_}')" if from_ else "")
        )
    names = dict(zip(graph.ids, graph.names, strict=True))
    console.print(found.describe(names), markup=False)  # names are CRM text
    console.print(
        table(
            "hops",
            ["from", "to", "strength", "trust"],
            ((names[h.from_id], names[h.to_id], h.strength, f"{h.trust:.2f}") for h in found.hops),
        )
    )


@intel_app.command("connectors")
def connectors(ctx: typer.Context, top: Top = 10, as_json: JsonFlag = False) -> None:
    """Members who bridge otherwise separate groups and are willing to introduce."""
    state: CliState = ctx.obj
    graph = load_graph(state.store)
    scores = connector_scores(graph, state.settings.intelligence.connector)
    ranked = [
        RankedConnector(
            rank,
            graph.names[graph.index[s.member_id]],
            graph.circles[graph.index[s.member_id]].value,
            s,
        )
        for rank, s in enumerate(top_connectors(scores, top), start=1)
    ]
    if as_json:
        print_json(ranked)
        return
    console.print(connector_table(ranked, exact=all(s.exact for s in scores)))


def connector_table(ranked: list[RankedConnector], *, exact: bool, scope: str = "") -> Table:
    how = "exact betweenness" if exact else "sampled betweenness"
    return table(
        f"top connectors {scope} ({how})".replace("  ", " "),
        ["#", "member", "circle", "score", "bridge", "betweenness", "willing to introduce"],
        (
            (
                c.rank,
                c.name,
                c.circle,
                f"{c.score.score:.1f}",
                f"{c.score.bridge:.2f}",
                f"{c.score.betweenness:,.0f}",
                f"{c.score.willingness:.0%}" if c.score.willingness_known else "unknown",
            )
            for c in ranked
        ),
    )


def _names(state: CliState) -> dict[str, str]:
    with state.store.reading() as tx:
        return member_names(tx)


def print_intelligence(data: IntelligenceReport) -> None:
    """The report's intelligence sections as tables (the same sections the HTML shows)."""
    for section in intelligence_sections(data):
        console.print(table(section.title, section.columns, section.rows))


def register(app: typer.Typer) -> None:
    app.add_typer(intel_app, name="intel")
