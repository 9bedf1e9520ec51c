"""The intelligence sections as plain columns and rows, for every renderer.

``refnet report`` prints them in the terminal and ``refnet report --html`` writes them into
the page; both take the columns and rows from here, so the two never show different
figures. Titles stay with each renderer (the terminal's carry command hints).

The column constants hold the English headers, marked for the catalog with :func:`N_`;
:func:`headers` translates them when a table is drawn, so the reader's language applies
and not the one of the process that imported this module.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.i18n import gettext as _
from connector.i18n import ngettext
from connector.intelligence.candidates import Candidate
from connector.intelligence.matchmaking import Suggestion
from connector.intelligence.network import NetworkAnalysis
from connector.report_format import fixed, number
from connector.report_table import Row
from connector.report_words import value_label

__all__ = [
    "CANDIDATE_COLUMNS",
    "COMPANY_COLUMNS",
    "CONNECTOR_COLUMNS",
    "EMPLOYEE_COLUMNS",
    "OVERLAP_COLUMNS",
    "SUGGESTION_COLUMNS",
    "UNACTIVATED_COLUMNS",
    "Row",
    "candidate_rows",
    "company_rows",
    "employee_rows",
    "headers",
    "overlap_rows",
    "suggestion_rows",
    "unactivated_rows",
]


def N_(text: str) -> str:
    return text


COMPANY_COLUMNS = [
    N_("employees"),
    N_("direct contacts"),
    N_("warm reach"),
    N_("unreached"),
    N_("never activated"),
]
EMPLOYEE_COLUMNS = [
    N_("employee"),
    N_("contacts"),
    N_("strong"),
    N_("only they know"),
    N_("warm 2nd degree"),
    N_("never activated"),
]
OVERLAP_COLUMNS = [N_("employee"), N_("employee"), N_("shared contacts"), N_("jaccard")]
UNACTIVATED_COLUMNS = [N_("member"), N_("circle"), N_("strongest tie"), N_("known by"), N_("reach")]
CANDIDATE_COLUMNS = [
    "#",
    N_("candidate"),
    N_("circle"),
    N_("score"),
    N_("pipeline"),
    N_("warm path"),
    N_("why"),
]
SUGGESTION_COLUMNS = [N_("member"), N_("member"), N_("score"), N_("why")]
CONNECTOR_COLUMNS = [
    "#",
    N_("member"),
    N_("circle"),
    N_("score"),
    N_("bridge"),
    N_("betweenness"),
    N_("willing to introduce"),
]


def headers(columns: Sequence[str]) -> list[str]:
    """``columns`` in the reader's language ("#" has no translation and stays)."""
    return [_(column) if column != "#" else column for column in columns]


def company_rows(analysis: NetworkAnalysis) -> list[Row]:
    company = analysis.company
    hops = ", ".join(
        ngettext("{hops} hop: {count}", "{hops} hops: {count}", h).format(hops=h, count=number(n))
        for h, n in company.warm_by_hops.items()
    )
    return [(company.employees, company.direct, hops, company.unreached, company.unactivated)]


def employee_rows(analysis: NetworkAnalysis) -> list[Row]:
    return [
        (e.name, e.direct, e.strong, e.unique, e.warm_second_degree, e.unactivated)
        for e in analysis.employees
    ]


def overlap_rows(analysis: NetworkAnalysis, names: dict[str, str]) -> list[Row]:
    return [(names[o.a], names[o.b], o.shared, fixed(o.jaccard, 2)) for o in analysis.overlaps]


def unactivated_rows(analysis: NetworkAnalysis, names: dict[str, str]) -> list[Row]:
    return [
        (u.name, value_label(u.circle), u.best_strength, names[u.known_by], u.reach)
        for u in analysis.unactivated
    ]


def candidate_rows(candidates: Sequence[Candidate], names: dict[str, str]) -> list[Row]:
    return [
        (
            c.rank,
            c.name,
            value_label(c.circle),
            fixed(c.match.score, 1),
            value_label(c.partnership_stage) if c.partnership_stage else _("new"),
            c.path.describe(names) if c.path else "-",
            c.match.summary,
        )
        for c in candidates
    ]


def suggestion_rows(suggestions: Sequence[Suggestion], names: dict[str, str]) -> list[Row]:
    return [
        (names[s.match.a], names[s.match.b], number(s.match.score), s.reason) for s in suggestions
    ]
