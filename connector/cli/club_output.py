"""Terminal tables for the club: the report section, the pilot review, to-dos, candidates.

Used by ``refnet report`` and ``refnet club ...`` alike; the rows come from
:mod:`connector.club.tables`, which the HTML page uses too.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.cli.output import console, day, number, table
from connector.cli.words import kind_word, word
from connector.club import InviteCandidate, PilotReview, TodoItem
from connector.club.tables import review_tables
from connector.i18n import format_percent
from connector.i18n import gettext as _
from connector.report_table import Section

__all__ = ["print_candidates", "print_review", "print_todo"]


def _print(tables: Sequence[Section]) -> None:
    for t in tables:
        console.print(table(t.title, t.columns, t.rows))


def print_review(review: PilotReview) -> None:
    _print(review_tables(review))


def print_todo(items: Sequence[TodoItem]) -> None:
    console.print(
        table(
            _("club to-do ({count})").format(count=number(len(items))),
            [_("due"), _("what"), _("record"), _("who"), _("detail")],
            (
                (
                    day(i.due_on) + (" " + _("(overdue)") if i.overdue else ""),
                    word("club to-do", i.what),
                    f"{kind_word(i.record_kind)} {i.record_id}",
                    i.who,
                    i.detail,
                )
                for i in items
            ),
        )
    )


# The order the criteria come in (connector.club.candidates).
_CRITERIA = ("loyal", "positive", "willing", "connected")


def print_candidates(candidates: Sequence[InviteCandidate]) -> None:
    console.print(
        table(
            _("whom to invite to the club next"),
            ["#", _("customer"), _("score")]
            + [word("invite criterion", name) for name in _CRITERIA],
            (
                (
                    c.rank,
                    f"{c.name} ({c.member_id})",
                    number(c.score, digits=1),
                    *(f"{format_percent(s.share)}: {s.reason}" for s in c.criteria),
                )
                for c in candidates
            ),
        )
    )
