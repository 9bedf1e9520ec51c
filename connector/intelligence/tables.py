"""The intelligence sections as plain columns and rows, for every renderer.

``refnet report`` prints them in the terminal and ``refnet report --html`` writes them into
the page; both take the columns and rows from here, so the two never show different
figures. Titles stay with each renderer (the terminal's carry command hints).
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.intelligence.candidates import Candidate
from connector.intelligence.matchmaking import Suggestion
from connector.intelligence.network import NetworkAnalysis

__all__ = [
    "CANDIDATE_COLUMNS",
    "COMPANY_COLUMNS",
    "EMPLOYEE_COLUMNS",
    "OVERLAP_COLUMNS",
    "SUGGESTION_COLUMNS",
    "UNACTIVATED_COLUMNS",
    "Row",
    "candidate_rows",
    "company_rows",
    "employee_rows",
    "overlap_rows",
    "suggestion_rows",
    "unactivated_rows",
]

Row = tuple[object, ...]

COMPANY_COLUMNS = ["employees", "direct contacts", "warm reach", "unreached", "never activated"]
EMPLOYEE_COLUMNS = [
    "employee",
    "contacts",
    "strong",
    "only they know",
    "warm 2nd degree",
    "never activated",
]
OVERLAP_COLUMNS = ["employee", "employee", "shared contacts", "jaccard"]
UNACTIVATED_COLUMNS = ["member", "circle", "strongest tie", "known by", "reach"]
CANDIDATE_COLUMNS = ["#", "candidate", "circle", "score", "pipeline", "warm path", "why"]
SUGGESTION_COLUMNS = ["member", "member", "score", "why"]


def company_rows(analysis: NetworkAnalysis) -> list[Row]:
    company = analysis.company
    hops = ", ".join(f"{h} hop(s): {n}" for h, n in company.warm_by_hops.items())
    return [(company.employees, company.direct, hops, company.unreached, company.unactivated)]


def employee_rows(analysis: NetworkAnalysis) -> list[Row]:
    return [
        (e.name, e.direct, e.strong, e.unique, e.warm_second_degree, e.unactivated)
        for e in analysis.employees
    ]


def overlap_rows(analysis: NetworkAnalysis, names: dict[str, str]) -> list[Row]:
    return [(names[o.a], names[o.b], o.shared, f"{o.jaccard:.2f}") for o in analysis.overlaps]


def unactivated_rows(analysis: NetworkAnalysis, names: dict[str, str]) -> list[Row]:
    return [
        (u.name, u.circle, u.best_strength, names[u.known_by], u.reach)
        for u in analysis.unactivated
    ]


def candidate_rows(candidates: Sequence[Candidate], names: dict[str, str]) -> list[Row]:
    return [
        (
            c.rank,
            c.name,
            c.circle,
            f"{c.match.score:.1f}",
            c.partnership_stage or "new",
            c.path.describe(names) if c.path else "-",
            c.match.summary,
        )
        for c in candidates
    ]


def suggestion_rows(suggestions: Sequence[Suggestion], names: dict[str, str]) -> list[Row]:
    return [
        (names[s.match.a], names[s.match.b], f"{s.match.score:g}", s.reason) for s in suggestions
    ]
