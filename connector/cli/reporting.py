"""``refnet report``: multipliers, win-win balance and network intelligence; ``--html``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from connector.cli.club_output import print_club_sections
from connector.cli.intel import print_intelligence
from connector.cli.output import console, print_json, table
from connector.cli.state import CliState
from connector.model import utcnow
from connector.report import build_report
from connector.report_html import write_html_report

__all__ = ["register"]


def report(
    ctx: typer.Context,
    top: Annotated[int, typer.Option(min=1, help="Rows per table.")] = 10,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Score as of this day (default: now)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            dir_okay=False,
            help="Also write the report as one self-contained HTML page with a network picture.",
        ),
    ] = None,
) -> None:
    """Print the network's multipliers, the win-win balance and what needs attention."""
    state: CliState = ctx.obj
    when = as_of.replace(tzinfo=UTC) if as_of else utcnow()
    settings = state.settings
    data = build_report(
        state.store, settings.rules, as_of=when, top=top, intelligence=settings.intelligence
    )
    if html is not None:
        write_html_report(html, data, state.store, settings.rules, settings.intelligence)
        if not as_json:
            console.print(f"wrote {html}")
    if as_json:
        print_json(data)
        return
    console.print(
        table(
            f"network on {when.date()}",
            ["members by circle", "ladder", "partner pipeline", "referrals", "won value"],
            [
                (
                    _counts(data.members_by_circle),
                    _counts(data.ladder),
                    _counts(data.pipeline),
                    _counts(data.referrals_by_status),
                    f"{data.won_value:,.2f}",
                )
            ],
        )
    )
    console.print(
        table(
            "top multipliers",
            [
                "#",
                "member",
                "circle",
                "ladder",
                "score",
                "positive",
                "won",
                "lost",
                "won value",
                "multiplier",
            ],
            (
                (
                    m.rank,
                    m.name,
                    m.circle,
                    m.ladder_stage,
                    f"{m.score.score:.1f}",
                    m.score.positive_referrals,
                    m.score.won,
                    m.score.lost,
                    f"{m.score.won_value:,.2f}",
                    "yes" if m.is_multiplier else "",
                )
                for m in data.top_multipliers
            ),
        )
    )
    console.print(
        table(
            "win-win balance (members who give and receive; most one-sided first)",
            ["member", "given", "received", "balance", "given value", "received value"],
            (
                (
                    b.name,
                    b.tally.given,
                    b.tally.received,
                    f"{b.tally.balance:+d}",
                    f"{b.tally.given_value:,.2f}",
                    f"{b.tally.received_value:,.2f}",
                )
                for b in data.balances
            ),
        )
    )
    console.print(
        table(
            "win-win balance per pair (given: a → b, received: b → a; most one-sided first)",
            ["a", "b", "given", "received", "balance"],
            (
                (
                    data.names[p.a],
                    data.names[p.b],
                    p.tally.given,
                    p.tally.received,
                    f"{p.tally.balance:+d}",
                )
                for p in data.one_sided_pairs
            ),
        )
    )
    if data.demotions:
        console.print(
            table(
                "proposed demotions (not applied; decide with `refnet advance member ...`)",
                ["member", "from", "to", "reason"],
                (
                    (f"{data.names[d.member_id]} ({d.member_id})", d.current, d.proposed, d.reason)
                    for d in data.demotions
                ),
            )
        )

    print_intelligence(data.intelligence)
    print_club_sections(data.club, top=top)


def _counts(counts: dict[str, int]) -> str:
    return "\n".join(f"{name}: {count}" for name, count in counts.items()) or "-"


def register(app: typer.Typer) -> None:
    app.command()(report)
