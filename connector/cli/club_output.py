"""Terminal tables for the club: the report section, the pilot review, to-dos, candidates.

Used by ``refnet report`` and ``refnet club ...`` alike; the rows come from
:mod:`connector.club.tables`, which the HTML page uses too.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.cli.output import console, table
from connector.club import InviteCandidate, PilotReview, TodoItem
from connector.club.tables import ClubTable, day, review_tables

__all__ = ["print_candidates", "print_review", "print_todo"]


def _print(tables: Sequence[ClubTable]) -> None:
    for t in tables:
        console.print(table(t.title, t.columns, t.rows))


def print_review(review: PilotReview) -> None:
    _print(review_tables(review))


def print_todo(items: Sequence[TodoItem]) -> None:
    console.print(
        table(
            f"club to-do ({len(items)})",
            ["due", "what", "record", "who", "detail"],
            (
                (
                    day(i.due_on) + (" (overdue)" if i.overdue else ""),
                    i.what,
                    f"{i.record_kind} {i.record_id}",
                    i.who,
                    i.detail,
                )
                for i in items
            ),
        )
    )


def print_candidates(candidates: Sequence[InviteCandidate]) -> None:
    console.print(
        table(
            "whom to invite to the club next",
            ["#", "customer", "score", "loyal", "positive", "willing", "connected"],
            (
                (
                    c.rank,
                    f"{c.name} ({c.member_id})",
                    f"{c.score:.1f}",
                    *(f"{s.share:.0%}: {s.reason}" for s in c.criteria),
                )
                for c in candidates
            ),
        )
    )
