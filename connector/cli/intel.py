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

from connector.cli.json_flag import JsonFlag
from connector.cli.naming import MEMBER_HELP, resolve_id
from connector.cli.output import console, number, print_json
from connector.cli.output import table as plain_table
from connector.cli.state import CliState
from connector.cli.words import word
from connector.errors import InputError
from connector.i18n import format_percent, ngettext
from connector.i18n import gettext as _
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
    CONNECTOR_COLUMNS,
    candidate_rows,
    headers,
)
from connector.report_sections import intelligence_sections

__all__ = ["intel_app", "print_intelligence", "register"]

Top = Annotated[int, typer.Option(min=1, help=_("Rows to show."))]

intel_app = typer.Typer(
    help=_("Network intelligence: connectors, partner candidates, club matchmaking, warm paths."),
    no_args_is_help=True,
)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    """A table whose cells print as they are: names and reasons are data, not rich markup."""
    return plain_table(
        escape(title),
        columns,
        ([escape(str(cell)) if cell is not None else None for cell in row] for row in rows),
    )


@intel_app.command(
    "candidates",
    help=_(
        "Rank members against a target profile, explained per criterion; --add feeds the pipeline."
    ),
)
def candidates(
    ctx: typer.Context,
    target: Annotated[str, typer.Option(help=_("The target profile (id) to score against."))],
    top: Top = 10,
    add: Annotated[
        int,
        typer.Option(min=0, help=_("Put this many of the best new candidates on the pipeline.")),
    ] = 0,
    min_score: Annotated[
        float,
        typer.Option(min=0, max=100, help=_("Only add candidates scoring at least this.")),
    ] = 50.0,
    as_json: JsonFlag = False,
) -> None:
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
            _("partner candidates for '{profile}'").format(profile=profile.name),
            CANDIDATE_COLUMNS,
            candidate_rows(ranked, names),
        )
    )
    if add:
        if not changes:
            console.print(
                _("no new candidate scores {score} or more; nothing added").format(
                    score=number(min_score)
                )
            )
        for change in changes:
            console.print(
                _("partnership {id}: {old} → {new}").format(
                    id=change.record_id,
                    old=word("partner stage", change.old) if change.old else _("(new)"),
                    new=word("partner stage", change.new),
                ),
                markup=False,
            )


@intel_app.command(
    "suggest",
    help=_("Suggest introductions between active club members whose needs and offers fit."),
)
def suggest(
    ctx: typer.Context,
    club: Annotated[
        str | None, typer.Option(help=_("The club (id); optional if only one."))
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help=_("Write the suggestions as introductions."))
    ] = False,
    as_json: JsonFlag = False,
) -> None:
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
            _("suggested introductions in '{club}'").format(club=found.club.name),
            [_("round"), _("member"), _("member"), _("score"), _("why")],
            (
                (s.round, names[s.match.a], names[s.match.b], number(s.match.score), s.reason)
                for s in found.suggestions
            ),
        )
    )
    stats = found.stats
    console.print(
        _(
            "{members} active members, {compared} pairs compared of {pairs}, {fit} fit, "
            "{introduced} introduced already"
        ).format(
            members=number(stats.members),
            compared=number(stats.pairs_compared),
            pairs=number(stats.all_pairs),
            fit=number(stats.matching_pairs),
            introduced=number(stats.already_introduced),
        ),
        markup=False,
    )
    if apply:
        console.print(
            ngettext(
                "{count} introduction written as '{status}'",
                "{count} introductions written as '{status}'",
                len(written),
            ).format(count=len(written), status=word("introduction status", "suggested")),
            markup=False,
        )
    elif found.suggestions:
        console.print(_("nothing written; add --apply to create these introductions"), markup=False)


@intel_app.command(
    "path",
    help=_("The warmest shortest chain of introductions from the company (or one employee)."),
)
def path(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(help=_("The member to be introduced to: {what}.").format(what=MEMBER_HELP)),
    ],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help=_("Start at this employee (default: the best employee): {what}.").format(
                what=MEMBER_HELP
            ),
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
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
        if from_:
            message = ngettext(
                "no warm path to {name} ('{id}') within {limit} hop from {start} ('{start_id}')",
                "no warm path to {name} ('{id}') within {limit} hops from {start} ('{start_id}')",
                limit,
            )
        else:
            message = ngettext(
                "no warm path to {name} ('{id}') within {limit} hop",
                "no warm path to {name} ('{id}') within {limit} hops",
                limit,
            )
        raise InputError(
            message.format(
                name=names.get(target, "?"),
                id=target,
                limit=limit,
                start=names.get(from_, "?") if from_ else "",
                start_id=from_ or "",
            )
        )
    names = dict(zip(graph.ids, graph.names, strict=True))
    chain = names.get(found.source_id, found.source_id) + "".join(
        f" →({h.strength}) {names.get(h.to_id, h.to_id)}" for h in found.hops
    )
    quality = _("(quality {quality})").format(quality=number(found.quality, digits=2))
    console.print(f"{chain} {quality}", markup=False)  # names are CRM text
    console.print(
        table(
            _("hops"),
            [_("from"), _("to"), _("strength"), _("trust")],
            (
                (names[h.from_id], names[h.to_id], h.strength, number(h.trust, digits=2))
                for h in found.hops
            ),
        )
    )


@intel_app.command(
    "connectors",
    help=_("Members who bridge otherwise separate groups and are willing to introduce."),
)
def connectors(ctx: typer.Context, top: Top = 10, as_json: JsonFlag = False) -> None:
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
    how = _("exact betweenness") if exact else _("sampled betweenness")
    return table(
        _("top connectors {scope} ({how})").format(scope=scope, how=how).replace("  ", " "),
        headers(CONNECTOR_COLUMNS),
        (
            (
                c.rank,
                c.name,
                word("circle", c.circle),
                number(c.score.score, digits=1),
                number(c.score.bridge, digits=2),
                number(c.score.betweenness, digits=0),
                format_percent(c.score.willingness) if c.score.willingness_known else _("unknown"),
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
